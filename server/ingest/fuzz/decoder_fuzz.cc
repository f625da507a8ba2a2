#include "server/ingest/fuzz/decoder_fuzz.h"

#include <string_view>

#include "server/ingest/json_mapping.h"
#include "server/ingest/line_protocol.h"
#include "server/ingest/plain_value.h"
#include "server/ingest/prometheus_text.h"
#include "server/ingest/remote_write.h"

namespace tidemark::server::ingest {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

void CheckOutput(const DecodeOutput& out) {
  for (const Rejected& r : out.rejected) {
    Check(!r.reason.empty());
    Check(!r.message.empty());
    Check(r.raw.size() <= kMaxRawBytes);
  }
  size_t samples = 0;
  for (const auto& entry : out.batch.entries()) {
    Check(!entry.labels.MetricName().empty());
    for (const auto& label : entry.labels) Check(IsValidUtf8(label.value));
    samples += entry.samples.size();
  }
  Check(samples == out.batch.num_samples());
}

std::string_view View(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace

void FuzzLineProtocol(const uint8_t* data, size_t size) {
  DecodeOutput out;
  const Precision precision =
      size > 0 && data[0] % 2 ? Precision::kSeconds : Precision::kNanoseconds;
  DecodeLineProtocol(View(data, size), precision, kNow, {}, &out);
  CheckOutput(out);
}

void FuzzPrometheusText(const uint8_t* data, size_t size) {
  DecodeOutput out;
  DecodePrometheusText(View(data, size), kNow, {}, &out);
  CheckOutput(out);
}

void FuzzJsonMapping(const uint8_t* data, size_t size) {
  // One mapping that touches every feature, so each path sees arbitrary documents.
  JsonMapping mapping;
  mapping.records = "data";
  mapping.name_path = "name";
  mapping.values = {{"v", ""}, {"$.meta.total", "total"}};
  mapping.values_object = "fields";
  mapping.names_array = "names";
  mapping.values_array = "values";
  mapping.timestamp_path = "t";
  mapping.timestamp_format =
      size > 0 && data[0] % 2 ? JsonTimeFormat::kLayout : JsonTimeFormat::kEpochAuto;
  mapping.timestamp_layout = "YYYY-MM-DD HH:MM";
  mapping.labels = {{"station", "$.meta.id", ""}, {"source", "", "fuzz"}};
  mapping.labels_object = "tags";
  DecodeOutput out;
  DecodeJson(View(data, size), mapping, {{{"topic", "t"}}, "fallback"}, kNow, {}, &out);
  CheckOutput(out);
}

void FuzzRemoteWrite(const uint8_t* data, size_t size) {
  DecodeOutput out;
  const bool ok = DecodeRemoteWrite(View(data, size), {}, &out);
  if (!ok) Check(out.batch.empty() && out.rejected.size() == 1);
  CheckOutput(out);
}

void FuzzPlainValue(const uint8_t* data, size_t size) {
  DecodeOutput out;
  DecodePlainValue(View(data, size), storage::Labels{{"__name__", "x"}}, kNow, {}, &out);
  Check(out.batch.num_samples() + out.rejected.size() == 1);
  CheckOutput(out);
}

}  // namespace tidemark::server::ingest
