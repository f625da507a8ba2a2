// SeriesCache: the ingest side's memory of which raw series keys (a line-protocol
// "measurement,tags", then each field under it) name which store series, so repeated writes of
// known series skip parsing tags, building labels and hashing them (see ingest::SeriesResolver).
//
// Sharded by key hash, each shard under its own mutex; a shard that grows past its share of
// `max_entries` is cleared and refills on demand, which bounds memory without bookkeeping.
// Thread-safe.
#pragma once

#include <array>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "server/ingest/decode.h"
#include "storage/storage.h"

namespace tidemark::server {

class SeriesCache final : public ingest::SeriesResolver {
 public:
  // `storage` must outlive the cache.
  explicit SeriesCache(storage::Storage* storage, size_t max_entries = 4'000'000);

  storage::SeriesRef Lookup(std::string_view key) override;
  storage::SeriesRef Learn(std::string_view key, const storage::Labels& labels) override;
  // One hash and one lock for all the fields of a line.
  bool LookupFields(std::string_view series_key, const std::vector<std::string_view>& fields,
                    storage::SeriesRef* refs) override;

  size_t size() const;

 private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // The fields seen for one series key, with their refs; a handful per key, so a vector.
  using FieldRefs = std::vector<std::pair<std::string, storage::SeriesRef>>;
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, FieldRefs, StringHash, std::equal_to<>> series;
    size_t entries = 0;
  };
  static constexpr size_t kShards = 16;
  Shard& ShardFor(std::string_view key) { return shards_[StringHash{}(key) % kShards]; }

  storage::Storage* storage_;
  size_t max_per_shard_;
  std::array<Shard, kShards> shards_;
};

}  // namespace tidemark::server
