#include "server/compression.h"

#include <snappy.h>
#include <zlib.h>

namespace tidemark::server {

base::Result<std::string> Gunzip(std::string_view compressed, uint64_t max_bytes) {
  z_stream stream{};
  // 15 + 32: accept both gzip and zlib headers.
  if (inflateInit2(&stream, 15 + 32) != Z_OK) return base::Status::Internal("inflateInit failed");
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  std::string out;
  char chunk[64 * 1024];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    stream.next_out = reinterpret_cast<Bytef*>(chunk);
    stream.avail_out = sizeof chunk;
    rc = inflate(&stream, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&stream);
      return base::Status::InvalidArgument("body is not valid gzip data");
    }
    out.append(chunk, sizeof chunk - stream.avail_out);
    if (out.size() > max_bytes) {
      inflateEnd(&stream);
      return base::Status::ResourceExhausted("decompressed body exceeds the limit of " +
                                             std::to_string(max_bytes) + " bytes");
    }
    if (rc == Z_OK && stream.avail_in == 0 && stream.avail_out != 0) {
      inflateEnd(&stream);
      return base::Status::InvalidArgument("gzip body is truncated");
    }
  }
  inflateEnd(&stream);
  return out;
}

base::Result<std::string> SnappyUncompress(std::string_view compressed, uint64_t max_bytes) {
  size_t length = 0;
  if (!snappy::GetUncompressedLength(compressed.data(), compressed.size(), &length)) {
    return base::Status::InvalidArgument("body is not valid snappy data");
  }
  if (length > max_bytes) {
    return base::Status::ResourceExhausted("decompressed body exceeds the limit of " +
                                           std::to_string(max_bytes) + " bytes");
  }
  std::string out;
  if (!snappy::Uncompress(compressed.data(), compressed.size(), &out)) {
    return base::Status::InvalidArgument("body is not valid snappy data");
  }
  return out;
}

std::string Gzip(std::string_view data) {
  z_stream stream{};
  deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&stream, data.size()) + 32, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

}  // namespace tidemark::server
