// Payloads of the storage engine's WAL records: a series record (id + labels) and a samples
// record (groups of samples per series id). Format: storage/docs/wal.md. Pure functions;
// thread-safe.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "storage/base/status.h"
#include "storage/labels.h"
#include "storage/registry.h"
#include "storage/write_batch.h"

namespace tidemark::storage {

struct SeriesSamples {
  SeriesId id;
  std::span<const Sample> samples;
};

// Append framed records (ready for Wal::Write) to `out`.
void AppendSeriesRecord(std::string* out, SeriesId id, const Labels& labels);
void AppendSamplesRecord(std::string* out, std::span<const SeriesSamples> groups);

base::Status DecodeSeriesRecord(std::string_view payload, SeriesId* id, Labels* labels);
// Calls `fn` once per series group, in record order.
base::Status DecodeSamplesRecord(std::string_view payload,
                                 const std::function<void(SeriesId, std::span<const Sample>)>& fn);

}  // namespace tidemark::storage
