#include "storage/wal.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>

#include "storage/base/log.h"
#include "storage/crc32c.h"
#include "storage/varint.h"

namespace tidemark::storage {

namespace {

constexpr size_t kHeaderSize = 9;  // length(4) crc(4) type(1)
constexpr size_t kMaxGroupBytes = 4 << 20;
constexpr std::string_view kSegmentSuffix = ".wal";
constexpr std::string_view kCheckpointPrefix = "checkpoint.";

std::string NumberName(uint64_t id) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%08llu", static_cast<unsigned long long>(id));
  return buf;
}

std::optional<uint64_t> ParseNumber(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

struct DirListing {
  std::vector<uint64_t> segments;     // ascending
  std::vector<uint64_t> checkpoints;  // ascending
  std::vector<std::string> temporaries;
};

base::Result<DirListing> ListWalDir(Env* env, const std::string& dir) {
  auto names = env->ListDir(dir);
  if (!names.ok()) return names.status();
  DirListing out;
  for (const auto& name : *names) {
    std::string_view n = name;
    if (n.ends_with(".tmp")) {
      out.temporaries.push_back(name);
    } else if (n.ends_with(kSegmentSuffix)) {
      if (auto id = ParseNumber(n.substr(0, n.size() - kSegmentSuffix.size()))) {
        out.segments.push_back(*id);
      }
    } else if (n.starts_with(kCheckpointPrefix)) {
      if (auto id = ParseNumber(n.substr(kCheckpointPrefix.size()))) out.checkpoints.push_back(*id);
    }
  }
  std::sort(out.segments.begin(), out.segments.end());
  std::sort(out.checkpoints.begin(), out.checkpoints.end());
  return out;
}

// Calls `fn` for each valid record; returns the offset just past the last valid record and sets
// `*why` when it stopped before the end.
size_t ParseRecords(std::string_view data, std::string* why,
                    const std::function<void(WalRecordType, std::string_view)>& fn) {
  size_t pos = 0;
  while (pos < data.size()) {
    if (data.size() - pos < kHeaderSize) {
      *why = "truncated record header";
      return pos;
    }
    uint32_t len = DecodeFixed32(data.data() + pos);
    uint32_t crc = DecodeFixed32(data.data() + pos + 4);
    if (len > data.size() - pos - kHeaderSize) {
      *why = "record length past end of file";
      return pos;
    }
    std::string_view body = data.substr(pos + 8, len + 1);  // type byte + payload
    if (MaskCrc(Crc32c(body)) != crc) {
      *why = "checksum mismatch";
      return pos;
    }
    auto type = static_cast<uint8_t>(body[0]);
    if (type != static_cast<uint8_t>(WalRecordType::kSeries) &&
        type != static_cast<uint8_t>(WalRecordType::kSamples)) {
      *why = "unknown record type";
      return pos;
    }
    fn(static_cast<WalRecordType>(type), body.substr(1));
    pos += kHeaderSize + len;
  }
  return pos;
}

}  // namespace

struct Wal::Writer {
  std::string_view data;
  bool defer_sync = false;
  base::Status status;
  bool done = false;
  std::condition_variable cv;
};

void AppendWalRecord(std::string* out, WalRecordType type, std::string_view payload) {
  size_t start = out->size();
  PutFixed32(out, static_cast<uint32_t>(payload.size()));
  PutFixed32(out, 0);
  out->push_back(static_cast<char>(type));
  out->append(payload);
  uint32_t crc = MaskCrc(Crc32c(std::string_view(*out).substr(start + 8)));
  for (int i = 0; i < 4; ++i) (*out)[start + 4 + i] = static_cast<char>(crc >> (8 * i));
}

Wal::Wal(Env* env, std::string dir, WalOptions options)
    : env_(env), dir_(std::move(dir)), options_(options) {}

std::string Wal::SegmentPath(uint64_t id) const {
  return JoinPath(dir_, NumberName(id) + std::string(kSegmentSuffix));
}

base::Result<std::unique_ptr<Wal>> Wal::Open(Env* env, std::string dir, WalOptions options,
                                             const ReplayFn& replay) {
  TM_RETURN_IF_ERROR(env->CreateDirs(dir));
  std::unique_ptr<Wal> wal(new Wal(env, std::move(dir), options));
  TM_RETURN_IF_ERROR(wal->Replay(replay));
  if (options.sync_policy == SyncPolicy::kInterval) {
    wal->sync_thread_ = std::thread([w = wal.get()] { w->SyncLoop(); });
  }
  return wal;
}

base::Status Wal::Replay(const ReplayFn& replay) {
  auto listing = ListWalDir(env_, dir_);
  if (!listing.ok()) return listing.status();
  for (const auto& tmp : listing->temporaries) (void)env_->Delete(JoinPath(dir_, tmp));
  std::vector<std::string> files;
  uint64_t last_checkpoint = 0;
  if (!listing->checkpoints.empty()) {
    last_checkpoint = listing->checkpoints.back();
    for (uint64_t c : listing->checkpoints) {
      if (c != last_checkpoint) (void)env_->Delete(JoinPath(dir_, "checkpoint." + NumberName(c)));
    }
    files.push_back(JoinPath(dir_, "checkpoint." + NumberName(last_checkpoint)));
  }
  uint64_t max_id = last_checkpoint;
  for (uint64_t id : listing->segments) {
    if (!listing->checkpoints.empty() && id <= last_checkpoint) {
      (void)env_->Delete(SegmentPath(id));  // already folded into the checkpoint
      continue;
    }
    files.push_back(SegmentPath(id));
    max_id = std::max(max_id, id);
  }
  for (const auto& path : files) {
    auto data = env_->ReadFile(path);
    if (!data.ok()) return data.status();
    std::string why;
    size_t good = ParseRecords(*data, &why, [&](WalRecordType type, std::string_view payload) {
      ++records_replayed_;
      replay(type, payload);
    });
    if (good < data->size()) {
      TM_LOG(kWarn) << "wal: truncating " << path << " at offset " << good << " of " << data->size()
                    << " bytes (" << why << "); later bytes were never acknowledged"
                    << " or are damaged";
      ++torn_;
      TM_RETURN_IF_ERROR(env_->TruncateFile(path, good));
    }
  }
  std::lock_guard l(file_mu_);
  return OpenSegmentLocked(max_id + 1);
}

base::Status Wal::OpenSegmentLocked(uint64_t id) {
  auto file = env_->OpenAppendable(SegmentPath(id));
  if (!file.ok()) return file.status();
  if ((*file)->Size() != 0) {
    // A leftover segment with that number (should not happen): never append after unknown bytes.
    return base::Status::Internal("wal segment " + SegmentPath(id) + " unexpectedly not empty");
  }
  TM_RETURN_IF_ERROR(env_->SyncDir(dir_));
  file_ = std::move(*file);
  segment_ = id;
  need_new_segment_ = false;
  return base::Status::Ok();
}

Wal::~Wal() { (void)Close(); }

base::Status Wal::Write(std::string_view framed, bool defer_sync) {
  Writer w;
  w.data = framed;
  w.defer_sync = defer_sync;
  std::unique_lock l(mu_);
  if (closed_) return base::Status::FailedPrecondition("wal closed");
  ++writes_;
  writers_.push_back(&w);
  while (!w.done && writers_.front() != &w) w.cv.wait(l);
  if (w.done) return w.status;

  // This writer leads: take every queued writer (bounded) into one file write.
  size_t count = 0;
  size_t bytes = 0;
  bool sync = false;
  for (Writer* x : writers_) {
    if (count > 0 && bytes + x->data.size() > kMaxGroupBytes) break;
    bytes += x->data.size();
    sync |= !x->defer_sync;
    ++count;
  }
  std::string_view data = framed;
  if (count > 1) {
    group_buf_.clear();
    for (size_t i = 0; i < count; ++i) group_buf_.append(writers_[i]->data);
    data = group_buf_;
  }
  l.unlock();
  base::Status s = WriteToFile(data, sync);
  l.lock();
  for (size_t i = 0; i < count; ++i) {
    Writer* x = writers_.front();
    writers_.pop_front();
    x->status = s;
    x->done = true;
    if (x != &w) x->cv.notify_one();
  }
  if (!writers_.empty()) writers_.front()->cv.notify_one();
  return s;
}

base::Status Wal::WriteToFile(std::string_view data, bool sync) {
  std::lock_guard l(file_mu_);
  if (shut_) return base::Status::FailedPrecondition("wal closed");
  if (!file_ || need_new_segment_) {
    // Records whose sync was deferred may still be in this segment: make them durable before
    // moving on, or a later Sync() of the new segment would vouch for them without cause.
    if (file_ && dirty_) {
      base::Status synced = file_->Sync();
      ++syncs_;
      if (!synced.ok()) {
        ++write_errors_;
        return synced.WithContext("wal: syncing the segment being closed");
      }
      dirty_ = false;
    }
    if (file_) (void)file_->Close();
    file_.reset();
    base::Status s = OpenSegmentLocked(segment_ + 1);
    if (!s.ok()) {
      ++write_errors_;
      return s.WithContext("wal: opening a new segment");
    }
  }
  uint64_t before = file_->Size();
  base::Status s = file_->Append(data);
  const bool synced_now = sync && options_.sync_policy == SyncPolicy::kEveryBatch;
  if (s.ok() && synced_now) {
    s = file_->Sync();
    ++syncs_;
  }
  ++group_commits_;
  if (!s.ok()) {
    ++write_errors_;
    // Cut the damaged tail off (best effort; replay would stop there anyway) and continue in a
    // new segment so that later records are never hidden behind a bad one.
    (void)file_->Truncate(before);
    need_new_segment_ = true;
    return s.WithContext("wal write");
  }
  bytes_written_ += data.size();
  dirty_ = !synced_now;  // an fsync covers everything written before it
  if (file_->Size() >= options_.segment_bytes) {
    if (dirty_) {
      s = file_->Sync();
      ++syncs_;
      if (!s.ok()) return s.WithContext("wal sync before rotation");
      dirty_ = false;
    }
    need_new_segment_ = true;
  }
  return base::Status::Ok();
}

base::Status Wal::Sync() {
  std::lock_guard l(file_mu_);
  if (!file_) {
    return dirty_ ? base::Status::IoError("wal: written records have no open segment to sync")
                  : base::Status::Ok();
  }
  base::Status s = file_->Sync();
  ++syncs_;
  if (s.ok()) dirty_ = false;
  return s;
}

base::Result<uint64_t> Wal::Rotate() {
  std::lock_guard l(file_mu_);
  uint64_t closed = segment_;
  if (file_) {
    base::Status s = file_->Sync();
    ++syncs_;
    if (!s.ok()) return s.WithContext("wal rotate");
    (void)file_->Close();
    file_.reset();
  }
  dirty_ = false;
  base::Status s = OpenSegmentLocked(closed + 1);
  if (!s.ok()) {
    need_new_segment_ = true;
    return s;
  }
  return closed;
}

base::Status Wal::Checkpoint(uint64_t upto, const CheckpointFn& fn) {
  {
    std::lock_guard l(file_mu_);
    if (upto >= segment_) return base::Status::InvalidArgument("checkpoint of the open segment");
  }
  auto listing = ListWalDir(env_, dir_);
  if (!listing.ok()) return listing.status();
  std::vector<std::string> inputs;
  for (uint64_t c : listing->checkpoints) {
    if (c <= upto) inputs.push_back(JoinPath(dir_, "checkpoint." + NumberName(c)));
  }
  if (inputs.size() > 1) inputs.erase(inputs.begin(), inputs.end() - 1);
  for (uint64_t id : listing->segments) {
    if (id <= upto) inputs.push_back(SegmentPath(id));
  }
  std::string final_path = JoinPath(dir_, "checkpoint." + NumberName(upto));
  std::string tmp_path = final_path + ".tmp";
  (void)env_->Delete(tmp_path);
  {
    auto file = env_->OpenAppendable(tmp_path);
    if (!file.ok()) return file.status();
    std::string out;  // streamed to the file in pieces of about kMaxGroupBytes
    base::Status write_status;
    for (const auto& path : inputs) {
      auto data = env_->ReadFile(path);
      if (!data.ok()) return data.status();
      std::string why;
      ParseRecords(*data, &why, [&](WalRecordType type, std::string_view payload) {
        fn(type, payload, &out);
        if (out.size() >= kMaxGroupBytes && write_status.ok()) {
          write_status = (*file)->Append(out);
          out.clear();
        }
      });
      TM_RETURN_IF_ERROR(write_status);
    }
    TM_RETURN_IF_ERROR((*file)->Append(out));
    TM_RETURN_IF_ERROR((*file)->Sync());
    TM_RETURN_IF_ERROR((*file)->Close());
  }
  TM_RETURN_IF_ERROR(env_->Rename(tmp_path, final_path));
  TM_RETURN_IF_ERROR(env_->SyncDir(dir_));
  for (const auto& path : inputs) {
    if (path != final_path) (void)env_->Delete(path);
  }
  return env_->SyncDir(dir_);
}

void Wal::SyncLoop() {
  std::unique_lock l(sync_mu_);
  while (!stop_sync_) {
    sync_cv_.wait_for(l, std::chrono::milliseconds(options_.sync_interval_ms));
    if (stop_sync_) break;
    std::lock_guard fl(file_mu_);
    if (file_ && dirty_) {
      base::Status s = file_->Sync();
      ++syncs_;
      if (s.ok()) {
        dirty_ = false;
      } else {
        TM_LOG(kError) << "wal: periodic sync failed: " << s.ToString();
      }
    }
  }
}

base::Status Wal::Close() {
  {
    std::lock_guard l(mu_);
    if (closed_) return base::Status::Ok();
    closed_ = true;
  }
  if (sync_thread_.joinable()) {
    {
      std::lock_guard l(sync_mu_);
      stop_sync_ = true;
    }
    sync_cv_.notify_all();
    sync_thread_.join();
  }
  std::lock_guard l(file_mu_);
  shut_ = true;
  if (!file_) return base::Status::Ok();
  base::Status s = file_->Sync();
  base::Status c = file_->Close();
  file_.reset();
  return s.ok() ? c : s;
}

WalStats Wal::stats() const {
  WalStats s;
  s.records_replayed = records_replayed_;
  s.torn_tails_truncated = torn_;
  s.bytes_written = bytes_written_;
  s.writes = writes_;
  s.group_commits = group_commits_;
  s.syncs = syncs_;
  s.write_errors = write_errors_;
  return s;
}

uint64_t Wal::current_segment() const {
  std::lock_guard l(file_mu_);
  return segment_;
}

}  // namespace tidemark::storage
