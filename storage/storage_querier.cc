// The Querier implementation over the registry, the partitions and the head.
#include <algorithm>
#include <functional>

#include "storage/read_ahead.h"
#include "storage/sample_merge.h"
#include "storage/sealed_chunk.h"
#include "storage/storage.h"

namespace tidemark::storage {

namespace {

// Samples of one partition's chunks, merged by write sequence (later wins).
base::Status MergePartitionChunks(std::vector<StoredChunk>* chunks, std::vector<Sample>* out) {
  if (!ChunksOverlap(*chunks)) {  // fast path: key order is time order
    for (const auto& c : *chunks) TM_RETURN_IF_ERROR(DecodeSealedChunk(c.data, out));
    return base::Status::Ok();
  }
  std::vector<Sample> merged;
  TM_RETURN_IF_ERROR(DecodeMergedLastWins(chunks, &merged));
  out->insert(out->end(), merged.begin(), merged.end());
  return base::Status::Ok();
}

using ReadFn =
    std::function<base::Status(size_t, SeriesId, int64_t, int64_t, std::vector<RollupBucket>*)>;

// An iterator over samples owned by someone else (the series set's buffer).
class SpanSampleIterator final : public SampleIterator {
 public:
  explicit SpanSampleIterator(const std::vector<Sample>* samples) : samples_(samples) {}
  bool Next() override { return ++pos_ < samples_->size(); }
  bool Seek(int64_t t) override {
    if (pos_ == kBeforeStart) pos_ = 0;
    while (pos_ < samples_->size() && (*samples_)[pos_].t < t) ++pos_;
    return pos_ < samples_->size();
  }
  Sample At() const override { return (*samples_)[pos_]; }

 private:
  static constexpr size_t kBeforeStart = static_cast<size_t>(-1);
  const std::vector<Sample>* samples_;
  size_t pos_ = kBeforeStart;
};

}  // namespace

// Raw samples of many series over one range, through one reader per overlapping partition.
// Readers are renewed whenever a seal committed since they were opened: the head is read before
// the partitions for each series, and a sample a seal moved out of the head in between must be
// in the partition snapshot (see Storage::seal_epoch_).
class RawSeriesReader {
 public:
  RawSeriesReader(const Storage* storage, int64_t mint, int64_t maxt, SelectHints hints)
      : storage_(storage), mint_(mint), maxt_(maxt), latest_from_(hints.latest_from) {}

  base::Status Read(SeriesId id, std::vector<Sample>* out) {
    head_.clear();
    storage_->head_.Read(id, mint_, maxt_, &head_);
    const uint64_t epoch = storage_->seal_epoch_.load();
    if (!opened_ || epoch != epoch_) Open(epoch);
    sealed_.clear();
    TM_RETURN_IF_ERROR(ReadSealed(id));
    ClipToRange(&sealed_, mint_, maxt_);
    if (head_.empty()) {
      out->swap(sealed_);
    } else if (sealed_.empty()) {
      out->swap(head_);
    } else {
      *out = MergeLastWins(sealed_, head_);
    }
    return base::Status::Ok();
  }

 private:
  void Open(uint64_t epoch) {
    readers_.clear();  // release the old snapshots first
    for (auto& p : storage_->partitions_->Overlapping(mint_, maxt_)) {  // disjoint, sorted
      readers_.push_back(std::make_unique<PartitionReader>(std::move(p)));
    }
    epoch_ = epoch;
    opened_ = true;
  }

  // Partitions are disjoint and ascending. Read oldest first, except with a latest_from hint:
  // newest first then, stopping at the first partition with a sample at or before latest_from,
  // since every older sample is older than that one (querier.h, SelectHints).
  base::Status ReadSealed(SeriesId id) {
    if (latest_from_ == INT64_MIN || readers_.size() < 2) {
      for (auto& reader : readers_) {
        TM_RETURN_IF_ERROR(reader->ReadSamples(id, mint_, maxt_, &sealed_, latest_from_));
      }
      return base::Status::Ok();
    }
    parts_.resize(readers_.size());
    size_t first = readers_.size();
    while (first > 0) {
      std::vector<Sample>& part = parts_[--first];
      part.clear();
      TM_RETURN_IF_ERROR(readers_[first]->ReadSamples(id, mint_, maxt_, &part, latest_from_));
      if (!part.empty() && part.front().t <= latest_from_) break;
    }
    if (first + 1 == parts_.size()) {
      sealed_.swap(parts_.back());  // the usual case: no copy
      return base::Status::Ok();
    }
    for (size_t k = first; k < parts_.size(); ++k) {
      sealed_.insert(sealed_.end(), parts_[k].begin(), parts_[k].end());
    }
    return base::Status::Ok();
  }

