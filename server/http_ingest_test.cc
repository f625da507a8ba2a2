#include "server/http_ingest.h"

#include <gtest/gtest.h>
#include <snappy.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "remote_write_test.pb.h"
#include "server/compression.h"
#include "server/series_cache.h"
#include "storage/base/clock.h"
#include "tests/support/temp_storage.h"

namespace tidemark::server {
namespace {

using web::Method;
using web::Request;
using web::Response;

constexpr int64_t kNow = 1'700'000'000'000;

class HttpIngestTest : public ::testing::Test {
 protected:
  static storage::StorageOptions OneDayRetention() {
    storage::StorageOptions options;
    options.retention_ms = 86'400'000;
    return options;
  }

  void SetUp() override {
    ASSERT_TRUE(store_.status().ok()) << store_.status().ToString();
    auto letters = ingest::DeadLetters::Open((store_.root() / "deadletters").string(), {});
    ASSERT_TRUE(letters.ok());
    dead_letters_ = std::move(letters).value();
    HttpIngestDeps deps;
    deps.dead_letters = dead_letters_.get();
    deps.storage = store_.get();
    deps.clock = &store_.clock();
    deps.max_decompressed_bytes = 1 << 20;
    RegisterHttpIngestRoutes(router_, deps);
  }
  void TearDown() override { ASSERT_TRUE(store_->Close().ok()); }

  Response Post(const std::string& target, std::string body,
                std::vector<std::pair<std::string, std::string>> headers = {}) {
    Request request = Request::Make(Method::kPost, target, std::move(body));
    request.headers = std::move(headers);
    return router_.Dispatch(request);
  }

  // Every stored sample, as "series" -> [(t, v)].
  std::map<std::string, std::vector<std::pair<int64_t, double>>> Stored() {
    std::map<std::string, std::vector<std::pair<int64_t, double>>> out;
    auto querier = store_->NewQuerier(0, kNow + 86'400'000);
    auto set = querier->Select({storage::Matcher::Regex("__name__", ".+")});
    while (set->Next()) {
      auto it = set->Samples();
      while (it->Next()) out[set->labels().ToString()].emplace_back(it->At().t, it->At().v);
    }
    return out;
  }

