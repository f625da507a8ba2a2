#include "server/cli.h"

#include <boost/program_options.hpp>
#include <sstream>

#include "storage/base/log.h"

namespace tidemark::server {
namespace {

namespace po = boost::program_options;

po::options_description Describe() {
  po::options_description options("Options");
  options.add_options()(
      "config", po::value<std::string>()->value_name("FILE"),
      "configuration file (default: the built-in defaults, as in config/tidemark.yaml)")(
      "data-dir", po::value<std::string>()->value_name("DIR"), "override storage.data_dir")(
      "listen", po::value<std::string>()->value_name("HOST:PORT"), "override server.listen")(
      "log-level", po::value<std::string>()->value_name("LEVEL"),
      "override log_level: debug, info, warn or error")(
      "no-query-cache", "override query.result_cache.enabled to false")(
      "check-config", po::value<std::string>()->value_name("FILE"),
      "validate a configuration file and exit (0 when valid)")(
      "version", "print the version and exit")("help,h", "print this help and exit");
  return options;
}

void Assign(const po::variables_map& vm, const char* name, std::optional<std::string>* out) {
  if (vm.count(name)) *out = vm[name].as<std::string>();
}

}  // namespace

base::Result<CliOptions> ParseCommandLine(int argc, const char* const* argv) {
  po::variables_map vm;
  try {
    // parsed_options points into the description, so it must outlive `parsed`.
    const po::options_description description = Describe();
    const po::parsed_options parsed =
        po::command_line_parser(argc, argv).options(description).run();
    const auto stray = po::collect_unrecognized(parsed.options, po::include_positional);
    if (!stray.empty()) {
      return base::Status::InvalidArgument("unexpected argument '" + stray.front() +
                                           "' (see tidemark --help)");
    }
    po::store(parsed, vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return base::Status::InvalidArgument(std::string(e.what()) + " (see tidemark --help)");
  }
  CliOptions cli;
  Assign(vm, "config", &cli.config_path);
  Assign(vm, "data-dir", &cli.data_dir);
  Assign(vm, "listen", &cli.listen);
  Assign(vm, "log-level", &cli.log_level);
  Assign(vm, "check-config", &cli.check_config);
  cli.no_query_cache = vm.count("no-query-cache") > 0;
  cli.version = vm.count("version") > 0;
  cli.help = vm.count("help") > 0;
  return cli;
}

std::string CliUsage() {
  std::ostringstream out;
  out << "Usage: tidemark [--config FILE] [--data-dir DIR] [--listen HOST:PORT] [--log-level L]\n"
      << "       tidemark --check-config FILE\n\n"
      << Describe();
  return out.str();
}

base::Status ApplyOverrides(const CliOptions& cli, config::Config* config) {
  if (cli.data_dir) {
    if (cli.data_dir->empty()) return base::Status::InvalidArgument("--data-dir must not be empty");
    config->storage.data_dir = *cli.data_dir;
  }
  if (cli.listen) {
    auto address = config::ParseListenAddress(*cli.listen);
    if (!address.ok()) return address.status().WithContext("--listen");
    config->server.listen = *address;
  }
  if (cli.log_level) {
    base::LogLevel level;
    if (!base::ParseLogLevel(*cli.log_level, &level)) {
      return base::Status::InvalidArgument(
          "--log-level: expected debug, info, warn or error, got \"" + *cli.log_level + "\"");
    }
    config->log_level = *cli.log_level;
  }
  if (cli.no_query_cache) config->query.result_cache.enabled = false;
  return base::Status::Ok();
}

}  // namespace tidemark::server
