// DeadLetters: every rejected line, record or payload, kept with its source, origin (endpoint or
// topic), arrival time, reason and raw bytes (truncated), so nothing is silently lost and an
// operator can see why.
//
// Bounded on disk: entries are appended as JSON lines to `dir/current.jsonl`; when that file
// passes half the byte budget it becomes `previous.jsonl` and the old previous file is deleted,
// its entries counted as dropped. The newest `max_entries` are also kept in memory for listing.
// At start the files are read back, so the list survives restarts. Thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "server/ingest/decode.h"
#include "storage/base/status.h"

namespace tidemark::server::ingest {

struct DeadLetter {
  int64_t time_ms = 0;
  std::string source;  // "http", "mqtt", "kafka"
  std::string origin;  // endpoint path or topic
  size_t position = 0;
  std::string reason;
  std::string message;
  std::string raw;
};

struct DeadLetterOptions {
  uint64_t max_bytes = 64ULL << 20;  // on-disk budget for both files together
  size_t max_entries = 10'000;       // kept in memory for listing
};

class DeadLetters {
 public:
  // Opens (creating) `dir` and loads what earlier runs kept.
  static base::Result<std::unique_ptr<DeadLetters>> Open(const std::string& dir,
                                                         DeadLetterOptions options);

  // Records every rejection of one payload. Disk errors are logged, never raised: dead letters
  // must not make ingestion fail.
  void Add(const std::string& source, const std::string& origin, int64_t time_ms,
           const std::vector<Rejected>& rejected);

  // Newest first; empty filters match everything.
  std::vector<DeadLetter> List(size_t limit, const std::string& source = "",
                               const std::string& reason = "") const;

  // Counts since start, by (source, reason); and entries dropped by rotation.
  std::map<std::pair<std::string, std::string>, uint64_t> Counts() const;
  uint64_t dropped() const;

 private:
  DeadLetters(std::string dir, DeadLetterOptions options);
  void LoadFile(const std::string& path);
  void RotateLocked();

  const std::string dir_;
  const DeadLetterOptions options_;
  mutable std::mutex mu_;
  std::ofstream current_;
  uint64_t current_bytes_ = 0;
  uint64_t current_entries_ = 0;
  uint64_t previous_entries_ = 0;
  uint64_t dropped_ = 0;
  std::deque<DeadLetter> recent_;
  std::map<std::pair<std::string, std::string>, uint64_t> counts_;
};

}  // namespace tidemark::server::ingest