  tidemark::testing::TempStorage store_{kNow, OneDayRetention()};
  std::unique_ptr<ingest::DeadLetters> dead_letters_;
  web::Router router_;
};

TEST_F(HttpIngestTest, InfluxV1WriteStoresAndAnswers204) {
  Response response = Post("/write?db=telegraf&precision=s",
                           "cpu,host=a usage_idle=99.5,usage_user=0.5 1700000000\n"
                           "cpu,host=b usage_idle=98 1700000010\n");
  EXPECT_EQ(response.status, 204) << response.body;
  auto stored = Stored();
  ASSERT_EQ(stored.size(), 3u);
  EXPECT_EQ(stored.at("cpu_usage_idle{host=\"a\"}")[0],
            (std::pair<int64_t, double>{1700000000000, 99.5}));
  EXPECT_EQ(stored.at("cpu_usage_idle{host=\"b\"}")[0].first, 1700000010000);
}

TEST_F(HttpIngestTest, PartialWriteStoresGoodLinesAndNamesBadOnes) {
  Response response = Post("/write?db=x&precision=ms",
                           "m v=1 1700000000000\nbroken line\nm v=2 1700000001000\nm v=x 1\n");
  ASSERT_EQ(response.status, 400);
  const auto body = nlohmann::json::parse(response.body);
  const std::string error = body["error"];
  EXPECT_EQ(error.rfind("partial write: unable to parse 'broken line': ", 0), 0u) << error;
  EXPECT_NE(error.find("(line 2)"), std::string::npos);
  EXPECT_NE(error.find("unable to parse 'm v=x 1'"), std::string::npos);
  EXPECT_NE(error.find("dropped=2"), std::string::npos);
  EXPECT_EQ(Stored().at("m_v{}").size(), 2u);

  auto letters = dead_letters_->List(10);
  ASSERT_EQ(letters.size(), 2u);
  EXPECT_EQ(letters[1].raw, "broken line");
  EXPECT_EQ(letters[1].origin, "/write");
  EXPECT_EQ(letters[1].source, "http");
  EXPECT_EQ(letters[0].reason, "invalid_field_value");
  Response listed = router_.Dispatch(Request::Make(Method::kGet, "/api/v1/deadletters?limit=1"));
  ASSERT_EQ(listed.status, 200);
  const auto listing = nlohmann::json::parse(listed.body);
  ASSERT_EQ(listing["data"].size(), 1u);
  EXPECT_EQ(listing["data"][0]["raw"], "m v=x 1");
  EXPECT_EQ(listing["data"][0]["position"], 4);
  EXPECT_EQ(router_.Dispatch(Request::Make(Method::kGet, "/api/v1/deadletters?limit=lots")).status,
            400);
}

TEST_F(HttpIngestTest, AFloodOfBadLinesCostsBoundedMemory) {
  std::string body = "good v=1 1700000000000\n";
  for (int i = 0; i < 50'000; ++i) body += "bad\n";
  Response response = Post("/write?precision=ms", body);
  ASSERT_EQ(response.status, 400);
  const std::string error = nlohmann::json::parse(response.body)["error"];
  EXPECT_NE(error.find("and 49997 more bad lines dropped=50000"), std::string::npos) << error;
  EXPECT_LE(response.Header("X-Influxdb-Error").size(), 256u);
  auto letters = dead_letters_->List(1000);
  EXPECT_EQ(letters.size(), ingest::kMaxRejectedKept + 1);
  EXPECT_EQ(letters.front().reason, "more_rejected");
  EXPECT_EQ(Stored().at("good_v{}").size(), 1u);
}

TEST_F(HttpIngestTest, ErrorHeaderIsShortAndCannotInjectHeaders) {
  const std::string key(30'000, 'k');
  Response response = Post("/write", "m," + key + " v=1\nm," + key + " v=1\n");
  ASSERT_EQ(response.status, 400);
  EXPECT_LE(response.Header("X-Influxdb-Error").size(), 256u);
  EXPECT_LT(response.body.size(), 2000u) << "quoted keys must be cut";
  Response injected = Post("/write?precision=%0D%0ASet-Cookie:%20a=1", "m v=1");
  ASSERT_EQ(injected.status, 400);
  EXPECT_EQ(injected.Header("X-Influxdb-Error").find_first_of("\r\n"), std::string::npos);
}

TEST_F(HttpIngestTest, SamplesOutsideRetentionAreReportedAsDropped) {
  Response response = Post("/write?precision=ms", "m v=1 1700000000000\nm v=2 1000\n");
  ASSERT_EQ(response.status, 400);
  const std::string error = nlohmann::json::parse(response.body)["error"];
  EXPECT_NE(error.find("1 points outside the retention or future window dropped=1"),
            std::string::npos)
      << error;
  EXPECT_EQ(Stored().at("m_v{}").size(), 1u);
  ASSERT_EQ(dead_letters_->List(10).size(), 1u);
  EXPECT_EQ(dead_letters_->List(10)[0].reason, "outside_time_window");
}

TEST_F(HttpIngestTest, GzipBodies) {
  Response ok = Post("/api/v2/write?bucket=b&org=o&precision=s", Gzip("m v=7 1700000000\n"),
                     {{"content-encoding", "gzip"}});
  EXPECT_EQ(ok.status, 204) << ok.body;
  EXPECT_EQ(Stored().at("m_v{}")[0].second, 7);

  Response corrupt = Post("/write", "not gzip at all", {{"content-encoding", "gzip"}});
  EXPECT_EQ(corrupt.status, 400);
  Response bomb = Post("/write", Gzip(std::string(4 << 20, 'a')), {{"content-encoding", "gzip"}});
  EXPECT_EQ(bomb.status, 413);
  EXPECT_NE(bomb.body.find("decompressed body exceeds the limit"), std::string::npos);
  Response brotli = Post("/write", "x", {{"content-encoding", "br"}});
  EXPECT_EQ(brotli.status, 415);
}

TEST_F(HttpIngestTest, InfluxV2ErrorsAndPrecision) {
  Response no_bucket = Post("/api/v2/write?org=o", "m v=1");
  ASSERT_EQ(no_bucket.status, 400);
  const auto body = nlohmann::json::parse(no_bucket.body);
  EXPECT_EQ(body["code"], "invalid");
  EXPECT_EQ(body["message"], "missing bucket parameter");
  EXPECT_EQ(Post("/write?precision=fortnight", "m v=1").status, 400);
  Response us = Post("/api/v2/write?bucket=b&precision=us", "m v=3 1700000000000000");
  EXPECT_EQ(us.status, 204);
  EXPECT_EQ(Stored().at("m_v{}")[0].first, 1700000000000);
}

TEST_F(HttpIngestTest, LineWithoutTimestampGetsArrivalTime) {
  EXPECT_EQ(Post("/write", "m v=1\n").status, 204);
  EXPECT_EQ(Stored().at("m_v{}")[0].first, kNow);
}

TEST_F(HttpIngestTest, PrometheusImport) {
  Response response = Post("/api/v1/import/prometheus",
                           "# TYPE up gauge\nup{job=\"a\"} 1 1700000000000\nup{job=\"b\"} 0\n");
  EXPECT_EQ(response.status, 204) << response.body;
  auto stored = Stored();
  EXPECT_EQ(stored.at("up{job=\"a\"}")[0].second, 1);
  EXPECT_EQ(stored.at("up{job=\"b\"}")[0].first, kNow);

  Response partial = Post("/api/v1/import/prometheus", "up{job=\"c\"} 1\nup{job= 2\n");
  ASSERT_EQ(partial.status, 400);
  const auto body = nlohmann::json::parse(partial.body);
  EXPECT_EQ(body["status"], "error");
  EXPECT_EQ(body["errorType"], "bad_data");
  EXPECT_EQ(Stored().count("up{job=\"c\"}"), 1u);
}

TEST_F(HttpIngestTest, SeriesCacheStoresExactlyWhatTheSlowPathStores) {
  SeriesCache cache(store_.get());
  web::Router cached_router;
  HttpIngestDeps deps;
  deps.storage = store_.get();
  deps.clock = &store_.clock();
  deps.series_cache = &cache;
  RegisterHttpIngestRoutes(cached_router, deps);
  auto post = [&](const std::string& body) {
    return cached_router.Dispatch(Request::Make(Method::kPost, "/write?precision=s", body)).status;
  };
  EXPECT_EQ(post("env,site=a t=1,h=50 1700000000\nenv,site=b t=2 1700000000\n"), 204);
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(post("env,site=a t=1.5,h=51 1700000010\nenv,site=a t=9 1700000000\n"), 204);
  EXPECT_EQ(post("env,site=c t=3 1700000010\n"), 204);
  EXPECT_EQ(cache.size(), 4u);
  auto stored = Stored();
  EXPECT_EQ(stored.at("env_t{site=\"a\"}"),
            (std::vector<std::pair<int64_t, double>>{{1700000000000, 9}, {1700000010000, 1.5}}))
      << "a rewrite of a known series at the same time must win, as on the slow path";
  EXPECT_EQ(stored.at("env_h{site=\"a\"}").size(), 2u);
  EXPECT_EQ(stored.at("env_t{site=\"c\"}")[0].second, 3);
  // Fields in another order than first seen still find their own series.
  EXPECT_EQ(post("env,site=a h=52,t=7 1700000020\n"), 204);
  EXPECT_EQ(cache.size(), 4u);
  stored = Stored();
  EXPECT_EQ(stored.at("env_t{site=\"a\"}").back(), (std::pair<int64_t, double>{1700000020000, 7}));
  EXPECT_EQ(stored.at("env_h{site=\"a\"}").back(), (std::pair<int64_t, double>{1700000020000, 52}));
}

TEST_F(HttpIngestTest, SeriesLimitIsAPartialWriteWithDeadLetter) {
  storage::StorageOptions options;
  options.max_series = 1;
  tidemark::testing::TempStorage limited(kNow, options);
  ASSERT_TRUE(limited.status().ok());
  SeriesCache cache(limited.get());
  web::Router router;
  HttpIngestDeps deps;
  deps.storage = limited.get();
  deps.clock = &limited.clock();
  deps.series_cache = &cache;
  deps.dead_letters = dead_letters_.get();
  RegisterHttpIngestRoutes(router, deps);
  auto post = [&](const std::string& body) {
    return router.Dispatch(Request::Make(Method::kPost, "/write?precision=s", body));
  };
  EXPECT_EQ(post("m,id=1 v=1 1700000000\n").status, 204);
  Response over = post("m,id=1 v=2 1700000010\nm,id=2 v=3 1700000010\n");
  ASSERT_EQ(over.status, 400);
  const std::string error = nlohmann::json::parse(over.body)["error"];
  EXPECT_NE(error.find("1 points of new series beyond the series limit dropped=1"),
            std::string::npos)
      << error;
  EXPECT_EQ(dead_letters_->List(1)[0].reason, "series_limit");
  EXPECT_EQ(limited->Stats().samples_appended, 2u);
  ASSERT_TRUE(limited->Close().ok());
}

TEST_F(HttpIngestTest, PingAnswers204) {
  Response response = router_.Dispatch(Request::Make(Method::kGet, "/ping"));
  EXPECT_EQ(response.status, 204);
  EXPECT_FALSE(response.Header("X-Influxdb-Version").empty());
}

TEST_F(HttpIngestTest, RemoteWriteWithSnappyProtobuf) {
  testproto::WriteRequest request;
  auto* series = request.add_timeseries();
  auto* name = series->add_labels();
  name->set_name("__name__");
  name->set_value("node_load1");
  auto* instance = series->add_labels();
  instance->set_name("instance");
  instance->set_value("h1:9100");
  for (int i = 0; i < 4; ++i) {
    auto* sample = series->add_samples();
    sample->set_timestamp(kNow - 60'000 + i * 15'000);
    sample->set_value(0.25 * i);
  }
  std::string compressed;
  snappy::Compress(request.SerializeAsString().data(), request.ByteSizeLong(), &compressed);
  Response response = Post("/api/v1/write", compressed,
                           {{"content-encoding", "snappy"},
                            {"content-type", "application/x-protobuf"},
                            {"x-prometheus-remote-write-version", "0.1.0"}});
  EXPECT_EQ(response.status, 204) << response.body;
  const auto samples = Stored().at("node_load1{instance=\"h1:9100\"}");
  ASSERT_EQ(samples.size(), 4u);
  EXPECT_EQ(samples[3], (std::pair<int64_t, double>{kNow - 15'000, 0.75}));

  Response not_snappy = Post("/api/v1/write", "plain text", {{"content-encoding", "snappy"}});
  EXPECT_EQ(not_snappy.status, 400);
  std::string truncated;
  const std::string full = request.SerializeAsString();
  snappy::Compress(full.data(), full.size() / 2, &truncated);
  Response bad_proto = Post("/api/v1/write", truncated);
  EXPECT_EQ(bad_proto.status, 400);
  EXPECT_NE(bad_proto.body.find("invalid remote-write body: malformed TimeSeries #1"),
            std::string::npos)
      << bad_proto.body;
}

TEST(CompressionTest, RoundTripsAndBounds) {
  const std::string text(100000, 'z');
  auto back = Gunzip(Gzip(text), 1 << 20);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, text);
  EXPECT_EQ(Gunzip(Gzip(text), 1000).status().code(), base::StatusCode::kResourceExhausted);
  const std::string gz = Gzip(text);
  EXPECT_FALSE(Gunzip(gz.substr(0, gz.size() / 2), 1 << 20).ok());
  EXPECT_FALSE(SnappyUncompress("\xff\xff\xff\xff\x0f garbage", 1 << 20).ok());
}

}  // namespace
}  // namespace tidemark::server
