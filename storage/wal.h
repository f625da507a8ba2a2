// Wal: the write-ahead log. Framed, CRC32C-checksummed records in numbered segment files, with
// group commit of concurrent writers, a configurable sync policy, torn-tail truncation on open and
// checkpoints that rewrite old segments once their data is sealed elsewhere.
// Format: storage/docs/wal.md.
//
// Thread-safe: Write/Sync/Rotate/Checkpoint may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "storage/base/status.h"
#include "storage/env.h"

namespace tidemark::storage {

enum class WalRecordType : uint8_t { kSeries = 1, kSamples = 2 };

enum class SyncPolicy {
  kEveryBatch,  // Write returns after the group's bytes are fsynced: nothing acknowledged is lost.
  kInterval,    // fsync every sync_interval_ms: a crash loses at most that window.
};

struct WalOptions {
  SyncPolicy sync_policy = SyncPolicy::kEveryBatch;
  int64_t sync_interval_ms = 1000;
  uint64_t segment_bytes = 16ULL << 20;  // replay and checkpoints hold one segment in memory
};

struct WalStats {
  uint64_t records_replayed = 0;
  uint64_t torn_tails_truncated = 0;
  uint64_t bytes_written = 0;
  uint64_t writes = 0;         // Write calls
  uint64_t group_commits = 0;  // file appends (each covering one or more Write calls)
  uint64_t syncs = 0;
  uint64_t write_errors = 0;
};

// Frames one record (header + payload) onto `out`; several framed records may be passed to
// Wal::Write at once.
void AppendWalRecord(std::string* out, WalRecordType type, std::string_view payload);

class Wal {
 public:
  using ReplayFn = std::function<void(WalRecordType type, std::string_view payload)>;
  // Called for each record of the segments being checkpointed; appends the framed records to
  // keep (possibly rewritten, possibly none) to `out`.
  using CheckpointFn =
      std::function<void(WalRecordType type, std::string_view payload, std::string* out)>;

  // Opens (creating) the log in `dir`, replays the last checkpoint and every later segment in
  // order through `replay`, truncating a torn or corrupt tail at the last good record (logged,
  // never an error), then starts a fresh segment for writing.
  static base::Result<std::unique_ptr<Wal>> Open(Env* env, std::string dir, WalOptions options,
                                                 const ReplayFn& replay);
  ~Wal();

  // Appends framed records. Concurrent callers are grouped into one file write (and one fsync
  // under kEveryBatch, unless every writer of the group deferred it: such a caller makes its
  // records durable later with Sync()). On an I/O error the group fails, the segment is cut back
  // and the next write starts a new segment, so the log stays readable.
  base::Status Write(std::string_view framed, bool defer_sync = false);
  // Forces an fsync of everything written so far.
  base::Status Sync();
  // Closes the current segment (synced) and starts a new one; returns the closed segment's number.
  base::Result<uint64_t> Rotate();
  // Rewrites the last checkpoint plus segments <= `upto` (which must be closed) into a new
  // checkpoint through `fn`, then deletes what it replaced. Crash-safe (write, sync, rename).
  base::Status Checkpoint(uint64_t upto, const CheckpointFn& fn);
  // Syncs and closes; later writes fail.
  base::Status Close();

  WalStats stats() const;
  uint64_t current_segment() const;

 private:
  struct Writer;
  Wal(Env* env, std::string dir, WalOptions options);
  base::Status Replay(const ReplayFn& replay);
  base::Status OpenSegmentLocked(uint64_t id);
  base::Status WriteToFile(std::string_view data, bool sync);
  void SyncLoop();
  std::string SegmentPath(uint64_t id) const;

  Env* const env_;
  const std::string dir_;
  const WalOptions options_;

  std::mutex mu_;  // writer queue
  std::deque<Writer*> writers_;
  std::string group_buf_;
  bool closed_ = false;

  mutable std::mutex file_mu_;  // file_, segment_, dirty_, need_new_segment_
  std::unique_ptr<WritableFile> file_;
  uint64_t segment_ = 0;
  bool dirty_ = false;
  bool need_new_segment_ = false;
  bool shut_ = false;

  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  bool stop_sync_ = false;
  std::thread sync_thread_;

  std::atomic<uint64_t> records_replayed_{0}, torn_{0}, bytes_written_{0}, writes_{0},
      group_commits_{0}, syncs_{0}, write_errors_{0};
};

}  // namespace tidemark::storage
