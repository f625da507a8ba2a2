// Test fixture helpers for Storage tests: an in-memory store (FaultInjectionEnv for the WAL,
// LevelDB's memenv for the registry and partitions) driven by a FakeClock.
// Not thread-safe; one per test.
#pragma once

#include <leveldb/env.h>
#include <leveldb/helpers/memenv.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "storage/base/clock.h"
#include "storage/fault_env.h"
#include "storage/storage.h"

namespace tidemark::storage::testing {

inline constexpr int64_t kHour = 3'600'000;
inline constexpr int64_t kDay = 24 * kHour;
inline constexpr int64_t kStart = 1'763'769'600'000;  // 2025-11-22T00:00:00Z

// Wraps a leveldb::Env; while `fail` is set, every write and sync of any file fails (disk full),
// and every file append beyond the next `appends_left` fails (a disk that fills up mid-way).
class FailingLevelDbEnv final : public leveldb::EnvWrapper {
 public:
  explicit FailingLevelDbEnv(leveldb::Env* target) : leveldb::EnvWrapper(target) {}
  std::atomic<bool> fail{false};
  std::atomic<int64_t> appends_left{INT64_MAX};

  leveldb::Status NewWritableFile(const std::string& f, leveldb::WritableFile** r) override {
    return Wrap(target()->NewWritableFile(f, r), r);
  }
  leveldb::Status NewAppendableFile(const std::string& f, leveldb::WritableFile** r) override {
    return Wrap(target()->NewAppendableFile(f, r), r);
  }

 private:
  class File final : public leveldb::WritableFile {
   public:
    File(leveldb::WritableFile* base, FailingLevelDbEnv* env) : base_(base), env_(env) {}
    ~File() override { delete base_; }
    leveldb::Status Append(const leveldb::Slice& d) override {
      if (env_->fail || env_->appends_left.fetch_sub(1) <= 0) return Err();
      return base_->Append(d);
    }
    leveldb::Status Close() override { return base_->Close(); }
    leveldb::Status Flush() override { return env_->fail ? Err() : base_->Flush(); }
    leveldb::Status Sync() override { return env_->fail ? Err() : base_->Sync(); }

   private:
    static leveldb::Status Err() { return leveldb::Status::IOError("injected: disk full"); }
    leveldb::WritableFile* base_;
    FailingLevelDbEnv* env_;
  };
  leveldb::Status Wrap(leveldb::Status s, leveldb::WritableFile** r) {
    if (s.ok()) *r = new File(*r, this);
    return s;
  }
};

class MemStore {
 public:
  MemStore()
      : clock_(kStart),
        mem_env_(leveldb::NewMemEnv(leveldb::Env::Default())),
        failing_env_(mem_env_.get()) {
    options_.clock = &clock_;
    options_.env = &env_;
    options_.leveldb_env = &failing_env_;
    options_.maintenance_interval_ms = 0;
    options_.retention_ms = 30 * kDay;
    options_.max_future_skew_ms = kHour;
  }
  ~MemStore() { storage_.reset(); }

  base::Status Open() {
    storage_.reset();
    auto s = Storage::Open(options_, "/db");
    if (!s.ok()) return s.status();
    storage_ = std::move(*s);
    return base::Status::Ok();
  }
  // Simulates power loss: unsynced WAL bytes are dropped, then the store is reopened.
  base::Status CrashAndReopen(std::mt19937_64* rng, bool garbage = false) {
    env_.Crash(rng, garbage);
    storage_.reset();  // the env is down: nothing more reaches the WAL
    env_.Restart();
    return Open();
  }

  Storage* operator->() { return storage_.get(); }
  Storage* get() { return storage_.get(); }
  StorageOptions& options() { return options_; }
  base::FakeClock& clock() { return clock_; }
  FaultInjectionEnv& env() { return env_; }
  // Makes every LevelDB write (registry, partitions) fail while set.
  void SetLevelDbWritesFail(bool fail) { failing_env_.fail = fail; }
  // Every LevelDB file append after the next `n` fails (INT64_MAX: none).
  void SetLevelDbAppendsLeft(int64_t n) { failing_env_.appends_left = n; }

 private:
  base::FakeClock clock_;
  FaultInjectionEnv env_;
  std::unique_ptr<leveldb::Env> mem_env_;
  FailingLevelDbEnv failing_env_;
  StorageOptions options_;
  std::unique_ptr<Storage> storage_;
};

// `series` series temp{device="d000"}, "d001", ...: device d has base + d % 7 samples one minute
// apart from kStart, sample i valued d * 1000 + i. Large selections of varied lengths whose every
// sample a test can check.
inline WriteBatch DeviceTemperatures(int series, int base) {
  WriteBatch b;
  for (int d = 0; d < series; ++d) {
    char device[8];
    std::snprintf(device, sizeof(device), "d%03d", d);
    const Labels labels({{"__name__", "temp"}, {"device", device}});
    for (int i = 0; i < base + d % 7; ++i) b.Add(labels, kStart + i * 60'000, d * 1000 + i);
  }
  return b;
}

// Every series a querier selects, with its samples.
inline std::vector<std::pair<Labels, std::vector<Sample>>> ReadAll(
    Storage* s, int64_t mint, int64_t maxt, const std::vector<Matcher>& matchers) {
  std::vector<std::pair<Labels, std::vector<Sample>>> out;
  auto q = s->NewQuerier(mint, maxt);
  auto set = q->Select(matchers);
  while (set->Next()) {
    std::vector<Sample> samples;
    auto it = set->Samples();
    while (it->Next()) samples.push_back(it->At());
    out.emplace_back(set->labels(), std::move(samples));
  }
  return out;
}

}  // namespace tidemark::storage::testing
