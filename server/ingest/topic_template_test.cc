#include "server/ingest/topic_template.h"

#include <gtest/gtest.h>

namespace tidemark::server::ingest {
namespace {

struct Captured {
  bool matched = false;
  std::vector<storage::Label> labels;
  std::string metric;
};

Captured MatchTopic(std::string_view tmpl, std::string_view topic) {
  auto parsed = TopicTemplate::Parse(tmpl);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  Captured c;
  c.matched = parsed->Match(topic, &c.labels, &c.metric);
  return c;
}

TEST(TopicTemplateTest, CapturesLabelsAndMetricFromSegments) {
  Captured c = MatchTopic("sensors/{site}/{device}/{metric}", "sensors/north/th-12/temperature");
  ASSERT_TRUE(c.matched);
  EXPECT_EQ(c.labels, (std::vector<storage::Label>{{"site", "north"}, {"device", "th-12"}}));
  EXPECT_EQ(c.metric, "temperature");
}

TEST(TopicTemplateTest, LiteralsMustMatchAndLengthsMustAgree) {
  EXPECT_FALSE(MatchTopic("sensors/{site}", "devices/north").matched);
  EXPECT_FALSE(MatchTopic("sensors/{site}", "sensors/north/extra").matched);
  EXPECT_FALSE(MatchTopic("sensors/{site}/{x}", "sensors/north").matched);
  Captured none = MatchTopic("sensors/{site}", "devices/north");
  EXPECT_TRUE(none.labels.empty());
}

TEST(TopicTemplateTest, SkipsAndRestAndSanitizedNames) {
  Captured c = MatchTopic("{_}/{device-id}/{path...}", "tele/plug-7/SENSOR/energy");
  ASSERT_TRUE(c.matched);
  EXPECT_EQ(c.labels,
            (std::vector<storage::Label>{{"device_id", "plug-7"}, {"path", "SENSOR/energy"}}));
  EXPECT_TRUE(c.metric.empty());
}

TEST(TopicTemplateTest, EmptyTemplateMatchesEverythingAndCapturesNothing) {
  Captured c = MatchTopic("", "any/topic");
  EXPECT_TRUE(c.matched);
  EXPECT_TRUE(c.labels.empty());
}

TEST(TopicTemplateTest, RejectsMalformedTemplates) {
  EXPECT_FALSE(TopicTemplate::Parse("a/{b}c").ok());
  EXPECT_FALSE(TopicTemplate::Parse("a/{}").ok());
  EXPECT_FALSE(TopicTemplate::Parse("{rest...}/x").ok());
}

}  // namespace
}  // namespace tidemark::server::ingest
