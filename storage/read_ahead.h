// ReadAhead: reads the series of a selection on a second thread, in order and at most kWindow
// series ahead of the consumer; the consumer reads the series it needs itself when the worker
// has not claimed it yet, and while it waits for one the worker is reading, it reads the next
// unclaimed one: decoding a selection of thousands of series (zstd, delta streams) then uses two
// cores, as VictoriaMetrics' parallel search does, and the split follows how fast each side is
// (the consumer also evaluates what it gets, so a fixed odd/even split left the worker idle).
// Memory stays bounded: at most kWindow series and, beyond the one the consumer waits for,
// kMaxAheadSamples samples are buffered ahead.
//
// The consumer must Get indexes 0, 1, 2, ... in order (it may stop at any point and destroy the
// object, which stops and joins the thread). Get is for one consumer thread.
#pragma once

#include <array>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "storage/base/status.h"
#include "storage/write_batch.h"

namespace tidemark::storage {

class ReadAhead {
 public:
  // Reads the samples of series `index` into `out` (empty on entry).
  using ReadFn = std::function<base::Status(size_t index, std::vector<Sample>* out)>;

  // Starts the worker, which reads with `worker_read` (its own reader: it runs on the worker
  // thread while the consumer reads with another).
  ReadAhead(size_t count, ReadFn worker_read);
  ~ReadAhead();
  ReadAhead(const ReadAhead&) = delete;
  ReadAhead& operator=(const ReadAhead&) = delete;

  // The samples of `index` in `out` (whose old contents may be reused as a buffer), read with
  // `consumer_read` when unclaimed, else waited for while reading ahead with `consumer_read`.
  // Returns the read's status.
  base::Status Get(size_t index, std::vector<Sample>* out, const ReadFn& consumer_read);

 private:
  static constexpr size_t kWindow = 16;
  // Samples counted against a query's limit only once taken: keep what waits below ~64 MB.
  static constexpr size_t kMaxAheadSamples = size_t{4} << 20;
  struct Slot {
    std::vector<Sample> samples;
    base::Status status;
    bool ready = false;
  };
  void Run();
  // Reads claimed `index` into its slot with `read`, mu_ released meanwhile (`lock` holds it on
  // entry and exit).
  void ReadClaimed(size_t index, const ReadFn& read, std::unique_lock<std::mutex>* lock);
  // Whether next_ may be claimed now (mu_ held). A blocked worker resumes only once half the
  // window and half the sample bound are free again, so the consumer wakes it (a futex call and
  // a context switch) once per kWindow / 2 series rather than once per series.
  bool MayClaim(bool resuming) const;

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
  std::thread thread_;  // last: starts after everything it uses is initialized
};

}  // namespace tidemark::storage
