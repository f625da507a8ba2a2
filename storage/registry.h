// SeriesRegistry: labels <-> stable series id, plus inverted postings (label name -> value ->
// sorted ids) used to resolve matchers. In memory; Storage persists it in LevelDB (see
// storage/docs/registry.md) and rebuilds the postings at start.
//
// Thread-safe: lookups take a shared lock, creation an exclusive one. Entries are never removed,
// so a `const Labels*` handed out stays valid for the registry's lifetime.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "storage/labels.h"
#include "storage/matcher.h"

namespace tidemark::storage {

using SeriesId = uint64_t;  // 0 is never a valid id

class SeriesRegistry {
 public:
  // Id of `labels`, creating the series when new (`*created` tells which). When `logged` is
  // given it receives IsLogged(id).
  SeriesId GetOrCreate(const Labels& labels, bool* created, bool* logged = nullptr);
  // Same, but creates nothing once `max_series` series exist (0: no limit): returns 0 for a new
  // series then. Existing series are always found.
  SeriesId GetOrCreateBounded(const Labels& labels, size_t max_series, bool* created,
                              bool* logged = nullptr);
  // Registers a series under a known id (loading, WAL replay). Returns false when the id is
  // already taken by different labels or the labels by a different id.
  bool Insert(SeriesId id, const Labels& labels);

  // Labels of `id`, or nullptr.
  const Labels* Get(SeriesId id) const;
  // Labels of `id` (or nullptr) and, in `*logged`, IsLogged(id): one lock instead of two.
  const Labels* GetWithLogged(SeriesId id, bool* logged) const;

  // Ids of the series every matcher accepts, ascending.
  std::vector<SeriesId> Select(const std::vector<Matcher>& matchers) const;
  // Sorted label names / values over the series the matchers select (all series when empty).
  std::vector<std::string> LabelNames(const std::vector<Matcher>& matchers) const;
  std::vector<std::string> LabelValues(const std::string& name,
                                       const std::vector<Matcher>& matchers) const;

  // "Logged" = a WAL record naming this series is durable; appenders log a series until then.
  bool IsLogged(SeriesId id) const;
  void MarkLogged(SeriesId id);
  // Series not yet written to the persistent registry, and marking them written.
  std::vector<std::pair<SeriesId, Labels>> Unpersisted() const;
  void MarkPersisted(const std::vector<SeriesId>& ids);

  size_t size() const;
  SeriesId max_id() const;
  std::vector<SeriesId> AllIds() const;
  size_t MemoryUsage() const;

 private:
  struct Entry {
    Labels labels;
    mutable std::atomic<bool> logged{false};
    mutable std::atomic<bool> persisted{false};
  };
  const Entry* EntryLocked(SeriesId id) const;
  SeriesId FindLocked(const Labels& labels, uint64_t hash) const;
  void AddLocked(SeriesId id, const Labels& labels, uint64_t hash);
  std::vector<SeriesId> CandidatesLocked(const std::vector<Matcher>& matchers) const;

  // The sorted values of one label name, from postings_; built under a shared lock of mu_.
  std::shared_ptr<const std::vector<std::string>> ValueListLocked(const std::string& name) const;

  mutable std::shared_mutex mu_;
  std::vector<std::unique_ptr<Entry>> entries_;  // index = id - 1; null for unused ids
  std::unordered_multimap<uint64_t, SeriesId> by_hash_;
  std::map<std::string, std::map<std::string, std::vector<SeriesId>>, std::less<>> postings_;
  size_t count_ = 0;
  size_t label_bytes_ = 0;
  // Per label name, its values as one contiguous sorted list, built on first use and dropped
  // when a series brings a new value for the name: walking the postings' tree nodes, scattered
  // over the heap by ingestion, cost ~0.2 ms for 1000 values, copying a flat list a few us.
  // Guarded by values_mu_ (taken after mu_), since readers hold mu_ shared.
  mutable std::mutex values_mu_;
  mutable std::unordered_map<std::string, std::shared_ptr<const std::vector<std::string>>>
      value_lists_;
};

}  // namespace tidemark::storage
