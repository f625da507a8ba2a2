#include "server/ingest/kafka_options.h"

#include <gtest/gtest.h>

namespace tidemark::server::ingest {
namespace {

std::string Get(rd_kafka_conf_t* conf, const char* key) {
  char value[512];
  size_t size = sizeof(value);
  if (rd_kafka_conf_get(conf, key, value, &size) != RD_KAFKA_CONF_OK) return "<unset>";
  return value;
}

KafkaSourceOptions Options() {
  KafkaSourceOptions options;
  options.brokers = {"k1:9092", "k2:9092"};
  options.group_id = "fleet";
  options.topics = {{"telemetry", {}}};
  return options;
}

TEST(KafkaConf, DefaultsThenUserPropertiesButOffsetsStayManual) {
  KafkaSourceOptions options = Options();
  options.properties = {{"auto.offset.reset", "latest"},
                        {"enable.auto.offset.store", "true"},
                        {"security.protocol", "SASL_PLAINTEXT"},
                        {"sasl.mechanisms", "PLAIN"},
                        {"sasl.username", "ingest"},
                        {"session.timeout.ms", "6000"}};
  auto conf = MakeConsumerConf(options);
  ASSERT_TRUE(conf.ok()) << conf.status().ToString();
  EXPECT_EQ(Get(conf->get(), "bootstrap.servers"), "k1:9092,k2:9092");
  EXPECT_EQ(Get(conf->get(), "group.id"), "fleet");
  EXPECT_EQ(Get(conf->get(), "auto.offset.reset"), "largest");  // librdkafka's spelling
  EXPECT_EQ(Get(conf->get(), "enable.auto.offset.store"), "false");
  EXPECT_EQ(Get(conf->get(), "security.protocol"), "sasl_plaintext");
  EXPECT_EQ(Get(conf->get(), "sasl.username"), "ingest");
  EXPECT_EQ(Get(conf->get(), "statistics.interval.ms"), "5000");

  auto producer = MakeProducerConf(options);
  ASSERT_TRUE(producer.ok()) << producer.status().ToString();
  EXPECT_EQ(Get(producer->get(), "security.protocol"), "sasl_plaintext");
  EXPECT_EQ(Get(producer->get(), "session.timeout.ms"), "45000");  // consumer-only, left out
}

TEST(KafkaConf, UnknownPropertyOrBadValueNamesIt) {
  KafkaSourceOptions options = Options();
  options.properties = {{"no.such.property", "1"}};
  auto conf = MakeConsumerConf(options);
  ASSERT_FALSE(conf.ok());
  EXPECT_NE(conf.status().message().find("no.such.property"), std::string::npos);
  options.properties = {{"security.protocol", "carrier_pigeon"}};
  conf = MakeConsumerConf(options);
  ASSERT_FALSE(conf.ok());
  EXPECT_NE(conf.status().message().find("security.protocol"), std::string::npos);
}

// SSL and SASL/GSSAPI (Kerberos) are set up by properties alone: librdkafka accepts the client.
TEST(KafkaConf, SaslSslWithKerberosNeedsOnlyProperties) {
  KafkaSourceOptions options = Options();
  options.brokers = {"127.0.0.1:1"};  // nothing listens: the client is only created
  options.properties = {
      {"security.protocol", "SASL_SSL"},        {"sasl.mechanisms", "GSSAPI"},
      {"sasl.kerberos.service.name", "kafka"},  {"sasl.kerberos.principal", "tidemark@EXAMPLE.COM"},
      {"sasl.kerberos.kinit.cmd", "/bin/true"}, {"ssl.endpoint.identification.algorithm", "https"}};
  for (auto [type, make] : {std::pair{RD_KAFKA_CONSUMER, &MakeConsumerConf},
                            std::pair{RD_KAFKA_PRODUCER, &MakeProducerConf}}) {
    auto conf = make(options);
    ASSERT_TRUE(conf.ok()) << conf.status().ToString();
    char error[512];
    rd_kafka_t* client = rd_kafka_new(type, conf->release(), error, sizeof(error));
    ASSERT_NE(client, nullptr) << error;
    rd_kafka_destroy(client);
  }
}

TEST(TopicRouter, ExactNamesFirstThenRegexesInOrder) {
  const std::vector<KafkaTopicSpec> topics = {
      {"^sensors\\..*", {PayloadFormat::kJson}},
      {"sensors.raw", {PayloadFormat::kPlain}},
      {"^.*", {PayloadFormat::kPrometheus}},
  };
  auto router = TopicRouter::Make(topics);
  ASSERT_TRUE(router.ok());
  EXPECT_EQ(router->Find("sensors.raw"), &topics[1]);
  EXPECT_EQ(router->Find("sensors.hall"), &topics[0]);
  EXPECT_EQ(router->Find("sensors.hall"), &topics[0]);  // cached
  EXPECT_EQ(router->Find("meters"), &topics[2]);

  const std::vector<KafkaTopicSpec> only_exact = {{"a", {}}};
  auto exact = TopicRouter::Make(only_exact);
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(exact->Find("b"), nullptr);

  const std::vector<KafkaTopicSpec> broken = {{"^sensors(", {}}};
  auto bad = TopicRouter::Make(broken);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("^sensors("), std::string::npos);
}

}  // namespace
}  // namespace tidemark::server::ingest
