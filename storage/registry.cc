#include "storage/registry.h"

#include <algorithm>
#include <mutex>
#include <set>

namespace tidemark::storage {

namespace {

// Inserts `id` keeping `ids` sorted (ids usually arrive in ascending order).
void InsertSorted(std::vector<SeriesId>* ids, SeriesId id) {
  if (ids->empty() || ids->back() < id) {
    ids->push_back(id);
    return;
  }
  auto it = std::lower_bound(ids->begin(), ids->end(), id);
  if (it == ids->end() || *it != id) ids->insert(it, id);
}

std::vector<SeriesId> Intersect(const std::vector<SeriesId>& a, const std::vector<SeriesId>& b) {
  std::vector<SeriesId> out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

}  // namespace

const SeriesRegistry::Entry* SeriesRegistry::EntryLocked(SeriesId id) const {
  if (id == 0 || id > entries_.size()) return nullptr;
  return entries_[id - 1].get();
}

SeriesId SeriesRegistry::FindLocked(const Labels& labels, uint64_t hash) const {
  auto [lo, hi] = by_hash_.equal_range(hash);
  for (auto it = lo; it != hi; ++it) {
    if (entries_[it->second - 1]->labels == labels) return it->second;
  }
  return 0;
}

void SeriesRegistry::AddLocked(SeriesId id, const Labels& labels, uint64_t hash) {
  if (entries_.size() < id) entries_.resize(id);
  auto entry = std::make_unique<Entry>();
  entry->labels = labels;
  entries_[id - 1] = std::move(entry);
  by_hash_.emplace(hash, id);
  for (const auto& l : labels) {
    auto& values = postings_[l.name];
    auto [it, new_value] = values.try_emplace(l.value);
    InsertSorted(&it->second, id);
    if (new_value) {
      std::lock_guard vl(values_mu_);
      value_lists_.erase(l.name);
    }
  }
  ++count_;
  label_bytes_ += LabelsMemoryUsage(labels);
}

SeriesId SeriesRegistry::GetOrCreate(const Labels& labels, bool* created, bool* logged) {
  return GetOrCreateBounded(labels, 0, created, logged);
}

SeriesId SeriesRegistry::GetOrCreateBounded(const Labels& labels, size_t max_series, bool* created,
                                            bool* logged) {
  uint64_t hash = labels.Hash();
  {
    std::shared_lock l(mu_);
    if (SeriesId id = FindLocked(labels, hash)) {
      *created = false;
      if (logged) *logged = entries_[id - 1]->logged.load(std::memory_order_acquire);
      return id;
    }
  }
  std::unique_lock l(mu_);
  SeriesId id = FindLocked(labels, hash);
  *created = id == 0;
  if (id == 0 && max_series != 0 && entries_.size() >= max_series) {
    *created = false;
    return 0;
  }
  if (id == 0) {
    id = entries_.size() + 1;
    AddLocked(id, labels, hash);
  }
  if (logged) *logged = entries_[id - 1]->logged.load(std::memory_order_acquire);
  return id;
}

bool SeriesRegistry::Insert(SeriesId id, const Labels& labels) {
  if (id == 0) return false;
  uint64_t hash = labels.Hash();
  std::unique_lock l(mu_);
  if (const Entry* e = EntryLocked(id)) return e->labels == labels;
  if (FindLocked(labels, hash) != 0) return false;
  AddLocked(id, labels, hash);
  return true;
}

const Labels* SeriesRegistry::Get(SeriesId id) const {
  std::shared_lock l(mu_);
  const Entry* e = EntryLocked(id);
  return e ? &e->labels : nullptr;
}

const Labels* SeriesRegistry::GetWithLogged(SeriesId id, bool* logged) const {
  std::shared_lock l(mu_);
  const Entry* e = EntryLocked(id);
  *logged = e && e->logged.load(std::memory_order_acquire);
  return e ? &e->labels : nullptr;
}

std::vector<SeriesId> SeriesRegistry::CandidatesLocked(const std::vector<Matcher>& matchers) const {
  bool have = false;
  std::vector<SeriesId> result;
  for (const auto& m : matchers) {
    if (m.MatchesEmpty()) continue;  // also selects series without the label: filter later
    std::vector<SeriesId> ids;
    auto name_it = postings_.find(m.name());
    if (name_it != postings_.end()) {
      if (m.type() == MatchType::kEqual) {
        auto v = name_it->second.find(m.value());
        if (v != name_it->second.end()) ids = v->second;
      } else {
        for (const auto& [value, list] : name_it->second) {
          if (!m.Matches(value)) continue;
          std::vector<SeriesId> merged;
          std::set_union(ids.begin(), ids.end(), list.begin(), list.end(),
                         std::back_inserter(merged));
          ids.swap(merged);
        }
      }
    }
    result = have ? Intersect(result, ids) : std::move(ids);
    have = true;
    if (result.empty()) return result;
  }
  if (!have) {
    for (size_t i = 0; i < entries_.size(); ++i) {
      if (entries_[i]) result.push_back(i + 1);
    }
  }
  return result;
}

std::vector<SeriesId> SeriesRegistry::Select(const std::vector<Matcher>& matchers) const {
  std::shared_lock l(mu_);
  std::vector<SeriesId> out;
  for (SeriesId id : CandidatesLocked(matchers)) {
    if (MatchesAll(matchers, entries_[id - 1]->labels)) out.push_back(id);
  }
  return out;
}

std::vector<std::string> SeriesRegistry::LabelNames(const std::vector<Matcher>& matchers) const {
  std::shared_lock l(mu_);
  std::vector<std::string> out;
  if (matchers.empty()) {
    for (const auto& [name, values] : postings_) out.push_back(name);
    return out;
  }
  std::set<std::string> names;
  for (SeriesId id : CandidatesLocked(matchers)) {
    const Labels& labels = entries_[id - 1]->labels;
    if (!MatchesAll(matchers, labels)) continue;
    for (const auto& lbl : labels) names.insert(lbl.name);
  }
  return {names.begin(), names.end()};
}

std::vector<std::string> SeriesRegistry::LabelValues(const std::string& name,
                                                     const std::vector<Matcher>& matchers) const {
  std::shared_lock l(mu_);
  std::vector<std::string> out;
  auto it = postings_.find(name);
  if (it == postings_.end()) return out;
  if (matchers.empty()) return *ValueListLocked(name);
  std::set<std::string> values;
  for (SeriesId id : CandidatesLocked(matchers)) {
    const Labels& labels = entries_[id - 1]->labels;
    if (!MatchesAll(matchers, labels)) continue;
    std::string_view v = labels.Get(name);
    if (!v.empty()) values.emplace(v);
  }
  return {values.begin(), values.end()};
}

std::shared_ptr<const std::vector<std::string>> SeriesRegistry::ValueListLocked(
    const std::string& name) const {
  {
    std::lock_guard vl(values_mu_);
    if (auto it = value_lists_.find(name); it != value_lists_.end()) return it->second;
  }
  // Built outside values_mu_: the shared lock on mu_ keeps postings_ (and so the list) stable,
  // and concurrent builders produce equal lists.
  auto list = std::make_shared<std::vector<std::string>>();
  if (auto it = postings_.find(name); it != postings_.end()) {
    list->reserve(it->second.size());
    for (const auto& [value, ids] : it->second) list->push_back(value);
  }
  std::lock_guard vl(values_mu_);
  value_lists_.emplace(name, list);
  return list;
}

bool SeriesRegistry::IsLogged(SeriesId id) const {
  std::shared_lock l(mu_);
  const Entry* e = EntryLocked(id);
  return e && e->logged.load(std::memory_order_acquire);
}

void SeriesRegistry::MarkLogged(SeriesId id) {
  std::shared_lock l(mu_);
  if (const Entry* e = EntryLocked(id)) {
    e->logged.store(true, std::memory_order_release);
  }
}

std::vector<std::pair<SeriesId, Labels>> SeriesRegistry::Unpersisted() const {
  std::shared_lock l(mu_);
  std::vector<std::pair<SeriesId, Labels>> out;
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i] && !entries_[i]->persisted.load()) out.emplace_back(i + 1, entries_[i]->labels);
  }
  return out;
}

