// Storage: the embedded time-series store — the facade ingest and the query engine use.
//
// Append path: validate -> WAL (group commit) -> head. Head data older than the current block is
// sealed into per-day LevelDB partitions in the background, after which the WAL is checkpointed.
// Out-of-order and late samples are accepted within retention; equal (series, timestamp) keeps
// the last written value. On-disk layout: storage/docs/README.md.
//
// Thread-safe: Append, GetSeriesRef, NewQuerier, Stats and the maintenance calls may be used
// concurrently from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <thread>

#include "storage/base/clock.h"
#include "storage/base/status.h"
#include "storage/env.h"
#include "storage/head.h"
#include "storage/late_writes.h"
#include "storage/partition.h"
#include "storage/querier.h"
#include "storage/read_ahead.h"
#include "storage/registry.h"
#include "storage/registry_store.h"
#include "storage/rollup_tier.h"
#include "storage/wal.h"
#include "storage/write_batch.h"

namespace leveldb {
class Env;
}

namespace tidemark::storage {

struct StorageOptions {
  // Samples older than now - retention_ms are rejected; partitions past it are dropped.
  int64_t retention_ms = 30LL * 86'400'000;
  // Samples newer than now + max_future_skew_ms are rejected.
  int64_t max_future_skew_ms = 10 * 60'000;
  // kEveryBatch: Append returns after fsync; kInterval: fsync every wal_sync_interval_ms and a
  // crash may lose that window.
  SyncPolicy wal_sync = SyncPolicy::kEveryBatch;
  int64_t wal_sync_interval_ms = 1000;
  // Checkpoints and replay read one segment at a time, so this also bounds their memory.
  uint64_t wal_segment_bytes = 16ULL << 20;
  // Series beyond this many are not created: their samples are rejected (counted) while
  // existing series keep being accepted. 0: no limit.
  uint64_t max_series = 0;
  // Appends fail with ResourceExhausted while the head uses more than this.
  size_t head_memory_limit_bytes = 1ULL << 30;
  int head_chunk_samples = 120;
  // Head data older than the start of the previous seal block is sealed into partitions.
  int64_t seal_block_ms = 2 * 3'600'000;
  int64_t partition_ms = 86'400'000;
  // Sealed chunks, and chunks compacted in partitions not yet cold, hold at most this span of a
  // series, on windows aligned to multiples of it, so a query over a short recent range decodes
  // little; cold partitions are compacted into one chunk per series (storage/docs/partitions.md).
  // Must divide partition_ms; <= 0: a chunk may span its whole partition.
  int64_t chunk_span_ms = 2 * 3'600'000;
  // Only the newest this much of each series keeps span-window chunks in a partition that is not
  // yet cold; compaction merges its older chunks into one (as a cold partition's), since each
  // short chunk costs ~50 bytes of key and headers and dashboards read recent data. <= 0: all
  // chunks of a partition that is not cold keep span windows.
  int64_t recent_chunks_ms = 6 * 3'600'000;
  // Background maintenance (seal, compact, retention) period; 0 disables the thread, and then
  // only calls to RunMaintenance (or Seal) move data out of the head and shorten the WAL.
  int64_t maintenance_interval_ms = 60'000;
  // Downsampling tiers (storage/docs/rollups.md), each with its own retention. Every resolution
  // must divide partition_ms. Empty: raw data only.
  std::vector<RollupTierOptions> tiers;
  // Samples stamped at or before now - late_write_settle_ms count as late writes when appended
  // (LateWriteGeneration): query result caches keep only results older than this.
  int64_t late_write_settle_ms = 5 * 60'000;
  base::Clock* clock = nullptr;         // default: base::SystemClock::Default()
  Env* env = nullptr;                   // default: Env::Posix()  (WAL)
  leveldb::Env* leveldb_env = nullptr;  // default: leveldb::Env::Default()  (registry, partitions)
};

// What happened to the samples of one Append call.
struct AppendReport {
  uint64_t accepted = 0;
  uint64_t rejected_too_old = 0;         // older than retention
  uint64_t rejected_too_new = 0;         // beyond max_future_skew
  uint64_t rejected_invalid_labels = 0;  // bad labels (none, bad name) or an unknown SeriesRef
  uint64_t rejected_series_limit = 0;    // samples of new series beyond max_series
};

struct StorageStats {
  uint64_t series = 0;
  uint64_t head_series = 0;
  uint64_t head_memory_bytes = 0;
  uint64_t registry_memory_bytes = 0;
  uint64_t samples_appended = 0;
  uint64_t out_of_order_samples = 0;
  uint64_t rejected_too_old = 0;
  uint64_t rejected_too_new = 0;
  uint64_t rejected_invalid_labels = 0;
  uint64_t rejected_series_limit = 0;
  uint64_t appends_refused_memory = 0;
  uint64_t append_errors = 0;
  uint64_t partitions = 0;
  uint64_t sealed_chunks = 0;
  uint64_t sealed_samples = 0;
  uint64_t sealed_bytes = 0;
  uint64_t seal_rounds = 0;
  uint64_t compacted_series = 0;
  uint64_t partitions_dropped = 0;
  uint64_t wal_replay_unknown_series = 0;
  uint64_t rollup_rounds = 0;
  WalStats wal;
  std::vector<RollupTierStats> tiers;  // in StorageOptions::tiers order
};

class Storage {
 public:
  // Opens (creating) the store in `dir`: loads the registry, replays the WAL into the head.
  static base::Result<std::unique_ptr<Storage>> Open(const StorageOptions& options,
                                                     const std::string& dir);
  ~Storage();

