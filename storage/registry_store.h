// RegistryStore: the persistent half of the series registry — one LevelDB mapping big-endian
// series id to encoded labels. Loading rebuilds the in-memory SeriesRegistry (and its postings).
// Format: storage/docs/registry.md.
//
// Thread-safe (LevelDB is).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "storage/base/status.h"
#include "storage/registry.h"

namespace leveldb {
class DB;
class Env;
}  // namespace leveldb

namespace tidemark::storage {

class RegistryStore {
 public:
  static base::Result<std::unique_ptr<RegistryStore>> Open(leveldb::Env* env, std::string path);
  ~RegistryStore();

  // Inserts every stored series into `registry` (marked logged and persisted).
  base::Status LoadInto(SeriesRegistry* registry);
  // Durably (synced) stores the given series. After a failure the database is reopened on the
  // next call (LevelDB refuses further writes after a failed sync).
  base::Status Persist(const std::vector<std::pair<SeriesId, Labels>>& series);
  // Turns LevelDB's log into a compressed table now (label sets shrink to about a quarter);
  // otherwise that waits until 4 MB of new series have been written.
  void Compact();

 private:
  RegistryStore(leveldb::Env* env, std::string path, leveldb::DB* db)
      : env_(env), path_(std::move(path)), db_(db) {}
  static base::Status OpenDb(leveldb::Env* env, const std::string& path, leveldb::DB** db);

  leveldb::Env* env_;
  const std::string path_;
  std::mutex mu_;  // guards db_ replacement and broken_
  leveldb::DB* db_;
  bool broken_ = false;
};

}  // namespace tidemark::storage
