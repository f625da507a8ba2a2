// Sealed chunk codec: how samples are stored once they leave the head. Chooses per chunk the
// smallest of several value encodings (scaled-decimal integers with delta or delta-of-delta, or
// Gorilla XOR) and optionally entropy-codes the body (rANS, storage/rans_coder.h, or zstd). NaN
// payloads (including the Prometheus stale marker 0x7ff0000000000002), ±Inf and -0.0 round-trip
// bit-for-bit. Format: storage/docs/chunks.md ("Sealed chunk").
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "storage/base/status.h"
#include "storage/write_batch.h"

namespace tidemark::storage {

enum class ValueCodec : uint8_t { kXor = 0, kDecimalDelta = 1, kDecimalDeltaOfDelta = 2 };

struct SealOptions {
  // Entropy-code the body (zstd or rANS, whichever is smaller); off keeps chunks plain.
  bool compress = true;
  int zstd_level = 3;
  // Restrict the codec (for benchmarks and tests); -1 picks the smallest.
  int force_codec = -1;
};

// The most samples one chunk may hold (partitions cut chunks at 2^16). Decoders reject larger
// counts, so a corrupt count cannot size a huge allocation: an entropy-coded body can inflate
// far beyond its stored size.
inline constexpr size_t kMaxSealedChunkSamples = size_t{1} << 20;

// Encodes at most kMaxSealedChunkSamples samples with strictly increasing timestamps. An empty
// span encodes to a valid chunk.
std::string EncodeSealedChunk(std::span<const Sample> samples, const SealOptions& options = {});

// Decodes a chunk and appends its samples to `out`. Corruption on malformed input.
base::Status DecodeSealedChunk(std::string_view data, std::vector<Sample>* out);
// As DecodeSealedChunk, appending only the samples with mint <= t <= maxt: a query over part of
// a long chunk converts and copies just that part (the delta-coded streams are still read from
// the start).
base::Status DecodeSealedChunkRange(std::string_view data, int64_t mint, int64_t maxt,
                                    std::vector<Sample>* out);

// Number of samples in a chunk, read from its header only; Corruption if unreadable.
base::Result<size_t> SealedChunkSamples(std::string_view data);

// Codec a chunk was written with (for stats and tests); Corruption if unreadable.
base::Result<ValueCodec> SealedChunkCodec(std::string_view data);

// Smallest decimal scale s (0..kMaxDecimalScale) with (double)llround(v*10^s) / 10^s == v
// bit-for-bit, or -1 when none (NaN, Inf, -0.0, too many digits, too large).
inline constexpr int kMaxDecimalScale = 12;
int DecimalScaleOf(double v);

}  // namespace tidemark::storage
