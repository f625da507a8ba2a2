#include "storage/rollup_tier.h"

#include <leveldb/db.h>
#include <leveldb/env.h>
#include <leveldb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <tuple>

#include "storage/base/log.h"
#include "storage/rollup_block.h"
#include "storage/varint.h"

namespace tidemark::storage {

namespace {

constexpr char kBlockTag = 'B';
constexpr char kMarkTag = 'm';
constexpr char kOldBucketTag = 'b';  // the layout before blocks, refused at open
constexpr char kOldMarkTag = 'd';
constexpr size_t kKeySize = 17;
// A tier partition is compacted once superseded data is at least this and at least its live size.
constexpr uint64_t kMinCompactGarbage = 256 << 10;

// `t`: the bucket end of a mark, the block start of a block.
std::string Key(char tag, SeriesId id, int64_t t) {
  std::string k(1, tag);
  PutBigEndian64(&k, id);
  PutBigEndian64(&k, OrderedFromSigned(t));
  return k;
}

bool ParseKey(std::string_view key, char tag, SeriesId* id, int64_t* t) {
  if (key.size() != kKeySize || key[0] != tag) return false;
  *id = DecodeBigEndian64(key.data() + 1);
  *t = SignedFromOrdered(DecodeBigEndian64(key.data() + 9));
  return true;
}

auto EndLess = [](const RollupBucket& x, int64_t e) { return x.end < e; };

// The value of a mark entry: fixed64 LE time of the oldest mark, varint count, then the bucket
// indexes (end - block) / res, ascending, as varint deltas.
std::string EncodeMarks(int64_t at, int64_t block, int64_t res, std::span<const int64_t> ends) {
  std::string out;
  PutFixed64(&out, static_cast<uint64_t>(at));
  PutVarint(&out, ends.size());
  int64_t prev = 0;
  for (int64_t end : ends) {
    const int64_t idx = (end - block) / res;
    PutVarint(&out, static_cast<uint64_t>(idx - prev));
    prev = idx;
  }
  return out;
}

bool DecodeMarks(std::string_view in, int64_t block, int64_t res, int64_t* at,
                 std::vector<int64_t>* ends) {
  uint64_t bits, n, idx = 0;
  if (!GetFixed64(&in, &bits) || !GetVarint(&in, &n) || n > kMaxRollupBlockBuckets) return false;
  *at = static_cast<int64_t>(bits);
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t d;
    if (!GetVarint(&in, &d)) return false;
    idx += d;
    ends->push_back(WrapAdd(block, static_cast<int64_t>(idx * static_cast<uint64_t>(res))));
  }
  return in.empty();
}

std::string_view View(const leveldb::Slice& s) { return {s.data(), s.size()}; }

base::Status FromLevelDb(const leveldb::Status& s, const std::string& what) {
  if (s.ok()) return base::Status::Ok();
  if (s.IsCorruption()) return base::Status::Corruption(what + ": " + s.ToString());
  return base::Status::IoError(what + ": " + s.ToString());
}

leveldb::Options DbOptions(leveldb::Env* env) {
  leveldb::Options o;
  o.create_if_missing = true;
  o.max_open_files = 64;
  // Snappy (LevelDB's default) and 16 KiB blocks: the blocks of one day and tier repeat their
  // keys' times and column headers across series; larger blocks find more of those repeats and
  // need fewer index entries (the 1h tier of the IoT benchmark: 689 -> 666 KB).
  o.compression = leveldb::kSnappyCompression;
  o.block_size = 16 << 10;
  if (env) o.env = env;
  return o;
}

}  // namespace

// One LevelDB of the tier. Bucket counts per series are kept in memory for the stats.
class RollupTier::Part {
 public:
  Part(leveldb::Env* env, std::string path, int64_t start, int64_t end, leveldb::DB* db)
      : env_(env), path_(std::move(path)), start_(start), end_(end), db_(db) {}
  ~Part() {
    delete db_;
    if (dropped_) {
      leveldb::Status s = leveldb::DestroyDB(path_, DbOptions(env_));
      if (!s.ok()) {
        TM_LOG(kError) << "rollups: deleting " << path_ << ": " << s.ToString();
      }
    }
  }
  leveldb::Env* env_;
  const std::string path_;
  const int64_t start_, end_;
  leveldb::DB* db_;
  std::atomic<bool> dropped_{false};
  std::map<SeriesId, uint32_t> buckets_;  // guarded by the tier's mu_
  uint64_t block_bytes_ = 0;              // guarded by the tier's mu_
  // Live bytes at the last compaction plus every batch written since: an upper bound of what
  // LevelDB holds, superseded block versions and marks included (guarded by the tier's mu_).
  uint64_t stored_bytes_ = 0;
};

