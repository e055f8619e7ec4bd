// Writing the compte-rendu: a live preview while typing, rendered by the server (the same
// sanitised Markdown as the PDF). Without JavaScript the "Prévisualiser" button does it.
(function () {
  "use strict";

  function livePreview(form) {
    var textarea = form.querySelector("textarea");
    var panel = form.querySelector(".proceedings-preview");
    var body = form.querySelector("[data-preview]");
    var token = form.querySelector("input[name$='csrf_token']");
    var url = form.getAttribute("data-render-url");
    var timer = null;
    if (!textarea || !panel || !body || !token || !url) {
      return;
    }
    function render() {
      var data = new FormData();
      data.append("text", textarea.value);
      fetch(url, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "X-CSRFToken": token.value },
      })
        .then(function (response) { return response.json(); })
        .then(function (answer) {
          if (answer.html !== undefined) {
            body.innerHTML = answer.html; // sanitised by the server (nh3)
            panel.hidden = false;
          }
        })
        .catch(function () { /* the button still works */ });
    }
    textarea.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(render, 400);
    });
  }

  document.querySelectorAll("form.proceedings-form").forEach(livePreview);
})();