  // Appends a batch. Samples outside [now - retention, now + max_future_skew] and series with
  // invalid labels are skipped and counted in `report`; the rest is stored and the call succeeds.
  // Errors: ResourceExhausted when the head is over its memory limit (nothing stored), IoError
  // when the WAL write fails (nothing stored; the store stays readable), FailedPrecondition after
  // Close. On success the samples are durable per the sync policy.
  base::Status Append(const WriteBatch& batch, AppendReport* report = nullptr);

  // Append without the fsync kEveryBatch would do: the samples are written to the WAL (a process
  // crash keeps them) and visible, but not durable against power loss until SyncWal(). Lets a
  // caller that acknowledges many small batches at once (the MQTT source) pay one fsync for all.
  base::Status AppendDeferringSync(const WriteBatch& batch, AppendReport* report = nullptr);
  // Makes every earlier append as durable as the sync policy promises: an fsync under
  // kEveryBatch, nothing under kInterval (whose window is the promise).
  base::Status SyncWal();

  // The ref of the series with `labels`, creating the series when new (it is logged to the WAL
  // with its first samples). InvalidArgument for invalid labels, ResourceExhausted for a new
  // series beyond max_series. Refs stay valid across restarts
  // once samples of the series were appended.
  base::Result<SeriesRef> GetSeriesRef(const Labels& labels);

  // A reader over [mint, maxt] (inclusive, ms). Sees every append acknowledged before the call.
  std::unique_ptr<Querier> NewQuerier(int64_t mint, int64_t maxt);

  StorageStats Stats() const;

  // For query result caches (storage/late_writes.h): samples stamped at or before
  // SettledHorizon() are settled, and appending one later bumps LateWriteGeneration of its
  // metric name and the global one (metric_name ""). A cache that read the generations before
  // computing an answer over settled steps may serve it while they are unchanged.
  int64_t SettledHorizon() const { return late_writes_.SettledHorizon(clock_->NowMillis()); }
  uint64_t LateWriteGeneration(std::string_view metric_name) const {
    return late_writes_.Generation(metric_name);
  }

  // Maintenance, also run by the background thread. Seal moves head samples with t < cutoff into
  // partitions and checkpoints the WAL; Compact merges overlapping chunks and compacts rollup
  // tier partitions that hold as much superseded data as live (`final`: every one written since
  // its last compaction, and the series registry's store, for an explicit flush); ApplyRetention
  // drops partitions past retention. RunMaintenance does all three with the clock-derived cutoff
  // (the start of the previous seal block); it seals only when that cutoff moved or the head
  // uses more than half of its memory limit.
  base::Status Seal(int64_t cutoff);
  base::Status Compact(bool final = false);
  base::Status ApplyRetention();
  base::Status RunMaintenance();
  // Rebuilds every rollup bucket marked dirty by sealing (new or late raw data) from raw data,
  // in all tiers, and stores it. Also run by RunMaintenance after sealing.
  base::Status BuildRollups();

  // Stops maintenance, syncs and closes the WAL. Later appends fail. Idempotent.
  base::Status Close();

