// The HTTP write endpoints, registered on the web Router:
//   POST /write              InfluxDB 1.x line protocol (db, precision, u/p)
//   POST /api/v2/write       InfluxDB 2.x line protocol (bucket, org, precision)
//   GET|HEAD /ping           InfluxDB client liveness probe (204)
//   POST /api/v1/write       Prometheus remote write 1.0 (snappy + protobuf)
//   POST /api/v1/import/prometheus   Prometheus text exposition format
//   GET  /api/v1/deadletters?limit=&source=&reason=   rejected input, newest first
// Every rejected line goes to the dead letters. Bodies may be gzip-compressed (Content-Encoding:
// gzip). Good lines are stored even when others are rejected; the answer then is a 400 "partial
// write" naming the first bad lines, the way InfluxDB answers, so Telegraf logs it and does not
// resend. A full head answers 503 (retry). Handlers are thread-safe; they run on the HTTP worker
// pool.
#pragma once

#include <cstdint>

#include "server/ingest/dead_letters.h"
#include "server/ingest/decode.h"
#include "storage/base/clock.h"
#include "storage/storage.h"
#include "web/router.h"

namespace tidemark::server {

struct HttpIngestDeps {
  storage::Storage* storage = nullptr;
  base::Clock* clock = nullptr;
  ingest::DecodeLimits limits;
  uint64_t max_decompressed_bytes = 32ULL << 20;
  ingest::DeadLetters* dead_letters = nullptr;     // optional: where rejected input is kept
  ingest::SeriesResolver* series_cache = nullptr;  // optional: speeds up known series
};

void RegisterHttpIngestRoutes(web::Router& router, HttpIngestDeps deps);

}  // namespace tidemark::server