RollupTier::RollupTier(leveldb::Env* env, std::string dir, RollupTierOptions options)
    : env_(env),
      dir_(std::move(dir)),
      name_(ResolutionName(options.resolution_ms)),
      options_(options),
      span_(RollupBlockSpan(options.resolution_ms)),
      pending_(options.resolution_ms, span_) {
  if (options_.partition_ms <= 0) options_.partition_ms = 2016 * options_.resolution_ms;
}

RollupTier::~RollupTier() = default;

base::Result<std::unique_ptr<RollupTier>> RollupTier::Open(leveldb::Env* env,
                                                           const std::string& root,
                                                           RollupTierOptions options) {
  if (options.resolution_ms <= 0 || options.retention_ms <= 0 || options.partition_ms < 0) {
    return base::Status::InvalidArgument("rollup tier: resolution and retention must be > 0");
  }
  leveldb::Env* e = env ? env : leveldb::Env::Default();
  std::unique_ptr<RollupTier> tier(
      new RollupTier(env, root + "/" + ResolutionName(options.resolution_ms), options));
  if (tier->options_.partition_ms % tier->options_.resolution_ms != 0) {
    return base::Status::InvalidArgument("rollup tier " + tier->name_ +
                                         ": partition length must be a multiple of resolution");
  }
  (void)e->CreateDir(root);
  (void)e->CreateDir(tier->dir_);
  std::vector<std::string> names;
  leveldb::Status s = e->GetChildren(tier->dir_, &names);
  if (!s.ok()) return FromLevelDb(s, "list rollup partitions in " + tier->dir_);
  std::set<std::string> dirs;  // memenv lists nested files as "dir/file"
  for (const auto& n : names) dirs.insert(n.substr(0, n.find('/')));
  for (const auto& n : dirs) {
    if (n.size() < 2 || n[0] != 'p') continue;
    char* endp = nullptr;
    long long start = std::strtoll(n.c_str() + 1, &endp, 10);
    if (endp == nullptr || *endp != '\0') continue;
    auto part = tier->GetOrCreate(start + 1);
    if (!part.ok()) return part.status();
    // Load marks and bucket counts.
    std::unique_ptr<leveldb::Iterator> it((*part)->db_->NewIterator(leveldb::ReadOptions()));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      SeriesId id;
      int64_t end;
      uint64_t n;
      if (ParseKey(View(it->key()), kBlockTag, &id, &end)) {
        if (!RollupBlockSize(View(it->value()), &n)) {
          return base::Status::Corruption("bad rollup block in " + (*part)->path_);
        }
        (*part)->buckets_[id] += static_cast<uint32_t>(n);
        (*part)->block_bytes_ += it->value().size();
      } else if (ParseKey(View(it->key()), kMarkTag, &id, &end)) {
        int64_t at;
        std::vector<int64_t> ends;
        if (!DecodeMarks(View(it->value()), end, tier->resolution(), &at, &ends)) {
          return base::Status::Corruption("bad rollup marks in " + (*part)->path_);
        }
        for (int64_t e : ends) tier->pending_.Add(id, e, at);
      } else if (ParseKey(View(it->key()), kOldBucketTag, &id, &end) ||
                 ParseKey(View(it->key()), kOldMarkTag, &id, &end)) {
        return base::Status::FailedPrecondition(
            "rollup partition " + (*part)->path_ +
            " has the layout of one entry per bucket, which this version does not read; start "
            "from a fresh data directory (storage/docs/rollups.md)");
      }
    }
    if (!it->status().ok()) return FromLevelDb(it->status(), "scan " + (*part)->path_);
    (*part)->stored_bytes_ = (*part)->block_bytes_;
  }
  return tier;
}

int64_t RollupTier::PartitionStartOfEnd(int64_t end) const {
  // A bucket belongs where its samples are: (end - res, end] lies in the partition of end - 1.
  int64_t t = end - 1, len = options_.partition_ms;
  int64_t q = t / len;
  if (t % len < 0) --q;
  return q * len;
}

