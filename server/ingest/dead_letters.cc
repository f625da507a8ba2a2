#include "server/ingest/dead_letters.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "storage/base/log.h"

namespace tidemark::server::ingest {
namespace {

using nlohmann::json;

std::string ToJsonLine(const DeadLetter& d) {
  const json line = {
      {"time", d.time_ms},  {"source", d.source},   {"origin", d.origin}, {"position", d.position},
      {"reason", d.reason}, {"message", d.message}, {"raw", d.raw}};
  // Raw bytes may be any binary: invalid UTF-8 is replaced rather than failing the dump.
  return line.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

bool FromJsonLine(const std::string& text, DeadLetter* d) {
  const json line = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!line.is_object()) return false;
  d->time_ms = line.value("time", int64_t{0});
  d->source = line.value("source", "");
  d->origin = line.value("origin", "");
  d->position = line.value("position", size_t{0});
  d->reason = line.value("reason", "");
  d->message = line.value("message", "");
  d->raw = line.value("raw", "");
  return true;
}

}  // namespace

DeadLetters::DeadLetters(std::string dir, DeadLetterOptions options)
    : dir_(std::move(dir)), options_(options) {}

base::Result<std::unique_ptr<DeadLetters>> DeadLetters::Open(const std::string& dir,
                                                             DeadLetterOptions options) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return base::Status::IoError("dead letters in " + dir + ": " + ec.message());
  std::unique_ptr<DeadLetters> letters(new DeadLetters(dir, options));
  letters->LoadFile(dir + "/previous.jsonl");
  letters->previous_entries_ = letters->recent_.size();
  letters->LoadFile(dir + "/current.jsonl");
  letters->current_entries_ = letters->recent_.size() - letters->previous_entries_;
  letters->current_bytes_ = std::filesystem::file_size(dir + "/current.jsonl", ec);
  if (ec) letters->current_bytes_ = 0;
  letters->current_.open(dir + "/current.jsonl", std::ios::app | std::ios::binary);
  if (!letters->current_) return base::Status::IoError("cannot write " + dir + "/current.jsonl");
  return letters;
}

void DeadLetters::LoadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  for (std::string text; std::getline(in, text);) {
    DeadLetter letter;
    if (!FromJsonLine(text, &letter)) continue;  // a torn last line after a crash
    recent_.push_back(std::move(letter));
    if (recent_.size() > options_.max_entries) recent_.pop_front();
  }
}

void DeadLetters::RotateLocked() {
  current_.close();
  std::error_code ec;
  std::filesystem::rename(dir_ + "/current.jsonl", dir_ + "/previous.jsonl", ec);
  if (ec) {
    TM_LOG(kWarn) << "dead letters: rotating " << dir_ << ": " << ec.message();
  }
  dropped_ += previous_entries_;
  previous_entries_ = current_entries_;
  current_entries_ = 0;
  current_bytes_ = 0;
  current_.open(dir_ + "/current.jsonl", std::ios::trunc | std::ios::binary);
}

void DeadLetters::Add(const std::string& source, const std::string& origin, int64_t time_ms,
                      const std::vector<Rejected>& rejected) {
  if (rejected.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  for (const Rejected& r : rejected) {
    DeadLetter letter{time_ms, source, origin, r.position, r.reason, r.message, r.raw};
    const std::string line = ToJsonLine(letter);
    if (current_bytes_ + line.size() > options_.max_bytes / 2) RotateLocked();
    current_ << line;
    current_bytes_ += line.size();
    ++current_entries_;
    ++counts_[{source, r.reason}];
    recent_.push_back(std::move(letter));
    if (recent_.size() > options_.max_entries) recent_.pop_front();
  }
  current_.flush();
  if (!current_) {
    TM_LOG(kWarn) << "dead letters: cannot write to " << dir_;
  }
}

std::vector<DeadLetter> DeadLetters::List(size_t limit, const std::string& source,
                                          const std::string& reason) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<DeadLetter> out;
  for (auto it = recent_.rbegin(); it != recent_.rend() && out.size() < limit; ++it) {
    if (!source.empty() && it->source != source) continue;
    if (!reason.empty() && it->reason != reason) continue;
    out.push_back(*it);
  }
  return out;
}

std::map<std::pair<std::string, std::string>, uint64_t> DeadLetters::Counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

uint64_t DeadLetters::dropped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dropped_;
}

}  // namespace tidemark::server::ingest
