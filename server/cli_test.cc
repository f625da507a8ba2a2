#include "server/cli.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "server/data_dir.h"

namespace tidemark::server {
namespace {

base::Result<CliOptions> Parse(std::vector<const char*> args) {
  args.insert(args.begin(), "tidemark");
  return ParseCommandLine(static_cast<int>(args.size()), args.data());
}

TEST(CliTest, ParsesEveryFlag) {
  auto cli =
      Parse({"--config", "a.yaml", "--data-dir=/d", "--listen", ":1234", "--log-level", "debug"});
  ASSERT_TRUE(cli.ok()) << cli.status().ToString();
  EXPECT_EQ(*cli->config_path, "a.yaml");
  EXPECT_EQ(*cli->data_dir, "/d");
  EXPECT_EQ(*cli->listen, ":1234");
  EXPECT_EQ(*cli->log_level, "debug");
  EXPECT_FALSE(cli->version);
  EXPECT_TRUE(Parse({"--version"})->version);
  EXPECT_EQ(*Parse({"--check-config", "x.yaml"})->check_config, "x.yaml");
}

TEST(CliTest, RejectsUnknownAndIncompleteFlags) {
  auto unknown = Parse({"--lissten", ":1"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("lissten"), std::string::npos);
  EXPECT_FALSE(Parse({"--config"}).ok());
  EXPECT_FALSE(Parse({"stray"}).ok());
}

TEST(CliTest, FlagsOverrideTheFile) {
  auto loaded = config::LoadString(
      "server:\n  listen: \"0.0.0.0:1\"\nstorage:\n  data_dir: /file\n", "f.yaml");
  ASSERT_TRUE(loaded.ok());
  config::Config config = *loaded;
  auto cli = Parse({"--listen", "127.0.0.1:9999", "--data-dir", "/flag", "--log-level", "warn"});
  ASSERT_TRUE(cli.ok());
  ASSERT_TRUE(ApplyOverrides(*cli, &config).ok());
  EXPECT_EQ(config.server.listen.ToString(), "127.0.0.1:9999");
  EXPECT_EQ(config.storage.data_dir, "/flag");
  EXPECT_EQ(config.log_level, "warn");
}

TEST(CliTest, AbsentFlagsLeaveTheFileAlone) {
  config::Config config;
  config.storage.data_dir = "/file";
  ASSERT_TRUE(ApplyOverrides(*Parse({}), &config).ok());
  EXPECT_EQ(config.storage.data_dir, "/file");
  EXPECT_TRUE(config.query.result_cache.enabled);
}

TEST(CliTest, NoQueryCacheTurnsTheFileSettingOff) {
  auto loaded = config::LoadString("query:\n  result_cache:\n    max_size: 1MiB\n", "f.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  config::Config config = *loaded;
  EXPECT_TRUE(config.query.result_cache.enabled);
  EXPECT_EQ(config.query.result_cache.max_bytes, 1u << 20);
  ASSERT_TRUE(ApplyOverrides(*Parse({"--no-query-cache"}), &config).ok());
  EXPECT_FALSE(config.query.result_cache.enabled);
}

TEST(CliTest, BadOverrideValuesAreErrors) {
  config::Config config;
  auto bad_listen = ApplyOverrides(*Parse({"--listen", "nowhere"}), &config);
  ASSERT_FALSE(bad_listen.ok());
  EXPECT_EQ(bad_listen.message(),
            "--listen: invalid listen address \"nowhere\": expected host:port");
  EXPECT_FALSE(ApplyOverrides(*Parse({"--log-level", "chatty"}), &config).ok());
}

TEST(DataDirLockTest, CreatesLocksAndRefusesSecondHolder) {
  const std::string dir =
      (std::filesystem::temp_directory_path() / "tidemark_lock_test" / "nested").string();
  std::filesystem::remove_all(std::filesystem::path(dir).parent_path());
  {
    auto first = DataDirLock::Acquire(dir);
    ASSERT_TRUE(first.ok()) << first.status().ToString();
    EXPECT_TRUE(std::filesystem::is_directory(dir));
    auto second = DataDirLock::Acquire(dir);
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.status().message(),
              "data directory " + dir + ": in use by another running tidemark");
  }
  EXPECT_TRUE(DataDirLock::Acquire(dir).ok()) << "lock must be released on destruction";
  std::filesystem::remove_all(std::filesystem::path(dir).parent_path());
}

TEST(DataDirLockTest, FileInTheWayIsAClearError) {
  const std::string file = (std::filesystem::temp_directory_path() / "tidemark_not_a_dir").string();
  std::ofstream(file) << "x";
  auto lock = DataDirLock::Acquire(file);
  ASSERT_FALSE(lock.ok());
  EXPECT_EQ(lock.status().message(), "data directory " + file + ": exists but is not a directory");
  auto nested = DataDirLock::Acquire(file + "/sub");
  ASSERT_FALSE(nested.ok());
  EXPECT_NE(nested.status().message().find("cannot create it"), std::string::npos);
  std::filesystem::remove(file);
}

}  // namespace
}  // namespace tidemark::server
