#include "server/ingest/payload.h"

#include <algorithm>

#include "server/ingest/plain_value.h"
#include "server/ingest/prometheus_text.h"

namespace tidemark::server::ingest {
namespace {

// Transport labels, then the spec's constant labels; a later name does not replace an earlier.
std::vector<storage::Label> ExtraLabels(const PayloadSpec& spec,
                                        const TransportContext& transport) {
  std::vector<storage::Label> extra;
  auto add = [&](const storage::Label& label) {
    const bool seen = std::any_of(extra.begin(), extra.end(),
                                  [&](const storage::Label& l) { return l.name == label.name; });
    if (!seen) extra.push_back(label);
  };
  for (const storage::Label& label : transport.labels) add(label);
  for (const storage::Label& label : spec.labels) add(label);
  return extra;
}

// Adds `extra` to every series of the batch that does not already carry the name.
void AddLabels(const std::vector<storage::Label>& extra, DecodeOutput* out,
               const DecodeLimits& limits) {
  storage::WriteBatch original = std::move(out->batch);
  out->batch = storage::WriteBatch();
  for (const storage::WriteBatch::Entry& entry : original.entries()) {
    std::vector<storage::Label> merged = entry.labels.labels();
    for (const storage::Label& label : extra) {
      if (!entry.labels.Has(label.name)) merged.push_back(label);
    }
    storage::Labels labels(std::move(merged));
    if (SeriesProblem problem = CheckSeries(labels, limits); !problem.ok()) {
      out->Reject(0, problem.reason, problem.message, labels.ToString());
      continue;
    }
    out->batch.Add(labels, entry.samples);
  }
}

void DecodePlain(const PayloadSpec& spec, std::string_view payload,
                 const TransportContext& transport, int64_t now_ms, const DecodeLimits& limits,
                 DecodeOutput* out) {
  const std::string& metric = transport.metric.empty() ? spec.metric : transport.metric;
  if (metric.empty()) {
    out->Reject(1, "no_metric_name",
                "a plain value needs a metric name: set `metric` or {metric} in the topic "
                "template",
                payload);
    return;
  }
  std::vector<storage::Label> labels = ExtraLabels(spec, transport);
  labels.push_back({std::string(storage::kMetricNameLabel), SanitizeMetricName(metric)});
  DecodePlainValue(payload, storage::Labels(std::move(labels)), now_ms, limits, out);
}

}  // namespace

void DecodePayload(const PayloadSpec& spec, std::string_view payload,
                   const TransportContext& transport, int64_t now_ms, const DecodeLimits& limits,
                   DecodeOutput* out, SeriesResolver* resolver) {
  const std::vector<storage::Label> extra = ExtraLabels(spec, transport);
  switch (spec.format) {
    case PayloadFormat::kPlain:
      DecodePlain(spec, payload, transport, now_ms, limits, out);
      return;
    case PayloadFormat::kJson: {
      JsonContext context{extra, transport.metric.empty() ? spec.metric : transport.metric};
      DecodeJson(payload, spec.json, context, now_ms, limits, out);
      return;
    }
    case PayloadFormat::kInflux:
      DecodeLineProtocol(payload, spec.precision, now_ms, limits, out,
                         extra.empty() ? resolver : nullptr);
      break;
    case PayloadFormat::kPrometheus:
      DecodePrometheusText(payload, now_ms, limits, out);
      break;
  }
  if (!extra.empty()) AddLabels(extra, out, limits);
}

}  // namespace tidemark::server::ingest
