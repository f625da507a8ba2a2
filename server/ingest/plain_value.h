// Decoder for a payload that is just a number ("21.5", " 1e3\n", "NaN"), as many devices publish
// on MQTT; the series identity comes from the caller (typically the topic). Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

#include "server/ingest/decode.h"

namespace tidemark::server::ingest {

// Stores one sample of `series` at `now_ms`, or rejects the payload. Surrounding whitespace is
// ignored; "true"/"false" and "on"/"off" are read as 1/0, as switches report them.
void DecodePlainValue(std::string_view payload, const storage::Labels& series, int64_t now_ms,
                      const DecodeLimits& limits, DecodeOutput* out);

}  // namespace tidemark::server::ingest
