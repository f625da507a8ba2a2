// Labels: the identity of a series — a set of (name, value) pairs sorted by name, including the
// metric name under "__name__". Follows Prometheus: a label with an empty value is the same as an
// absent label, so the constructor drops empty values.
//
// Immutable after construction; safe to share between threads for reading.
#pragma once

#include <compare>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "storage/base/status.h"

namespace tidemark::storage {

inline constexpr std::string_view kMetricNameLabel = "__name__";

struct Label {
  std::string name;
  std::string value;
  friend auto operator<=>(const Label&, const Label&) = default;
};

class Labels {
 public:
  Labels() = default;
  // Sorts by name; drops empty values; when a name repeats, the last value given wins.
  explicit Labels(std::vector<Label> labels);
  Labels(std::initializer_list<Label> labels) : Labels(std::vector<Label>(labels)) {}

  const std::vector<Label>& labels() const { return labels_; }
  size_t size() const { return labels_.size(); }
  bool empty() const { return labels_.empty(); }
  auto begin() const { return labels_.begin(); }
  auto end() const { return labels_.end(); }

  // Value of `name`, or "" when absent (Prometheus semantics).
  std::string_view Get(std::string_view name) const;
  bool Has(std::string_view name) const;
  std::string_view MetricName() const { return Get(kMetricNameLabel); }

  // A 64-bit hash of the sorted pairs, deterministic within a build (in-memory use only).
  uint64_t Hash() const;

  // Prometheus text form: `metric{a="b", c="d"}`; `{a="b"}` without a metric name. Values are
  // escaped (backslash, double quote, newline).
  std::string ToString() const;

  // Checks names against [a-zA-Z_:][a-zA-Z0-9_:]* and that the set is not empty.
  base::Status Validate() const;

  // Compact binary encoding (varint lengths); see storage/docs/registry.md.
  void EncodeTo(std::string* out) const;
  std::string Encode() const;
  static base::Result<Labels> Decode(std::string_view data);

  friend bool operator==(const Labels&, const Labels&) = default;
  friend auto operator<=>(const Labels& a, const Labels& b) { return a.labels_ <=> b.labels_; }

 private:
  std::vector<Label> labels_;
};

// Approximate heap bytes used by a Labels value (for memory accounting).
size_t LabelsMemoryUsage(const Labels& labels);

}  // namespace tidemark::storage
