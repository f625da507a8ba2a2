// Command-line parsing for the tidemark binary and the overrides flags apply to the config file.
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>

#include "config/config.h"
#include "storage/base/status.h"

namespace tidemark::server {

struct CliOptions {
  std::optional<std::string> config_path;   // --config FILE (default: the embedded defaults)
  std::optional<std::string> data_dir;      // --data-dir DIR
  std::optional<std::string> listen;        // --listen HOST:PORT
  std::optional<std::string> log_level;     // --log-level LEVEL
  std::optional<std::string> check_config;  // --check-config FILE: validate and exit
  bool no_query_cache = false;              // --no-query-cache: query.result_cache.enabled=false
  bool version = false;
  bool help = false;
};

// Parses argv. Unknown flags, missing values and stray arguments are errors naming the flag.
base::Result<CliOptions> ParseCommandLine(int argc, const char* const* argv);
std::string CliUsage();

// Applies --data-dir, --listen and --log-level on top of a loaded config, validating each.
base::Status ApplyOverrides(const CliOptions& cli, config::Config* config);

}  // namespace tidemark::server