base::Result<std::shared_ptr<RollupTier::Part>> RollupTier::GetOrCreate(int64_t end) {
  int64_t start = PartitionStartOfEnd(end);
  std::lock_guard l(mu_);
  auto it = parts_.find(start);
  if (it != parts_.end()) return it->second;
  std::string path = dir_ + "/p" + std::to_string(start);
  leveldb::DB* db = nullptr;
  leveldb::Status s = leveldb::DB::Open(DbOptions(env_), path, &db);
  if (!s.ok()) return FromLevelDb(s, "open rollup partition " + path);
  auto part = std::make_shared<Part>(env_, path, start, start + options_.partition_ms, db);
  parts_[start] = part;
  return part;
}

std::shared_ptr<RollupTier::Part> RollupTier::Find(int64_t end) const {
  std::lock_guard l(mu_);
  auto it = parts_.find(PartitionStartOfEnd(end));
  return it == parts_.end() ? nullptr : it->second;
}

base::Status RollupTier::AddMarks(const std::vector<std::pair<SeriesId, int64_t>>& marks,
                                  int64_t now_ms) {
  // One mark entry per series, block and partition: (start, id, block) -> bucket ends.
  std::map<std::tuple<int64_t, SeriesId, int64_t>, std::vector<int64_t>> groups;
  for (const auto& [id, end] : marks) {
    groups[{PartitionStartOfEnd(end), id, RollupBlockStart(end, span_)}].push_back(end);
  }
  std::map<int64_t, leveldb::WriteBatch> batches;  // by partition start
  for (const auto& [key, ends] : groups) {
    const auto& [start, id, block] = key;
    batches[start].Put(Key(kMarkTag, id, block), MarksAfter(id, block, start, {}, ends, now_ms));
  }
  for (auto& [start, batch] : batches) {
    auto part = GetOrCreate(start + 1);
    if (!part.ok()) return part.status();
    leveldb::WriteOptions wo;
    wo.sync = true;
    TM_RETURN_IF_ERROR(FromLevelDb((*part)->db_->Write(wo, &batch), "mark " + (*part)->path_));
    std::lock_guard l(mu_);
    (*part)->stored_bytes_ += batch.ApproximateSize();
  }
  std::lock_guard l(mu_);
  for (const auto& [id, end] : marks) pending_.Add(id, end, now_ms);  // an older date stays
  return base::Status::Ok();
}

// The pending marks of (id, block) in the partition at `start`, less `drop` (sorted), plus `add`
// (dated now_ms), as the value of their mark entry; empty when none remain.
std::string RollupTier::MarksAfter(SeriesId id, int64_t block, int64_t start,
                                   std::span<const int64_t> drop, std::span<const int64_t> add,
                                   int64_t now_ms) const {
  std::vector<int64_t> kept;
  int64_t kept_at = now_ms;
  {
    std::lock_guard l(mu_);
    pending_.BlockMarks(id, block, &kept, &kept_at);
  }
  std::vector<int64_t> ends;
  for (int64_t e : kept) {
    if (PartitionStartOfEnd(e) == start && !std::binary_search(drop.begin(), drop.end(), e)) {
      ends.push_back(e);
    }
  }
  // The entry carries the date of its oldest mark: kept marks have the block's, added ones now_ms.
  int64_t oldest = INT64_MAX;
  if (!ends.empty()) oldest = kept_at;
  if (!add.empty()) oldest = std::min(oldest, now_ms);
  ends.insert(ends.end(), add.begin(), add.end());
  if (ends.empty()) return {};
  std::sort(ends.begin(), ends.end());
  ends.erase(std::unique(ends.begin(), ends.end()), ends.end());
  return EncodeMarks(oldest, block, resolution(), ends);
}

std::vector<SeriesId> RollupTier::PendingSeries() const {
  std::lock_guard l(mu_);
  return pending_.Series();
}

std::vector<int64_t> RollupTier::PendingIn(SeriesId id, int64_t lo, int64_t hi) const {
  std::lock_guard l(mu_);
  std::vector<int64_t> out;
  pending_.AppendIn(id, lo, hi, &out);
  return out;
}

