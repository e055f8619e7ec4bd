// eventapp organiser area: small enhancements on top of forms that work without JavaScript.
(function () {
  "use strict";

  // Buttons that delete something ask first.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // Speakers found by name as you type: suggestions from /admin/speakers/search, added as
  // "Name #id" lines to the plain textarea (which keeps working on its own).
  function speakerPicker(picker) {
    var input = picker.querySelector("input[type=search]");
    var list = picker.querySelector("datalist");
    var button = picker.querySelector(".speaker-add");
    var target = document.getElementById(picker.getAttribute("data-target"));
    var url = picker.getAttribute("data-search-url");
    var timer = null;
    if (!input || !list || !target || !url) {
      return;
    }
    picker.hidden = false;
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        fetch(url + "?q=" + encodeURIComponent(input.value), {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        })
          .then(function (response) { return response.ok ? response.json() : []; })
          .then(function (speakers) {
            list.textContent = "";
            speakers.forEach(function (speaker) {
              var option = document.createElement("option");
              option.value = speaker.label;
              option.textContent = speaker.byline;
              list.appendChild(option);
            });
          })
          .catch(function () { /* the plain textarea still works */ });
      }, 150);
    });
    function add() {
      var value = input.value.trim();
      if (!value) {
        return;
      }
      var text = target.value.replace(/\s+$/, "");
      target.value = (text ? text + "\n" : "") + value;
      input.value = "";
      input.focus();
    }
    button.addEventListener("click", add);
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        add();
      }
    });
  }

  // Drag an item of the builder onto a slot: fills that item's move form and sends it.
  function builder(grid) {
    var dragged = null;
    grid.addEventListener("dragstart", function (event) {
      var item = event.target.closest && event.target.closest(".builder-item");
      if (!item) {
        return;
      }
      dragged = item.getAttribute("data-item-id");
      event.dataTransfer.setData("text/plain", dragged);
      event.dataTransfer.effectAllowed = "move";
    });
    grid.addEventListener("dragover", function (event) {
      if (dragged && event.target.closest && event.target.closest(".builder-slot")) {
        event.preventDefault();
      }
    });
    grid.addEventListener("drop", function (event) {
      var slot = event.target.closest && event.target.closest(".builder-slot");
      if (!dragged || !slot) {
        return;
      }
      event.preventDefault();
      var form = document.querySelector('.move-form[data-item-id="' + dragged + '"]');
      dragged = null;
      if (!form) {
        return;
      }
      form.querySelector("select").value = slot.getAttribute("data-room");
      form.querySelector('input[type="datetime-local"]').value = slot.getAttribute("data-start");
      form.submit();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".speaker-picker").forEach(speakerPicker);
    document.querySelectorAll(".builder").forEach(builder);
  });
})();
