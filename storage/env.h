// Env: the file-system seam of the storage engine (WAL and other files it writes itself).
// Env::Posix() is the real one; FaultInjectionEnv (storage/fault_env.h) is an in-memory one that
// can lose unsynced bytes and fail writes, for crash tests. LevelDB partitions use leveldb::Env.
//
// Implementations are thread-safe; a WritableFile is used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/base/status.h"

namespace tidemark::storage {

class WritableFile {
 public:
  virtual ~WritableFile() = default;
  // Appends at the end. On error some prefix of `data` may have been written (see Size()).
  virtual base::Status Append(std::string_view data) = 0;
  // Makes every byte appended so far durable.
  virtual base::Status Sync() = 0;
  // Cuts the file back to `size` bytes (used to undo a failed append).
  virtual base::Status Truncate(uint64_t size) = 0;
  virtual base::Status Close() = 0;
  // Bytes in the file as seen by this handle.
  virtual uint64_t Size() const = 0;
};

class Env {
 public:
  virtual ~Env() = default;
  // The process-wide POSIX environment; never destroyed.
  static Env* Posix();

  // Opens `path` for appending, creating it when missing.
  virtual base::Result<std::unique_ptr<WritableFile>> OpenAppendable(const std::string& path) = 0;
  // Whole contents of a file. NotFound when missing.
  virtual base::Result<std::string> ReadFile(const std::string& path) = 0;
  // Atomically replaces `to` with `from`.
  virtual base::Status Rename(const std::string& from, const std::string& to) = 0;
  virtual base::Status Delete(const std::string& path) = 0;
  virtual base::Status TruncateFile(const std::string& path, uint64_t size) = 0;
  // Names (not paths) of the entries in `dir`, unsorted.
  virtual base::Result<std::vector<std::string>> ListDir(const std::string& dir) = 0;
  // Creates `dir` and its missing parents.
  virtual base::Status CreateDirs(const std::string& dir) = 0;
  // Makes entries created, renamed or deleted in `dir` durable.
  virtual base::Status SyncDir(const std::string& dir) = 0;
  virtual bool Exists(const std::string& path) = 0;
};

// "a/b" joined as a path.
inline std::string JoinPath(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (!out.empty() && out.back() != '/') out.push_back('/');
  out.append(name);
  return out;
}

}  // namespace tidemark::storage
