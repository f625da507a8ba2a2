// GET|POST /api/v1/export?match[]=<selector>&start=&end= — raw samples as JSON lines, one series
// per line: {"metric":{...},"values":[...],"timestamps":[ms,...]} (the shape VictoriaMetrics
// exports), for backups, migrations and checks. NaN and ±Inf values are written as the strings
// "NaN", "+Inf", "-Inf". The body is streamed (chunked) one series at a time, so exports of any
// size use little memory. Thread-safe.
#pragma once

#include <functional>
#include <memory>

#include "storage/querier.h"
#include "web/router.h"

namespace tidemark::web {

// Opens a reader over [mint, maxt] in ms.
using QuerierFactory = std::function<std::unique_ptr<storage::Querier>(int64_t, int64_t)>;

void RegisterExportRoutes(Router& router, QuerierFactory queriers);

}  // namespace tidemark::web
