// SeriesCache: the ingest side's memory of which raw series keys (a line-protocol
// "measurement,tags", then each field under it) name which store series, so repeated writes of
// known series skip parsing tags, building labels and hashing them (see ingest::SeriesResolver).
//
// Sharded by key hash, each shard under its own reader-writer lock; a shard that grows past its
// share of `max_entries` is cleared and refills on demand, which bounds memory without bookkeeping.
// Thread-safe.
#pragma once

#include <array>
#include <mutex>
#include <shared_mutex>
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
  // Keys carry their hash, computed once per lookup: it picks the shard and the bucket.
  struct HashedKey {
    size_t hash;
    std::string_view text;
  };
  struct Key {
    size_t hash;
    std::string text;
  };
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(const Key& k) const { return k.hash; }
    size_t operator()(const HashedKey& k) const { return k.hash; }
  };
  struct KeyEqual {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return a.hash == b.hash && std::string_view(a.text) == std::string_view(b.text);
    }
  };
  static HashedKey Hashed(std::string_view text) {
    return {std::hash<std::string_view>{}(text), text};
  }
  // The fields seen for one series key, with their refs, in first-seen order; a handful per key,
  // so a vector. Writers send a series' fields in the same order, so lookups try the same
  // position first.
  using FieldRefs = std::vector<std::pair<std::string, storage::SeriesRef>>;
  // Lookups (nearly every line) take the shard's lock shared, so concurrent writers of known
  // series never wait for each other; only learning a series takes it exclusively.
  struct Shard {
    mutable std::shared_mutex mu;
    std::unordered_map<Key, FieldRefs, KeyHash, KeyEqual> series;
    size_t entries = 0;
  };
  static constexpr size_t kShards = 64;
  // The shard from the hash's high bits; the map's buckets use the low ones.
  Shard& ShardFor(const HashedKey& key) { return shards_[(key.hash >> 56) % kShards]; }

  storage::Storage* storage_;
  size_t max_per_shard_;
  std::array<Shard, kShards> shards_;
};

}  // namespace tidemark::server