void SeriesRegistry::MarkPersisted(const std::vector<SeriesId>& ids) {
  std::shared_lock l(mu_);
  for (SeriesId id : ids) {
    if (const Entry* e = EntryLocked(id)) e->persisted.store(true);
  }
}

size_t SeriesRegistry::size() const {
  std::shared_lock l(mu_);
  return count_;
}

SeriesId SeriesRegistry::max_id() const {
  std::shared_lock l(mu_);
  return entries_.size();
}

std::vector<SeriesId> SeriesRegistry::AllIds() const {
  std::shared_lock l(mu_);
  std::vector<SeriesId> out;
  out.reserve(count_);
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i]) out.push_back(i + 1);
  }
  return out;
}

size_t SeriesRegistry::MemoryUsage() const {
  std::shared_lock l(mu_);
  // Entry + labels + hash node + one postings slot per label (approximate).
  size_t postings_slots = 0;
  for (const auto& [name, values] : postings_) {
    for (const auto& [value, ids] : values) postings_slots += ids.capacity();
  }
  size_t value_list_bytes = 0;
  {
    std::lock_guard vl(values_mu_);
    for (const auto& [name, list] : value_lists_) {
      for (const auto& v : *list) value_list_bytes += sizeof(std::string) + v.capacity();
    }
  }
  return entries_.capacity() * sizeof(void*) + count_ * (sizeof(Entry) + 32) + label_bytes_ +
         postings_slots * sizeof(SeriesId) + value_list_bytes;
}

}  // namespace tidemark::storage
