#include "server/payload_spec.h"

namespace tidemark::server {
namespace {

ingest::PayloadFormat FormatOf(config::PayloadFormat format) {
  switch (format) {
    case config::PayloadFormat::kJson:
      return ingest::PayloadFormat::kJson;
    case config::PayloadFormat::kPlain:
      return ingest::PayloadFormat::kPlain;
    case config::PayloadFormat::kPrometheus:
      return ingest::PayloadFormat::kPrometheus;
    case config::PayloadFormat::kInflux:
      break;
  }
  return ingest::PayloadFormat::kInflux;
}

void SetTimestampFormat(const std::string& format, ingest::JsonMapping* mapping) {
  using ingest::JsonTimeFormat;
  if (format == "arrival") {
    mapping->timestamp_format = JsonTimeFormat::kArrival;
  } else if (format == "auto") {
    mapping->timestamp_format = JsonTimeFormat::kEpochAuto;
  } else if (format == "s") {
    mapping->timestamp_format = JsonTimeFormat::kEpochS;
  } else if (format == "ms") {
    mapping->timestamp_format = JsonTimeFormat::kEpochMs;
  } else if (format == "us") {
    mapping->timestamp_format = JsonTimeFormat::kEpochUs;
  } else if (format == "ns") {
    mapping->timestamp_format = JsonTimeFormat::kEpochNs;
  } else if (format == "rfc3339") {
    mapping->timestamp_format = JsonTimeFormat::kRfc3339;
  } else {
    mapping->timestamp_format = JsonTimeFormat::kLayout;
    mapping->timestamp_layout = format;
  }
}

ingest::JsonMapping JsonMappingOf(const config::JsonMappingConfig& c) {
  ingest::JsonMapping m;
  m.records = c.records;
  m.name = c.name;
  m.name_path = c.name_path;
  for (const config::JsonValueConfig& v : c.values) m.values.push_back({v.path, v.metric});
  m.values_object = c.values_object;
  m.names_array = c.names_array;
  m.values_array = c.values_array;
  m.timestamp_path = c.timestamp_path;
  // A timestamp path without a format means "guess the epoch unit", not "ignore the path".
  SetTimestampFormat(
      c.timestamp_format == "arrival" && !c.timestamp_path.empty() ? "auto" : c.timestamp_format,
      &m);
  for (const config::JsonLabelConfig& l : c.labels) m.labels.push_back({l.name, l.path, l.value});
  m.labels_object = c.labels_object;
  return m;
}

}  // namespace

base::Result<ingest::PayloadSpec> MakePayloadSpec(const config::PayloadConfig& config) {
  ingest::PayloadSpec spec;
  spec.format = FormatOf(config.format);
  const auto precision = ingest::ParsePrecision(config.precision);
  if (!precision) {
    return base::Status::InvalidArgument("invalid precision \"" + config.precision + "\"");
  }
  spec.precision = *precision;
  spec.metric = config.metric;
  spec.json = JsonMappingOf(config.json);
  for (const auto& [name, value] : config.labels) {
    spec.labels.push_back({ingest::SanitizeLabelName(name), value});
  }
  return spec;
}

}  // namespace tidemark::server
