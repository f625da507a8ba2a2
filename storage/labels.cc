#include "storage/labels.h"

#include <algorithm>
#include <cstring>

#include "storage/varint.h"

namespace tidemark::storage {

Labels::Labels(std::vector<Label> labels) {
  std::stable_sort(labels.begin(), labels.end(),
                   [](const Label& a, const Label& b) { return a.name < b.name; });
  for (auto& l : labels) {
    if (!labels_.empty() && labels_.back().name == l.name) {
      labels_.back().value = std::move(l.value);  // last value given wins
    } else {
      labels_.push_back(std::move(l));
    }
  }
  std::erase_if(labels_, [](const Label& l) { return l.value.empty(); });
}

std::string_view Labels::Get(std::string_view name) const {
  auto it = std::lower_bound(labels_.begin(), labels_.end(), name,
                             [](const Label& l, std::string_view n) { return l.name < n; });
  if (it == labels_.end() || it->name != name) return {};
  return it->value;
}

bool Labels::Has(std::string_view name) const { return !Get(name).empty(); }

namespace {

inline uint64_t Mix(uint64_t h, uint64_t v) {
  h ^= v * 0x9e3779b97f4a7c15ULL;
  h = (h << 29) | (h >> 35);
  return h * 0xbf58476d1ce4e5b9ULL;
}

// Eight bytes at a time, then the tail and the length (so "ab"+"c" != "a"+"bc").
inline uint64_t HashBytes(uint64_t h, std::string_view s) {
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = Mix(h, w);
  }
  uint64_t tail = 0;
  std::memcpy(&tail, s.data() + i, s.size() - i);
  return Mix(Mix(h, tail), s.size());
}

}  // namespace

uint64_t Labels::Hash() const {
  uint64_t h = 0x243f6a8885a308d3ULL;
  for (const auto& l : labels_) h = HashBytes(HashBytes(h, l.name), l.value);
  return h ^ (h >> 31);
}

namespace {

void AppendEscaped(std::string* out, std::string_view value) {
  for (char c : value) {
    if (c == '\\') {
      out->append("\\\\");
    } else if (c == '"') {
      out->append("\\\"");
    } else if (c == '\n') {
      out->append("\\n");
    } else {
      out->push_back(c);
    }
  }
}

bool ValidLabelName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

}  // namespace

std::string Labels::ToString() const {
  std::string out(MetricName());
  out.push_back('{');
  bool first = true;
  for (const auto& l : labels_) {
    if (l.name == kMetricNameLabel) continue;
    if (!first) out.append(", ");
    first = false;
    out.append(l.name);
    out.append("=\"");
    AppendEscaped(&out, l.value);
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

base::Status Labels::Validate() const {
  if (labels_.empty()) return base::Status::InvalidArgument("series has no labels");
  for (const auto& l : labels_) {
    if (!ValidLabelName(l.name)) {
      return base::Status::InvalidArgument("invalid label name \"" + l.name + "\"");
    }
  }
  return base::Status::Ok();
}

void Labels::EncodeTo(std::string* out) const {
  PutVarint(out, labels_.size());
  for (const auto& l : labels_) {
    PutVarint(out, l.name.size());
    out->append(l.name);
    PutVarint(out, l.value.size());
    out->append(l.value);
  }
}

std::string Labels::Encode() const {
  std::string out;
  EncodeTo(&out);
  return out;
}

base::Result<Labels> Labels::Decode(std::string_view data) {
  uint64_t n;
  if (!GetVarint(&data, &n) || n > data.size()) return base::Status::Corruption("bad label count");
  std::vector<Label> labels;
  labels.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    Label l;
    for (std::string* field : {&l.name, &l.value}) {
      uint64_t len;
      if (!GetVarint(&data, &len) || len > data.size()) {
        return base::Status::Corruption("truncated label");
      }
      field->assign(data.substr(0, len));
      data.remove_prefix(len);
    }
    labels.push_back(std::move(l));
  }
  if (!data.empty()) return base::Status::Corruption("trailing bytes after labels");
  Labels out;
  out.labels_ = std::move(labels);
  if (!std::is_sorted(out.labels_.begin(), out.labels_.end())) {
    return base::Status::Corruption("labels not sorted");
  }
  return out;
}

size_t LabelsMemoryUsage(const Labels& labels) {
  size_t bytes = labels.size() * sizeof(Label);
  for (const auto& l : labels) {
    // Short strings live inline (SSO); only count heap capacity beyond it.
    if (l.name.capacity() > 15) bytes += l.name.capacity() + 1;
    if (l.value.capacity() > 15) bytes += l.value.capacity() + 1;
  }
  return bytes;
}

}  // namespace tidemark::storage
