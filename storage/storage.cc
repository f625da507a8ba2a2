#include "storage/storage.h"

#include <algorithm>
#include <atomic>
#include <utility>

#include "storage/base/log.h"
#include "storage/wal_records.h"

namespace tidemark::storage {

Storage::Storage(const StorageOptions& options, std::string dir)
    : options_(options),
      dir_(std::move(dir)),
      clock_(options.clock ? options.clock : base::SystemClock::Default()),
      late_writes_(options.late_write_settle_ms),
      head_(options.head_chunk_samples) {
  if (!options_.env) options_.env = Env::Posix();
}

base::Result<std::unique_ptr<Storage>> Storage::Open(const StorageOptions& options,
                                                     const std::string& dir) {
  if (options.retention_ms <= 0 || options.partition_ms <= 0 || options.seal_block_ms <= 0 ||
      options.head_chunk_samples < 2) {
    return base::Status::InvalidArgument("storage options: durations and chunk size must be > 0");
  }
  if (options.chunk_span_ms > 0 && options.partition_ms % options.chunk_span_ms != 0) {
    return base::Status::InvalidArgument("storage options: chunk_span_ms must divide partition_ms");
  }
  std::unique_ptr<Storage> s(new Storage(options, dir));
  base::Status st = s->OpenComponents();
  if (!st.ok()) return st.WithContext("open storage " + dir);
  if (options.maintenance_interval_ms > 0) {
    s->loop_ = std::thread([p = s.get()] { p->MaintenanceLoop(); });
  }
  return s;
}

base::Status Storage::OpenComponents() {
  TM_RETURN_IF_ERROR(options_.env->CreateDirs(dir_));
  auto store = RegistryStore::Open(options_.leveldb_env, dir_ + "/registry");
  if (!store.ok()) return store.status();
  registry_store_ = std::move(*store);
  TM_RETURN_IF_ERROR(registry_store_->LoadInto(&registry_));
  TierOptions raw;
  raw.name = "raw";
  raw.partition_ms = options_.partition_ms;
  raw.retention_ms = options_.retention_ms;
  auto parts = PartitionSet::Open(options_.leveldb_env, dir_ + "/partitions", raw);
  if (!parts.ok()) return parts.status();
  partitions_ = std::move(*parts);
  for (const auto& p : partitions_->All()) dirty_partitions_.insert(p->start());
  TM_RETURN_IF_ERROR(OpenTiers());
  WalOptions wo;
  wo.sync_policy = options_.wal_sync;
  wo.sync_interval_ms = options_.wal_sync_interval_ms;
  wo.segment_bytes = options_.wal_segment_bytes;
  auto wal = Wal::Open(
      options_.env, dir_ + "/wal", wo,
      [this](WalRecordType type, std::string_view payload) { ReplayRecord(type, payload); });
  if (!wal.ok()) return wal.status();
  wal_ = std::move(*wal);
  TM_LOG(kInfo) << "storage: opened " << dir_ << " series=" << registry_.size()
                << " head_series=" << head_.Stats().series
                << " wal_records=" << wal_->stats().records_replayed;
  return base::Status::Ok();
}

void Storage::ReplayRecord(WalRecordType type, std::string_view payload) {
  if (type == WalRecordType::kSeries) {
    SeriesId id;
    Labels labels;
    base::Status s = DecodeSeriesRecord(payload, &id, &labels);
    if (!s.ok() || !registry_.Insert(id, labels)) {
      TM_LOG(kError) << "storage: skipping bad series record in WAL: "
                     << (s.ok() ? "conflicting id" : s.ToString());
      return;
    }
    registry_.MarkLogged(id);
    return;
  }
  base::Status s = DecodeSamplesRecord(payload, [this](SeriesId id, std::span<const Sample> xs) {
    if (registry_.Get(id) == nullptr) {
      replay_unknown_ += xs.size();
      return;
    }
    head_.Append(id, xs);
  });
  if (!s.ok()) {
    TM_LOG(kError) << "storage: skipping bad samples record in WAL: " << s.ToString();
  }
}

Storage::~Storage() { (void)Close(); }

// The validated part of a batch, encoded for the WAL.
struct Storage::PreparedAppend {
  std::vector<Sample> kept;            // accepted samples, grouped by series
  std::vector<SeriesSamples> groups;   // spans into `kept`
  std::vector<SeriesId> newly_logged;  // series whose record is in `framed`
  std::string framed;                  // WAL records: series records, then one samples record
};

namespace {

// One batch entry on its way into a group: the series it belongs to (its ref, or the id its
// labels resolved to) and its index in the batch.
struct EntrySeries {
  SeriesId id;
  uint32_t entry;
};

// Counts `samples` outside [oldest, newest] into `rep`; appends the rest to `kept`.
void KeepInWindow(std::span<const Sample> samples, int64_t oldest, int64_t newest,
                  AppendReport* rep, std::vector<Sample>* kept) {
  for (const Sample& s : samples) {
    if (s.t < oldest) {
      ++rep->rejected_too_old;
    } else if (s.t > newest) {
      ++rep->rejected_too_new;
    } else {
      kept->push_back(s);
    }
  }
}

// Orders `order` by series id, keeping batch order within a series (so the last write still
// wins). Ids are dense integers from 1, so a stable LSD radix sort by 13-bit digits takes one
// pass up to 8,191 series and two up to 67 M; the merge sort it replaces was ~4% of the
// server's CPU on line-protocol ingest (one entry per sample, series interleaved line by line).
void SortBySeries(std::vector<EntrySeries>* order) {
  constexpr int kDigitBits = 13;
  constexpr SeriesId kMask = (SeriesId{1} << kDigitBits) - 1;
  SeriesId max_id = 0;
  for (const EntrySeries& e : *order) max_id = std::max(max_id, e.id);
  int passes = 0;
  for (SeriesId rest = max_id; rest != 0; rest >>= kDigitBits) ++passes;
  if (order->size() < 64 || passes > 2) {
    std::stable_sort(order->begin(), order->end(),
                     [](const EntrySeries& a, const EntrySeries& b) { return a.id < b.id; });
    return;
  }
  // Reused across batches (bounded, so one huge batch does not pin its memory).
  thread_local std::vector<EntrySeries> sorted;
  thread_local std::vector<uint32_t> start;
  sorted.resize(order->size());
  for (int pass = 0; pass < passes; ++pass) {
    const int shift = pass * kDigitBits;
    start.assign(kMask + 1, 0);
    for (const EntrySeries& e : *order) ++start[(e.id >> shift) & kMask];
    uint32_t sum = 0;
    for (uint32_t& s : start) sum += std::exchange(s, sum);
    for (const EntrySeries& e : *order) sorted[start[(e.id >> shift) & kMask]++] = e;
    order->swap(sorted);
  }
  constexpr size_t kKeptEntries = 1 << 20;
  if (sorted.capacity() > kKeptEntries) sorted = std::vector<EntrySeries>();
}

bool AnyInWindow(std::span<const Sample> samples, int64_t oldest, int64_t newest) {
  return std::any_of(samples.begin(), samples.end(),
                     [&](const Sample& s) { return s.t >= oldest && s.t <= newest; });
}

}  // namespace

void Storage::PrepareAppend(const WriteBatch& batch, AppendReport* rep, PreparedAppend* out) {
  const int64_t now = clock_->NowMillis();
  const int64_t oldest = now - options_.retention_ms;
  const int64_t newest = now + options_.max_future_skew_ms;
  const auto& entries = batch.entries();
  // Entries of one series are merged into one group (one WAL group, one head lock, one registry
  // lookup), whatever their order in the batch: line protocol interleaves series line by line.
  std::vector<EntrySeries> order;
  order.reserve(entries.size());
  for (uint32_t i = 0; i < entries.size(); ++i) {
    const WriteBatch::Entry& entry = entries[i];
    if (entry.ref != 0) {
      order.push_back({entry.ref, i});  // checked once per series below
    } else if (SeriesId id = ResolveLabels(entry, oldest, newest, rep); id != 0) {
      order.push_back({id, i});
    }
  }
  SortBySeries(&order);
  out->kept.reserve(batch.num_samples());
  std::vector<std::pair<SeriesId, size_t>> ends;  // series, end offset in `kept`
  for (size_t i = 0; i < order.size();) {
    const SeriesId id = order[i].id;
    size_t j = i;
    while (j < order.size() && order[j].id == id) ++j;
    bool logged = false;
    const Labels* labels = registry_.GetWithLogged(id, &logged);
    const size_t begin = out->kept.size();
    for (size_t k = i; k < j; ++k) {
      const auto& samples = entries[order[k].entry].samples;
      if (labels == nullptr) {  // an unknown ref
        rep->rejected_invalid_labels += samples.size();
      } else {
        KeepInWindow(samples, oldest, newest, rep, &out->kept);
      }
    }
    i = j;
    if (out->kept.size() == begin) continue;
    if (!logged) {
      AppendSeriesRecord(&out->framed, id, *labels);
      out->newly_logged.push_back(id);
    }
    ends.emplace_back(id, out->kept.size());
  }
  size_t begin = 0;
  for (auto [id, end] : ends) {  // `kept` no longer grows: spans stay valid
    out->groups.push_back({id, std::span<const Sample>(out->kept.data() + begin, end - begin)});
    begin = end;
  }
  if (!out->groups.empty()) AppendSamplesRecord(&out->framed, out->groups);
  rep->accepted = out->kept.size();
  rejected_old_ += rep->rejected_too_old;
  rejected_new_ += rep->rejected_too_new;
  rejected_labels_ += rep->rejected_invalid_labels;
  rejected_series_limit_ += rep->rejected_series_limit;
}

SeriesId Storage::ResolveLabels(const WriteBatch::Entry& entry, int64_t oldest, int64_t newest,
                                AppendReport* rep) {
  if (!entry.labels.Validate().ok()) {
    rep->rejected_invalid_labels += entry.samples.size();
    return 0;
  }
  if (!AnyInWindow(entry.samples, oldest, newest)) {  // no series is created for nothing
    std::vector<Sample> none;
    KeepInWindow(entry.samples, oldest, newest, rep, &none);
    return 0;
  }
  bool created = false;
  const SeriesId id = registry_.GetOrCreateBounded(entry.labels, options_.max_series, &created);
  if (id == 0) {  // a new series over the limit: its in-window samples are refused for that
    std::vector<Sample> refused;
    KeepInWindow(entry.samples, oldest, newest, rep, &refused);
    rep->rejected_series_limit += refused.size();
  }
  return id;
}

base::Status Storage::Append(const WriteBatch& batch, AppendReport* report) {
  return AppendImpl(batch, report, /*defer_sync=*/false);
}

base::Status Storage::AppendDeferringSync(const WriteBatch& batch, AppendReport* report) {
  return AppendImpl(batch, report, /*defer_sync=*/true);
}

base::Status Storage::SyncWal() {
  if (closed_) return base::Status::FailedPrecondition("storage closed");
  if (options_.wal_sync != SyncPolicy::kEveryBatch) return base::Status::Ok();
  return wal_->Sync();
}

base::Status Storage::AppendImpl(const WriteBatch& batch, AppendReport* report, bool defer_sync) {
  AppendReport local;
  AppendReport& rep = report ? *report : local;
  rep = AppendReport();
  if (closed_) return base::Status::FailedPrecondition("storage closed");
  if (head_.MemoryUsage() > options_.head_memory_limit_bytes) {
    ++refused_memory_;
    loop_cv_.notify_one();  // wake maintenance: sealing is what frees the head
    return base::Status::ResourceExhausted(
        "head memory limit reached (" + std::to_string(head_.MemoryUsage()) + " of " +
        std::to_string(options_.head_memory_limit_bytes) + " bytes); retry after sealing");
  }
  PreparedAppend prepared;
  PrepareAppend(batch, &rep, &prepared);
  if (prepared.groups.empty()) return base::Status::Ok();
  std::shared_lock seal_guard(append_mu_);  // WAL write and head apply are one step for Seal
  base::Status s = wal_->Write(prepared.framed, defer_sync);
  if (!s.ok()) {
    ++append_errors_;
    rep.accepted = 0;
    return s;
  }
  for (SeriesId id : prepared.newly_logged) registry_.MarkLogged(id);
  // Groups are in id order; concurrent appenders of the same series set (line protocol from
  // several connections) would walk the head's stripes in lockstep and wait on each other at
  // almost every one, so each append starts at its own point and wraps around.
  static std::atomic<uint64_t> rotor{0};
  const size_t n = prepared.groups.size();
  const size_t first = (rotor.fetch_add(1, std::memory_order_relaxed) * 0x9E3779B97F4A7C15ULL) % n;
  for (size_t i = 0; i < n; ++i) {
    const SeriesSamples& g = prepared.groups[(first + i) % n];
    head_.Append(g.id, g.samples);
  }
  NoteLateWrites(prepared);  // after the samples are visible
  return base::Status::Ok();
}

void Storage::NoteLateWrites(const PreparedAppend& prepared) {
  constexpr size_t kMaxNamed = 32;  // beyond this many late series, bump every metric
  const int64_t horizon = late_writes_.LateHorizon(clock_->NowMillis());
  std::vector<std::string_view> names;
  for (const auto& g : prepared.groups) {
    const bool late = std::any_of(g.samples.begin(), g.samples.end(),
                                  [horizon](const Sample& s) { return s.t <= horizon; });
    if (!late) continue;
    if (names.size() == kMaxNamed) {
      late_writes_.NoteAll();
      return;
    }
    const Labels* labels = registry_.Get(g.id);  // labels live as long as the registry
    names.push_back(labels ? labels->Get(kMetricNameLabel) : std::string_view());
  }
  if (!names.empty()) late_writes_.Note(names);
}

base::Result<SeriesRef> Storage::GetSeriesRef(const Labels& labels) {
  TM_RETURN_IF_ERROR(labels.Validate());
  bool created = false;
  const SeriesId id = registry_.GetOrCreateBounded(labels, options_.max_series, &created);
  if (id == 0) {
    return base::Status::ResourceExhausted("series limit of " +
                                           std::to_string(options_.max_series) + " reached");
  }
  return id;
}

StorageStats Storage::Stats() const {
  StorageStats st;
  HeadStats h = head_.Stats();
  st.series = registry_.size();
  st.head_series = h.series;
  st.head_memory_bytes = h.memory_bytes;
  st.registry_memory_bytes = registry_.MemoryUsage();
  st.samples_appended = h.samples_appended;
  st.out_of_order_samples = h.out_of_order_samples;
  st.rejected_too_old = rejected_old_;
  st.rejected_too_new = rejected_new_;
  st.rejected_invalid_labels = rejected_labels_;
  st.rejected_series_limit = rejected_series_limit_;
  st.appends_refused_memory = refused_memory_;
  st.append_errors = append_errors_;
  st.partitions = partitions_->All().size();
  st.sealed_chunks = sealed_chunks_;
  st.sealed_samples = sealed_samples_;
  st.sealed_bytes = sealed_bytes_;
  st.seal_rounds = seal_rounds_;
  st.compacted_series = compacted_series_;
  st.partitions_dropped = partitions_dropped_;
  st.wal_replay_unknown_series = replay_unknown_;
  st.wal = wal_->stats();
  st.rollup_rounds = rollup_rounds_;
  const int64_t now = clock_->NowMillis();
  for (const auto& tier : tiers_) st.tiers.push_back(tier->Stats(now));
  return st;
}

base::Status Storage::Close() {
  if (closed_.exchange(true)) return base::Status::Ok();
  if (loop_.joinable()) {
    {
      std::lock_guard l(loop_mu_);
      stop_loop_ = true;
    }
    loop_cv_.notify_all();
    loop_.join();
  }
  std::lock_guard l(maintenance_mu_);
  return wal_ ? wal_->Close() : base::Status::Ok();  // null when opening failed
}

}  // namespace tidemark::storage