  const Storage* storage_;
  const int64_t mint_, maxt_;
  const int64_t latest_from_;
  bool opened_ = false;
  uint64_t epoch_ = 0;
  std::vector<std::unique_ptr<PartitionReader>> readers_;
  std::vector<Sample> head_, sealed_;
  std::vector<std::vector<Sample>> parts_;  // per partition, for newest-first reads
};

class StorageQuerier final : public Querier {
 public:
  StorageQuerier(Storage* storage, int64_t mint, int64_t maxt)
      : storage_(storage), mint_(mint), maxt_(maxt) {}

  std::unique_ptr<SeriesSet> Select(const std::vector<Matcher>& matchers) override {
    return SelectWithHints(matchers, SelectHints{});
  }
  std::unique_ptr<SeriesSet> SelectWithHints(const std::vector<Matcher>& matchers,
                                             const SelectHints& hints) override;
  base::Result<std::vector<std::string>> LabelNames(const std::vector<Matcher>& matchers) override {
    return storage_->registry_.LabelNames(matchers);
  }
  base::Result<std::vector<std::string>> LabelValues(
      const std::string& name, const std::vector<Matcher>& matchers) override {
    return storage_->registry_.LabelValues(name, matchers);
  }
  int64_t mint() const override { return mint_; }
  int64_t maxt() const override { return maxt_; }

  const Storage* storage() const { return storage_; }
  ReadAheadWorkers* read_ahead_workers() const { return &storage_->read_ahead_workers_; }

  std::vector<int64_t> RollupResolutions() const override {
    std::vector<int64_t> out;
    for (const auto& t : storage_->tiers_) out.push_back(t->resolution());
    std::sort(out.begin(), out.end());
    return out;
  }
  std::unique_ptr<RollupSeriesSet> SelectRollups(const std::vector<Matcher>& matchers, int64_t res,
                                                 RollupFields fields) override;
  int64_t RawHorizon() const override {
    return storage_->clock_->NowMillis() - storage_->options_.retention_ms;
  }

 private:
  std::vector<std::pair<const Labels*, SeriesId>> SortedSeries(
      const std::vector<Matcher>& matchers) const;
  Storage* storage_;
  const int64_t mint_, maxt_;
};

namespace {

// Selections of at least this many series are read on two threads (storage/read_ahead.h).
constexpr size_t kReadAheadMinSeries = 64;

class StorageSeriesSet final : public SeriesSet {
 public:
  StorageSeriesSet(const StorageQuerier* q, std::vector<std::pair<const Labels*, SeriesId>> series,
                   SelectHints hints)
      : storage_(q->storage()),
        workers_(q->read_ahead_workers()),
        mint_(q->mint()),
        maxt_(q->maxt()),
        hints_(hints),
        reader_(storage_, mint_, maxt_, hints),
        series_(std::move(series)) {}

  bool Next() override {
    if (pos_ == kBeforeStart && series_.size() >= kReadAheadMinSeries) StartReadAhead();
    while (status_.ok() && ++pos_ < series_.size()) {
      samples_.clear();
      status_ = ahead_ ? ahead_->Get(pos_, &samples_, own_read_)
                       : reader_.Read(series_[pos_].second, &samples_);
      if (status_.ok() && !samples_.empty()) return true;
    }
    return false;
  }
  const Labels& labels() const override { return *series_[pos_].first; }
  // Points into samples_: valid until the next call to Next (querier.h).
  std::unique_ptr<SampleIterator> Samples() const override {
    return std::make_unique<SpanSampleIterator>(&samples_);
  }
  std::span<const Sample> SampleSpan() const override { return samples_; }
  base::Status status() const override { return status_; }

 private:
  static constexpr size_t kBeforeStart = static_cast<size_t>(-1);

  // The worker has its own reader (partition iterators are single-threaded); series_ is not
  // modified while it runs.
  void StartReadAhead() {
    auto reader = std::make_shared<RawSeriesReader>(storage_, mint_, maxt_, hints_);
    ahead_ = std::make_unique<ReadAhead>(workers_, series_.size(),
                                         [this, reader](size_t i, std::vector<Sample>* out) {
                                           return reader->Read(series_[i].second, out);
                                         });
  }

