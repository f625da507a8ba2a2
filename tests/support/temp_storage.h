// TempStorage: a Storage in a fresh directory under the system temp dir, driven by a FakeClock and
// without background maintenance, for tests that need a real store. The directory is removed on
// destruction (close the store first to check that Close succeeds). Not thread-safe itself; the
// Storage it holds is.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include "storage/base/clock.h"
#include "storage/storage.h"

namespace tidemark::testing {

class TempStorage {
 public:
  // Opens the store at `root()/store`; check status() before use.
  explicit TempStorage(int64_t now_ms, storage::StorageOptions options = {}) : clock_(now_ms) {
    static std::atomic<int> counter{0};
    root_ = std::filesystem::temp_directory_path() /
            ("tidemark_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(root_);
    options.clock = &clock_;
    options.maintenance_interval_ms = 0;
    auto opened = storage::Storage::Open(options, (root_ / "store").string());
    if (opened.ok()) {
      storage_ = std::move(opened).value();
    } else {
      status_ = opened.status();
    }
  }
  ~TempStorage() {
    storage_.reset();
    std::filesystem::remove_all(root_);
  }
  TempStorage(const TempStorage&) = delete;
  TempStorage& operator=(const TempStorage&) = delete;

  const base::Status& status() const { return status_; }
  storage::Storage* get() { return storage_.get(); }
  storage::Storage* operator->() { return storage_.get(); }
  base::FakeClock& clock() { return clock_; }
  // A directory the test may use for files of its own, beside the store.
  const std::filesystem::path& root() const { return root_; }

 private:
  base::FakeClock clock_;
  std::filesystem::path root_;
  base::Status status_;
  std::unique_ptr<storage::Storage> storage_;
};

}  // namespace tidemark::testing
