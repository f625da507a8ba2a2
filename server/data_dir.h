// DataDirLock: prepares the data directory and holds an exclusive lock on it for the life of the
// process, so two servers never write the same files. Not copyable; release by destruction.
#pragma once

#include <memory>
#include <string>

#include "storage/base/status.h"

namespace tidemark::server {

class DataDirLock {
 public:
  // Creates `dir` (and parents) if missing, checks that it is a writable directory and takes the
  // lock file `dir/LOCK`. Errors name the directory and the cause.
  static base::Result<std::unique_ptr<DataDirLock>> Acquire(const std::string& dir);
  ~DataDirLock();
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;

  const std::string& dir() const { return dir_; }

 private:
  DataDirLock(std::string dir, int fd) : dir_(std::move(dir)), fd_(fd) {}
  std::string dir_;
  int fd_;
};

}  // namespace tidemark::server
