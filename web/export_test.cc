#include <gtest/gtest.h>

#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "storage/base/clock.h"
#include "storage/storage.h"
#include "tests/support/temp_storage.h"
#include "web/api_params.h"
#include "web/export_api.h"

namespace tidemark::web {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

class ExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(store_.status().ok()) << store_.status().ToString();
    storage::WriteBatch batch;
    const storage::Labels temp{{"__name__", "temp"}, {"room", "a"}};
    batch.Add(temp, kNow - 2000, 21.1);
    batch.Add(temp, kNow - 1000, std::numeric_limits<double>::quiet_NaN());
    batch.Add(temp, kNow, 0.30000000000000004);
    batch.Add(storage::Labels{{"__name__", "temp"}, {"room", "b"}}, kNow,
              -std::numeric_limits<double>::infinity());
    batch.Add(storage::Labels{{"__name__", "hum"}, {"room", "a"}}, kNow, 40);
    ASSERT_TRUE(store_->Append(batch).ok());
    RegisterExportRoutes(
        router_, [this](int64_t mint, int64_t maxt) { return store_->NewQuerier(mint, maxt); });
  }
  void TearDown() override { ASSERT_TRUE(store_->Close().ok()); }

  // The whole body of a response, pulling a streamed one to its end.
  static std::string Body(const Response& response) {
    if (!response.stream) return response.body;
    std::string body;
    StreamStep step;
    do {
      step = response.stream(&body);
    } while (step == StreamStep::kMore);
    EXPECT_EQ(step, StreamStep::kDone);
    return body;
  }

  std::vector<nlohmann::json> Lines(const Response& response) {
    std::vector<nlohmann::json> lines;
    std::istringstream in(Body(response));
    for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
    return lines;
  }

  tidemark::testing::TempStorage store_{kNow};
  Router router_;
};

TEST_F(ExportTest, ExportsSeriesAsJsonLines) {
  Response response = router_.Dispatch(Request::Make(Method::kGet, "/api/v1/export?match[]=temp"));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.Header("Content-Type"), "application/stream+json");
  EXPECT_TRUE(static_cast<bool>(response.stream)) << "exports must stream";
  auto lines = Lines(response);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["metric"], (nlohmann::json{{"__name__", "temp"}, {"room", "a"}}));
  EXPECT_EQ(lines[0]["timestamps"], (nlohmann::json{kNow - 2000, kNow - 1000, kNow}));
  EXPECT_EQ(lines[0]["values"][0], 21.1);
  EXPECT_EQ(lines[0]["values"][1], "NaN");
  EXPECT_EQ(lines[0]["values"][2].get<double>(), 0.30000000000000004);
  EXPECT_EQ(lines[1]["values"][0], "-Inf");
}

TEST_F(ExportTest, SeveralSelectorsTimeRangeAndPostForm) {
  Request request =
      Request::Make(Method::kPost, "/api/v1/export",
                    "match[]=" + std::string("%7Broom%3D%22a%22%7D") +
                        "&match[]=hum&start=" + std::to_string((kNow - 1500) / 1000.0) +
                        "&end=" + std::to_string(kNow / 1000));
  request.headers = {{"content-type", "application/x-www-form-urlencoded"}};
  auto lines = Lines(router_.Dispatch(request));
  ASSERT_EQ(lines.size(), 2u) << "hum{room=a} must not be exported twice";
  EXPECT_EQ(lines[0]["metric"]["__name__"], "hum");
  EXPECT_EQ(lines[1]["timestamps"], (nlohmann::json{kNow - 1000, kNow}));
}

TEST_F(ExportTest, LargeExportsComeInManyChunks) {
  storage::WriteBatch batch;
  for (int s = 0; s < 300; ++s) {
    const storage::Labels labels{{"__name__", "bulk"}, {"i", std::to_string(s)}};
    for (int i = 0; i < 100; ++i) batch.Add(labels, kNow - 100'000 + i * 1000, s + i / 10.0);
  }
  ASSERT_TRUE(store_->Append(batch).ok());
  Response response = router_.Dispatch(Request::Make(Method::kGet, "/api/v1/export?match[]=bulk"));
  ASSERT_TRUE(static_cast<bool>(response.stream));
  int chunks = 0;
  size_t total = 0;
  StreamStep step;
  do {
    std::string chunk;
    step = response.stream(&chunk);
    EXPECT_LT(chunk.size(), 96u << 10) << "a chunk must stay near 64 KiB";
    total += chunk.size();
    ++chunks;
  } while (step == StreamStep::kMore);
  EXPECT_EQ(step, StreamStep::kDone);
  EXPECT_GT(chunks, 3);
  EXPECT_GT(total, 300u * 100 * 8);
}

TEST_F(ExportTest, BadParametersArePrometheusErrors) {
  auto error_of = [&](const std::string& target) {
    Response response = router_.Dispatch(Request::Make(Method::kGet, target));
    EXPECT_EQ(response.status, 400) << target;
    return nlohmann::json::parse(response.body)["error"].get<std::string>();
  };
  EXPECT_EQ(error_of("/api/v1/export"), "no match[] parameter provided");
  EXPECT_EQ(error_of("/api/v1/export?match[]=rate(x%5B5m%5D)")
                .rfind("invalid parameter \"match[]\": ", 0),
            0u);
  EXPECT_EQ(error_of("/api/v1/export?match[]=%7Broom%3D%22%22%7D"),
            "match[] must contain at least one non-empty matcher");
  EXPECT_EQ(error_of("/api/v1/export?match[]=temp&start=yesterday"),
            "invalid parameter \"start\": cannot parse \"yesterday\" to a valid timestamp");
}

TEST(ApiParamsTest, ParsesTimes) {
  EXPECT_EQ(*ParseTime("1700000000"), 1700000000000);
  EXPECT_EQ(*ParseTime("1700000000.1234"), 1700000000123);
  EXPECT_EQ(*ParseTime("2023-11-14T22:13:20Z"), 1700000000000);
  EXPECT_FALSE(ParseTime("").ok());
  EXPECT_FALSE(ParseTime("soon").ok());
}

}  // namespace
}  // namespace tidemark::web
