// Token coder: entropy-codes a column of unsigned integers whose distribution is skewed but
// wide, such as the prediction residuals of rollup columns. Each value becomes a token (values
// below 16 are their own token; larger ones are named by their bit width and the bit below the
// leading one) plus the raw bits below those two; the tokens are rANS-coded under a table of 4
// bits per token, and the raw bits follow.
//
// Why not RansEncode on the varint bytes: its table (gamma-coded frequencies, a few bytes per
// distinct byte) and its four bytes of final state cost as much as the coding saves on a column
// of a few hundred values spread over dozens of byte values. Here a column of 200 residuals
// between 0 and 50 has a table of about 10 bytes, and its values cost within a few percent of
// their entropy.
//
// Format: storage/docs/rollups.md ("Token columns"). Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tidemark::storage {

// Appends the token column of `v` (at least one value) to `out`.
void PutTokenColumn(const std::vector<uint64_t>& v, std::string* out);

// The size PutTokenColumn would append for `v`, within about a byte (the rANS coder's rounding),
// at a fraction of the cost of encoding.
uint64_t EstimateTokenColumn(const std::vector<uint64_t>& v);

// Decodes a column of `n` values from the front of `*in` into `out` and advances `*in` past it.
// False when the column is malformed or truncated.
bool GetTokenColumn(std::string_view* in, size_t n, uint64_t* out);

}  // namespace tidemark::storage