base::Status RollupTier::Store(SeriesId id, const std::vector<int64_t>& ends,
                               const std::vector<RollupBucket>& built) {
  return WriteMarks(id, ends, &built);
}

base::Status RollupTier::ClearMarks(SeriesId id, const std::vector<int64_t>& ends) {
  return WriteMarks(id, ends, nullptr);
}

// One atomic batch per partition: the marks go, and (when `built` is given) every block holding a
// marked bucket is rewritten with the rebuilt buckets in place of the marked ones (a marked bucket
// without samples any more just leaves the block; an empty block is deleted).
base::Status RollupTier::WriteMarks(SeriesId id, const std::vector<int64_t>& ends,
                                    const std::vector<RollupBucket>* built) {
  size_t i = 0;
  while (i < ends.size()) {
    const int64_t start = PartitionStartOfEnd(ends[i]);
    auto part = GetOrCreate(ends[i]);
    if (!part.ok()) return part.status();
    leveldb::WriteBatch batch;
    int64_t delta = 0, bytes_delta = 0;
    size_t j = i;
    while (j < ends.size() && PartitionStartOfEnd(ends[j]) == start) {
      const int64_t block = RollupBlockStart(ends[j], span_);
      size_t k = j;
      while (k < ends.size() && PartitionStartOfEnd(ends[k]) == start &&
             RollupBlockStart(ends[k], span_) == block) {
        ++k;
      }
      const std::string marks = MarksAfter(id, block, start, {ends.data() + j, k - j}, {}, 0);
      if (marks.empty()) {
        batch.Delete(Key(kMarkTag, id, block));
      } else {
        batch.Put(Key(kMarkTag, id, block), marks);
      }
      if (built != nullptr) {
        TM_RETURN_IF_ERROR(RewriteBlock(**part, id, block, {ends.data() + j, k - j}, *built, &batch,
                                        &delta, &bytes_delta));
      }
      j = k;
    }
    leveldb::WriteOptions wo;
    wo.sync = true;
    TM_RETURN_IF_ERROR(
        FromLevelDb((*part)->db_->Write(wo, &batch), "write rollups " + (*part)->path_));
    std::lock_guard l(mu_);
    for (size_t k = i; k < j; ++k) pending_.Erase(id, ends[k]);
    if (built != nullptr) buckets_built_ += j - i;
    uint32_t& n = (*part)->buckets_[id];
    n = static_cast<uint32_t>(static_cast<int64_t>(n) + delta);
    if (n == 0) (*part)->buckets_.erase(id);
    (*part)->block_bytes_ += bytes_delta;
    (*part)->stored_bytes_ += batch.ApproximateSize();
    i = j;
  }
  return base::Status::Ok();
}

// Read-modify-write of one block: its stored buckets except those at `ends`, plus the buckets of
// `built` at `ends`. Adds the change in stored buckets to `*delta`.
base::Status RollupTier::RewriteBlock(const Part& part, SeriesId id, int64_t block,
                                      std::span<const int64_t> ends,
                                      const std::vector<RollupBucket>& built,
                                      leveldb::WriteBatch* batch, int64_t* delta,
                                      int64_t* bytes_delta) const {
  const std::string key = Key(kBlockTag, id, block);
  std::string old;
  leveldb::Status gs = part.db_->Get(leveldb::ReadOptions(), key, &old);
  if (!gs.ok() && !gs.IsNotFound()) return FromLevelDb(gs, "read " + part.path_);
  std::vector<RollupBucket> stored;
  if (gs.ok() && !DecodeRollupBlock(old, block, resolution(), INT64_MIN, INT64_MAX, &stored)) {
    return base::Status::Corruption("bad rollup block in " + part.path_);
  }
  *delta -= static_cast<int64_t>(stored.size());
  std::vector<RollupBucket> merged;
  for (const RollupBucket& b : stored) {
    if (!std::binary_search(ends.begin(), ends.end(), b.end)) merged.push_back(b);
  }
  for (int64_t end : ends) {
    auto b = std::lower_bound(built.begin(), built.end(), end, EndLess);
    if (b != built.end() && b->end == end && b->count > 0) merged.push_back(*b);
  }
  std::sort(merged.begin(), merged.end(),
            [](const RollupBucket& a, const RollupBucket& b) { return a.end < b.end; });
  *delta += static_cast<int64_t>(merged.size());
  *bytes_delta -= static_cast<int64_t>(gs.ok() ? old.size() : 0);
  if (merged.empty()) {
    batch->Delete(key);
  } else {
    const std::string encoded = EncodeRollupBlock(merged, block, resolution());
    *bytes_delta += static_cast<int64_t>(encoded.size());
    batch->Put(key, encoded);
  }
  return base::Status::Ok();
}

