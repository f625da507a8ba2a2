// WriteBatch: samples to append to Storage in one call, grouped by series.
//
// Not thread-safe: build it on one thread, then hand it to Storage::Append (which only reads it).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "storage/labels.h"

namespace tidemark::storage {

// One sample: a millisecond Unix timestamp and a value (any double, NaN payloads included).
struct Sample {
  int64_t t;
  double v;
};

// A series handle from Storage::GetSeriesRef(), valid for that Storage's lifetime. Adding samples
// by ref skips label validation, hashing and lookup on the append path. 0 is never a valid ref.
using SeriesRef = uint64_t;

class WriteBatch {
 public:
  struct Entry {
    Labels labels;  // empty when `ref` is set
    SeriesRef ref = 0;
    std::vector<Sample> samples;
  };

  // Adds a sample; consecutive adds for equal labels share one entry.
  void Add(const Labels& labels, int64_t t, double v) {
    EntryFor(labels).samples.push_back({t, v});
    ++num_samples_;
  }
  void Add(const Labels& labels, std::span<const Sample> samples) {
    auto& e = EntryFor(labels);
    e.samples.insert(e.samples.end(), samples.begin(), samples.end());
    num_samples_ += samples.size();
  }

  // Same, addressing the series by ref.
  void Add(SeriesRef ref, int64_t t, double v) {
    EntryFor(ref).samples.push_back({t, v});
    ++num_samples_;
  }
  void Add(SeriesRef ref, std::span<const Sample> samples) {
    auto& e = EntryFor(ref);
    e.samples.insert(e.samples.end(), samples.begin(), samples.end());
    num_samples_ += samples.size();
  }

  const std::vector<Entry>& entries() const { return entries_; }
  size_t num_samples() const { return num_samples_; }
  bool empty() const { return num_samples_ == 0; }
  void Clear() {
    entries_.clear();
    num_samples_ = 0;
  }

 private:
  Entry& EntryFor(const Labels& labels) {
    if (entries_.empty() || entries_.back().ref != 0 || entries_.back().labels != labels) {
      entries_.push_back({labels, 0, {}});
    }
    return entries_.back();
  }
  Entry& EntryFor(SeriesRef ref) {
    if (entries_.empty() || entries_.back().ref != ref) entries_.push_back({Labels(), ref, {}});
    return entries_.back();
  }

  std::vector<Entry> entries_;
  size_t num_samples_ = 0;
};

}  // namespace tidemark::storage
