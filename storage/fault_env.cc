#include "storage/fault_env.h"

#include <thread>

namespace tidemark::storage {

namespace {

std::string Parent(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

base::Status Stale() { return base::Status::IoError("file handle from before a crash"); }
base::Status Down() { return base::Status::IoError("crashed (injected); call Restart()"); }

}  // namespace

class FaultFile final : public WritableFile {
 public:
  FaultFile(FaultInjectionEnv* env, std::shared_ptr<FaultInjectionEnv::FileState> f, uint64_t epoch)
      : env_(env), f_(std::move(f)), epoch_(epoch) {}
  base::Status Append(std::string_view data) override { return env_->AppendTo(f_, epoch_, data); }
  base::Status Sync() override { return env_->SyncFile(f_, epoch_); }
  base::Status Truncate(uint64_t size) override { return env_->TruncateState(f_, epoch_, size); }
  base::Status Close() override { return base::Status::Ok(); }
  uint64_t Size() const override {
    std::lock_guard l(env_->mu_);
    return f_->data.size();
  }

 private:
  FaultInjectionEnv* env_;
  std::shared_ptr<FaultInjectionEnv::FileState> f_;
  uint64_t epoch_;
};

base::Result<std::unique_ptr<WritableFile>> FaultInjectionEnv::OpenAppendable(
    const std::string& path) {
  std::lock_guard l(mu_);
  if (down_) return Down();
  if (!dirs_.count(Parent(path))) return base::Status::NotFound("no directory for " + path);
  auto& f = files_[path];
  if (!f) f = std::make_shared<FileState>();
  return std::unique_ptr<WritableFile>(new FaultFile(this, f, epoch_));
}

base::Result<std::string> FaultInjectionEnv::ReadFile(const std::string& path) {
  std::lock_guard l(mu_);
  if (down_) return Down();
  auto it = files_.find(path);
  if (it == files_.end()) return base::Status::NotFound(path);
  return it->second->data;
}

base::Status FaultInjectionEnv::Rename(const std::string& from, const std::string& to) {
  std::lock_guard l(mu_);
  if (down_) return Down();
  auto it = files_.find(from);
  if (it == files_.end()) return base::Status::NotFound(from);
  auto f = it->second;
  files_.erase(it);
  files_[to] = f;
  return base::Status::Ok();
}

base::Status FaultInjectionEnv::Delete(const std::string& path) {
  std::lock_guard l(mu_);
  if (down_) return Down();
  if (files_.erase(path) == 0) return base::Status::NotFound(path);
  return base::Status::Ok();
}

base::Status FaultInjectionEnv::TruncateFile(const std::string& path, uint64_t size) {
  std::lock_guard l(mu_);
  if (down_) return Down();
  auto it = files_.find(path);
  if (it == files_.end()) return base::Status::NotFound(path);
  auto& f = *it->second;
  if (size < f.data.size()) f.data.resize(size);
  if (f.synced > size) f.synced = size;
  return base::Status::Ok();
}

base::Result<std::vector<std::string>> FaultInjectionEnv::ListDir(const std::string& dir) {
  std::lock_guard l(mu_);
  if (down_) return Down();
  if (!dirs_.count(dir)) return base::Status::NotFound(dir);
  std::vector<std::string> out;
  std::string prefix = dir + "/";
  for (const auto& [path, f] : files_) {
    if (path.compare(0, prefix.size(), prefix) == 0 &&
        path.find('/', prefix.size()) == std::string::npos) {
      out.push_back(path.substr(prefix.size()));
    }
  }
  return out;
}

base::Status FaultInjectionEnv::CreateDirs(const std::string& dir) {
  std::lock_guard l(mu_);
  if (down_) return Down();
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos == dir.size() || dir[pos] == '/') dirs_.insert(dir.substr(0, pos));
  }
  return base::Status::Ok();
}

base::Status FaultInjectionEnv::SyncDir(const std::string& dir) {
  std::lock_guard l(mu_);
  if (down_) return Down();
  if (sync_fails_) return base::Status::IoError("fsync " + dir + ": injected failure");
  return base::Status::Ok();
}

bool FaultInjectionEnv::Exists(const std::string& path) {
  std::lock_guard l(mu_);
  return files_.count(path) > 0 || dirs_.count(path) > 0;
}

void FaultInjectionEnv::Restart() {
  std::lock_guard l(mu_);
  down_ = false;
}

void FaultInjectionEnv::Crash(std::mt19937_64* rng, bool garbage) {
  std::lock_guard l(mu_);
  ++epoch_;
  down_ = true;
  for (auto& [path, f] : files_) {
    uint64_t unsynced = f->data.size() - f->synced;
    uint64_t keep = unsynced == 0 ? 0 : (*rng)() % (unsynced + 1);
    f->data.resize(f->synced + keep);
    if (garbage && keep > 0 && (*rng)() % 2 == 0) {
      uint64_t from = f->synced + (*rng)() % keep;
      for (uint64_t i = from; i < f->data.size(); ++i) f->data[i] = static_cast<char>((*rng)());
    }
    f->synced = f->data.size();
  }
}

void FaultInjectionEnv::SetWriteBudget(int64_t bytes) {
  std::lock_guard l(mu_);
  write_budget_ = bytes;
}

void FaultInjectionEnv::SetSyncFails(bool fail) {
  std::lock_guard l(mu_);
  sync_fails_ = fail;
}

uint64_t FaultInjectionEnv::FileSize(const std::string& path) {
  std::lock_guard l(mu_);
  auto it = files_.find(path);
  return it == files_.end() ? 0 : it->second->data.size();
}

uint64_t FaultInjectionEnv::SyncedSize(const std::string& path) {
  std::lock_guard l(mu_);
  auto it = files_.find(path);
  return it == files_.end() ? 0 : it->second->synced;
}

base::Status FaultInjectionEnv::AppendTo(const std::shared_ptr<FileState>& f, uint64_t epoch,
                                         std::string_view data) {
  std::lock_guard l(mu_);
  if (epoch != epoch_) return Stale();
  if (write_budget_ >= 0 && static_cast<int64_t>(data.size()) > write_budget_) {
    f->data.append(data.substr(0, static_cast<size_t>(write_budget_)));
    write_budget_ = 0;
    return base::Status::IoError("write: no space left on device (injected)");
  }
  if (write_budget_ >= 0) write_budget_ -= static_cast<int64_t>(data.size());
  f->data.append(data);
  return base::Status::Ok();
}

base::Status FaultInjectionEnv::SyncFile(const std::shared_ptr<FileState>& f, uint64_t epoch) {
  if (int64_t us = sync_delay_us_.load())
    std::this_thread::sleep_for(std::chrono::microseconds(us));
  std::lock_guard l(mu_);
  if (epoch != epoch_) return Stale();
  if (sync_fails_) return base::Status::IoError("fsync: injected failure");
  f->synced = f->data.size();
  return base::Status::Ok();
}

base::Status FaultInjectionEnv::TruncateState(const std::shared_ptr<FileState>& f, uint64_t epoch,
                                              uint64_t size) {
  std::lock_guard l(mu_);
  if (epoch != epoch_) return Stale();
  if (size < f->data.size()) f->data.resize(size);
  if (f->synced > size) f->synced = size;
  return base::Status::Ok();
}

}  // namespace tidemark::storage
