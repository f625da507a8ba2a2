// TopicTemplate: labels and a metric name taken from the segments of an MQTT topic, as devices
// encode their identity there ("sensors/{site}/{device}/{metric}" applied to
// "sensors/north/th-12/temperature" gives site="north", device="th-12" and metric
// "temperature"). `{name}` captures one segment as a label, `{metric}` the metric name, `{_}`
// skips one segment, and literal segments must match. A trailing `{name...}` captures the rest
// of the topic, slashes included. Immutable after Parse; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "storage/base/status.h"
#include "storage/labels.h"

namespace tidemark::server::ingest {

class TopicTemplate {
 public:
  // An empty template captures nothing and matches every topic.
  TopicTemplate() = default;
  static base::Result<TopicTemplate> Parse(std::string_view text);

  // Appends captured labels (names sanitized as label names) to `labels` and sets `metric` when
  // the template has {metric}. False when the topic does not have the template's shape; then
  // nothing is appended.
  bool Match(std::string_view topic, std::vector<storage::Label>* labels,
             std::string* metric) const;

  bool empty() const { return segments_.empty(); }

 private:
  enum class Kind { kLiteral, kLabel, kMetric, kSkip, kRest };
  struct Segment {
    Kind kind;
    std::string text;  // the literal, or the label name
  };
  std::vector<Segment> segments_;
};

// Splits a topic into its '/'-separated segments (empty segments kept, as MQTT does).
std::vector<std::string_view> SplitTopic(std::string_view topic);

}  // namespace tidemark::server::ingest
