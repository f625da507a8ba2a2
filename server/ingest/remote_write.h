// Decoder for Prometheus remote write 1.0: a protobuf `WriteRequest` (after snappy
// decompression, which the HTTP layer does). Only the parts that carry float samples are read:
//
//   WriteRequest { repeated TimeSeries timeseries = 1; ... }
//   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; ... }
//   Label        { string name = 1; string value = 2; }
//   Sample       { double value = 1; int64 timestamp = 2; }   // timestamp in ms
//
// Unknown fields (metadata, exemplars, native histograms) are skipped by wire type. A malformed
// message is rejected as a whole (protobuf has no lines to recover at); a series with bad labels is
// rejected alone. Pure functions; thread-safe.
#pragma once

#include <string_view>

#include "server/ingest/decode.h"

namespace tidemark::server::ingest {

// Returns false (with one Rejected entry) when `message` is not a valid WriteRequest; series
// decoded before the fault are discarded so nothing half-read is stored.
bool DecodeRemoteWrite(std::string_view message, const DecodeLimits& limits, DecodeOutput* out);

}  // namespace tidemark::server::ingest
