#include "server/series_cache.h"

namespace tidemark::server {

SeriesCache::SeriesCache(storage::Storage* storage, size_t max_entries)
    : storage_(storage), max_per_shard_(std::max<size_t>(1, max_entries / kShards)) {}

storage::SeriesRef SeriesCache::Lookup(std::string_view key) {
  Shard& shard = ShardFor(key);
  std::lock_guard<std::mutex> lock(shard.mu);
  auto it = shard.refs.find(key);
  return it == shard.refs.end() ? 0 : it->second;
}

storage::SeriesRef SeriesCache::Learn(std::string_view key, const storage::Labels& labels) {
  auto ref = storage_->GetSeriesRef(labels);
  if (!ref.ok()) return 0;
  Shard& shard = ShardFor(key);
  std::lock_guard<std::mutex> lock(shard.mu);
  if (shard.refs.size() >= max_per_shard_) shard.refs.clear();
  shard.refs.emplace(std::string(key), *ref);
  return *ref;
}

size_t SeriesCache::size() const {
  size_t total = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard.mu);
    total += shard.refs.size();
  }
  return total;
}

}  // namespace tidemark::server
