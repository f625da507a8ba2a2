// Readers for the MQTT and Kafka source sections of the config (ingest.mqtt, ingest.kafka),
// split from config.cc because each source carries a payload mapping of its own. Internal to
// config/; same error conventions as YamlReader. Not thread-safe (one load at a time).
#pragma once

#include <vector>

#include "config/config.h"
#include "config/yaml_reader.h"

namespace tidemark::config {

// ingest.mqtt: {subscriptions: [...]}
void ReadMqtt(YamlReader& r, std::vector<MqttSubscription>* subscriptions);
// ingest.kafka
void ReadKafka(YamlReader& r, KafkaConfig* kafka);

}  // namespace tidemark::config
