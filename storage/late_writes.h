// LateWriteTracker: generation counters that tell caches of query results (query/result_cache.h)
// when samples arrived for a time range they may have cached. A sample is "late" when, at the
// moment it becomes visible to queriers, its timestamp is at or before now - settle_ms (the
// settle horizon). Caches only keep results for steps at or before the horizon of the time they
// computed them, and drop an entry once a generation it depends on moved.
//
// Counters: one per hash bucket of metric names (so late writes to one metric leave cached
// queries over other metrics alone) and one global counter bumped by every late write.
//
// Thread-safe: lock-free atomics; Note must be called after the samples are visible, so a reader
// that saw the old generation cannot have missed the samples without seeing the bump later.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <bitset>
#include <cstdint>
#include <functional>
#include <span>
#include <string_view>

namespace tidemark::storage {

class LateWriteTracker {
 public:
  explicit LateWriteTracker(int64_t settle_ms) : settle_ms_(settle_ms) {}

  int64_t settle_ms() const { return settle_ms_; }
  // The horizon a cache may keep results up to: samples stamped at or before it are settled.
  // Remembered, so that a wall clock stepped back later cannot make writes under it look on time.
  int64_t SettledHorizon(int64_t now_ms) {
    const int64_t horizon = now_ms - settle_ms_;
    int64_t seen = handed_out_.load(std::memory_order_relaxed);
    while (seen < horizon && !handed_out_.compare_exchange_weak(seen, horizon)) {
    }
    return horizon;
  }
  // Appending a sample stamped at or before this counts as a late write: the current horizon,
  // or any later one already handed out to a cache.
  int64_t LateHorizon(int64_t now_ms) const {
    return std::max(now_ms - settle_ms_, handed_out_.load(std::memory_order_acquire));
  }

  // Records a late write to series of the metrics `names` ("" for series without a name): one
  // bump per bucket touched, however many series share it.
  void Note(std::span<const std::string_view> names) {
    std::bitset<kBuckets> touched;
    for (std::string_view name : names) touched.set(Bucket(name));
    for (size_t b = 0; b < kBuckets; ++b) {
      if (touched[b]) buckets_[b].fetch_add(1, std::memory_order_release);
    }
    global_.fetch_add(1, std::memory_order_release);
  }
  // Records late writes to any metrics (a backfill touching many series at once: cheaper than
  // naming them, and caches over that data are stale anyway).
  void NoteAll() {
    for (auto& b : buckets_) b.fetch_add(1, std::memory_order_release);
    global_.fetch_add(1, std::memory_order_release);
  }
  // The generation of `metric_name`'s bucket; with `metric_name` empty, the global generation
  // (bumped by late writes to any metric).
  uint64_t Generation(std::string_view metric_name) const {
    if (metric_name.empty()) return global_.load(std::memory_order_acquire);
    return buckets_[Bucket(metric_name)].load(std::memory_order_acquire);
  }

 private:
  static constexpr size_t kBuckets = 256;

  static size_t Bucket(std::string_view name) {
    return std::hash<std::string_view>{}(name) % kBuckets;
  }

  const int64_t settle_ms_;
  std::atomic<int64_t> handed_out_{INT64_MIN};
  std::atomic<uint64_t> global_{0};
  std::array<std::atomic<uint64_t>, kBuckets> buckets_{};
};

}  // namespace tidemark::storage
