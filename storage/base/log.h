// Logging: one line per event on stderr, "2026-11-22T04:58:11.123Z info  message key=value".
//
// Thread-safe: each line is formatted first and written with one call under a mutex, so lines
// from different threads never interleave. The level is process-wide and may change at runtime.
#pragma once

#include <sstream>
#include <string>
#include <string_view>

namespace tidemark::base {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Parses "debug", "info", "warn" or "error"; false for anything else.
bool ParseLogLevel(std::string_view text, LogLevel* out);
std::string_view LogLevelName(LogLevel level);

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
bool LogEnabled(LogLevel level);

// Writes one complete line at `level` (a newline is appended).
void LogLine(LogLevel level, std::string_view message);

// Collects a message with operator<< and emits it as one line when destroyed.
class LogMessage {
 public:
  explicit LogMessage(LogLevel level) : level_(level) {}
  ~LogMessage() { LogLine(level_, stream_.str()); }
  LogMessage(const LogMessage&) = delete;
  LogMessage& operator=(const LogMessage&) = delete;
  std::ostream& stream() { return stream_; }

 private:
  LogLevel level_;
  std::ostringstream stream_;
};

}  // namespace tidemark::base

// Usage: TM_LOG(kInfo) << "listening on " << address;
// The stream expression is not evaluated when the level is disabled.
#define TM_LOG(level)                                                     \
  if (!::tidemark::base::LogEnabled(::tidemark::base::LogLevel::level)) { \
  } else                                                                  \
    ::tidemark::base::LogMessage(::tidemark::base::LogLevel::level).stream()
