#include "storage/partition.h"

#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/env.h>
#include <leveldb/write_batch.h>

#include <algorithm>
#include <set>

#include "storage/base/log.h"
#include "storage/sample_merge.h"
#include "storage/sealed_chunk.h"
#include "storage/varint.h"

namespace tidemark::storage {

namespace {

constexpr char kChunkTag = 'c';
constexpr std::string_view kSeqKey = "m/next_seq";

std::string ChunkKey(SeriesId id, int64_t min_t, uint64_t seq) {
  std::string k(1, kChunkTag);
  PutBigEndian64(&k, id);
  PutBigEndian64(&k, OrderedFromSigned(min_t));
  PutBigEndian64(&k, seq);
  return k;
}

// Fills id, min_t, max_t and seq of `c`; `value` is left at the chunk data.
bool ParseChunkHeader(std::string_view key, std::string_view* value, StoredChunk* c) {
  if (key.size() != 25 || key[0] != kChunkTag) return false;
  c->id = DecodeBigEndian64(key.data() + 1);
  c->min_t = SignedFromOrdered(DecodeBigEndian64(key.data() + 9));
  c->seq = DecodeBigEndian64(key.data() + 17);
  uint64_t span;
  if (!GetVarint(value, &span)) return false;
  c->max_t = WrapAdd(c->min_t, static_cast<int64_t>(span));
  return true;
}

bool ParseChunk(std::string_view key, std::string_view value, StoredChunk* c) {
  if (!ParseChunkHeader(key, &value, c)) return false;
  c->data.assign(value);
  return true;
}

std::string ChunkValue(const StoredChunk& c) {
  std::string v;
  PutVarint(&v, static_cast<uint64_t>(WrapSub(c.max_t, c.min_t)));
  v.append(c.data);
  return v;
}

base::Status FromLevelDb(const leveldb::Status& s, std::string_view what) {
  if (s.ok()) return base::Status::Ok();
  std::string msg = std::string(what) + ": " + s.ToString();
  if (s.IsCorruption()) return base::Status::Corruption(msg);
  return base::Status::IoError(msg);
}

constexpr size_t kBlockBytes = 16 << 10;

leveldb::Options DbOptions(leveldb::Env* env, leveldb::Cache* cache = nullptr) {
  leveldb::Options o;
  o.block_cache = cache;
  o.create_if_missing = true;
  // Chunk bodies are entropy-coded, but the short chunks of one span window repeat their headers
  // (first time, interval, sample count) and key times across series, which snappy removes:
  // 12-17 % of a current day in 2 h chunks. LevelDB keeps a block raw where snappy saves less
  // than an eighth (a cold day's long chunks), so those cost nothing to read. 16 KiB blocks hold
  // ~100 short chunks, for more such repeats and fewer index entries than the default 4 KiB.
  o.compression = leveldb::kSnappyCompression;
  o.block_size = kBlockBytes;
  o.max_open_files = 64;
  if (env) o.env = env;
  return o;
}

}  // namespace

namespace {

base::Status OpenDb(leveldb::Env* env, leveldb::Cache* cache, const std::string& path,
                    leveldb::DB** db, uint64_t* next_seq) {
  leveldb::Status s = leveldb::DB::Open(DbOptions(env, cache), path, db);
  if (!s.ok()) return FromLevelDb(s, "open partition " + path);
  std::string seq_value;
  *next_seq = 1;
  s = (*db)->Get(leveldb::ReadOptions(), std::string(kSeqKey), &seq_value);
  if (s.ok() && seq_value.size() == 8) {
    *next_seq = DecodeFixed64(seq_value.data());
  } else if (!s.ok() && !s.IsNotFound()) {
    delete *db;
    *db = nullptr;
    return FromLevelDb(s, "read partition sequence " + path);
  }
  return base::Status::Ok();
}

}  // namespace

base::Result<std::shared_ptr<Partition>> Partition::Open(leveldb::Env* env,
                                                         std::shared_ptr<leveldb::Cache> cache,
                                                         std::string path, int64_t start,
                                                         int64_t end) {
  leveldb::DB* db = nullptr;
  uint64_t next_seq = 1;
  TM_RETURN_IF_ERROR(OpenDb(env, cache.get(), path, &db, &next_seq));
  return std::shared_ptr<Partition>(
      new Partition(env, std::move(cache), std::move(path), start, end, db, next_seq));
}

void Partition::Pin() const {
  std::unique_lock l(pin_mu_);
  pin_cv_.wait(l, [this] { return !reopening_; });
  ++pins_;
}

void Partition::Unpin() const {
  std::lock_guard l(pin_mu_);
  if (--pins_ == 0) pin_cv_.notify_all();
}

base::Status Partition::ReopenIfBrokenLocked() {
  if (!broken_) return base::Status::Ok();
  std::unique_lock pins(pin_mu_);
  reopening_ = true;
  pin_cv_.wait(pins, [this] { return pins_ == 0; });
  pins.unlock();
  struct Reopened {  // lets readers pin again however the reopen ends
    const Partition* p;
    ~Reopened() {
      std::lock_guard l(p->pin_mu_);
      p->reopening_ = false;
      p->pin_cv_.notify_all();
    }
  } reopened{this};
  std::unique_lock l(db_mu_);
  delete db_;
  db_ = nullptr;
  uint64_t stored_seq = 1;
  TM_RETURN_IF_ERROR(OpenDb(env_, cache_.get(), path_, &db_, &stored_seq));
  next_seq_ = std::max(next_seq_, stored_seq);
  broken_ = false;
  TM_LOG(kInfo) << "partition: reopened " << path_ << " after a write error";
  return base::Status::Ok();
}

Partition::~Partition() {
  delete db_;
  if (dropped_) {
    leveldb::Status s = leveldb::DestroyDB(path_, DbOptions(env_));
    if (!s.ok()) {
      TM_LOG(kError) << "partition: deleting " << path_ << ": " << s.ToString();
    }
  }
}

base::Status Partition::Write(std::vector<StoredChunk> chunks, bool sync) {
  std::lock_guard l(write_mu_);
  TM_RETURN_IF_ERROR(ReopenIfBrokenLocked());
  uint64_t seq = next_seq_;
  leveldb::WriteBatch batch;
  for (auto& c : chunks) {
    c.seq = seq;
    batch.Put(ChunkKey(c.id, c.min_t, seq), ChunkValue(c));
  }
  std::string seq_value;
  PutFixed64(&seq_value, seq + 1);
  batch.Put(std::string(kSeqKey), seq_value);
  leveldb::WriteOptions wo;
  wo.sync = sync;
  std::shared_lock dl(db_mu_);
  base::Status s = FromLevelDb(db_->Write(wo, &batch), "write partition " + path_);
  next_seq_ = seq + 1;  // never reuse a number, even if the write may have landed
  if (!s.ok()) broken_ = true;
  return s;
}

namespace {

// Visits the chunk entries of `id` overlapping [mint, maxt] in key order: fn(chunk, data) with
// chunk.data left empty and `data` pointing into the iterator; fn returns false to stop early.
template <typename Fn>
base::Status VisitChunks(leveldb::Iterator* it, const std::string& path, SeriesId id, int64_t mint,
                         int64_t maxt, Fn fn) {
  const std::string start = ChunkKey(id, INT64_MIN, 0);
  const std::string_view prefix = std::string_view(start).substr(0, 9);
  for (it->Seek(start); it->Valid(); it->Next()) {
    const std::string_view key(it->key().data(), it->key().size());
    if (key.substr(0, 9) != prefix) break;
    std::string_view value(it->value().data(), it->value().size());
    StoredChunk c;
    if (!ParseChunkHeader(key, &value, &c)) {
      return base::Status::Corruption("bad chunk entry in " + path);
    }
    if (c.min_t > maxt) break;
    if (c.max_t < mint) continue;
    if (!fn(c, value)) break;
  }
  return FromLevelDb(it->status(), "read partition " + path);
}

base::Status ReadChunks(leveldb::Iterator* it, const std::string& path, SeriesId id, int64_t mint,
                        int64_t maxt, std::vector<StoredChunk>* out) {
  return VisitChunks(it, path, id, mint, maxt, [out](StoredChunk& c, std::string_view data) {
    c.data.assign(data);
    out->push_back(std::move(c));
    return true;
  });
}

}  // namespace

base::Status Partition::Read(SeriesId id, int64_t mint, int64_t maxt,
                             std::vector<StoredChunk>* out) const {
  std::shared_lock dl(db_mu_);
  if (db_ == nullptr) return base::Status::IoError("partition " + path_ + " is not open");
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(leveldb::ReadOptions()));
  return ReadChunks(it.get(), path_, id, mint, maxt, out);
}

