// FaultInjectionEnv: an in-memory Env for crash and fault tests.
//
// Every file remembers how many of its bytes were synced. Crash() simulates power loss: each file
// keeps its synced prefix plus a random part of its unsynced tail (optionally with garbage in
// that tail), and every handle opened before the crash fails from then on. Metadata operations
// (create, rename, delete) are treated as durable once done. After Crash() every operation fails
// (the process is "dead") until Restart(). Writes can be made to fail after a
// byte budget (disk full) or syncs to fail.
//
// Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>

#include "storage/env.h"

namespace tidemark::storage {

class FaultInjectionEnv final : public Env {
 public:
  struct FileState {
    std::string data;
    uint64_t synced = 0;
  };

  base::Result<std::unique_ptr<WritableFile>> OpenAppendable(const std::string& path) override;
  base::Result<std::string> ReadFile(const std::string& path) override;
  base::Status Rename(const std::string& from, const std::string& to) override;
  base::Status Delete(const std::string& path) override;
  base::Status TruncateFile(const std::string& path, uint64_t size) override;
  base::Result<std::vector<std::string>> ListDir(const std::string& dir) override;
  base::Status CreateDirs(const std::string& dir) override;
  base::Status SyncDir(const std::string& dir) override;
  bool Exists(const std::string& path) override;

  // Power loss: drops a random part of every file's unsynced bytes; with `garbage`, may also
  // overwrite kept unsynced bytes with random ones (a torn sector). Old handles stop working.
  void Crash(std::mt19937_64* rng, bool garbage = false);
  // Ends the "dead" period after a crash so the store can be reopened.
  void Restart();

  // Appends fail with IoError ("no space left on device") once this many more bytes have been
  // written in total; the failing append writes a prefix. Negative disables the limit.
  void SetWriteBudget(int64_t bytes);
  void SetSyncFails(bool fail);
  // Every sync of a file takes this long (a slow disk), outside the env's lock.
  void SetSyncDelay(std::chrono::microseconds delay) { sync_delay_us_ = delay.count(); }

  // Test helpers.
  uint64_t FileSize(const std::string& path);
  uint64_t SyncedSize(const std::string& path);

 private:
  friend class FaultFile;
  base::Status AppendTo(const std::shared_ptr<FileState>& f, uint64_t epoch, std::string_view data);
  base::Status SyncFile(const std::shared_ptr<FileState>& f, uint64_t epoch);
  base::Status TruncateState(const std::shared_ptr<FileState>& f, uint64_t epoch, uint64_t size);

  std::mutex mu_;
  std::map<std::string, std::shared_ptr<FileState>> files_;
  std::set<std::string> dirs_;
  uint64_t epoch_ = 0;
  bool down_ = false;
  int64_t write_budget_ = -1;
  bool sync_fails_ = false;
  std::atomic<int64_t> sync_delay_us_{0};
};

}  // namespace tidemark::storage
