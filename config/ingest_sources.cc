#include "config/ingest_sources.h"

#include <set>

namespace tidemark::config {
namespace {

using base::Result;
using base::Status;

Result<std::string> ParseTimestampFormat(const std::string& text) {
  static const std::set<std::string> kNamed = {"arrival", "auto", "s", "ms", "us", "ns", "rfc3339"};
  if (kNamed.count(text) > 0 || text.find("YYYY") != std::string::npos) return text;
  return Status::InvalidArgument(
      "expected arrival, auto, s, ms, us, ns, rfc3339 or a layout with YYYY, got \"" + text + "\"");
}

Result<std::string> ParsePrecisionName(const std::string& text) {
  if (text == "ns" || text == "us" || text == "ms" || text == "s") return text;
  return Status::InvalidArgument("expected ns, us, ms or s, got \"" + text + "\"");
}

void ReadJsonMapping(YamlReader& r, JsonMappingConfig* json) {
  r.String("records", &json->records);
  r.String("name", &json->name);
  r.String("name_path", &json->name_path);
  r.MapList("values", [&](YamlReader& v) {
    JsonValueConfig value;
    v.String("path", &value.path);
    v.String("metric", &value.metric);
    json->values.push_back(std::move(value));
  });
  r.String("values_object", &json->values_object);
  r.String("names_array", &json->names_array);
  r.String("values_array", &json->values_array);
  r.Map("timestamp", [&](YamlReader& t) {
    t.String("path", &json->timestamp_path);
    t.Parsed<std::string>("format", &json->timestamp_format, ParseTimestampFormat);
  });
  r.MapList("labels", [&](YamlReader& l) {
    JsonLabelConfig label;
    l.String("name", &label.name);
    l.String("path", &label.path);
    l.String("value", &label.value);
    json->labels.push_back(std::move(label));
  });
  r.String("labels_object", &json->labels_object);
}

// The payload keys sit directly in a subscription or topic entry.
void ReadPayload(YamlReader& r, PayloadConfig* payload) {
  r.Parsed<PayloadFormat>("format", &payload->format,
                          [](const std::string& s) { return ParsePayloadFormat(s); });
  r.Parsed<std::string>("precision", &payload->precision, ParsePrecisionName);
  r.String("metric", &payload->metric);
  r.Map("json", [&](YamlReader& j) { ReadJsonMapping(j, &payload->json); });
  r.StringMap("labels", &payload->labels);
}

Result<std::string> ParseBrokerUrl(const std::string& text) {
  for (const char* scheme : {"mqtt://", "mqtts://", "tcp://", "ssl://"}) {
    if (text.rfind(scheme, 0) == 0 && text.size() > std::string(scheme).size()) return text;
  }
  return Status::InvalidArgument("expected mqtt://host[:port] or mqtts://host[:port], got \"" +
                                 text + "\"");
}

Result<int> ParseProtocolVersion(const std::string& text) {
  if (text == "3.1.1" || text == "4") return 4;
  if (text == "5" || text == "5.0") return 5;
  return Status::InvalidArgument("expected 3.1.1 or 5, got \"" + text + "\"");
}

void ReadSubscription(YamlReader& r, MqttSubscription* sub) {
  r.String("name", &sub->name);
  r.Parsed<std::string>("broker", &sub->broker, ParseBrokerUrl);
  r.String("topic", &sub->topic);
  // QoS 2 is refused: libmosquitto acknowledges it (PUBREC) before the message is handed to us,
  // so it would be weaker than QoS 1, which Tidemark acknowledges only once stored.
  r.Int("qos", 0, 1, &sub->qos);
  ReadPayload(r, &sub->payload);
  r.String("topic_template", &sub->topic_template);
  r.String("client_id", &sub->client_id);
  r.Bool("clean_session", &sub->clean_session);
  r.Parsed<int>("protocol", &sub->protocol_version, ParseProtocolVersion);
  r.Duration("keepalive", &sub->keepalive_ms);
  r.Duration("reconnect_min_delay", &sub->reconnect_min_delay_ms);
  r.Duration("reconnect_max_delay", &sub->reconnect_max_delay_ms);
  r.String("username", &sub->username);
  r.String("password", &sub->password);
  r.Map("tls", [&](YamlReader& t) {
    t.String("ca_file", &sub->tls.ca_file);
    t.String("cert_file", &sub->tls.cert_file);
    t.String("key_file", &sub->tls.key_file);
    t.Bool("insecure", &sub->tls.insecure);
  });
}

}  // namespace

void ReadMqtt(YamlReader& r, std::vector<MqttSubscription>* subscriptions) {
  std::set<std::string> names;
  r.MapListChecked("subscriptions", [&](YamlReader& s) -> std::string {
    MqttSubscription sub;
    ReadSubscription(s, &sub);
    if (sub.broker.empty()) return "broker is required";
    if (sub.topic.empty()) return "topic is required";
    if (sub.name.empty()) sub.name = sub.topic;
    if (!names.insert(sub.name).second) return "duplicate subscription name \"" + sub.name + "\"";
    if (sub.reconnect_max_delay_ms < sub.reconnect_min_delay_ms) {
      return "reconnect_max_delay is shorter than reconnect_min_delay";
    }
    subscriptions->push_back(std::move(sub));
    return "";
  });
}

void ReadKafka(YamlReader& r, KafkaConfig* kafka) {
  r.StringList("brokers", &kafka->brokers);
  r.String("group_id", &kafka->group_id);
  r.MapListChecked("topics", [&](YamlReader& t) -> std::string {
    KafkaTopic topic;
    t.String("name", &topic.name);
    ReadPayload(t, &topic.payload);
    if (topic.name.empty()) return "name is required";
    kafka->topics.push_back(std::move(topic));
    return "";
  });
  r.String("dead_letter_topic", &kafka->dead_letter_topic);
  r.Duration("backpressure_pause", &kafka->backpressure_pause_ms);
  r.StringMap("properties", &kafka->properties);
}

}  // namespace tidemark::config
