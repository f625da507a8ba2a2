// Partition: sealed chunks of one time range (e.g. one day) in their own LevelDB, keyed by
// big-endian series id, then chunk min time, then a write sequence number. Later sequence numbers
// win on equal timestamps. PartitionSet manages the partitions of one tier (raw data now; rollup
// tiers later), each tier with its own partition length and retention, and drops whole
// partitions past retention. Format: storage/docs/partitions.md.
//
// Thread-safe. A Partition handed out as shared_ptr stays readable after being dropped; its files
// are deleted when the last reference goes away.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <vector>

#include "storage/base/status.h"
#include "storage/registry.h"
#include "storage/write_batch.h"

namespace leveldb {
class Cache;
class DB;
class Env;
class Iterator;
}  // namespace leveldb

namespace tidemark::storage {

struct StoredChunk {
  SeriesId id = 0;
  int64_t min_t = 0;
  int64_t max_t = 0;
  uint64_t seq = 0;
  std::string data;  // sealed chunk (storage/sealed_chunk.h)
};

// True when some chunk starts before the previous one ends (chunks in key order, i.e. by min_t):
// only then do reads and compaction need a merge.
bool ChunksOverlap(const std::vector<StoredChunk>& chunks);

// Decodes one series' chunks and merges them in write order (by seq, which it sorts `chunks` by),
// so at an equal timestamp the later write wins. `merged` receives the samples in time order.
base::Status DecodeMergedLastWins(std::vector<StoredChunk>* chunks, std::vector<Sample>* merged);

// Where a series' chunks start to keep span windows when compacted with `recent_ms` (see
// Partition::Compact): recent_ms before the start of the window of its newest sample. INT64_MIN
// (nothing aged) when span_ms or recent_ms <= 0.
int64_t AgedCut(const std::vector<StoredChunk>& chunks, int64_t span_ms, int64_t recent_ms);

// Whether the chunks that end before `cut` would fit in fewer chunks of kMaxChunkSamples (their
// sample counts come from the chunk headers): merging them then saves keys and headers, and a
// series already merged is not rewritten again.
bool AgedChunksMerge(const std::vector<StoredChunk>& chunks, int64_t cut);

// Longest chunk written, in samples, whatever its span (bounds a chunk's decode buffer).
inline constexpr size_t kMaxChunkSamples = 1 << 16;

// End (exclusive) of the chunk span window holding `t`: windows are [k*span, (k+1)*span) on the
// epoch, so a window never crosses a partition boundary when span divides the partition length.
// span <= 0: unbounded (INT64_MAX).
int64_t ChunkSpanEnd(int64_t t, int64_t span);

// Calls fn(run) for consecutive runs of time-sorted `samples`, each run inside one chunk span
// window (ChunkSpanEnd) and at most `max_samples` long. Why bounded: a query over a short window
// decodes (and zstd-inflates) only the chunks it overlaps (storage/docs/partitions.md).
template <typename Fn>
void ForEachChunkRun(std::span<const Sample> samples, int64_t span, size_t max_samples, Fn fn) {
  size_t i = 0;
  while (i < samples.size()) {
    const int64_t end = ChunkSpanEnd(samples[i].t, span);
    size_t j = i + 1;
    while (j < samples.size() && samples[j].t < end && j - i < max_samples) ++j;
    fn(samples.subspan(i, j - i));
    i = j;
  }
}

class Partition {
 public:
  // `cache` (may be null) is a block cache shared by the partitions of a set.
  static base::Result<std::shared_ptr<Partition>> Open(leveldb::Env* env,
                                                       std::shared_ptr<leveldb::Cache> cache,
                                                       std::string path, int64_t start,
                                                       int64_t end);
  ~Partition();

  int64_t start() const { return start_; }  // inclusive, ms
  int64_t end() const { return end_; }      // exclusive, ms
  const std::string& path() const { return path_; }

  // Writes chunks (id, min_t, max_t, data) atomically, all under one new sequence number.
  base::Status Write(std::vector<StoredChunk> chunks, bool sync);
  // Chunks of `id` overlapping [mint, maxt], in key order.
  base::Status Read(SeriesId id, int64_t mint, int64_t maxt, std::vector<StoredChunk>* out) const;
  // Per series, merges chunks when they overlap in time (or always when `merge_all`), last write
  // winning, and writes the result back as chunks bounded by `span_ms` windows (ForEachChunkRun;
  // <= 0: one chunk); the new chunks use zstd at `zstd_level` where it beats rANS. With
  // `recent_ms` > 0 (and a span), only samples in the windows from SpanStart(newest sample) -
  // recent_ms on keep span windows: a series whose older chunks would fit in fewer chunks is
  // rewritten with them merged (AgedCut). Returns how many series were rewritten.
  base::Result<size_t> Compact(bool merge_all, int zstd_level = 3, int64_t span_ms = 0,
                               int64_t recent_ms = 0);

  // Deletes the files when the last reference is released.
  void MarkDropped() { dropped_ = true; }

