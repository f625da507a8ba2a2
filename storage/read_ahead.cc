#include "storage/read_ahead.h"

namespace tidemark::storage {

ReadAhead::ReadAhead(size_t count, ReadFn read)
    : count_(count), read_(std::move(read)), thread_([this] { Run(); }) {}

ReadAhead::~ReadAhead() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

bool ReadAhead::MayRead(size_t k, bool resuming) const {
  if (stop_ || k == taken_) return true;  // the series the consumer needs next is always read
  const size_t window = resuming ? kWindow / 2 : kWindow;
  const size_t samples = resuming ? kMaxAheadSamples / 2 : kMaxAheadSamples;
  return k < taken_ + window && buffered_ < samples;
}

void ReadAhead::Run() {
  for (size_t k = 0; 2 * k + 1 < count_; ++k) {
    Slot& slot = slots_[k % kWindow];
    std::vector<Sample> buffer;
    {
      std::unique_lock lock(mu_);
      if (!MayRead(k, false)) {
        waiting_for_ = k;
        worker_waiting_ = true;
        cv_.wait(lock, [&] { return MayRead(k, true); });
        worker_waiting_ = false;
      }
      if (stop_) return;
      buffer.swap(slot.samples);  // the slot is free: its previous series was taken
    }
    buffer.clear();
    base::Status status = read_(2 * k + 1, &buffer);
    const bool failed = !status.ok();
    {
      std::lock_guard lock(mu_);
      slot.samples.swap(buffer);
      buffered_ += slot.samples.size();
      slot.status = std::move(status);
      slot.ready = true;
    }
    cv_.notify_all();
    if (failed) return;
  }
}

base::Status ReadAhead::Take(size_t index, std::vector<Sample>* out) {
  Slot& slot = slots_[(index / 2) % kWindow];
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return slot.ready; });
  out->swap(slot.samples);
  buffered_ -= out->size();
  base::Status status = std::move(slot.status);
  slot.ready = false;
  ++taken_;
  const bool wake = worker_waiting_ && MayRead(waiting_for_, true);
  lock.unlock();
  if (wake) cv_.notify_all();
  return status;
}

}  // namespace tidemark::storage
