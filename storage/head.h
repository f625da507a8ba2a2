// Head: the in-memory part of the store. Per series, Gorilla-compressed chunks (the last one open
// for appends), an out-of-order buffer for samples at or before the newest timestamp (compressed
// into extra chunks once it holds a chunk's worth), and a
// "sealing" area holding samples being written to partitions (still readable until committed).
// Last write wins on equal timestamps. Memory is accounted so Storage can refuse appends
// (ResourceExhausted) instead of growing without limit.
//
// Thread-safe: series are spread over striped mutexes; different stripes proceed in parallel.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <unordered_map>
#include <vector>

#include "storage/registry.h"
#include "storage/write_batch.h"
#include "storage/xor_chunk.h"

namespace tidemark::storage {

struct HeadStats {
  uint64_t series = 0;
  uint64_t samples_appended = 0;
  uint64_t out_of_order_samples = 0;
  uint64_t memory_bytes = 0;
};

class Head {
 public:
  explicit Head(int chunk_samples = 120);
  ~Head();

  // Appends samples of series `id` (any order). Samples newer than the series' newest go to the
  // open chunk; the rest to the out-of-order buffer.
  void Append(SeriesId id, std::span<const Sample> samples);

  // Samples of `id` with mint <= t <= maxt, time-ordered, last write winning; appended to `out`.
  void Read(SeriesId id, int64_t mint, int64_t maxt, std::vector<Sample>* out) const;

  // Moves every sample with t < cutoff into the series' sealing area (adding to what a failed
  // earlier seal left there) and copies the whole area, time-ordered and deduplicated, to `out`.
  void BeginSeal(SeriesId id, int64_t cutoff, std::vector<Sample>* out);
  // Forgets the sealing area once its samples are durable in a partition.
  void CommitSeal(SeriesId id);

  std::vector<SeriesId> SeriesIds() const;
  size_t MemoryUsage() const;
  HeadStats Stats() const;

 private:
  struct MemSeries;
  // Counters are written only under `mu` (plain load + store, no locked instruction) and read
  // without it by the aggregate getters.
  struct alignas(64) Stripe {
    mutable std::mutex mu;
    std::unordered_map<SeriesId, std::unique_ptr<MemSeries>> series;
    std::atomic<size_t> memory{0};
    std::atomic<uint64_t> num_series{0}, samples{0}, ooo{0};
  };
  static constexpr size_t kStripes = 256;

  Stripe& StripeOf(SeriesId id) const { return stripes_[id % kStripes]; }
  static void Account(Stripe& stripe, MemSeries* s);

  const int chunk_samples_;
  mutable Stripe stripes_[kStripes];
};

}  // namespace tidemark::storage
