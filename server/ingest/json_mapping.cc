#include "server/ingest/json_mapping.h"

#include <cctype>
#include <nlohmann/json.hpp>
#include <optional>

#include "server/ingest/prometheus_text.h"

namespace tidemark::server::ingest {
namespace {

using nlohmann::json;

// Follows one path step: "key", "key[2]", "[0]". Returns nullptr when absent.
const json* Step(const json* node, std::string_view step) {
  const size_t bracket = step.find('[');
  const std::string_view key = step.substr(0, bracket);
  if (!key.empty()) {
    if (!node->is_object()) return nullptr;
    auto it = node->find(key);
    if (it == node->end()) return nullptr;
    node = &*it;
  }
  size_t pos = bracket;
  while (pos != std::string_view::npos && pos < step.size()) {
    const size_t close = step.find(']', pos);
    if (close == std::string_view::npos || !node->is_array()) return nullptr;
    size_t index = 0;
    for (char c : step.substr(pos + 1, close - pos - 1)) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return nullptr;
      index = index * 10 + static_cast<size_t>(c - '0');
    }
    if (index >= node->size()) return nullptr;
    node = &(*node)[index];
    pos = close + 1;
    if (pos < step.size() && step[pos] != '[') return nullptr;
  }
  return node;
}

const json* Resolve(const json& document, const json& record, std::string_view path) {
  const json* node = &record;
  if (path == "$") return &document;
  if (path == ".") return &record;
  if (path.substr(0, 2) == "$.") {
    node = &document;
    path.remove_prefix(2);
  }
  size_t start = 0;
  while (node != nullptr && start <= path.size()) {
    size_t dot = path.find('.', start);
    if (dot == std::string_view::npos) dot = path.size();
    node = Step(node, path.substr(start, dot - start));
    start = dot + 1;
  }
  return node;
}

// Numbers, numeric strings and booleans carry values; anything else does not.
bool ToNumber(const json& node, double* value) {
  if (node.is_number()) return *value = node.get<double>(), true;
  if (node.is_boolean()) return *value = node.get<bool>() ? 1 : 0, true;
  if (!node.is_string()) return false;
  std::string_view text = node.get_ref<const std::string&>();
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return ParsePrometheusValue(text, value);
}

std::optional<std::string> ToLabelText(const json& node) {
  if (node.is_string()) return node.get<std::string>();
  if (node.is_number() || node.is_boolean()) return node.dump();
  return std::nullopt;
}

std::string LastKey(std::string_view path) {
  const size_t dot = path.rfind('.');
  std::string_view key = dot == std::string_view::npos ? path : path.substr(dot + 1);
  return std::string(key.substr(0, key.find('[')));
}

std::string Join(const std::string& base, const std::string& key) {
  return base.empty() ? key : base + "_" + key;
}

// One record being turned into samples.
class RecordDecoder {
 public:
  RecordDecoder(const json& document, const json& record, size_t position,
                const JsonMapping& mapping, const JsonContext& context, int64_t now_ms,
                const DecodeLimits& limits, DecodeOutput* out)
      : document_(document),
        record_(record),
        position_(position),
        mapping_(mapping),
        context_(context),
        now_ms_(now_ms),
        limits_(limits),
        out_(out),
        raw_(record.dump(-1, ' ', false, json::error_handler_t::replace)) {}

  void Decode();

 private:
  bool BaseName(std::string* base);
  bool Timestamp(int64_t* t);
  std::vector<storage::Label> Labels();
  void CollectValues(const std::string& base);
  void Emit(const std::string& metric, double value, const std::vector<storage::Label>& labels,
            int64_t t);
  void Reject(std::string reason, std::string message) {
    out_->Reject(position_, std::move(reason), std::move(message), raw_);
  }

