// Swagger UI for /docs, served from the swagger-ui-bundle package (no CDN, no validator: both would call out).
"use strict";

window.addEventListener("DOMContentLoaded", function () {
  const info = window.versions && window.versions.swaggerUi;
  const major = parseInt((info && info.version) || "4", 10);

  // FastAPI writes OpenAPI 3.1; Swagger UI before 5 refuses to render it ("does not specify a valid version
  // field").  The schema FastAPI emits renders fine as 3.0, so an old bundle is shown it under that label.
  function asOpenApi30(res) {
    if (major >= 5 || !res || !res.url || !/\/openapi\.json$/.test(new URL(res.url, location.href).pathname)) {
      return res;
    }
    try {
      const spec = JSON.parse(res.text);
      if (typeof spec.openapi === "string" && spec.openapi.startsWith("3.1")) {
        spec.openapi = "3.0.3";
        res.text = JSON.stringify(spec);
        res.body = res.obj = spec;
      }
    } catch (_) {
      // Not JSON: leave it for Swagger UI to report.
    }
    return res;
  }

  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    deepLinking: true,
    validatorUrl: null,
    responseInterceptor: asOpenApi30,
  });
});
