#include "storage/wal_records.h"

#include <memory>
#include <vector>

#include "storage/varint.h"
#include "storage/wal.h"

namespace tidemark::storage {

void AppendSeriesRecord(std::string* out, SeriesId id, const Labels& labels) {
  std::string payload;
  PutVarint(&payload, id);
  labels.EncodeTo(&payload);
  AppendWalRecord(out, WalRecordType::kSeries, payload);
}

namespace {

// Raw-pointer writers for the samples record, the WAL's bulk (about 15 bytes a sample): one
// std::string::append per field cost a call and a capacity check each. Same bytes as
// PutVarint / PutFixed64.
char* EncodeVarint(char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

char* EncodeFixed64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(v >> (8 * i));
  return p + 8;
}

constexpr size_t kMaxVarintBytes = 10;

}  // namespace

void AppendSamplesRecord(std::string* out, std::span<const SeriesSamples> groups) {
  size_t samples = 0;
  for (const auto& g : groups) samples += g.samples.size();
  const size_t bound = kMaxVarintBytes * (1 + 2 * groups.size()) + samples * (kMaxVarintBytes + 8);
  const auto payload = std::make_unique_for_overwrite<char[]>(bound);
  char* const begin = payload.get();
  char* p = EncodeVarint(begin, groups.size());
  for (const auto& g : groups) {
    p = EncodeVarint(p, g.id);
    p = EncodeVarint(p, g.samples.size());
    int64_t prev = 0;
    for (const Sample& s : g.samples) {
      p = EncodeVarint(p, ZigZagEncode(WrapSub(s.t, prev)));
      prev = s.t;
      p = EncodeFixed64(p, DoubleBits(s.v));
    }
  }
  AppendWalRecord(out, WalRecordType::kSamples,
                  std::string_view(begin, static_cast<size_t>(p - begin)));
}

base::Status DecodeSeriesRecord(std::string_view payload, SeriesId* id, Labels* labels) {
  uint64_t v;
  if (!GetVarint(&payload, &v) || v == 0) return base::Status::Corruption("series record id");
  auto decoded = Labels::Decode(payload);
  if (!decoded.ok()) return decoded.status();
  *id = v;
  *labels = std::move(*decoded);
  return base::Status::Ok();
}

base::Status DecodeSamplesRecord(std::string_view payload,
                                 const std::function<void(SeriesId, std::span<const Sample>)>& fn) {
  uint64_t groups;
  if (!GetVarint(&payload, &groups)) return base::Status::Corruption("samples record header");
  std::vector<Sample> samples;
  for (uint64_t g = 0; g < groups; ++g) {
    uint64_t id, n;
    if (!GetVarint(&payload, &id) || !GetVarint(&payload, &n) || n > payload.size()) {
      return base::Status::Corruption("samples record group");
    }
    samples.clear();
    int64_t t = 0;
    for (uint64_t i = 0; i < n; ++i) {
      int64_t dt;
      uint64_t bits;
      if (!GetSignedVarint(&payload, &dt) || !GetFixed64(&payload, &bits)) {
        return base::Status::Corruption("samples record body");
      }
      t = WrapAdd(t, dt);
      samples.push_back({t, BitsDouble(bits)});
    }
    fn(id, samples);
  }
  return base::Status::Ok();
}

}  // namespace tidemark::storage
