// Starts Swagger UI on the docs page: a served script, as the page's Content-Security-Policy runs no inline one.
// Relative URLs: the page works on the local stack, on a stage path and behind a custom domain alike.
window.ui = SwaggerUIBundle({
  url: "openapi.json",
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  presets: [SwaggerUIBundle.presets.apis],
  docExpansion: "list",
  deepLinking: true,
  displayOperationId: false,
  persistAuthorization: false,
});
