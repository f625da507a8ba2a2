#include "server/series_cache.h"

#include <algorithm>

namespace tidemark::server {
namespace {

// Splits "<series>\0<field>"; a key without the separator is a series with an empty field.
std::pair<std::string_view, std::string_view> SplitKey(std::string_view key) {
  const size_t zero = key.find('\0');
  if (zero == std::string_view::npos) return {key, {}};
  return {key.substr(0, zero), key.substr(zero + 1)};
}

// The ref of `field`, looked for at `hint` first (where the same writer put it last time).
storage::SeriesRef FindField(const std::vector<std::pair<std::string, storage::SeriesRef>>& fields,
                             std::string_view field, size_t hint = 0) {
  if (hint < fields.size() && fields[hint].first == field) return fields[hint].second;
  for (const auto& [name, ref] : fields) {
    if (name == field) return ref;
  }
  return 0;
}

}  // namespace

SeriesCache::SeriesCache(storage::Storage* storage, size_t max_entries)
    : storage_(storage), max_per_shard_(std::max<size_t>(1, max_entries / kShards)) {}

storage::SeriesRef SeriesCache::Lookup(std::string_view key) {
  const auto [series, field] = SplitKey(key);
  const HashedKey hashed = Hashed(series);
  Shard& shard = ShardFor(hashed);
  std::shared_lock lock(shard.mu);
  auto it = shard.series.find(hashed);
  return it == shard.series.end() ? 0 : FindField(it->second, field);
}

bool SeriesCache::LookupFields(std::string_view series_key,
                               const std::vector<std::string_view>& fields,
                               storage::SeriesRef* refs) {
  const HashedKey hashed = Hashed(series_key);
  Shard& shard = ShardFor(hashed);
  std::shared_lock lock(shard.mu);
  auto it = shard.series.find(hashed);
  if (it == shard.series.end()) return false;
  for (size_t i = 0; i < fields.size(); ++i) {
    refs[i] = FindField(it->second, fields[i], i);
    if (refs[i] == 0) return false;
  }
  return true;
}

storage::SeriesRef SeriesCache::Learn(std::string_view key, const storage::Labels& labels) {
  auto ref = storage_->GetSeriesRef(labels);
  if (!ref.ok()) return 0;
  const auto [series, field] = SplitKey(key);
  const HashedKey hashed = Hashed(series);
  Shard& shard = ShardFor(hashed);
  std::unique_lock lock(shard.mu);
  if (shard.entries >= max_per_shard_) {
    shard.series.clear();
    shard.entries = 0;
  }
  auto it = shard.series.find(hashed);
  if (it == shard.series.end()) {
    it = shard.series.emplace(Key{hashed.hash, std::string(series)}, FieldRefs()).first;
  }
  auto& fields = it->second;
  if (FindField(fields, field) == 0) {
    fields.emplace_back(std::string(field), *ref);
    ++shard.entries;
  }
  return *ref;
}

size_t SeriesCache::size() const {
  size_t total = 0;
  for (const Shard& shard : shards_) {
    std::shared_lock lock(shard.mu);
    total += shard.entries;
  }
  return total;
}

}  // namespace tidemark::server
