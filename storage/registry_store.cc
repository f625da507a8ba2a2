#include "storage/registry_store.h"

#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include "storage/base/log.h"
#include "storage/varint.h"

namespace tidemark::storage {

namespace {

constexpr char kSeriesTag = 's';

std::string SeriesKey(SeriesId id) {
  std::string k(1, kSeriesTag);
  PutBigEndian64(&k, id);
  return k;
}

}  // namespace

base::Status RegistryStore::OpenDb(leveldb::Env* env, const std::string& path, leveldb::DB** db) {
  leveldb::Options o;
  o.create_if_missing = true;
  o.max_open_files = 64;
  if (env) o.env = env;
  leveldb::Status s = leveldb::DB::Open(o, path, db);
  if (!s.ok()) return base::Status::IoError("open registry " + path + ": " + s.ToString());
  return base::Status::Ok();
}

base::Result<std::unique_ptr<RegistryStore>> RegistryStore::Open(leveldb::Env* env,
                                                                 std::string path) {
  leveldb::DB* db = nullptr;
  TM_RETURN_IF_ERROR(OpenDb(env, path, &db));
  return std::unique_ptr<RegistryStore>(new RegistryStore(env, std::move(path), db));
}

RegistryStore::~RegistryStore() { delete db_; }

base::Status RegistryStore::LoadInto(SeriesRegistry* registry) {
  std::lock_guard l(mu_);
  leveldb::ReadOptions ro;
  ro.fill_cache = false;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(ro));
  std::vector<SeriesId> loaded;
  for (it->Seek(std::string(1, kSeriesTag)); it->Valid(); it->Next()) {
    leveldb::Slice key = it->key();
    if (key.size() != 9 || key[0] != kSeriesTag) break;
    SeriesId id = DecodeBigEndian64(key.data() + 1);
    auto labels = Labels::Decode(std::string_view(it->value().data(), it->value().size()));
    if (!labels.ok()) {
      TM_LOG(kError) << "registry: skipping series " << id << ": " << labels.status().ToString();
      continue;
    }
    if (!registry->Insert(id, *labels)) {
      TM_LOG(kError) << "registry: conflicting entry for series " << id;
      continue;
    }
    registry->MarkLogged(id);
    loaded.push_back(id);
  }
  if (!it->status().ok()) return base::Status::IoError("load registry: " + it->status().ToString());
  registry->MarkPersisted(loaded);
  return base::Status::Ok();
}

void RegistryStore::Compact() {
  std::lock_guard l(mu_);
  if (!broken_) db_->CompactRange(nullptr, nullptr);
}

base::Status RegistryStore::Persist(const std::vector<std::pair<SeriesId, Labels>>& series) {
  std::lock_guard l(mu_);
  if (broken_) {
    delete db_;
    db_ = nullptr;
    TM_RETURN_IF_ERROR(OpenDb(env_, path_, &db_));
    broken_ = false;
  }
  leveldb::WriteBatch batch;
  for (const auto& [id, labels] : series) batch.Put(SeriesKey(id), labels.Encode());
  leveldb::WriteOptions wo;
  wo.sync = true;
  leveldb::Status s = db_->Write(wo, &batch);
  if (!s.ok()) {
    broken_ = true;
    return base::Status::IoError("persist registry: " + s.ToString());
  }
  return base::Status::Ok();
}

}  // namespace tidemark::storage
