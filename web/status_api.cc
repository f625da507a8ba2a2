#include "web/status_api.h"

#include "tidemark_version.h"
#include "web/api_response.h"

namespace tidemark::web {

void RegisterStatusRoutes(Router& router, StatusApiDeps deps) {
  router.Add(
      {Method::kGet}, "/-/healthy", "healthy",
      [](const Request&) { return Response::Text(200, "Tidemark is Healthy.\n"); },
      /*is_public=*/true);

  router.Add(
      {Method::kGet}, "/-/ready", "ready",
      [ready = deps.is_ready](const Request&) {
        if (ready && !ready()) return Response::Text(503, "Service Unavailable\n");
        return Response::Text(200, "Tidemark is Ready.\n");
      },
      /*is_public=*/true);

  router.Add({Method::kGet}, "/metrics", "metrics", [metrics = deps.metrics](const Request&) {
    return Response::Text(200, metrics->Exposition(), "text/plain; version=0.0.4; charset=utf-8");
  });

  // Grafana reads this after its health check; older versions POST it. Without "features" it
  // treats the server as Prometheus with a read-only ruler, which is what Tidemark is.
  router.Add({Method::kGet, Method::kPost}, "/api/v1/status/buildinfo", "buildinfo",
             [](const Request&) {
               return ApiSuccess({{"version", kTidemarkVersion},
                                  {"revision", kTidemarkRevision},
                                  {"branch", kTidemarkBranch},
                                  {"buildUser", "tidemark"},
                                  {"buildDate", kTidemarkBuildDate},
                                  {"goVersion", "n/a"}});
             });
}

}  // namespace tidemark::web