PartitionReader::PartitionReader(std::shared_ptr<const Partition> partition)
    : partition_(std::move(partition)) {
  partition_->Pin();
  std::shared_lock l(partition_->db_mu_);
  if (partition_->db_ != nullptr) {
    it_.reset(partition_->db_->NewIterator(leveldb::ReadOptions()));
  }
}

PartitionReader::~PartitionReader() {
  it_.reset();  // before the database may be reopened
  partition_->Unpin();
}

base::Status PartitionReader::ReadSamples(SeriesId id, int64_t mint, int64_t maxt,
                                          std::vector<Sample>* out, int64_t latest_from) {
  if (!it_) return base::Status::IoError("partition " + partition_->path() + " is not open");
  // Chunks in key order are in time order unless they overlap (late data not yet compacted):
  // decode straight from the iterator, and only on an overlap start again with a merge. A chunk
  // ending before latest_from waits (copied: the iterator moves on) until the next chunk tells
  // whether that one starts at or before latest_from, which makes the waiting one irrelevant.
  const size_t begin = out->size();
  int64_t prev_max = INT64_MIN;
  bool overlap = false;
  bool has_pending = false;
  base::Status decode;
  TM_RETURN_IF_ERROR(VisitChunks(it_.get(), partition_->path(), id, mint, maxt,
                                 [&](const StoredChunk& c, std::string_view data) {
                                   if (prev_max != INT64_MIN && c.min_t <= prev_max) {
                                     overlap = true;
                                     return false;
                                   }
                                   prev_max = c.max_t;
                                   if (has_pending && c.min_t > latest_from) {
                                     decode = DecodeSealedChunkRange(pending_, mint, maxt, out);
                                     if (!decode.ok()) return false;
                                   }
                                   has_pending = c.max_t < latest_from;
                                   if (has_pending) {
                                     pending_.assign(data);
                                     return true;
                                   }
                                   decode = DecodeSealedChunkRange(data, mint, maxt, out);
                                   return decode.ok();
                                 }));
  TM_RETURN_IF_ERROR(decode);
  if (has_pending && !overlap) {
    TM_RETURN_IF_ERROR(DecodeSealedChunkRange(pending_, mint, maxt, out));
  }
  TM_RETURN_IF_ERROR(decode);
  if (!overlap) return base::Status::Ok();
  out->resize(begin);
  std::vector<StoredChunk> chunks;
  TM_RETURN_IF_ERROR(ReadChunks(it_.get(), partition_->path(), id, mint, maxt, &chunks));
  std::vector<Sample> merged;
  TM_RETURN_IF_ERROR(DecodeMergedLastWins(&chunks, &merged));
  out->insert(out->end(), merged.begin(), merged.end());
  return base::Status::Ok();
}