  const json& document_;
  const json& record_;
  size_t position_;
  const JsonMapping& mapping_;
  const JsonContext& context_;
  int64_t now_ms_;
  const DecodeLimits& limits_;
  DecodeOutput* out_;
  std::string raw_;
  std::vector<std::pair<std::string, double>> values_;
  bool value_rejected_ = false;
};

bool RecordDecoder::BaseName(std::string* base) {
  if (!mapping_.name.empty()) return *base = mapping_.name, true;
  if (mapping_.name_path.empty()) return *base = context_.default_metric, true;
  const json* node = Resolve(document_, record_, mapping_.name_path);
  if (node == nullptr || !node->is_string() || node->get_ref<const std::string&>().empty()) {
    Reject("missing_name", "no metric name at \"" + mapping_.name_path + "\"");
    return false;
  }
  *base = node->get<std::string>();
  return true;
}

bool RecordDecoder::Timestamp(int64_t* t) {
  if (mapping_.timestamp_format == JsonTimeFormat::kArrival) return *t = now_ms_, true;
  const json* node = Resolve(document_, record_, mapping_.timestamp_path);
  if (node == nullptr || node->is_null()) {
    Reject("missing_timestamp", "no timestamp at \"" + mapping_.timestamp_path + "\"");
    return false;
  }
  const auto format = mapping_.timestamp_format;
  const bool is_string = node->is_string();
  if (format == JsonTimeFormat::kLayout || format == JsonTimeFormat::kRfc3339) {
    if (is_string) {
      auto parsed = format == JsonTimeFormat::kLayout
                        ? ParseLayout(node->get<std::string>(), mapping_.timestamp_layout)
                        : base::ParseRfc3339(node->get<std::string>());
      if (parsed.ok()) return *t = *parsed, true;
      Reject("invalid_timestamp", parsed.status().message());
      return false;
    }
  } else {
    // kUnits is indexed by JsonTimeFormat: kArrival, kEpochAuto, kEpochS, kEpochMs, kEpochUs,
    // kEpochNs.
    static constexpr EpochUnit kUnits[] = {EpochUnit::kAuto,         EpochUnit::kAuto,
                                           EpochUnit::kSeconds,      EpochUnit::kMilliseconds,
                                           EpochUnit::kMicroseconds, EpochUnit::kNanoseconds};
    double number = 0;
    if (ToNumber(*node, &number)) {
      if (auto ms = EpochToMillis(number, kUnits[static_cast<int>(format)])) return *t = *ms, true;
    } else if (is_string && format == JsonTimeFormat::kEpochAuto) {
      auto parsed = base::ParseRfc3339(node->get<std::string>());
      if (parsed.ok()) return *t = *parsed, true;
    }
  }
  Reject("invalid_timestamp", "cannot read a time from " + node->dump().substr(0, 64));
  return false;
}

std::vector<storage::Label> RecordDecoder::Labels() {
  std::vector<storage::Label> labels = context_.labels;
  if (!mapping_.labels_object.empty()) {
    const json* object = Resolve(document_, record_, mapping_.labels_object);
    if (object != nullptr && object->is_object()) {
      for (const auto& [key, value] : object->items()) {
        if (auto text = ToLabelText(value)) labels.push_back({SanitizeLabelName(key), *text});
      }
    }
  }
  for (const JsonLabelField& field : mapping_.labels) {
    if (field.path.empty()) {
      labels.push_back({SanitizeLabelName(field.name), field.constant});
    } else if (const json* node = Resolve(document_, record_, field.path)) {
      if (auto text = ToLabelText(*node)) labels.push_back({SanitizeLabelName(field.name), *text});
    }
  }
  return labels;
}

void RecordDecoder::CollectValues(const std::string& base) {
  for (const JsonValueField& field : mapping_.values) {
    const json* node = Resolve(document_, record_, field.path);
    if (node == nullptr || node->is_null()) continue;
    double value = 0;
    if (!ToNumber(*node, &value)) {
      Reject("invalid_value", "value at \"" + field.path + "\" is not a number");
      value_rejected_ = true;
      continue;
    }
    std::string metric = field.metric;
    if (metric.empty()) {
      metric = base.empty()                  ? LastKey(field.path)
               : mapping_.values.size() == 1 ? base
                                             : Join(base, LastKey(field.path));
    }
    values_.emplace_back(std::move(metric), value);
  }
  if (!mapping_.values_object.empty()) {
    const json* object = Resolve(document_, record_, mapping_.values_object);
    if (object != nullptr && object->is_object()) {
      for (const auto& [key, value] : object->items()) {
        double number = 0;
        if (ToNumber(value, &number)) {
          values_.emplace_back(Join(base, key), number);
        } else if (value.is_string()) {
          ++out_->skipped_string_fields;
        }
      }
    }
  }
  if (!mapping_.names_array.empty()) {
    const json* names = Resolve(document_, record_, mapping_.names_array);
    const json* values = Resolve(document_, record_, mapping_.values_array);
    if (names == nullptr || values == nullptr || !names->is_array() || !values->is_array() ||
        names->size() != values->size()) {
      Reject("invalid_record", "\"" + mapping_.names_array + "\" and \"" + mapping_.values_array +
                                   "\" must be arrays of the same length");
      value_rejected_ = true;
      return;
    }
    for (size_t i = 0; i < names->size(); ++i) {
      double number = 0;
      if ((*names)[i].is_string() && ToNumber((*values)[i], &number)) {
        values_.emplace_back(Join(base, (*names)[i].get<std::string>()), number);
      }
    }
  }
}

void RecordDecoder::Emit(const std::string& metric, double value,
                         const std::vector<storage::Label>& labels, int64_t t) {
  const std::string name = SanitizeMetricName(metric);
  if (metric.empty()) {
    Reject("missing_name", "value has no metric name");
    return;
  }
  std::vector<storage::Label> all = labels;
  all.push_back({std::string(storage::kMetricNameLabel), name});
  storage::Labels series(std::move(all));
  if (SeriesProblem problem = CheckSeries(series, limits_); !problem.ok()) {
    Reject(problem.reason, problem.message);
    return;
  }
  out_->batch.Add(series, t, value);
}

void RecordDecoder::Decode() {
  std::string base;
  int64_t t = 0;
  if (!BaseName(&base) || !Timestamp(&t)) return;
  const std::vector<storage::Label> labels = Labels();
  CollectValues(base);
  if (values_.empty() && !value_rejected_) {
    Reject("no_values", "record has no numeric values where the mapping looks");
    return;
  }
  for (const auto& [metric, value] : values_) Emit(metric, value, labels, t);
}

}  // namespace

void DecodeJson(std::string_view payload, const JsonMapping& mapping, const JsonContext& context,
                int64_t now_ms, const DecodeLimits& limits, DecodeOutput* out) {
  const json document = json::parse(payload.begin(), payload.end(), nullptr,
                                    /*allow_exceptions=*/false);
  if (document.is_discarded()) {
    out->Reject(1, "invalid_json", "payload is not valid JSON", payload);
    return;
  }
  const json* records = &document;
  if (!mapping.records.empty()) {
    records = Resolve(document, document, mapping.records);
    if (records == nullptr || !records->is_array()) {
      out->Reject(1, "invalid_record", "no array at \"" + mapping.records + "\"", payload);
      return;
    }
  }
  if (!records->is_array()) {
    RecordDecoder(document, *records, 1, mapping, context, now_ms, limits, out).Decode();
    return;
  }
  for (size_t i = 0; i < records->size(); ++i) {
    RecordDecoder(document, (*records)[i], i + 1, mapping, context, now_ms, limits, out).Decode();
  }
}

}  // namespace tidemark::server::ingest
