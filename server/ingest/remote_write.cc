#include "server/ingest/remote_write.h"

#include <cstring>
#include <string>
#include <vector>

namespace tidemark::server::ingest {
namespace {

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

// A cursor over protobuf wire format. Every read checks bounds; `ok()` turns false for good on
// the first malformed byte.
class WireReader {
 public:
  explicit WireReader(std::string_view data) : data_(data) {}

  bool AtEnd() const { return pos_ >= data_.size() || !ok_; }
  bool ok() const { return ok_; }

  bool ReadTag(uint32_t* field, uint32_t* wire_type) {
    uint64_t tag = 0;
    if (!ReadVarint(&tag)) return false;
    *field = static_cast<uint32_t>(tag >> 3);
    *wire_type = static_cast<uint32_t>(tag & 7);
    return *field != 0 || Fail();
  }

  bool ReadVarint(uint64_t* value) {
    *value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) return Fail();
      const auto byte = static_cast<uint8_t>(data_[pos_++]);
      *value |= static_cast<uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return Fail();
  }

  bool ReadFixed64(uint64_t* value) {
    if (data_.size() - pos_ < 8) return Fail();
    std::memcpy(value, data_.data() + pos_, 8);  // protobuf is little-endian, as is x86-64
    pos_ += 8;
    return true;
  }

  bool ReadBytes(std::string_view* bytes) {
    uint64_t length = 0;
    if (!ReadVarint(&length) || length > data_.size() - pos_) return Fail();
    *bytes = data_.substr(pos_, length);
    pos_ += length;
    return true;
  }

  bool Skip(uint32_t wire_type) {
    uint64_t ignored;
    std::string_view bytes;
    switch (wire_type) {
      case kVarint:
        return ReadVarint(&ignored);
      case kFixed64:
        return ReadFixed64(&ignored);
      case kLengthDelimited:
        return ReadBytes(&bytes);
      case kFixed32:
        if (data_.size() - pos_ < 4) return Fail();
        pos_ += 4;
        return true;
      default:
        return Fail();
    }
  }

 private:
  bool Fail() {
    ok_ = false;
    return false;
  }
  std::string_view data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

bool DecodeLabel(std::string_view message, storage::Label* label) {
  WireReader reader(message);
  while (!reader.AtEnd()) {
    uint32_t field, wire;
    if (!reader.ReadTag(&field, &wire)) return false;
    std::string_view bytes;
    if ((field == 1 || field == 2) && wire == kLengthDelimited) {
      if (!reader.ReadBytes(&bytes)) return false;
      (field == 1 ? label->name : label->value) = std::string(bytes);
    } else if (!reader.Skip(wire)) {
      return false;
    }
  }
  return reader.ok();
}

bool DecodeSample(std::string_view message, storage::Sample* sample) {
  WireReader reader(message);
  *sample = {0, 0};
  while (!reader.AtEnd()) {
    uint32_t field, wire;
    if (!reader.ReadTag(&field, &wire)) return false;
    uint64_t raw = 0;
    if (field == 1 && wire == kFixed64) {
      if (!reader.ReadFixed64(&raw)) return false;
      std::memcpy(&sample->v, &raw, sizeof raw);  // bit-exact: keeps stale-marker NaNs
    } else if (field == 2 && wire == kVarint) {
      if (!reader.ReadVarint(&raw)) return false;
      sample->t = static_cast<int64_t>(raw);
    } else if (!reader.Skip(wire)) {
      return false;
    }
  }
  return reader.ok();
}

struct DecodedSeries {
  std::vector<storage::Label> labels;
  std::vector<storage::Sample> samples;
};

bool DecodeTimeSeries(std::string_view message, DecodedSeries* series) {
  WireReader reader(message);
  while (!reader.AtEnd()) {
    uint32_t field, wire;
    if (!reader.ReadTag(&field, &wire)) return false;
    std::string_view bytes;
    if (field == 1 && wire == kLengthDelimited) {
      storage::Label label;
      if (!reader.ReadBytes(&bytes) || !DecodeLabel(bytes, &label)) return false;
      series->labels.push_back(std::move(label));
    } else if (field == 2 && wire == kLengthDelimited) {
      storage::Sample sample;
      if (!reader.ReadBytes(&bytes) || !DecodeSample(bytes, &sample)) return false;
      series->samples.push_back(sample);
    } else if (!reader.Skip(wire)) {
      return false;
    }
  }
  return reader.ok();
}

std::string DescribeSeries(const std::vector<storage::Label>& labels) {
  std::string text;
  for (const auto& label : labels) text += label.name + "=\"" + label.value + "\" ";
  return text;
}

}  // namespace

bool DecodeRemoteWrite(std::string_view message, const DecodeLimits& limits, DecodeOutput* out) {
  WireReader reader(message);
  std::vector<DecodedSeries> all;
  while (!reader.AtEnd()) {
    uint32_t field, wire;
    if (!reader.ReadTag(&field, &wire)) break;
    std::string_view bytes;
    if (field == 1 && wire == kLengthDelimited) {
      DecodedSeries series;
      if (!reader.ReadBytes(&bytes) || !DecodeTimeSeries(bytes, &series)) {
        out->Reject(all.size() + 1, "invalid_protobuf",
                    "malformed TimeSeries #" + std::to_string(all.size() + 1), "");
        return false;
      }
      all.push_back(std::move(series));
    } else if (!reader.Skip(wire)) {
      break;
    }
  }
  if (!reader.ok()) {
    out->Reject(0, "invalid_protobuf", "not a valid remote-write WriteRequest", "");
    return false;
  }
  for (size_t i = 0; i < all.size(); ++i) {
    const std::string description = DescribeSeries(all[i].labels);
    storage::Labels labels(std::move(all[i].labels));
    if (labels.MetricName().empty()) {
      out->Reject(i + 1, "missing_metric_name", "series has no __name__ label", description);
      continue;
    }
    if (SeriesProblem problem = CheckSeries(labels, limits); !problem.ok()) {
      out->Reject(i + 1, problem.reason, problem.message, description);
      continue;
    }
    out->batch.Add(labels, all[i].samples);
  }
  return true;
}

}  // namespace tidemark::server::ingest
