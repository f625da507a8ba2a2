// ReadAhead: reads the series of a selection on a second thread, in order and at most kWindow
// series ahead of the consumer; the consumer reads the series it needs itself when the worker
// has not claimed it yet, and while it waits for one the worker is reading, it reads the next
// unclaimed one: decoding a selection of thousands of series (zstd, delta streams) then uses two
// cores, as VictoriaMetrics' parallel search does, and the split follows how fast each side is
// (the consumer also evaluates what it gets, so a fixed odd/even split left the worker idle).
// Memory stays bounded: at most kWindow series and, beyond the one the consumer waits for,
// kMaxAheadSamples samples are buffered ahead.
//
// The second thread comes from ReadAheadWorkers, a few long-lived threads (a set per Storage)
// rather than a thread per selection: no thread start and join per query, and no fresh thread
// per query that glibc may attach to the evaluating thread's malloc arena (server/main.cc caps
// the arenas at two; storage/docs/benchmarks.md). A selection whose job waits in the queue
// (every worker busy with another selection) loses nothing: its consumer reads every unclaimed
// series itself.
//
// The consumer must Get indexes 0, 1, 2, ... in order (it may stop at any point and destroy the
// object: a queued job is withdrawn, a running one stops after at most the series it is
// reading). Get is for one consumer thread.
#pragma once

#include <array>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "storage/base/status.h"
#include "storage/write_batch.h"

namespace tidemark::storage {

class ReadAhead;

// Long-lived threads that run the worker side of ReadAheads, one job at a time each, in the
// order they were submitted. Thread-safe. Threads start on the first Submit; the destructor
// joins them and requires that no ReadAhead using this object is alive.
class ReadAheadWorkers {
 public:
  // `threads` workers (at least one).
  explicit ReadAheadWorkers(size_t threads);
  ~ReadAheadWorkers();
  ReadAheadWorkers(const ReadAheadWorkers&) = delete;
  ReadAheadWorkers& operator=(const ReadAheadWorkers&) = delete;

  // A count fitting this machine: one worker per core beyond the first, at most four (each
  // selection uses one worker beside its own thread).
  static size_t DefaultThreads();

 private:
  friend class ReadAhead;
  enum class JobState { kQueued, kRunning, kDone };
  // Queues `job` (its state kQueued).
  void Submit(ReadAhead* job);
  // Returns once `job` is neither queued nor running (a queued one is withdrawn; a running one
  // must have been told to stop).
  void Withdraw(ReadAhead* job);
  void Loop();

  const size_t thread_count_;
  std::mutex mu_;
  std::condition_variable work_cv_;  // a job was queued, or stopping
  std::condition_variable done_cv_;  // a job finished running
  std::deque<ReadAhead*> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;  // started on the first Submit
};

class ReadAhead {
 public:
  // Reads the samples of series `index` into `out` (empty on entry).
  using ReadFn = std::function<base::Status(size_t index, std::vector<Sample>* out)>;

  // Queues the worker side on `workers` (which must outlive this object); it reads with
  // `worker_read`, its own reader: it runs on a worker thread while the consumer reads with
  // another.
  ReadAhead(ReadAheadWorkers* workers, size_t count, ReadFn worker_read);
  ~ReadAhead();
  ReadAhead(const ReadAhead&) = delete;
  ReadAhead& operator=(const ReadAhead&) = delete;

  // The samples of `index` in `out` (whose old contents may be reused as a buffer), read with
  // `consumer_read` when unclaimed, else waited for while reading ahead with `consumer_read`.
  // Returns the read's status.
  base::Status Get(size_t index, std::vector<Sample>* out, const ReadFn& consumer_read);

 private:
  friend class ReadAheadWorkers;
  static constexpr size_t kWindow = 16;
  // Samples counted against a query's limit only once taken: keep what waits below ~64 MB.
  static constexpr size_t kMaxAheadSamples = size_t{4} << 20;
  struct Slot {
    std::vector<Sample> samples;
    base::Status status;
    bool ready = false;
  };
  // The worker side, on a worker thread: claims and reads series until all are claimed, one
  // fails, or the consumer stops.
  void Run();
  // Reads claimed `index` into its slot with `read`, mu_ released meanwhile (`lock` holds it on
  // entry and exit).
  void ReadClaimed(size_t index, const ReadFn& read, std::unique_lock<std::mutex>* lock);
  // Whether next_ may be claimed now (mu_ held). A blocked worker resumes only once half the
  // window and half the sample bound are free again, so the consumer wakes it (a futex call and
  // a context switch) once per kWindow / 2 series rather than once per series.
  bool MayClaim(bool resuming) const;

  ReadAheadWorkers* const workers_;
  const size_t count_;
  const ReadFn read_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::array<Slot, kWindow> slots_;  // index i, once claimed ahead, in slots_[i % kWindow]
  size_t next_ = 0;                  // the first index nobody claimed
  size_t taken_ = 0;                 // indexes the consumer is done with
  size_t buffered_ = 0;              // samples of ready slots not yet taken
  bool worker_waiting_ = false;      // the worker is blocked in MayClaim
  bool stop_ = false;
  // Guarded by workers_->mu_.
  ReadAheadWorkers::JobState job_state_ = ReadAheadWorkers::JobState::kQueued;
};

}  // namespace tidemark::storage
