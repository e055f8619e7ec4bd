// Starts the Swagger UI of /api/v1/docs with the settings its page carries as JSON
// (templates/swagger_ui.html): a file, because the site's policy allows no inline script.
"use strict";
window.addEventListener("load", function () {
  var config = JSON.parse(document.getElementById("swagger-ui-config").textContent);
  window.ui = SwaggerUIBundle(config);
});
