// RollupTier: the stored buckets of one downsampling tier (one resolution) in LevelDB partitions
// of their own, `<root>/<name>/p<start_ms>`, each covering `partition_ms` of bucket time and
// dropped whole by retention. Besides buckets a partition holds dirty marks: "bucket (series,
// end) must be recomputed from raw data". Marks are written durably when raw data is sealed and
// deleted in the same atomic write that stores the recomputed bucket, so a crash at any point
// leaves either the mark (the bucket is rebuilt, idempotently) or the finished bucket.
// Format: storage/docs/rollups.md.
//
// Buckets are stored in blocks (storage/rollup_block.h), one LevelDB entry per series and block
// span; rebuilding a bucket rewrites its block.
//
// Thread-safe: reads run concurrently with writes; the writers (AddMarks, Store, Compact,
// ApplyRetention) are serialized by the caller (Storage's maintenance lock).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "storage/base/status.h"
#include "storage/registry.h"
#include "storage/rollup.h"
#include "storage/rollup_marks.h"

namespace leveldb {
class DB;
class Env;
class WriteBatch;
}  // namespace leveldb

namespace tidemark::storage {

struct RollupTierOptions {
  int64_t resolution_ms = 5 * 60'000;
  int64_t retention_ms = 365LL * 86'400'000;
  // Bucket time per LevelDB partition (the retention granularity); 0: 2016 buckets (7 days at
  // 5m, 84 days at 1h).
  int64_t partition_ms = 0;
};

struct RollupTierStats {
  std::string name;
  int64_t resolution_ms = 0;
  int64_t retention_ms = 0;
  uint64_t partitions = 0;
  uint64_t series = 0;           // series with at least one stored bucket
  uint64_t buckets = 0;          // stored buckets
  uint64_t bytes = 0;            // approximate LevelDB size of the tier
  uint64_t block_bytes = 0;      // encoded blocks, before LevelDB's compression and overheads
  uint64_t pending_buckets = 0;  // dirty marks not yet rebuilt
  int64_t lag_ms = 0;            // age of the oldest pending mark; 0 when none
  uint64_t buckets_built = 0;    // since open
  uint64_t partitions_dropped = 0;
  uint64_t compactions = 0;  // partitions compacted since open
};

class RollupTier {
 public:
  // Opens every partition under `root`/<resolution name>, loading marks and bucket counts.
  static base::Result<std::unique_ptr<RollupTier>> Open(leveldb::Env* env, const std::string& root,
                                                        RollupTierOptions options);
  ~RollupTier();

  const std::string& name() const { return name_; }
  int64_t resolution() const { return options_.resolution_ms; }
  const RollupTierOptions& options() const { return options_; }

  // Durably records that the buckets (series, end) must be rebuilt; `now_ms` dates the marks.
  base::Status AddMarks(const std::vector<std::pair<SeriesId, int64_t>>& marks, int64_t now_ms);
  // Series with pending marks, ascending.
  std::vector<SeriesId> PendingSeries() const;
  // Pending bucket ends of `id` in [lo, hi], ascending.
  std::vector<int64_t> PendingIn(SeriesId id, int64_t lo, int64_t hi) const;

  // For each end in `ends` (sorted, all of series `id`): stores the bucket of `built` with that
  // end, or deletes the stored bucket when `built` has none; clears the marks. Atomic per
  // partition; idempotent.
  base::Status Store(SeriesId id, const std::vector<int64_t>& ends,
                     const std::vector<RollupBucket>& built);
  // Drops the marks without rebuilding (their raw data is gone).
  base::Status ClearMarks(SeriesId id, const std::vector<int64_t>& ends);

  // Stored buckets of `id` with min_end <= end <= max_end, ascending.
  base::Status Read(SeriesId id, int64_t min_end, int64_t max_end,
                    std::vector<RollupBucket>* out) const;

  // Compacts the LevelDB of each partition whose superseded block versions and cleared marks
  // (every rebuild rewrites whole blocks) add up to at least its live data, so the tier's disk
  // size stays within about twice its content; `final`: every partition written since its last
  // compaction (a flush that wants the disk as small as it gets). Returns how many were compacted.
  size_t Compact(bool final = false);
  // Drops partitions that end at or before now - retention; returns how many.
  size_t ApplyRetention(int64_t now_ms);
  RollupTierStats Stats(int64_t now_ms) const;

 private:
  class Part;
  RollupTier(leveldb::Env* env, std::string dir, RollupTierOptions options);
  int64_t PartitionStartOfEnd(int64_t end) const;
  base::Result<std::shared_ptr<Part>> GetOrCreate(int64_t end);
  std::shared_ptr<Part> Find(int64_t end) const;
  base::Status WriteMarks(SeriesId id, const std::vector<int64_t>& ends,
                          const std::vector<RollupBucket>* built);
  std::string MarksAfter(SeriesId id, int64_t block, int64_t start, std::span<const int64_t> drop,
                         std::span<const int64_t> add, int64_t now_ms) const;
  base::Status RewriteBlock(const Part& part, SeriesId id, int64_t block,
                            std::span<const int64_t> ends, const std::vector<RollupBucket>& built,
                            leveldb::WriteBatch* batch, int64_t* delta, int64_t* bytes_delta) const;

  leveldb::Env* env_;
  const std::string dir_;
  const std::string name_;
  RollupTierOptions options_;
  const int64_t span_;  // bucket time per block (storage/rollup_block.h)
  mutable std::mutex mu_;
  std::map<int64_t, std::shared_ptr<Part>> parts_;                         // by start
  PendingMarks pending_;                                                   // guarded by mu_
  uint64_t buckets_built_ = 0, partitions_dropped_ = 0, compactions_ = 0;  // guarded by mu_
};

}  // namespace tidemark::storage
