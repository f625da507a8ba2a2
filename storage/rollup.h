// Rollup buckets: per-series aggregates of raw samples over fixed time buckets, the unit that
// downsampling tiers store and the query engine reads instead of raw samples. A bucket of
// resolution R ending at E (a multiple of R) covers the samples with E - R < t <= E.
//
// Every field composes exactly across consecutive buckets (count, sum, min, max, first, last and
// the counter increase with resets), so `*_over_time`, rate and increase over windows that are
// multiples of R are answered as from raw data. Stored in blocks: storage/rollup_block.h, whose
// gauge-like series keep no increase (has_increase), so past raw retention such a series has no
// rollup rate or increase.
//
// Pure functions and value types; thread-safe.
#pragma once

#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "storage/write_batch.h"

namespace tidemark::storage {

struct RollupBucket {
  int64_t end = 0;  // the bucket covers (end - resolution, end]
  uint64_t count = 0;
  double sum = 0;
  double min = NAN;  // NaN only when every sample was NaN (Prometheus' min_over_time rule)
  double max = NAN;
  int64_t first_t = 0;
  double first = 0;
  int64_t last_t = 0;
  double last = 0;
  // Counter increase inside the bucket: last - first plus the value before every reset (a
  // sample lower than its predecessor), as Prometheus' rate computes it.
  double increase = 0;
  // False when `increase` is unknown: blocks of gauge-like series do not store it (see
  // storage/docs/rollups.md), and a merge with such a bucket does not know it either.
  bool has_increase = true;
};

// The end of the bucket of resolution `res` holding a sample at `t`: the smallest multiple of
// `res` that is >= t.
int64_t BucketEnd(int64_t t, int64_t res);

// Buckets of time-sorted samples; stale markers are skipped. Only non-empty buckets, ascending.
// Sum and increase are summed with Neumaier compensation, as sum_over_time sums raw samples.
std::vector<RollupBucket> BuildBuckets(std::span<const Sample> samples, int64_t res);

// Adds one more sample (later than everything in `b`) to a bucket.
void AddToBucket(RollupBucket* b, const Sample& s);

// Folds `next` (later in time) into `acc`; `acc` with count 0 becomes `next`.
void MergeBuckets(RollupBucket* acc, const RollupBucket& next);

// Exact equality of every field (NaN equals NaN), for tests and idempotency checks.
bool SameBucket(const RollupBucket& a, const RollupBucket& b);

// "5m", "1h", "30s", "1d" or "<n>ms": the folder name of a tier.
std::string ResolutionName(int64_t res_ms);

}  // namespace tidemark::storage
