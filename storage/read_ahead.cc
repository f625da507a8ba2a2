#include "storage/read_ahead.h"

#include <algorithm>

namespace tidemark::storage {

ReadAheadWorkers::ReadAheadWorkers(size_t threads) : thread_count_(std::max<size_t>(threads, 1)) {}

ReadAheadWorkers::~ReadAheadWorkers() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

size_t ReadAheadWorkers::DefaultThreads() {
  const size_t cores = std::thread::hardware_concurrency();
  return std::clamp<size_t>(cores > 1 ? cores - 1 : 1, 1, 4);
}

void ReadAheadWorkers::Submit(ReadAhead* job) {
  {
    std::lock_guard lock(mu_);
    if (threads_.empty()) {
      for (size_t i = 0; i < thread_count_; ++i) threads_.emplace_back([this] { Loop(); });
    }
    queue_.push_back(job);
  }
  work_cv_.notify_one();
}

void ReadAheadWorkers::Withdraw(ReadAhead* job) {
  std::unique_lock lock(mu_);
  if (job->job_state_ == JobState::kQueued) {
    queue_.erase(std::find(queue_.begin(), queue_.end(), job));
    job->job_state_ = JobState::kDone;
    return;
  }
  done_cv_.wait(lock, [&] { return job->job_state_ == JobState::kDone; });
}

void ReadAheadWorkers::Loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;  // no ReadAhead is alive any more
    ReadAhead* job = queue_.front();
    queue_.pop_front();
    job->job_state_ = JobState::kRunning;
    lock.unlock();
    job->Run();
    lock.lock();
    // Withdraw may return, and the job be destroyed, once this is seen: touch it no more.
    job->job_state_ = JobState::kDone;
    done_cv_.notify_all();
  }
}

ReadAhead::ReadAhead(ReadAheadWorkers* workers, size_t count, ReadFn worker_read)
    : workers_(workers), count_(count), read_(std::move(worker_read)) {
  workers_->Submit(this);
}

ReadAhead::~ReadAhead() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  workers_->Withdraw(this);
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