  // Not the querier: a set may outlive it (not the store).
  const Storage* storage_;
  ReadAheadWorkers* const workers_;
  const int64_t mint_, maxt_;
  const SelectHints hints_;
  RawSeriesReader reader_;
  std::vector<std::pair<const Labels*, SeriesId>> series_;
  size_t pos_ = kBeforeStart;
  std::vector<Sample> samples_;
  base::Status status_;
  // The consumer's reads through reader_ (ReadAhead::Get).
  const ReadAhead::ReadFn own_read_ = [this](size_t i, std::vector<Sample>* out) {
    return reader_.Read(series_[i].second, out);
  };
  std::unique_ptr<ReadAhead> ahead_;  // last: its worker reads series_ until destroyed
};

// Bucket ends are multiples of the resolution inside the querier's range.
class StorageRollupSet final : public RollupSeriesSet {
 public:
  StorageRollupSet(size_t tier, int64_t min_end, int64_t max_end,
                   std::vector<std::pair<const Labels*, SeriesId>> series, ReadFn read)
      : tier_(tier),
        min_end_(min_end),
        max_end_(max_end),
        series_(std::move(series)),
        read_(std::move(read)) {}

  bool Next() override {
    while (status_.ok() && ++pos_ < series_.size()) {
      status_ = read_(tier_, series_[pos_].second, min_end_, max_end_, &buckets_);
      if (status_.ok() && !buckets_.empty()) return true;
    }
    return false;
  }
  const Labels& labels() const override { return *series_[pos_].first; }
  const std::vector<RollupBucket>& buckets() const override { return buckets_; }
  base::Status status() const override { return status_; }

 private:
  const size_t tier_;
  const int64_t min_end_, max_end_;
  std::vector<std::pair<const Labels*, SeriesId>> series_;
  ReadFn read_;
  size_t pos_ = static_cast<size_t>(-1);
  std::vector<RollupBucket> buckets_;
  base::Status status_;
};

}  // namespace

std::unique_ptr<RollupSeriesSet> StorageQuerier::SelectRollups(const std::vector<Matcher>& matchers,
                                                               int64_t res, RollupFields fields) {
  size_t tier = storage_->tiers_.size();
  for (size_t k = 0; k < storage_->tiers_.size(); ++k) {
    if (storage_->tiers_[k]->resolution() == res) tier = k;
  }
  if (tier == storage_->tiers_.size()) return nullptr;
  const int64_t min_end = BucketEnd(mint_, res);
  const int64_t max_end = BucketEnd(maxt_, res) > maxt_ ? BucketEnd(maxt_, res) - res : maxt_;
  Storage* st = storage_;
  const bool with_increase = fields == RollupFields::kWithIncrease;
  ReadFn read = [st, with_increase](size_t k, SeriesId id, int64_t lo, int64_t hi,
                                    std::vector<RollupBucket>* out) {
    return st->ReadRollups(k, id, lo, hi, with_increase, out);
  };
  return std::make_unique<StorageRollupSet>(tier, min_end, max_end, SortedSeries(matchers),
                                            std::move(read));
}

std::vector<std::pair<const Labels*, SeriesId>> StorageQuerier::SortedSeries(
    const std::vector<Matcher>& matchers) const {
  std::vector<std::pair<const Labels*, SeriesId>> series;
  for (SeriesId id : storage_->registry_.Select(matchers)) {
    series.emplace_back(storage_->registry_.Get(id), id);
  }
  std::sort(series.begin(), series.end(),
            [](const auto& a, const auto& b) { return *a.first < *b.first; });
  return series;
}

std::unique_ptr<SeriesSet> StorageQuerier::SelectWithHints(const std::vector<Matcher>& matchers,
                                                           const SelectHints& hints) {
  return std::make_unique<StorageSeriesSet>(this, SortedSeries(matchers), hints);
}

// All samples of `id` in range, merged across partitions and the head. The head is read first:
// a concurrent seal removes samples from the head only after they are in a partition, so
// reading partitions afterwards cannot miss them.
base::Status Storage::ReadRaw(SeriesId id, int64_t mint, int64_t maxt,
                              std::vector<Sample>* out) const {
  std::vector<Sample> head;
  head_.Read(id, mint, maxt, &head);
  std::vector<Sample> sealed;
  std::vector<StoredChunk> chunks;
  for (const auto& p : partitions_->Overlapping(mint, maxt)) {  // disjoint, sorted
    chunks.clear();
    TM_RETURN_IF_ERROR(p->Read(id, mint, maxt, &chunks));
    TM_RETURN_IF_ERROR(MergePartitionChunks(&chunks, &sealed));
  }
  ClipToRange(&sealed, mint, maxt);
  *out = MergeLastWins(sealed, head);
  return base::Status::Ok();
}

std::unique_ptr<Querier> Storage::NewQuerier(int64_t mint, int64_t maxt) {
  return std::make_unique<StorageQuerier>(this, mint, maxt);
}

}  // namespace tidemark::storage
