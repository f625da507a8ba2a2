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
    // This entry's samples, a view into the batch's one sample array: valid while the batch
    // lives and is not changed.
    std::span<const Sample> samples;
    size_t offset = 0;  // where `samples` starts in that array
  };

  WriteBatch() = default;
  // Moves keep the sample array (and so every entry's view); copies re-point the views.
  WriteBatch(WriteBatch&&) noexcept = default;
  WriteBatch& operator=(WriteBatch&&) noexcept = default;
  WriteBatch(const WriteBatch& other) : entries_(other.entries_), samples_(other.samples_) {
    Repoint();
  }
  WriteBatch& operator=(const WriteBatch& other) {
    if (this != &other) {
      entries_ = other.entries_;
      samples_ = other.samples_;
      Repoint();
    }
    return *this;
  }

  // Adds a sample; consecutive adds for equal labels share one entry.
  void Add(const Labels& labels, int64_t t, double v) { PushOne(EntryFor(labels), {t, v}); }
  void Add(const Labels& labels, std::span<const Sample> samples) {
    Push(EntryFor(labels), samples);
  }

  // Same, addressing the series by ref.
  void Add(SeriesRef ref, int64_t t, double v) { PushOne(EntryFor(ref), {t, v}); }
  void Add(SeriesRef ref, std::span<const Sample> samples) { Push(EntryFor(ref), samples); }

  const std::vector<Entry>& entries() const { return entries_; }
  size_t num_samples() const { return samples_.size(); }
  bool empty() const { return samples_.empty(); }
  void Clear() {
    entries_.clear();
    samples_.clear();
  }

 private:
  // One array for all samples (not a vector per entry): a batch of one sample per series, as line
  // protocol produces, costs no allocation per sample. Only the last entry grows, so its samples
  // are always the array's tail.
  Entry& EntryFor(const Labels& labels) {
    if (entries_.empty() || entries_.back().ref != 0 || entries_.back().labels != labels) {
      entries_.push_back({labels, 0, {}, samples_.size()});
    }
    return entries_.back();
  }
  Entry& EntryFor(SeriesRef ref) {
    if (entries_.empty() || entries_.back().ref != ref) {
      entries_.push_back({Labels(), ref, {}, samples_.size()});
    }
    return entries_.back();
  }
  void Push(Entry& e, std::span<const Sample> samples) {
    const Sample* before = samples_.data();
    samples_.insert(samples_.end(), samples.begin(), samples.end());
    if (samples_.data() != before) {
      Repoint();
    } else {
      e.samples = {samples_.data() + e.offset, e.samples.size() + samples.size()};
    }
  }
  // One sample, the line-protocol case: push_back, where a one-element range insert is a
  // memmove call per sample.
  void PushOne(Entry& e, Sample sample) {
    const Sample* before = samples_.data();
    samples_.push_back(sample);
    if (samples_.data() != before) {
      Repoint();
    } else {
      e.samples = {samples_.data() + e.offset, e.samples.size() + 1};
    }
  }
  // After the array moved: every view points into the new one.
  void Repoint() {
    for (size_t i = 0; i < entries_.size(); ++i) {
      Entry& e = entries_[i];
      const size_t end = i + 1 < entries_.size() ? entries_[i + 1].offset : samples_.size();
      e.samples = {samples_.data() + e.offset, end - e.offset};
    }
  }

  std::vector<Entry> entries_;
  std::vector<Sample> samples_;
};

}  // namespace tidemark::storage
