// PendingMarks: the in-memory copy of one rollup tier's dirty marks ("bucket (series, end) must be
// rebuilt from raw data"), kept as one bitmap per (series, block) with the date of the block's
// oldest mark, the same grouping as the mark entries on disk (storage/docs/rollups.md).
//
// Why bitmaps: sealing a bulk load marks every bucket of every series. One tree node per bucket
// cost ~64 bytes each, 100 MB for a day of 5,000 series at 5m; a bitmap costs 1 bit per bucket
// plus ~150 bytes per (series, block).
//
// Not thread-safe: RollupTier guards it with its mutex.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <utility>
#include <vector>

#include "storage/registry.h"

namespace tidemark::storage {

class PendingMarks {
 public:
  // `res`: the tier's resolution; `span`: its block span (a multiple of res, <= 1440 buckets).
  PendingMarks(int64_t res, int64_t span);

  // Marks bucket `end` (a multiple of res) of `id`; a block already marked keeps its older date.
  void Add(SeriesId id, int64_t end, int64_t at_ms);
  void Erase(SeriesId id, int64_t end);
  bool Contains(SeriesId id, int64_t end) const;

  // Appends the marked ends of `id` with lo <= end <= hi to `out`, ascending.
  void AppendIn(SeriesId id, int64_t lo, int64_t hi, std::vector<int64_t>* out) const;
  // The marked ends of block (id, block) and the block's date; false when it has none.
  bool BlockMarks(SeriesId id, int64_t block, std::vector<int64_t>* ends, int64_t* at_ms) const;
  // Series with at least one mark, ascending.
  std::vector<SeriesId> Series() const;
  // Drops every mark whose end satisfies `drop`.
  void EraseIf(const std::function<bool(int64_t end)>& drop);

  uint64_t size() const { return count_; }
  // Date of the oldest marked block; `none` when there are no marks.
  int64_t OldestAt(int64_t none) const;

 private:
  struct Block {
    int64_t at_ms = 0;
    std::vector<uint64_t> bits;  // bit i: the bucket ending at block + (i + 1) * res
  };
  using Key = std::pair<SeriesId, int64_t>;  // (series, block start)

  int64_t BlockOf(int64_t end) const;
  size_t IndexOf(int64_t end, int64_t block) const {
    return static_cast<size_t>((end - block) / res_ - 1);
  }
  static bool Test(const Block& b, size_t i) { return (b.bits[i / 64] >> (i % 64)) & 1; }
  // Appends the ends of `b` (starting at `block`) within [lo, hi].
  void AppendEnds(const Block& b, int64_t block, int64_t lo, int64_t hi,
                  std::vector<int64_t>* out) const;

  const int64_t res_, span_;
  const size_t words_;
  std::map<Key, Block> blocks_;
  uint64_t count_ = 0;
};

}  // namespace tidemark::storage