 private:
  friend class StorageQuerier;
  friend class RawSeriesReader;
  struct PreparedAppend;
  Storage(const StorageOptions& options, std::string dir);
  base::Status AppendImpl(const WriteBatch& batch, AppendReport* report, bool defer_sync);
  // Bumps the late-write generations for settled samples of an applied append
  // (storage_late_writes.cc).
  void NoteLateWrites(const PreparedAppend& prepared);
  // Validates the batch (counting rejections in `rep`), resolves series and encodes WAL records.
  void PrepareAppend(const WriteBatch& batch, AppendReport* rep, PreparedAppend* out);
  // The series id of a labels entry, creating the series when it has samples in the window;
  // 0 (its samples counted in `rep`) when its labels are invalid, it has none in the window, or
  // it is a new series beyond max_series.
  SeriesId ResolveLabels(const WriteBatch::Entry& entry, int64_t oldest, int64_t newest,
                         AppendReport* rep);
  base::Status OpenComponents();
  void ReplayRecord(WalRecordType type, std::string_view payload);
  void MaintenanceLoop();
  base::Status SealLocked(int64_t cutoff);
  // Seals the samples with t < cutoff of ids[*next...] into partitions (synced), advancing
  // `*next`, until about kMaxSealBatchBytes of samples are written. `sealed_ids` receives the
  // series to CommitSeal, `marks` per tier the (series, bucket end) pairs the samples fall into.
  using TierMarks = std::vector<std::vector<std::pair<SeriesId, int64_t>>>;
  base::Status WriteSealed(std::span<const SeriesId> ids, size_t* next,
                           std::vector<SeriesId>* sealed_ids, int64_t cutoff, TierMarks* marks);
  base::Status BuildRollupsLocked();
  base::Status OpenTiers();
  // Raw samples of `id` in [mint, maxt] from partitions and head (head wins on equal times).
  base::Status ReadRaw(SeriesId id, int64_t mint, int64_t maxt, std::vector<Sample>* out) const;
  // Buckets of tier `tier` for `id` with min_end <= end <= max_end (see Querier::SelectRollups);
  // `with_increase`: stored buckets lacking their increase are rebuilt where raw data is kept.
  base::Status ReadRollups(size_t tier, SeriesId id, int64_t min_end, int64_t max_end,
                           bool with_increase, std::vector<RollupBucket>* out) const;

  StorageOptions options_;
  const std::string dir_;
  base::Clock* clock_;
  mutable LateWriteTracker late_writes_;  // thread-safe; SettledHorizon records what it handed out

  SeriesRegistry registry_;
  Head head_;
  std::unique_ptr<RegistryStore> registry_store_;
  std::unique_ptr<PartitionSet> partitions_;
  std::unique_ptr<Wal> wal_;
  std::vector<std::unique_ptr<RollupTier>> tiers_;

  // Appends hold it shared from WAL write to head apply; a seal holds it exclusively while it
  // rotates the WAL, so every sample in a closed segment is in the head before sealing starts.
  std::shared_mutex append_mu_;
  std::mutex maintenance_mu_;           // one seal/compact/retention at a time
  std::set<int64_t> dirty_partitions_;  // starts written since their last compaction
  std::atomic<int64_t> last_seal_cutoff_{INT64_MIN};
  // Bumped by every seal after its partition writes and before it drops the sealed samples from
  // the head: a reader whose partition snapshots are older than the last bump must renew them,
  // or it could miss samples that left the head (storage_querier.cc).
  std::atomic<uint64_t> seal_epoch_{0};
  // Second threads for reading large selections (storage_querier.cc), shared by all queries.
  mutable ReadAheadWorkers read_ahead_workers_{ReadAheadWorkers::DefaultThreads()};
  std::mutex loop_mu_;
  std::condition_variable loop_cv_;
  bool stop_loop_ = false;
  std::thread loop_;
  std::atomic<bool> closed_{false};

  std::atomic<uint64_t> rejected_old_{0}, rejected_new_{0}, rejected_labels_{0},
      rejected_series_limit_{0}, refused_memory_{0}, append_errors_{0}, sealed_chunks_{0},
      sealed_samples_{0}, sealed_bytes_{0}, seal_rounds_{0}, compacted_series_{0},
      partitions_dropped_{0}, replay_unknown_{0}, rollup_rounds_{0};
};

}  // namespace tidemark::storage