 private:
  friend class PartitionReader;
  Partition(leveldb::Env* env, std::shared_ptr<leveldb::Cache> cache, std::string path,
            int64_t start, int64_t end, leveldb::DB* db, uint64_t next_seq)
      : env_(env),
        cache_(std::move(cache)),
        path_(std::move(path)),
        start_(start),
        end_(end),
        db_(db),
        next_seq_(next_seq) {}
  // Both require write_mu_; CompactSeries also a shared db_mu_.
  struct CompactPlan {
    bool merge_all;
    int zstd_level;
    int64_t span_ms;
    int64_t recent_ms;
  };
  base::Status CompactSeries(std::vector<StoredChunk>* chunks, const CompactPlan& plan,
                             bool* rewritten);
  base::Status ReopenIfBrokenLocked();

  leveldb::Env* env_;
  std::shared_ptr<leveldb::Cache> cache_;  // outlives db_
  const std::string path_;
  const int64_t start_, end_;
  // LevelDB refuses all writes after a failed sync; the partition then reopens its database
  // before the next write. db_mu_ guards the pointer against that swap during short calls;
  // PartitionReaders, which live for a whole query and may end on another thread than they
  // began (read-ahead workers, streamed exports), pin it instead: the swap waits until no pin is
  // held and admits no new pin meanwhile.
  mutable std::shared_mutex db_mu_;
  leveldb::DB* db_;
  mutable std::mutex pin_mu_;
  mutable std::condition_variable pin_cv_;
  mutable int pins_ = 0;            // guarded by pin_mu_
  mutable bool reopening_ = false;  // guarded by pin_mu_
  void Pin() const;
  void Unpin() const;
  std::mutex write_mu_;  // serializes writers so sequence numbers follow commit order
  uint64_t next_seq_;
  bool broken_ = false;  // guarded by write_mu_
  std::atomic<bool> dropped_{false};
};

// Reads the samples of many series from one partition through one LevelDB iterator (one
// consistent snapshot of the partition, taken at construction): a query selecting thousands of
// series seeks one iterator instead of creating one per series. Keeps the partition's database
// from being reopened while it lives, so it is meant for the duration of one query.
// Used by one thread at a time.
class PartitionReader {
 public:
  explicit PartitionReader(std::shared_ptr<const Partition> partition);
  ~PartitionReader();
  PartitionReader(const PartitionReader&) = delete;
  PartitionReader& operator=(const PartitionReader&) = delete;

  // Appends the samples of `id`'s chunks overlapping [mint, maxt] to `out` in time order (equal
  // timestamps merged, the later write winning); samples of those chunks outside the range are
  // included, the caller clips. With `latest_from` (not INT64_MIN; querier.h's SelectHints) the
  // chunks that end before a later chunk starting at or before `latest_from` are left out: the
  // caller only wants the newest sample at or before each time >= latest_from, and that sample is
  // never in them. Skipped only where chunks do not overlap (with an overlap all are merged).
  base::Status ReadSamples(SeriesId id, int64_t mint, int64_t maxt, std::vector<Sample>* out,
                           int64_t latest_from = INT64_MIN);

 private:
  std::shared_ptr<const Partition> partition_;  // pinned while this reader lives
  std::unique_ptr<leveldb::Iterator> it_;
  std::string pending_;  // ReadSamples: a chunk waiting for the next one (reused buffer)
};

struct TierOptions {
  std::string name = "raw";
  int64_t partition_ms = 86'400'000;
  int64_t retention_ms = 30LL * 86'400'000;
  size_t block_cache_bytes = 32 << 20;  // shared by all partitions of the tier
};

class PartitionSet {
 public:
  // Opens every partition found under `dir`/`tier.name`.
  static base::Result<std::unique_ptr<PartitionSet>> Open(leveldb::Env* env, std::string dir,
                                                          TierOptions tier);

  // The partition whose range contains `t`, created when missing.
  base::Result<std::shared_ptr<Partition>> GetOrCreate(int64_t t);
  // Partitions overlapping [mint, maxt], ascending by start.
  std::vector<std::shared_ptr<Partition>> Overlapping(int64_t mint, int64_t maxt) const;
  std::vector<std::shared_ptr<Partition>> All() const { return Overlapping(INT64_MIN, INT64_MAX); }
  // Drops partitions that end at or before now - retention; returns how many.
  size_t ApplyRetention(int64_t now_ms);

  int64_t PartitionStart(int64_t t) const;
  const TierOptions& tier() const { return tier_; }

 private:
  PartitionSet(leveldb::Env* env, std::string dir, TierOptions tier);
  std::string PathFor(int64_t start) const;

  leveldb::Env* env_;
  std::shared_ptr<leveldb::Cache> cache_;
  const std::string dir_;  // <root>/<tier name>
  const TierOptions tier_;
  mutable std::mutex mu_;
  std::map<int64_t, std::shared_ptr<Partition>> partitions_;  // by start
};

}  // namespace tidemark::storage
