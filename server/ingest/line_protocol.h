// Decoder for InfluxDB line protocol, the format Telegraf's HTTP, MQTT and Kafka outputs send:
//
//   measurement[,tag=value...] field=value[,field=value...] [timestamp]
//
// Each numeric or boolean field becomes one sample of series `measurement_field{tags}` (names
// sanitized to Prometheus' alphabet); booleans are 0/1; string fields carry no sample and are
// counted. Escapes follow the spec: `\,` and `\ ` in measurements; `\,`, `\=` and `\ ` in tag
// keys, tag values and field keys; `\"` and `\\` inside string values. Lines starting with '#'
// and blank lines are ignored. A bad line is rejected alone. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "server/ingest/decode.h"

namespace tidemark::server::ingest {

enum class Precision { kNanoseconds, kMicroseconds, kMilliseconds, kSeconds, kMinutes, kHours };

// Accepts InfluxDB v1 ("n", "ns", "u", "us", "µ", "ms", "s", "m", "h") and v2 ("ns", "us", "ms",
// "s") spellings; "" means nanoseconds.
std::optional<Precision> ParsePrecision(std::string_view text);

// Decodes `payload`; lines without a timestamp get `now_ms`. With a `resolver`, samples of known
// series are added by SeriesRef (see SeriesResolver); the result stored is the same.
void DecodeLineProtocol(std::string_view payload, Precision precision, int64_t now_ms,
                        const DecodeLimits& limits, DecodeOutput* out,
                        SeriesResolver* resolver = nullptr);

}  // namespace tidemark::server::ingest
