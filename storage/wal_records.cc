#include "storage/wal_records.h"

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

void AppendSamplesRecord(std::string* out, std::span<const SeriesSamples> groups) {
  size_t samples = 0;
  for (const auto& g : groups) samples += g.samples.size();
  std::string payload;
  payload.reserve(10 + groups.size() * 8 + samples * 12);
  PutVarint(&payload, groups.size());
  for (const auto& g : groups) {
    PutVarint(&payload, g.id);
    PutVarint(&payload, g.samples.size());
    int64_t prev = 0;
    for (const Sample& s : g.samples) {
      PutSignedVarint(&payload, WrapSub(s.t, prev));
      prev = s.t;
      PutFixed64(&payload, DoubleBits(s.v));
    }
  }
  AppendWalRecord(out, WalRecordType::kSamples, payload);
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
