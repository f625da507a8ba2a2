#include "storage/read_ahead.h"

namespace tidemark::storage {

ReadAhead::ReadAhead(size_t count, ReadFn worker_read)
    : count_(count), read_(std::move(worker_read)), thread_([this] { Run(); }) {}

ReadAhead::~ReadAhead() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

bool ReadAhead::MayClaim(bool resuming) const {
  if (stop_ || next_ >= count_) return true;  // (to leave)
  const size_t window = resuming ? kWindow / 2 : kWindow;
  const size_t samples = resuming ? kMaxAheadSamples / 2 : kMaxAheadSamples;
  // Slot next_ % kWindow is free once index next_ - kWindow was taken.
  return next_ < taken_ + window && buffered_ < samples;
}

void ReadAhead::ReadClaimed(size_t index, const ReadFn& read, std::unique_lock<std::mutex>* lock) {
  std::vector<Sample> buffer;
  buffer.swap(slots_[index % kWindow].samples);  // the slot's previous series was taken
  lock->unlock();
  buffer.clear();
  base::Status status = read(index, &buffer);
  lock->lock();
  Slot& slot = slots_[index % kWindow];
  slot.samples.swap(buffer);
  buffered_ += slot.samples.size();
  slot.status = std::move(status);
  slot.ready = true;
}

void ReadAhead::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    if (!MayClaim(false)) {
      worker_waiting_ = true;
      cv_.wait(lock, [&] { return MayClaim(true); });
      worker_waiting_ = false;
    }
    if (stop_ || next_ >= count_) return;
    const size_t index = next_++;
    ReadClaimed(index, read_, &lock);
    const bool failed = !slots_[index % kWindow].status.ok();
    cv_.notify_all();    // the consumer may wait for this slot
    if (failed) return;  // the consumer stops at this index
  }
}

base::Status ReadAhead::Get(size_t index, std::vector<Sample>* out, const ReadFn& consumer_read) {
  std::unique_lock lock(mu_);
  base::Status status;
  if (index >= next_) {  // unclaimed (then index == next_: the consumer goes in order)
    next_ = index + 1;
    lock.unlock();
    status = consumer_read(index, out);
    lock.lock();
  } else {
    Slot& slot = slots_[index % kWindow];
    // While the worker reads this index, read the next unclaimed one instead of waiting.
    while (!slot.ready && MayClaim(false) && !stop_ && next_ < count_) {
      ReadClaimed(next_++, consumer_read, &lock);
    }
    cv_.wait(lock, [&] { return slot.ready; });
    out->swap(slot.samples);
    buffered_ -= out->size();
    status = std::move(slot.status);
    slot.ready = false;
  }
  taken_ = index + 1;
  const bool wake = worker_waiting_ && MayClaim(true);
  lock.unlock();
  if (wake) cv_.notify_all();
  return status;
}

}  // namespace tidemark::storage
