#include "storage/head.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>

#include "storage/sample_merge.h"
#include "storage/sealed_chunk.h"

namespace tidemark::storage {

namespace {

// A full head chunk, no longer appended to, kept in the sealed-chunk encoding without zstd
// (decimal-aware: 1.7 bytes a sample on the ingest benchmark's values against Gorilla's 2.8).
// 32 bytes plus the exact encoding: a bulk load keeps ~360,000 of these, and a std::string with
// its spare capacity cost ~25 bytes more each.
class FrozenChunk {
 public:
  explicit FrozenChunk(std::span<const Sample> samples)
      : min_t_(samples.empty() ? 0 : samples.front().t),
        max_t_(samples.empty() ? 0 : samples.back().t),
        num_(static_cast<int32_t>(samples.size())) {
    const std::string encoded = EncodeSealedChunk(samples, Options());
    size_ = static_cast<uint32_t>(encoded.size());
    data_ = std::make_unique_for_overwrite<char[]>(size_);
    std::memcpy(data_.get(), encoded.data(), size_);
  }
  int num_samples() const { return num_; }
  int64_t min_time() const { return min_t_; }
  int64_t max_time() const { return max_t_; }
  size_t HeapBytes() const { return size_; }
  base::Status DecodeAll(std::vector<Sample>* out) const {
    return DecodeSealedChunk({data_.get(), size_}, out);
  }

 private:
  static SealOptions Options() {
    SealOptions o;
    o.compress = false;  // compressing 120 samples costs more CPU than it saves memory here
    return o;
  }
  int64_t min_t_, max_t_;
  std::unique_ptr<char[]> data_;
  uint32_t size_ = 0;
  int32_t num_;
};

// Appends with growth by a quarter rather than doubling: these vectors hold most of the head's
// chunks, and doubling left a third of their slots empty on average.
void PushFrozen(std::vector<FrozenChunk>* chunks, FrozenChunk c) {
  if (chunks->size() == chunks->capacity())
    chunks->reserve(chunks->size() + chunks->size() / 4 + 4);
  chunks->push_back(std::move(c));
}

FrozenChunk Freeze(const XorChunk& c) {
  thread_local std::vector<Sample> samples;  // reused: a chunk is frozen on every append path
  samples.clear();
  (void)c.DecodeAll(&samples);
  return FrozenChunk(samples);
}

}  // namespace

struct Head::MemSeries {
  std::vector<FrozenChunk> closed;
  XorChunk open;
  // Out-of-order samples: full runs compressed into chunks (each sorted and unique, in write
  // order: a later chunk's sample wins on equal time), the rest in `ooo` in arrival order.
  // Concurrent writers of consecutive time ranges make many (18% of the ingest benchmark), and
  // 16 bytes per sample in a vector was most of the head's memory.
  std::vector<FrozenChunk> ooo_chunks;
  std::vector<Sample> ooo;
  std::vector<Sample> sealing;  // sorted, unique; oldest writes
  int64_t max_t = std::numeric_limits<int64_t>::min();
  size_t closed_bytes = 0;  // heap bytes of `closed` and `ooo_chunks`
  size_t accounted = 0;

  size_t Usage() const {
    return sizeof(MemSeries) + 48 /* map node */ +
           (closed.capacity() + ooo_chunks.capacity()) * sizeof(FrozenChunk) + closed_bytes +
           open.HeapBytes() + (ooo.capacity() + sealing.capacity()) * 16;
  }

  // Moves the `ooo` buffer into a new out-of-order chunk.
  void CompressOoo() {
    SortDedupeLastWins(&ooo);
    FrozenChunk c(ooo);
    closed_bytes += c.HeapBytes();
    PushFrozen(&ooo_chunks, std::move(c));
    ooo.clear();
  }

