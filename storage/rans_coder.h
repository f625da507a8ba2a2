// Order-0 rANS byte coder: entropy-codes a byte string with a static per-stream frequency table,
// so that each byte costs close to -log2 of its frequency in the stream. Used for the varint
// streams of sealed chunks, whose bytes are small deltas with skewed, data-dependent
// distributions (a 0.1-resolution temperature: ~1.4 bits per sample). Rollup blocks, whose
// columns hold a few hundred values, use storage/token_coder.h, whose tables are smaller.
//
// Why not zstd alone: zstd's literals use Huffman (at least one bit per byte, so a motion sensor's
// run of zero deltas is left to LZ matches), and every frame carries its own headers and tables,
// which dominate a two-hour chunk of a few hundred bytes. The table here is a few bits per distinct
// byte value, and the encoder picks the table's precision that makes the stream smallest.
//
// Stream format: storage/docs/chunks.md ("rANS streams"). Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tidemark::storage {

// Appends the coded form of `bytes` to `out`. The stream is self-delimiting: a decoder finds its
// end without a length prefix.
void RansEncode(std::string_view bytes, std::string* out);

// The size RansEncode(bytes) would append, to within about two bytes, without coding: for
// choosing between encodings of the same data before coding one of them.
size_t RansEncodedSizeEstimate(std::string_view bytes);

// Decodes one stream from the front of `*in`, appends its bytes to `out` and advances `*in` past
// it. False when the stream is malformed or truncated (then `out` and `*in` are unspecified).
// At most `max_bytes` are decoded: a corrupt length must not allocate.
bool RansDecode(std::string_view* in, std::string* out, size_t max_bytes);

}  // namespace tidemark::storage
