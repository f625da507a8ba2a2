#include "server/ingest/topic_template.h"

#include "server/ingest/decode.h"

namespace tidemark::server::ingest {

std::vector<std::string_view> SplitTopic(std::string_view topic) {
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (true) {
    const size_t slash = topic.find('/', start);
    if (slash == std::string_view::npos) {
      segments.push_back(topic.substr(start));
      return segments;
    }
    segments.push_back(topic.substr(start, slash - start));
    start = slash + 1;
  }
}

base::Result<TopicTemplate> TopicTemplate::Parse(std::string_view text) {
  TopicTemplate parsed;
  if (text.empty()) return parsed;
  const std::vector<std::string_view> parts = SplitTopic(text);
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string_view part = parts[i];
    if (part.size() < 2 || part.front() != '{' || part.back() != '}') {
      if (part.find_first_of("{}") != std::string_view::npos) {
        return base::Status::InvalidArgument("topic template segment \"" + std::string(part) +
                                             "\" must be a whole {name}");
      }
      parsed.segments_.push_back({Kind::kLiteral, std::string(part)});
      continue;
    }
    std::string_view name = part.substr(1, part.size() - 2);
    const bool rest = name.size() > 3 && name.substr(name.size() - 3) == "...";
    if (rest) {
      if (i + 1 != parts.size()) {
        return base::Status::InvalidArgument("{" + std::string(name) +
                                             "} must be the last segment of a topic template");
      }
      name.remove_suffix(3);
    }
    if (name.empty()) return base::Status::InvalidArgument("empty {} in topic template");
    if (name == "_") {
      parsed.segments_.push_back({Kind::kSkip, ""});
    } else if (name == "metric" && !rest) {
      parsed.segments_.push_back({Kind::kMetric, ""});
    } else {
      parsed.segments_.push_back({rest ? Kind::kRest : Kind::kLabel, SanitizeLabelName(name)});
    }
  }
  return parsed;
}

bool TopicTemplate::Match(std::string_view topic, std::vector<storage::Label>* labels,
                          std::string* metric) const {
  if (segments_.empty()) return true;
  const std::vector<std::string_view> parts = SplitTopic(topic);
  const bool has_rest = segments_.back().kind == Kind::kRest;
  if (has_rest ? parts.size() < segments_.size() : parts.size() != segments_.size()) return false;
  std::vector<storage::Label> captured;
  std::string captured_metric;
  for (size_t i = 0; i < segments_.size(); ++i) {
    const Segment& segment = segments_[i];
    switch (segment.kind) {
      case Kind::kLiteral:
        if (parts[i] != segment.text) return false;
        break;
      case Kind::kLabel:
        captured.push_back({segment.text, std::string(parts[i])});
        break;
      case Kind::kMetric:
        captured_metric = std::string(parts[i]);
        break;
      case Kind::kSkip:
        break;
      case Kind::kRest: {
        const size_t offset = static_cast<size_t>(parts[i].data() - topic.data());
        captured.push_back({segment.text, std::string(topic.substr(offset))});
        break;
      }
    }
  }
  labels->insert(labels->end(), captured.begin(), captured.end());
  if (!captured_metric.empty()) *metric = std::move(captured_metric);
  return true;
}

}  // namespace tidemark::server::ingest