  // Out-of-order samples in [mint, maxt], sorted and unique, later writes winning.
  std::vector<Sample> OooSamples(int64_t mint, int64_t maxt) const {
    std::vector<Sample> merged, part;
    for (const FrozenChunk& c : ooo_chunks) {
      if (c.max_time() < mint || c.min_time() > maxt) continue;
      part.clear();
      (void)c.DecodeAll(&part);
      ClipToRange(&part, mint, maxt);
      merged = MergeLastWins(merged, part);
    }
    part.clear();
    for (const Sample& x : ooo) {
      if (x.t >= mint && x.t <= maxt) part.push_back(x);
    }
    SortDedupeLastWins(&part);
    return MergeLastWins(merged, part);
  }

  // In-chunk samples in [mint, maxt] (already sorted and unique).
  void ChunkSamples(int64_t mint, int64_t maxt, std::vector<Sample>* out) const {
    auto add = [&](const auto& c) {
      if (c.num_samples() == 0 || c.max_time() < mint || c.min_time() > maxt) return;
      size_t before = out->size();
      (void)c.DecodeAll(out);
      if (c.min_time() < mint || c.max_time() > maxt) {
        std::vector<Sample> part(out->begin() + before, out->end());
        ClipToRange(&part, mint, maxt);
        out->resize(before);
        out->insert(out->end(), part.begin(), part.end());
      }
    };
    for (const auto& c : closed) add(c);
    add(open);
  }
};

Head::Head(int chunk_samples) : chunk_samples_(chunk_samples) {}
Head::~Head() = default;

namespace {
// Adds `delta` to a counter only ever written under its stripe's mutex.
template <typename T>
void Bump(std::atomic<T>& counter, T delta) {
  counter.store(counter.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
}
}  // namespace

void Head::Account(Stripe& stripe, MemSeries* s) {
  size_t now = s->Usage();
  Bump(stripe.memory, now - s->accounted);  // modular arithmetic: also right when shrinking
  s->accounted = now;
}

size_t Head::MemoryUsage() const {
  size_t total = 0;
  for (const auto& stripe : stripes_) total += stripe.memory.load(std::memory_order_relaxed);
  return total;
}

void Head::Append(SeriesId id, std::span<const Sample> samples) {
  Stripe& stripe = StripeOf(id);
  std::lock_guard l(stripe.mu);
  auto& slot = stripe.series[id];
  if (!slot) {
    slot = std::make_unique<MemSeries>();
    Bump<uint64_t>(stripe.num_series, 1);
  }
  MemSeries* s = slot.get();
  uint64_t ooo = 0;
  for (const Sample& sample : samples) {
    if (sample.t > s->max_t) {
      if (s->open.num_samples() >= chunk_samples_) {
        PushFrozen(&s->closed, Freeze(s->open));
        s->closed_bytes += s->closed.back().HeapBytes();
        s->open = XorChunk();
      }
      s->open.Append(sample.t, sample.v);
      s->max_t = sample.t;
    } else {
      s->ooo.push_back(sample);
      ++ooo;
    }
  }
  if (s->ooo.size() >= static_cast<size_t>(chunk_samples_)) s->CompressOoo();
  Bump<uint64_t>(stripe.samples, samples.size());
  Bump<uint64_t>(stripe.ooo, ooo);
  Account(stripe, s);
}

void Head::Read(SeriesId id, int64_t mint, int64_t maxt, std::vector<Sample>* out) const {
  Stripe& stripe = StripeOf(id);
  std::vector<Sample> sealing, chunks, ooo;
  {
    std::lock_guard l(stripe.mu);
    auto it = stripe.series.find(id);
    if (it == stripe.series.end()) return;
    const MemSeries& s = *it->second;
    s.ChunkSamples(mint, maxt, &chunks);
    ooo = s.OooSamples(mint, maxt);
    if (!s.sealing.empty()) {
      sealing = s.sealing;
      ClipToRange(&sealing, mint, maxt);
    }
  }
  std::vector<Sample> merged = MergeLastWins(MergeLastWins(sealing, chunks), ooo);
  out->insert(out->end(), merged.begin(), merged.end());
}

void Head::BeginSeal(SeriesId id, int64_t cutoff, std::vector<Sample>* out) {
  Stripe& stripe = StripeOf(id);
  std::lock_guard l(stripe.mu);
  auto it = stripe.series.find(id);
  if (it == stripe.series.end()) return;
  MemSeries* s = it->second.get();
  // Moves the samples before `cutoff` of `c` to `taken`; true when `c` still has samples.
  auto split = [cutoff]<typename Chunk>(Chunk& c, std::vector<Sample>* taken) -> bool {
    if (c.num_samples() == 0) return false;
    if (c.min_time() >= cutoff) return true;
    if (c.max_time() < cutoff) {
      (void)c.DecodeAll(taken);
      return false;
    }
    std::vector<Sample> all;
    (void)c.DecodeAll(&all);
    const auto first_kept = std::partition_point(
        all.begin(), all.end(), [cutoff](const Sample& x) { return x.t < cutoff; });
    taken->insert(taken->end(), all.begin(), first_kept);
    const std::span<const Sample> rest(first_kept, all.end());
    if constexpr (std::is_same_v<Chunk, FrozenChunk>) {
      c = FrozenChunk(rest);
    } else {
      c = XorChunk();
      for (const Sample& x : rest) c.Append(x.t, x.v);
    }
    return true;
  };
  size_t keep_bytes = 0;
  // Splits every chunk of `chunks` (in place); returns the samples taken from each, in order.
  auto split_all = [&](std::vector<FrozenChunk>* chunks) {
    std::vector<std::vector<Sample>> taken;
    std::vector<FrozenChunk> keep;
    for (auto& c : *chunks) {
      taken.emplace_back();
      if (split(c, &taken.back())) {
        keep_bytes += c.HeapBytes();
        keep.push_back(std::move(c));
      }
    }
    *chunks = std::move(keep);
    return taken;
  };
  std::vector<Sample> taken;  // in-order chunks: sorted and unique together
  for (auto& part : split_all(&s->closed)) taken.insert(taken.end(), part.begin(), part.end());
  if (!split(s->open, &taken)) s->open = XorChunk();
  for (auto& part : split_all(&s->ooo_chunks)) taken = MergeLastWins(taken, part);
  s->closed_bytes = keep_bytes;
  std::vector<Sample> ooo_taken, ooo_keep;
  for (const Sample& x : s->ooo) (x.t < cutoff ? ooo_taken : ooo_keep).push_back(x);
  s->ooo = std::move(ooo_keep);
  SortDedupeLastWins(&ooo_taken);
  s->sealing = MergeLastWins(s->sealing, MergeLastWins(taken, ooo_taken));
  out->insert(out->end(), s->sealing.begin(), s->sealing.end());
  Account(stripe, s);
}

void Head::CommitSeal(SeriesId id) {
  Stripe& stripe = StripeOf(id);
  std::lock_guard l(stripe.mu);
  auto it = stripe.series.find(id);
  if (it == stripe.series.end()) return;
  MemSeries* s = it->second.get();
  s->sealing = std::vector<Sample>();
  if (s->closed.empty() && s->open.num_samples() == 0 && s->ooo.empty() && s->ooo_chunks.empty()) {
    // Nothing left in memory: forget the series (it comes back on its next sample).
    Bump(stripe.memory, size_t{0} - s->accounted);
    stripe.series.erase(it);
    Bump(stripe.num_series, ~uint64_t{0});  // minus one
    return;
  }
  Account(stripe, s);
}

std::vector<SeriesId> Head::SeriesIds() const {
  std::vector<SeriesId> out;
  for (const auto& stripe : stripes_) {
    std::lock_guard l(stripe.mu);
    for (const auto& [id, s] : stripe.series) out.push_back(id);
  }
  std::sort(out.begin(), out.end());
  return out;
}

HeadStats Head::Stats() const {
  HeadStats st;
  for (const auto& stripe : stripes_) {
    st.series += stripe.num_series.load(std::memory_order_relaxed);
    st.samples_appended += stripe.samples.load(std::memory_order_relaxed);
    st.out_of_order_samples += stripe.ooo.load(std::memory_order_relaxed);
    st.memory_bytes += stripe.memory.load(std::memory_order_relaxed);
  }
  return st;
}

}  // namespace tidemark::storage
