// Internal to the Prometheus API implementation: the metadata routes live in their own file.
#pragma once

#include "web/prom_api.h"

namespace tidemark::web {

// /api/v1/series, /api/v1/labels, /api/v1/label/<name>/values, /api/v1/metadata,
// /api/v1/query_exemplars.
void RegisterPrometheusMetadataApi(Router& router, const PrometheusApiDeps& deps);

}  // namespace tidemark::web
