// The Querier implementation over the registry, the partitions and the head.
#include <algorithm>

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

}  // namespace

class StorageQuerier final : public Querier {
 public:
  StorageQuerier(Storage* storage, int64_t mint, int64_t maxt)
      : storage_(storage), mint_(mint), maxt_(maxt) {}

  std::unique_ptr<SeriesSet> Select(const std::vector<Matcher>& matchers) override;
  base::Result<std::vector<std::string>> LabelNames(const std::vector<Matcher>& matchers) override {
    return storage_->registry_.LabelNames(matchers);
  }
  base::Result<std::vector<std::string>> LabelValues(
      const std::string& name, const std::vector<Matcher>& matchers) override {
    return storage_->registry_.LabelValues(name, matchers);
  }
  int64_t mint() const override { return mint_; }
  int64_t maxt() const override { return maxt_; }

  // All samples of `id` in range, merged across partitions and the head. The head is read first:
  // a concurrent seal removes samples from the head only after they are in a partition, so
  // reading partitions afterwards cannot miss them.
  base::Status ReadSeries(SeriesId id, std::vector<Sample>* out) const {
    std::vector<Sample> head;
    storage_->head_.Read(id, mint_, maxt_, &head);
    std::vector<Sample> sealed;
    std::vector<StoredChunk> chunks;
    for (const auto& p : storage_->partitions_->Overlapping(mint_, maxt_)) {  // disjoint, sorted
      chunks.clear();
      TM_RETURN_IF_ERROR(p->Read(id, mint_, maxt_, &chunks));
      TM_RETURN_IF_ERROR(MergePartitionChunks(&chunks, &sealed));
    }
    ClipToRange(&sealed, mint_, maxt_);
    *out = MergeLastWins(sealed, head);
    return base::Status::Ok();
  }

 private:
  Storage* storage_;
  const int64_t mint_, maxt_;
};

namespace {

class StorageSeriesSet final : public SeriesSet {
 public:
  StorageSeriesSet(const StorageQuerier* q, std::vector<std::pair<const Labels*, SeriesId>> series)
      : q_(q), series_(std::move(series)) {}

  bool Next() override {
    while (status_.ok() && ++pos_ < series_.size()) {
      samples_.clear();
      status_ = q_->ReadSeries(series_[pos_].second, &samples_);
      if (status_.ok() && !samples_.empty()) return true;
    }
    return false;
  }
  const Labels& labels() const override { return *series_[pos_].first; }
  std::unique_ptr<SampleIterator> Samples() const override {
    return std::make_unique<VectorSampleIterator>(samples_);
  }
  base::Status status() const override { return status_; }

 private:
  const StorageQuerier* q_;
  std::vector<std::pair<const Labels*, SeriesId>> series_;
  size_t pos_ = static_cast<size_t>(-1);
  std::vector<Sample> samples_;
  base::Status status_;
};

}  // namespace

std::unique_ptr<SeriesSet> StorageQuerier::Select(const std::vector<Matcher>& matchers) {
  std::vector<std::pair<const Labels*, SeriesId>> series;
  for (SeriesId id : storage_->registry_.Select(matchers)) {
    series.emplace_back(storage_->registry_.Get(id), id);
  }
  std::sort(series.begin(), series.end(),
            [](const auto& a, const auto& b) { return *a.first < *b.first; });
  return std::make_unique<StorageSeriesSet>(this, std::move(series));
}

std::unique_ptr<Querier> Storage::NewQuerier(int64_t mint, int64_t maxt) {
  return std::make_unique<StorageQuerier>(this, mint, maxt);
}

}  // namespace tidemark::storage
