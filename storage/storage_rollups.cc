// Storage rollups: opening the tiers and rebuilding dirty buckets from raw data.
#include <algorithm>
#include <set>

#include "storage/base/log.h"
#include "storage/storage.h"

namespace tidemark::storage {

base::Status Storage::OpenTiers() {
  for (const RollupTierOptions& t : options_.tiers) {
    if (t.resolution_ms <= 0 || options_.partition_ms % t.resolution_ms != 0) {
      return base::Status::InvalidArgument("rollup tier resolution " +
                                           std::to_string(t.resolution_ms) +
                                           "ms must be > 0 and divide the partition length");
    }
    auto tier = RollupTier::Open(options_.leveldb_env, dir_ + "/rollups", t);
    if (!tier.ok()) return tier.status();
    tiers_.push_back(std::move(*tier));
  }
  return base::Status::Ok();
}

base::Status Storage::BuildRollups() {
  if (closed_) return base::Status::FailedPrecondition("storage closed");
  std::lock_guard l(maintenance_mu_);
  return BuildRollupsLocked();
}

base::Status Storage::BuildRollupsLocked() {
  if (tiers_.empty()) return base::Status::Ok();
  // Buckets that start before the raw horizon cannot be rebuilt completely: their marks are
  // dropped and the stored bucket is kept as it is.
  const int64_t raw_horizon = clock_->NowMillis() - options_.retention_ms;
  // Marks are fetched a series at a time: a bulk load marks every bucket of every series.
  std::vector<SeriesId> ids;
  for (const auto& tier : tiers_) {
    std::vector<SeriesId> some = tier->PendingSeries();
    ids.insert(ids.end(), some.begin(), some.end());
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::vector<Sample> raw;
  std::vector<std::vector<int64_t>> pending(tiers_.size());
  for (SeriesId id : ids) {
    // One raw read per series covers the marked buckets of every tier.
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (size_t k = 0; k < tiers_.size(); ++k) {
      pending[k] = tiers_[k]->PendingIn(id, INT64_MIN, INT64_MAX);
      if (pending[k].empty()) continue;
      lo = std::min(lo, pending[k].front() - tiers_[k]->resolution() + 1);
      hi = std::max(hi, pending[k].back());
    }
    if (lo > hi) continue;
    raw.clear();
    TM_RETURN_IF_ERROR(ReadRaw(id, lo, hi, &raw).WithContext("build rollups"));
    for (size_t k = 0; k < tiers_.size(); ++k) {
      if (pending[k].empty()) continue;
      const int64_t res = tiers_[k]->resolution();
      std::vector<int64_t> build, drop;
      for (int64_t end : pending[k]) (end - res < raw_horizon ? drop : build).push_back(end);
      // Only the raw samples of the marked buckets matter; building all is simpler and cheap.
      std::vector<RollupBucket> built = BuildBuckets(raw, res);
      TM_RETURN_IF_ERROR(tiers_[k]->Store(id, build, built));
      if (!drop.empty()) TM_RETURN_IF_ERROR(tiers_[k]->ClearMarks(id, drop));
    }
  }
  ++rollup_rounds_;
  return base::Status::Ok();
}

}  // namespace tidemark::storage

namespace tidemark::storage {

// A stored bucket is current unless a mark says its raw data changed (sealed late data) or the
// head still holds samples of it (unsealed data). Those are rebuilt from raw data here; sealing
// adds marks before it removes samples from the head, so reading the head, then the marks, then
// the buckets never misses a change.
base::Status Storage::ReadRollups(size_t k, SeriesId id, int64_t min_end, int64_t max_end,
                                  bool with_increase, std::vector<RollupBucket>* out) const {
  const RollupTier& tier = *tiers_[k];
  const int64_t res = tier.resolution();
  std::vector<Sample> head;
  head_.Read(id, min_end - res + 1, max_end, &head);
  std::vector<int64_t> dirty = tier.PendingIn(id, min_end, max_end);
  for (const Sample& s : head) dirty.push_back(BucketEnd(s.t, res));
  out->clear();
  TM_RETURN_IF_ERROR(tier.Read(id, min_end, max_end, out));
  // Where raw data has expired the stored bucket is the best answer there is.
  const int64_t raw_horizon = clock_->NowMillis() - options_.retention_ms;
  if (with_increase) {  // a gauge-like series' stored buckets lack it (storage/docs/rollups.md)
    for (const RollupBucket& b : *out) {
      if (!b.has_increase && b.end - res >= raw_horizon) dirty.push_back(b.end);
    }
  }
  if (dirty.empty()) return base::Status::Ok();  // the common case: stored buckets are current
  std::sort(dirty.begin(), dirty.end());
  dirty.erase(std::unique(dirty.begin(), dirty.end()), dirty.end());
  std::vector<Sample> raw;
  TM_RETURN_IF_ERROR(ReadRaw(id, dirty.front() - res + 1, dirty.back(), &raw));
  std::vector<RollupBucket> built = BuildBuckets(raw, res);
  auto rebuilt = [&](int64_t end) {
    return end - res >= raw_horizon && std::binary_search(dirty.begin(), dirty.end(), end);
  };
  std::erase_if(*out, [&](const RollupBucket& b) { return rebuilt(b.end); });
  for (const RollupBucket& b : built) {
    if (rebuilt(b.end)) out->push_back(b);
  }
  std::sort(out->begin(), out->end(),
            [](const RollupBucket& a, const RollupBucket& b) { return a.end < b.end; });
  return base::Status::Ok();
}

}  // namespace tidemark::storage
