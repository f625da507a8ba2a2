// Test helper: flattens a decoder's WriteBatch into "series -> [(t, v)...]" for comparisons.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "server/ingest/decode.h"

namespace tidemark::server::ingest {

using FlatSamples = std::map<std::string, std::vector<std::pair<int64_t, double>>>;

inline FlatSamples Flatten(const DecodeOutput& out) {
  FlatSamples flat;
  for (const auto& entry : out.batch.entries()) {
    for (const auto& sample : entry.samples) {
      std::string key = entry.labels.ToString();
      if (key.size() > 2 && key.substr(key.size() - 2) == "{}") key.resize(key.size() - 2);
      flat[key].emplace_back(sample.t, sample.v);
    }
  }
  return flat;
}

}  // namespace tidemark::server::ingest
