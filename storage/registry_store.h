// RegistryStore: the persistent half of the series registry — one LevelDB mapping big-endian
// series id to encoded labels. Loading rebuilds the in-memory SeriesRegistry (and its postings).
// Format: storage/docs/registry.md.
//
// Thread-safe (LevelDB is).
#pragma once

#include <memory>
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
  // Durably (synced) stores the given series.
  base::Status Persist(const std::vector<std::pair<SeriesId, Labels>>& series);

 private:
  explicit RegistryStore(leveldb::DB* db) : db_(db) {}
  leveldb::DB* db_;
};

}  // namespace tidemark::storage
