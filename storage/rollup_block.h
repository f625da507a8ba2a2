// Rollup blocks: the on-disk unit of a rollup tier. A block holds the stored buckets of one series
// whose ends fall in one span (block_start, block_start + span] of bucket time, encoded column
// by column so that the regularity of IoT data (equal counts, equal first/last offsets, values
// with few decimals that change little from bucket to bucket) turns into small residuals, each
// column's residuals bit-packed or entropy-coded (storage/token_coder.h), whichever is smaller.
// Encoding writes version 2, or version 3 (without the counter increase) for a gauge-like
// series; version 1 blocks still decode. Format: storage/docs/rollups.md ("Blocks").
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "storage/rollup.h"

namespace tidemark::storage {

// Bucket time covered by one block of a tier of resolution `res`: a day while that is 96 to 1440
// buckets (resolutions 1m to 15m), else a week while that is 24 to 1440 buckets (20m to 7h), else
// 288 buckets. Small enough that rewriting a block for one late bucket stays cheap, large enough
// that a 30-day read is a few dozen blocks per series.
int64_t RollupBlockSpan(int64_t res);
// No span above holds more buckets than this.
inline constexpr uint64_t kMaxRollupBlockBuckets = 1440;

// The start of the block holding the bucket that ends at `end` (a multiple of `span`, < end).
int64_t RollupBlockStart(int64_t end, int64_t span);

// Encodes `buckets`: ascending ends, all multiples of `res` in (block_start, block_start + span],
// count > 0, at most kMaxRollupBlockBuckets. Every field round-trips bit-for-bit (NaN payloads,
// ±Inf and -0.0 included).
std::string EncodeRollupBlock(std::span<const RollupBucket> buckets, int64_t block_start,
                              int64_t res);

// Appends the buckets of a block with min_end <= end <= max_end to `out`, ascending. False when
// the block is malformed (then `out` keeps what it had).
bool DecodeRollupBlock(std::string_view block, int64_t block_start, int64_t res, int64_t min_end,
                       int64_t max_end, std::vector<RollupBucket>* out);

// Buckets in a block, read from its header only; false when malformed.
bool RollupBlockSize(std::string_view block, uint64_t* n);

}  // namespace tidemark::storage
