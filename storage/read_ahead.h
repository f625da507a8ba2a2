// ReadAhead: reads the odd-numbered series of a selection on a second thread, at most kWindow
// series ahead of the consumer, while the consumer reads the even-numbered ones itself: decoding
// a selection of thousands of series (zstd, delta streams) then uses two cores, as
// VictoriaMetrics' parallel search does. Memory stays bounded: at most kWindow series and, beyond
// the one the consumer waits for, kMaxAheadSamples samples are buffered ahead.
//
// The consumer must Take every odd index in increasing order (it may stop at any point and
// destroy the object, which stops and joins the thread). Take is for one consumer thread.
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
  // Reads the samples of series `index` into `out` (empty on entry). Runs on the worker thread.
  using ReadFn = std::function<base::Status(size_t index, std::vector<Sample>* out)>;

  // Starts reading indexes 1, 3, 5, ... below `count`.
  ReadAhead(size_t count, ReadFn read);
  ~ReadAhead();
  ReadAhead(const ReadAhead&) = delete;
  ReadAhead& operator=(const ReadAhead&) = delete;

  // Waits for odd `index` and swaps its samples into `out` (whose old contents the worker reuses
  // as a buffer). Returns the read's status.
  base::Status Take(size_t index, std::vector<Sample>* out);

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
  // Whether the worker may read odd index 2k+1 now (mu_ held). A blocked worker resumes only
  // once half the window and half the sample bound are free again, so the consumer wakes it (a
  // futex call and a context switch) once per kWindow / 2 series rather than once per series.
  bool MayRead(size_t k, bool resuming) const;

  const size_t count_;
  const ReadFn read_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::array<Slot, kWindow> slots_;  // odd index i lives in slots_[(i / 2) % kWindow]
  size_t taken_ = 0;                 // odd indexes taken so far
  size_t buffered_ = 0;              // samples of ready slots not yet taken
  bool worker_waiting_ = false;      // the worker is blocked, waiting to read waiting_for_
  size_t waiting_for_ = 0;
  bool stop_ = false;
  std::thread thread_;  // last: starts after everything it uses is initialized
};

}  // namespace tidemark::storage