bool ChunksOverlap(const std::vector<StoredChunk>& chunks) {
  for (size_t i = 1; i < chunks.size(); ++i) {
    if (chunks[i].min_t <= chunks[i - 1].max_t) return true;
  }
  return false;
}

base::Status DecodeMergedLastWins(std::vector<StoredChunk>* chunks, std::vector<Sample>* merged) {
  std::sort(chunks->begin(), chunks->end(),
            [](const StoredChunk& a, const StoredChunk& b) { return a.seq < b.seq; });
  std::vector<Sample> part;
  for (const auto& c : *chunks) {
    part.clear();
    TM_RETURN_IF_ERROR(DecodeSealedChunk(c.data, &part));
    *merged = MergeLastWins(*merged, part);
  }
  return base::Status::Ok();
}

int64_t ChunkSpanEnd(int64_t t, int64_t span) {
  if (span <= 0) return INT64_MAX;
  int64_t q = t / span;
  if (t % span < 0) --q;  // floor for negative times
  return q >= INT64_MAX / span ? INT64_MAX : (q + 1) * span;
}

int64_t AgedCut(const std::vector<StoredChunk>& chunks, int64_t span_ms, int64_t recent_ms) {
  if (span_ms <= 0 || recent_ms <= 0 || chunks.empty()) return INT64_MIN;
  int64_t newest = INT64_MIN;
  for (const auto& c : chunks) newest = std::max(newest, c.max_t);
  const int64_t window_start = ChunkSpanEnd(newest, span_ms) - span_ms;
  return window_start < INT64_MIN + recent_ms ? INT64_MIN : window_start - recent_ms;
}

