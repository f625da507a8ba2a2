// Storage maintenance: sealing head data into partitions (then checkpointing the WAL),
// compaction of overlapping chunks and retention.
#include <algorithm>
#include <chrono>
#include <map>

#include "storage/base/log.h"
#include "storage/sealed_chunk.h"
#include "storage/storage.h"
#include "storage/wal_records.h"

namespace tidemark::storage {

namespace {
constexpr size_t kMaxPendingBytes = 4 << 20;  // flush partition batches at this size
// Head samples (16 bytes each, decoded) one seal batch takes out of their compressed chunks.
constexpr size_t kMaxSealBatchBytes = 8 << 20;

// Appends (id, end) for every distinct bucket end of `run` (time-sorted).
void AddMarksOf(std::span<const Sample> run, SeriesId id, int64_t res,
                std::vector<std::pair<SeriesId, int64_t>>* out) {
  int64_t last = 0;
  bool any = false;
  for (const Sample& s : run) {
    const int64_t end = BucketEnd(s.t, res);
    if (any && end == last) continue;
    out->emplace_back(id, end);
    last = end;
    any = true;
  }
}

}  // namespace

base::Status Storage::Seal(int64_t cutoff) {
  if (closed_) return base::Status::FailedPrecondition("storage closed");
  std::lock_guard l(maintenance_mu_);
  return SealLocked(cutoff);
}

base::Status Storage::SealLocked(int64_t cutoff) {
  uint64_t closed_segment;
  {
    std::unique_lock guard(append_mu_);
    auto rotated = wal_->Rotate();
    if (!rotated.ok()) return rotated.status().WithContext("seal");
    closed_segment = *rotated;
  }
  // Series named by the closed segments must be in the registry store before the checkpoint drops
  // their WAL records, and before any partition refers to their ids.
  auto unpersisted = registry_.Unpersisted();
  if (!unpersisted.empty()) {
    TM_RETURN_IF_ERROR(registry_store_->Persist(unpersisted));
    std::vector<SeriesId> ids;
    for (const auto& [id, labels] : unpersisted) ids.push_back(id);
    registry_.MarkPersisted(ids);
  }
  // Series are sealed a batch at a time, each batch committed (partition writes synced, tier
  // marks durable, head sealing areas freed) before the next starts: the samples in flight are
  // bounded by kMaxSealBatchBytes however much the head holds (a force flush seals all of it).
  const std::vector<SeriesId> ids = head_.SeriesIds();
  for (size_t next = 0; next < ids.size();) {
    std::vector<SeriesId> sealed_ids;
    TierMarks marks(tiers_.size());
    TM_RETURN_IF_ERROR(WriteSealed(ids, &next, &sealed_ids, cutoff, &marks));
    // The marks must be durable before the checkpoint drops the WAL records: after a crash either
    // the WAL reseals (and marks) the samples again or the marks are there.
    const int64_t now = clock_->NowMillis();
    for (size_t i = 0; i < tiers_.size(); ++i) {
      TM_RETURN_IF_ERROR(tiers_[i]->AddMarks(marks[i], now).WithContext("seal"));
    }
    seal_epoch_.fetch_add(1);  // before the head drops what partitions now hold
    for (SeriesId id : sealed_ids) head_.CommitSeal(id);
  }
  ++seal_rounds_;
  if (cutoff > last_seal_cutoff_) last_seal_cutoff_ = cutoff;  // only written under the lock
  // Everything with t < cutoff from the closed segments is now in partitions; keep the rest.
  return wal_->Checkpoint(
      closed_segment, [cutoff](WalRecordType type, std::string_view payload, std::string* out) {
        if (type != WalRecordType::kSamples) return;  // series live in the registry store now
        std::vector<std::pair<SeriesId, std::vector<Sample>>> kept;
        base::Status s = DecodeSamplesRecord(payload, [&](SeriesId id, std::span<const Sample> xs) {
          std::vector<Sample> keep;
          for (const Sample& x : xs) {
            if (x.t >= cutoff) keep.push_back(x);
          }
          if (!keep.empty()) kept.emplace_back(id, std::move(keep));
        });
        if (!s.ok() || kept.empty()) return;
        std::vector<SeriesSamples> groups;
        for (const auto& [id, xs] : kept) groups.push_back({id, xs});
        AppendSamplesRecord(out, groups);
      });
}

base::Status Storage::WriteSealed(std::span<const SeriesId> ids, size_t* next,
                                  std::vector<SeriesId>* sealed_ids, int64_t cutoff,
                                  TierMarks* marks) {
  const int64_t horizon = clock_->NowMillis() - options_.retention_ms;
  std::map<int64_t, std::vector<StoredChunk>> pending;  // by partition start
  std::map<int64_t, size_t> pending_bytes;
  std::set<int64_t> touched;
  auto flush = [&](int64_t start, bool sync) -> base::Status {
    auto part = partitions_->GetOrCreate(start);
    if (!part.ok()) return part.status();
    auto& chunks = pending[start];
    for (const auto& c : chunks) {
      ++sealed_chunks_;
      sealed_bytes_ += c.data.size();
    }
    TM_RETURN_IF_ERROR((*part)->Write(std::move(chunks), sync));
    chunks.clear();
    pending_bytes[start] = 0;
    return base::Status::Ok();
  };
  std::vector<Sample> samples;
  size_t batch_bytes = 0;
  while (*next < ids.size() && batch_bytes < kMaxSealBatchBytes) {
    const SeriesId id = ids[(*next)++];
    samples.clear();
    head_.BeginSeal(id, cutoff, &samples);
    if (samples.empty()) continue;
    sealed_ids->push_back(id);
    batch_bytes += samples.size() * sizeof(Sample);
    // The span divides the partition length, so no run crosses a partition boundary.
    base::Status status;
    ForEachChunkRun(samples, options_.chunk_span_ms, kMaxChunkSamples,
                    [&](std::span<const Sample> run) {
                      if (!status.ok()) return;
                      const int64_t start = partitions_->PartitionStart(run.front().t);
                      if (start + options_.partition_ms <= horizon) return;  // past retention
                      StoredChunk c{id, run.front().t, run.back().t, 0, EncodeSealedChunk(run)};
                      pending_bytes[start] += c.data.size();
                      pending[start].push_back(std::move(c));
                      sealed_samples_ += run.size();
                      for (size_t k = 0; k < tiers_.size(); ++k)
                        AddMarksOf(run, id, tiers_[k]->resolution(), &(*marks)[k]);
                      touched.insert(start);
                      if (pending_bytes[start] >= kMaxPendingBytes) status = flush(start, false);
                    });
    TM_RETURN_IF_ERROR(status);
  }
  for (int64_t start : touched) {
    TM_RETURN_IF_ERROR(flush(start, /*sync=*/true));
    dirty_partitions_.insert(start);
  }
  return base::Status::Ok();
}

base::Status Storage::Compact(bool final) {
  std::lock_guard l(maintenance_mu_);
  const int64_t now = clock_->NowMillis();
  const int64_t cold_before = now - 2 * options_.seal_block_ms;
  for (const auto& p : partitions_->All()) {
    if (!dirty_partitions_.count(p->start())) continue;
    bool cold = p->end() <= cold_before;
    // Cold partitions are rewritten once, so spend more CPU there (zstd 9 where it beats rANS),
    // and merge each series into one chunk: 2 h chunks cost ~45% more raw bytes (a key and
    // headers each), worth it only where short-range queries go, the newest hours of each series
    // (recent_chunks_ms; storage/docs/partitions.md).
    auto n = p->Compact(/*merge_all=*/cold, /*zstd_level=*/cold ? 9 : 3,
                        /*span_ms=*/cold ? 0 : options_.chunk_span_ms,
                        /*recent_ms=*/options_.recent_chunks_ms);
    if (!n.ok()) return n.status().WithContext("compact");
    compacted_series_ += *n;
    if (cold) dirty_partitions_.erase(p->start());
  }
  for (auto& tier : tiers_) tier->Compact(final);
  if (final) registry_store_->Compact();
  return base::Status::Ok();
}

base::Status Storage::ApplyRetention() {
  std::lock_guard l(maintenance_mu_);
  const int64_t now = clock_->NowMillis();
  size_t dropped = partitions_->ApplyRetention(now);
  partitions_dropped_ += dropped;
  for (auto& tier : tiers_) tier->ApplyRetention(now);
  return base::Status::Ok();
}

base::Status Storage::RunMaintenance() {
  const int64_t now = clock_->NowMillis();
  const int64_t block = options_.seal_block_ms;
  int64_t edge = now - block;
  int64_t cutoff = (edge / block - (edge % block < 0 ? 1 : 0)) * block;
  bool seal =
      cutoff > last_seal_cutoff_ || head_.MemoryUsage() > options_.head_memory_limit_bytes / 2;
  if (seal) TM_RETURN_IF_ERROR(Seal(cutoff));
  TM_RETURN_IF_ERROR(BuildRollups());
  TM_RETURN_IF_ERROR(Compact());
  return ApplyRetention();
}

void Storage::MaintenanceLoop() {
  std::unique_lock l(loop_mu_);
  while (!stop_loop_) {
    loop_cv_.wait_for(l, std::chrono::milliseconds(options_.maintenance_interval_ms));
    if (stop_loop_) break;
    l.unlock();
    base::Status s = RunMaintenance();
    if (!s.ok() && !closed_) {
      TM_LOG(kError) << "storage maintenance: " << s.ToString();
    }
    l.lock();
  }
}

}  // namespace tidemark::storage