base::Status RollupTier::Read(SeriesId id, int64_t min_end, int64_t max_end,
                              std::vector<RollupBucket>* out) const {
  std::vector<std::shared_ptr<Part>> parts;
  {
    std::lock_guard l(mu_);
    for (const auto& [start, p] : parts_) {
      if (p->end_ >= min_end && p->start_ < max_end) parts.push_back(p);
    }
  }
  // One seek per partition; the blocks of a series follow each other in key order.
  const std::string first = Key(kBlockTag, id, RollupBlockStart(min_end, span_));
  for (const auto& p : parts) {
    std::unique_ptr<leveldb::Iterator> it(p->db_->NewIterator(leveldb::ReadOptions()));
    for (it->Seek(first); it->Valid(); it->Next()) {
      SeriesId kid;
      int64_t block;
      if (!ParseKey(View(it->key()), kBlockTag, &kid, &block) || kid != id || block >= max_end) {
        break;
      }
      if (!DecodeRollupBlock(View(it->value()), block, resolution(), min_end, max_end, out)) {
        return base::Status::Corruption("bad rollup block in " + p->path_);
      }
    }
    TM_RETURN_IF_ERROR(FromLevelDb(it->status(), "read " + p->path_));
  }
  return base::Status::Ok();
}

size_t RollupTier::Compact(bool final) {
  std::vector<std::shared_ptr<Part>> due;
  {
    std::lock_guard l(mu_);
    for (const auto& [start, p] : parts_) {
      const uint64_t garbage = p->stored_bytes_ - std::min(p->stored_bytes_, p->block_bytes_);
      const bool worth = garbage >= kMinCompactGarbage && garbage >= p->block_bytes_;
      if (worth || (final && garbage > 0)) due.push_back(p);
    }
  }
  for (const auto& p : due) {
    p->db_->CompactRange(nullptr, nullptr);
    std::lock_guard l(mu_);
    p->stored_bytes_ = p->block_bytes_;
    ++compactions_;
  }
  return due.size();
}

size_t RollupTier::ApplyRetention(int64_t now_ms) {
  const int64_t horizon = now_ms - options_.retention_ms;
  std::lock_guard l(mu_);
  size_t dropped = 0;
  for (auto it = parts_.begin(); it != parts_.end();) {
    if (it->second->end_ <= horizon) {
      TM_LOG(kInfo) << "retention: dropping rollup partition " << it->second->path_;
      it->second->dropped_ = true;
      const int64_t start = it->second->start_;
      // Their marks go with them.
      pending_.EraseIf([&](int64_t end) { return PartitionStartOfEnd(end) == start; });
      it = parts_.erase(it);
      ++dropped;
    } else {
      ++it;
    }
  }
  partitions_dropped_ += dropped;
  return dropped;
}

RollupTierStats RollupTier::Stats(int64_t now_ms) const {
  RollupTierStats st;
  st.name = name_;
  st.resolution_ms = options_.resolution_ms;
  st.retention_ms = options_.retention_ms;
  std::lock_guard l(mu_);
  st.partitions = parts_.size();
  std::set<SeriesId> series;
  for (const auto& [start, p] : parts_) {
    for (const auto& [id, n] : p->buckets_) {
      series.insert(id);
      st.buckets += n;
    }
    const std::string lo(1, '\0'), hi(1, '\xff');
    leveldb::Range all(lo, hi);
    uint64_t size = 0;
    p->db_->GetApproximateSizes(&all, 1, &size);
    st.bytes += size;
    st.block_bytes += p->block_bytes_;
  }
  st.series = series.size();
  st.pending_buckets = pending_.size();
  st.lag_ms = pending_.size() == 0 ? 0 : now_ms - std::min(now_ms, pending_.OldestAt(now_ms));
  st.buckets_built = buckets_built_;
  st.partitions_dropped = partitions_dropped_;
  st.compactions = compactions_;
  return st;
}

}  // namespace tidemark::storage
