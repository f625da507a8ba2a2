// Decoder for the Prometheus text exposition format (what /metrics endpoints serve, and what
// /api/v1/import/prometheus accepts):
//
//   # HELP name text        (ignored)
//   # TYPE name counter     (ignored: every sample is stored as its own series)
//   name{label="value",...} value [timestamp_ms]
//
// Values may be NaN, +Inf or -Inf; label values use the \\, \" and \n escapes; a trailing comma
// inside the braces is allowed; `# EOF` (OpenMetrics) ends nothing early. Lines without a
// timestamp get `now_ms`. A bad line is rejected alone. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

#include "server/ingest/decode.h"

namespace tidemark::server::ingest {

void DecodePrometheusText(std::string_view payload, int64_t now_ms, const DecodeLimits& limits,
                          DecodeOutput* out);

// Parses a sample value as Prometheus does: decimal or exponent floats, NaN, +Inf, -Inf, Inf
// (case-insensitive). False on anything else.
bool ParsePrometheusValue(std::string_view text, double* value);

}  // namespace tidemark::server::ingest
