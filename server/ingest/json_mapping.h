// Decoder for JSON payloads through a configurable mapping — the shapes real devices and
// pipelines send, without code: Telegraf's JSON output, {"m_name","m_value","m_timestamp"}
// records, parallel "measurements"/"values" arrays, station documents with a "data" array of
// string-encoded readings, flat {"TH1": 21.4, "HVAC1": 37.0} records.
//
// Paths are dotted keys with optional [index] steps ("metadata.id", "data[0].v"). Inside a record
// they are relative to the record ("." is the record itself); a path starting with "$." (or "$"
// alone) starts at the document root, so document-level fields (a station id) can label every
// record. Keys that contain dots cannot be addressed.
// Values may be numbers, numeric strings or booleans (0/1); absent or null values are skipped.
// A record that cannot be used is rejected alone. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "server/ingest/decode.h"
#include "server/ingest/time_formats.h"

namespace tidemark::server::ingest {

struct JsonValueField {
  std::string path;    // where the value is
  std::string metric;  // the series' metric name; empty: derived (see JsonMapping)
};

struct JsonLabelField {
  std::string name;
  std::string path;      // read from the JSON, or
  std::string constant;  // used as is when `path` is empty
};

enum class JsonTimeFormat {
  kArrival,
  kEpochAuto,
  kEpochS,
  kEpochMs,
  kEpochUs,
  kEpochNs,
  kRfc3339,
  kLayout
};

struct JsonMapping {
  // Where the records are: a path to an array, or "" for the document itself (each element when
  // the document is an array).
  std::string records;

  // The base metric name: `name` when set, else the string at `name_path`, else the caller's
  // default (e.g. from the MQTT topic).
  std::string name;
  std::string name_path;

  // The values, by any combination of:
  std::vector<JsonValueField> values;  // explicit fields; metric: field.metric, else the base
                                       // name (base_<key> when several), else the last key
  std::string values_object;           // an object whose numeric members each become base_<key> (or
                                       // <key>); "." for the record itself (a flat record)
  std::string names_array;             // parallel arrays: names[i] ...
  std::string values_array;            // ... and values[i]

  // The time of each record.
  std::string timestamp_path;
  JsonTimeFormat timestamp_format = JsonTimeFormat::kArrival;
  std::string timestamp_layout;  // for kLayout, e.g. "YYYY-MM-DD HH:MM"

  // Labels: fixed rules, and an object whose string/number members all become labels
  // (Telegraf's "tags").
  std::vector<JsonLabelField> labels;
  std::string labels_object;
};

// What the transport knows about a payload: labels taken from it (topic segments, a Kafka
// topic name) and a default metric name.
struct JsonContext {
  std::vector<storage::Label> labels;
  std::string default_metric;
};

void DecodeJson(std::string_view payload, const JsonMapping& mapping, const JsonContext& context,
                int64_t now_ms, const DecodeLimits& limits, DecodeOutput* out);

}  // namespace tidemark::server::ingest