bool AgedChunksMerge(const std::vector<StoredChunk>& chunks, int64_t cut) {
  size_t aged = 0, samples = 0;
  for (const auto& c : chunks) {
    if (c.max_t >= cut) continue;
    auto n = SealedChunkSamples(c.data);
    if (!n.ok()) return false;  // left for a read to report
    ++aged;
    samples += *n;
  }
  return aged > 1 && (samples + kMaxChunkSamples - 1) / kMaxChunkSamples < aged;
}

base::Status Partition::CompactSeries(std::vector<StoredChunk>* chunks, const CompactPlan& plan,
                                      bool* rewritten) {
  *rewritten = false;
  if (chunks->size() < 2) return base::Status::Ok();
  const int64_t cut = plan.merge_all ? INT64_MIN : AgedCut(*chunks, plan.span_ms, plan.recent_ms);
  if (!plan.merge_all && !ChunksOverlap(*chunks) && !AgedChunksMerge(*chunks, cut)) {
    return base::Status::Ok();
  }
  std::vector<Sample> merged;
  TM_RETURN_IF_ERROR(DecodeMergedLastWins(chunks, &merged));
  uint64_t seq = next_seq_;
  leveldb::WriteBatch batch;
  for (const auto& c : *chunks) batch.Delete(ChunkKey(c.id, c.min_t, c.seq));
  SealOptions opt;
  opt.zstd_level = plan.zstd_level;
  auto put = [&](std::span<const Sample> run) {
    StoredChunk out{chunks->front().id, run.front().t, run.back().t, seq,
                    EncodeSealedChunk(run, opt)};
    batch.Put(ChunkKey(out.id, out.min_t, seq), ChunkValue(out));
  };
  // Samples before the cut go into as few chunks as fit, the rest into span windows.
  const auto recent = std::lower_bound(merged.begin(), merged.end(), cut,
                                       [](const Sample& s, int64_t t) { return s.t < t; });
  const size_t aged = static_cast<size_t>(recent - merged.begin());
  const std::span<const Sample> all(merged);
  ForEachChunkRun(all.first(aged), 0, kMaxChunkSamples, put);
  ForEachChunkRun(all.subspan(aged), plan.span_ms, kMaxChunkSamples, put);
  std::string seq_value;
  PutFixed64(&seq_value, seq + 1);
  batch.Put(std::string(kSeqKey), seq_value);
  leveldb::WriteOptions wo;
  wo.sync = true;
  next_seq_ = seq + 1;
  base::Status s = FromLevelDb(db_->Write(wo, &batch), "compact partition " + path_);
  if (!s.ok()) {
    broken_ = true;
    return s;
  }
  *rewritten = true;
  return base::Status::Ok();
}

base::Result<size_t> Partition::Compact(bool merge_all, int zstd_level, int64_t span_ms,
                                        int64_t recent_ms) {
  const CompactPlan plan{merge_all, zstd_level, span_ms, recent_ms};
  std::lock_guard l(write_mu_);
  TM_RETURN_IF_ERROR(ReopenIfBrokenLocked());
  std::shared_lock dl(db_mu_);
  leveldb::ReadOptions ro;
  ro.fill_cache = false;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(ro));
  size_t rewritten_series = 0;
  std::vector<StoredChunk> group;
  auto flush = [&]() -> base::Status {
    bool rewritten = false;
    TM_RETURN_IF_ERROR(CompactSeries(&group, plan, &rewritten));
    rewritten_series += rewritten ? 1 : 0;
    group.clear();
    return base::Status::Ok();
  };
  for (it->Seek(std::string(1, kChunkTag)); it->Valid(); it->Next()) {
    std::string_view key(it->key().data(), it->key().size());
    if (key.empty() || key[0] != kChunkTag) break;
    StoredChunk c;
    if (!ParseChunk(key, std::string_view(it->value().data(), it->value().size()), &c)) {
      return base::Status::Corruption("bad chunk entry in " + path_);
    }
    if (!group.empty() && group.front().id != c.id) TM_RETURN_IF_ERROR(flush());
    group.push_back(std::move(c));
  }
  TM_RETURN_IF_ERROR(FromLevelDb(it->status(), "scan partition " + path_));
  TM_RETURN_IF_ERROR(flush());
  it.reset();
  // A merge-all compaction rewrites (nearly) every chunk of a cold partition, once, and merging
  // aged chunks rewrites most of the current day's every seal round: compact the LevelDB files
  // now so the superseded chunks stop taking disk space, rather than whenever LevelDB's own
  // compaction gets to them (the superseded versions doubled the current day's partition; a
  // cold partition sees no more writes to trigger it at all).
  if (rewritten_series > 0) db_->CompactRange(nullptr, nullptr);
  return rewritten_series;
}

