#include "server/ingest/kafka_options.h"

#include "storage/base/log.h"

namespace tidemark::server::ingest {
namespace {

// librdkafka's own log lines (syslog levels) joined to ours. Called from librdkafka's threads;
// TM_LOG is thread-safe. Must not throw: it is called from C.
void LogFromKafka(const rd_kafka_t* rk, int level, const char* facility, const char* text) {
  try {
    const char* name = rd_kafka_name(rk);
    if (level <= 3) {
      TM_LOG(kError) << "kafka " << name << " " << facility << ": " << text;
    } else if (level == 4) {
      TM_LOG(kWarn) << "kafka " << name << " " << facility << ": " << text;
    } else if (level <= 6) {
      TM_LOG(kInfo) << "kafka " << name << " " << facility << ": " << text;
    } else {
      TM_LOG(kDebug) << "kafka " << name << " " << facility << ": " << text;
    }
  } catch (...) {
  }
}

// Client-level errors (brokers down, authentication failed): the client keeps retrying itself,
// so they are warnings unless librdkafka calls them fatal.
void ErrorFromKafka(rd_kafka_t* rk, int err, const char* reason, void* /*opaque*/) {
  try {
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
      char text[512];
      rd_kafka_fatal_error(rk, text, sizeof(text));
      TM_LOG(kError) << "kafka fatal error: " << text;
      return;
    }
    TM_LOG(kWarn) << "kafka: " << rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(err)) << ": "
                  << reason;
  } catch (...) {
  }
}

base::Status Set(rd_kafka_conf_t* conf, const std::string& key, const std::string& value) {
  char error[512];
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), error, sizeof(error)) !=
      RD_KAFKA_CONF_OK) {
    return base::Status::InvalidArgument("ingest.kafka.properties: " + key + ": " + error);
  }
  return base::Status::Ok();
}

std::string JoinBrokers(const std::vector<std::string>& brokers) {
  std::string joined;
  for (const std::string& broker : brokers) {
    if (!joined.empty()) joined += ',';
    joined += broker;
  }
  return joined;
}

base::Result<ConfPtr> BaseConf(const KafkaSourceOptions& options,
                               const std::map<std::string, std::string>& defaults) {
  ConfPtr conf(rd_kafka_conf_new());
  rd_kafka_conf_set_log_cb(conf.get(), LogFromKafka);
  rd_kafka_conf_set_error_cb(conf.get(), ErrorFromKafka);
  TM_RETURN_IF_ERROR(Set(conf.get(), "bootstrap.servers", JoinBrokers(options.brokers)));
  for (const auto& [key, value] : defaults) TM_RETURN_IF_ERROR(Set(conf.get(), key, value));
  for (const auto& [key, value] : options.properties) {
    TM_RETURN_IF_ERROR(Set(conf.get(), key, value));
  }
  return conf;
}

}  // namespace

base::Result<ConfPtr> MakeConsumerConf(const KafkaSourceOptions& options) {
  auto conf = BaseConf(options, {{"client.id", "tidemark"},
                                 {"group.id", options.group_id},
                                 {"auto.offset.reset", "earliest"},
                                 {"enable.partition.eof", "false"},
                                 {"statistics.interval.ms", "5000"}});
  if (!conf.ok()) return conf.status();
  if (options.properties.contains("enable.auto.offset.store")) {
    TM_LOG(kWarn) << "kafka: ignoring enable.auto.offset.store: offsets are stored only after "
                     "the store accepted the records";
  }
  // Offsets are stored by hand once Storage::Append succeeded: that is the no-loss guarantee.
  TM_RETURN_IF_ERROR(Set(conf->get(), "enable.auto.offset.store", "false"));
  return conf;
}

base::Result<ConfPtr> MakeProducerConf(const KafkaSourceOptions& options) {
  KafkaSourceOptions producer = options;
  // Consumer properties would only make the producer log that it ignores them.
  for (const char* key :
       {"group.id", "auto.offset.reset", "enable.auto.commit", "auto.commit.interval.ms",
        "session.timeout.ms", "heartbeat.interval.ms", "enable.auto.offset.store",
        "partition.assignment.strategy", "max.poll.interval.ms", "fetch.min.bytes",
        "fetch.wait.max.ms", "queued.min.messages", "queued.max.messages.kbytes",
        "group.instance.id", "isolation.level", "enable.partition.eof", "fetch.max.bytes",
        "max.partition.fetch.bytes", "fetch.message.max.bytes"}) {
    producer.properties.erase(key);
  }
  return BaseConf(producer, {{"client.id", "tidemark-dead-letters"}, {"linger.ms", "5"}});
}

base::Result<TopicRouter> TopicRouter::Make(const std::vector<KafkaTopicSpec>& topics) {
  TopicRouter router;
  for (const KafkaTopicSpec& spec : topics) {
    if (spec.name.empty() || spec.name.front() != '^') {
      router.exact_.emplace(spec.name, &spec);
      continue;
    }
    try {
      router.patterns_.emplace_back(std::regex(spec.name, std::regex::extended), &spec);
    } catch (const std::regex_error& e) {
      return base::Status::InvalidArgument("ingest.kafka.topics: invalid regex " + spec.name +
                                           ": " + e.what());
    }
  }
  return router;
}

const KafkaTopicSpec* TopicRouter::Find(const std::string& topic) {
  if (auto it = exact_.find(topic); it != exact_.end()) return it->second;
  if (auto it = cache_.find(topic); it != cache_.end()) return it->second;
  const KafkaTopicSpec* found = nullptr;
  for (const auto& [pattern, spec] : patterns_) {
    if (std::regex_search(topic, pattern)) {
      found = spec;
      break;
    }
  }
  cache_.emplace(topic, found);
  return found;
}

}  // namespace tidemark::server::ingest
