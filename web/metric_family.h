// Helpers for collectors that build prometheus-cpp metric families by hand at scrape time
// (storage, dead letters, Kafka, alerting): a family, and one sample added to it. Header-only;
// pure functions.
#pragma once

#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>

#include <string>
#include <utility>
#include <vector>

namespace tidemark::web {

inline prometheus::MetricFamily NewFamily(std::string name, std::string help,
                                          prometheus::MetricType type) {
  prometheus::MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = type;
  return family;
}

// Adds a sample; counters and gauges keep their value in different fields.
inline void AddSample(prometheus::MetricFamily* family, double value,
                      std::vector<prometheus::ClientMetric::Label> labels = {}) {
  prometheus::ClientMetric metric;
  metric.label = std::move(labels);
  if (family->type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family->metric.push_back(std::move(metric));
}

}  // namespace tidemark::web
