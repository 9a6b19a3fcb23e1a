// Starts Swagger UI on the spec named by the page; a file of its own so that the page needs no inline script.
(function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.specUrl,
    domNode: root,
    deepLinking: true,
    validatorUrl: null, // on a public host the default badge sends the spec's address to validator.swagger.io
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
})();