base::Result<std::unique_ptr<PartitionSet>> PartitionSet::Open(leveldb::Env* env, std::string dir,
                                                               TierOptions tier) {
  leveldb::Env* e = env ? env : leveldb::Env::Default();
  std::string tier_dir = dir + "/" + tier.name;
  (void)e->CreateDir(dir);
  (void)e->CreateDir(tier_dir);
  std::unique_ptr<PartitionSet> set(new PartitionSet(env, tier_dir, std::move(tier)));
  std::vector<std::string> names;
  leveldb::Status s = e->GetChildren(tier_dir, &names);
  if (!s.ok()) return FromLevelDb(s, "list partitions in " + tier_dir);
  std::set<std::string> dirs;  // some Envs (memenv) list nested files as "dir/file"
  for (const auto& name : names) dirs.insert(name.substr(0, name.find('/')));
  for (const auto& name : dirs) {
    if (name.size() < 2 || name[0] != 'p') continue;
    char* end = nullptr;
    long long start = std::strtoll(name.c_str() + 1, &end, 10);
    if (end == nullptr || *end != '\0') continue;
    auto p = Partition::Open(env, set->cache_, set->PathFor(start), start,
                             start + set->tier_.partition_ms);
    if (!p.ok()) return p.status();
    set->partitions_[start] = std::move(*p);
  }
  return set;
}

PartitionSet::PartitionSet(leveldb::Env* env, std::string dir, TierOptions tier)
    : env_(env),
      cache_(leveldb::NewLRUCache(tier.block_cache_bytes)),
      dir_(std::move(dir)),
      tier_(std::move(tier)) {}

std::string PartitionSet::PathFor(int64_t start) const {
  return dir_ + "/p" + std::to_string(start);
}

int64_t PartitionSet::PartitionStart(int64_t t) const {
  int64_t len = tier_.partition_ms;
  int64_t q = t / len;
  if (t % len < 0) --q;  // floor for negative times
  return q * len;
}

base::Result<std::shared_ptr<Partition>> PartitionSet::GetOrCreate(int64_t t) {
  int64_t start = PartitionStart(t);
  std::lock_guard l(mu_);
  auto it = partitions_.find(start);
  if (it != partitions_.end()) return it->second;
  auto p = Partition::Open(env_, cache_, PathFor(start), start, start + tier_.partition_ms);
  if (!p.ok()) return p.status();
  partitions_[start] = *p;
  return *p;
}

std::vector<std::shared_ptr<Partition>> PartitionSet::Overlapping(int64_t mint,
                                                                  int64_t maxt) const {
  std::lock_guard l(mu_);
  std::vector<std::shared_ptr<Partition>> out;
  for (const auto& [start, p] : partitions_) {
    if (p->end() > mint && p->start() <= maxt) out.push_back(p);
  }
  return out;
}

size_t PartitionSet::ApplyRetention(int64_t now_ms) {
  int64_t horizon = now_ms - tier_.retention_ms;
  std::lock_guard l(mu_);
  size_t dropped = 0;
  for (auto it = partitions_.begin(); it != partitions_.end();) {
    if (it->second->end() <= horizon) {
      TM_LOG(kInfo) << "retention: dropping partition " << it->second->path();
      it->second->MarkDropped();
      it = partitions_.erase(it);
      ++dropped;
    } else {
      ++it;
    }
  }
  return dropped;
}

}  // namespace tidemark::storage
