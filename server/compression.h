// Bounded decompression of request bodies: gzip/zlib (Content-Encoding: gzip, deflate) and
// snappy block format (Prometheus remote write). Every function refuses output larger than
// `max_bytes`, so a small compressed body cannot expand without limit. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "storage/base/status.h"

namespace tidemark::server {

// InvalidArgument for corrupt input, ResourceExhausted when the output would exceed max_bytes.
base::Result<std::string> Gunzip(std::string_view compressed, uint64_t max_bytes);
base::Result<std::string> SnappyUncompress(std::string_view compressed, uint64_t max_bytes);

// For tests and clients: gzip-compresses `data`.
std::string Gzip(std::string_view data);

}  // namespace tidemark::server
