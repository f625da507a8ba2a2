#include "server/ingest/remote_write.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "remote_write_test.pb.h"
#include "server/ingest/decode_test_util.h"

namespace tidemark::server::ingest {
namespace {

constexpr uint64_t kStaleMarkerBits = 0x7ff0000000000002ULL;

double StaleMarker() {
  double v;
  std::memcpy(&v, &kStaleMarkerBits, sizeof v);
  return v;
}

testproto::WriteRequest TwoSeries() {
  testproto::WriteRequest request;
  auto* up = request.add_timeseries();
  auto* name = up->add_labels();
  name->set_name("__name__");
  name->set_value("up");
  auto* job = up->add_labels();
  job->set_name("job");
  job->set_value("node");
  for (int i = 0; i < 3; ++i) {
    auto* sample = up->add_samples();
    sample->set_timestamp(1700000000000 + i * 15000);
    sample->set_value(i == 2 ? StaleMarker() : 1.0);
  }
  auto* exemplar = up->add_exemplars();
  exemplar->set_value(42);
  auto* temp = request.add_timeseries();
  auto* temp_name = temp->add_labels();
  temp_name->set_name("__name__");
  temp_name->set_value("room_temperature_celsius");
  auto* sample = temp->add_samples();
  sample->set_timestamp(1700000000000);
  sample->set_value(-0.5);
  auto* metadata = request.add_metadata();
  metadata->set_metric_family_name("up");
  metadata->set_help("whether the target answered");
  return request;
}

TEST(RemoteWriteTest, DecodesWhatTheProtobufLibraryEncodes) {
  DecodeOutput out;
  ASSERT_TRUE(DecodeRemoteWrite(TwoSeries().SerializeAsString(), {}, &out));
  ASSERT_TRUE(out.rejected.empty());
  auto flat = Flatten(out);
  ASSERT_EQ(flat.size(), 2u);
  const auto& up = flat.at("up{job=\"node\"}");
  ASSERT_EQ(up.size(), 3u);
  EXPECT_EQ(up[1], (std::pair<int64_t, double>{1700000015000, 1.0}));
  uint64_t bits;
  std::memcpy(&bits, &up[2].second, sizeof bits);
  EXPECT_EQ(bits, kStaleMarkerBits) << "stale markers must survive bit for bit";
  EXPECT_EQ(flat.at("room_temperature_celsius")[0].second, -0.5);
}

TEST(RemoteWriteTest, TruncatedOrGarbageMessagesStoreNothing) {
  const std::string full = TwoSeries().SerializeAsString();
  for (size_t cut : {size_t{1}, size_t{5}, full.size() / 2, full.size() - 1}) {
    DecodeOutput out;
    EXPECT_FALSE(DecodeRemoteWrite(full.substr(0, cut), {}, &out)) << "cut at " << cut;
    EXPECT_TRUE(out.batch.empty());
    ASSERT_EQ(out.rejected.size(), 1u);
    EXPECT_EQ(out.rejected[0].reason, "invalid_protobuf");
  }
  DecodeOutput garbage;
  EXPECT_FALSE(DecodeRemoteWrite("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", {}, &garbage));
  DecodeOutput empty;
  EXPECT_TRUE(DecodeRemoteWrite("", {}, &empty));
  EXPECT_TRUE(empty.batch.empty());
}

TEST(RemoteWriteTest, SeriesWithoutNameOrWithBadLabelsRejectedAlone) {
  testproto::WriteRequest request = TwoSeries();
  auto* nameless = request.add_timeseries();
  auto* label = nameless->add_labels();
  label->set_name("job");
  label->set_value("x");
  nameless->add_samples()->set_value(1);
  auto* bad_utf8 = request.add_timeseries();
  auto* n = bad_utf8->add_labels();
  n->set_name("__name__");
  n->set_value("m");
  auto* v = bad_utf8->add_labels();
  v->set_name("l");
  v->set_value(std::string("\xC3\x28", 2));
  bad_utf8->add_samples()->set_value(1);
  DecodeOutput out;
  ASSERT_TRUE(DecodeRemoteWrite(request.SerializeAsString(), {}, &out));
  EXPECT_EQ(Flatten(out).size(), 2u);
  ASSERT_EQ(out.rejected.size(), 2u);
  EXPECT_EQ(out.rejected[0].reason, "missing_metric_name");
  EXPECT_EQ(out.rejected[1].reason, "invalid_utf8");
}

}  // namespace
}  // namespace tidemark::server::ingest
