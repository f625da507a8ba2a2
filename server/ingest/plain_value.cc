#include "server/ingest/plain_value.h"

#include "server/ingest/prometheus_text.h"

namespace tidemark::server::ingest {

void DecodePlainValue(std::string_view payload, const storage::Labels& series, int64_t now_ms,
                      const DecodeLimits& limits, DecodeOutput* out) {
  std::string_view text = payload;
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  double value = 0;
  if (text == "true" || text == "on" || text == "ON") {
    value = 1;
  } else if (text == "false" || text == "off" || text == "OFF") {
    value = 0;
  } else if (!ParsePrometheusValue(text, &value)) {
    out->Reject(1, "invalid_value", text.empty() ? "empty payload" : "payload is not a number",
                payload);
    return;
  }
  if (SeriesProblem problem = CheckSeries(series, limits); !problem.ok()) {
    out->Reject(1, problem.reason, problem.message, payload);
    return;
  }
  out->batch.Add(series, now_ms, value);
}

}  // namespace tidemark::server::ingest
