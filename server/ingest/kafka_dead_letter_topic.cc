#include "server/ingest/kafka_dead_letter_topic.h"

#include "storage/base/log.h"

namespace tidemark::server::ingest {

base::Result<std::unique_ptr<KafkaDeadLetterTopic>> KafkaDeadLetterTopic::Open(
    const KafkaSourceOptions& options) {
  auto conf = MakeProducerConf(options);
  if (!conf.ok()) return conf.status();
  rd_kafka_conf_set_dr_msg_cb(conf->get(), &KafkaDeadLetterTopic::OnDelivery);
  // The opaque is set once the object exists; until then no message can be delivered.
  char error[512];
  rd_kafka_conf_t* raw = conf->release();
  std::unique_ptr<KafkaDeadLetterTopic> topic(
      new KafkaDeadLetterTopic(nullptr, options.dead_letter_topic));
  rd_kafka_conf_set_opaque(raw, topic.get());
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, raw, error, sizeof(error));
  if (producer == nullptr) {
    rd_kafka_conf_destroy(raw);
    return base::Status::InvalidArgument(std::string("kafka dead-letter producer: ") + error);
  }
  topic->producer_ = producer;
  return topic;
}

KafkaDeadLetterTopic::~KafkaDeadLetterTopic() {
  if (producer_ == nullptr) return;
  if (rd_kafka_flush(producer_, 5000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    TM_LOG(kWarn) << "kafka: dead-letter records still undelivered at shutdown: "
                  << rd_kafka_outq_len(producer_);
  }
  rd_kafka_destroy(producer_);
}

void KafkaDeadLetterTopic::OnDelivery(rd_kafka_t* /*rk*/, const rd_kafka_message_t* message,
                                      void* opaque) {
  if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) return;
  auto* self = static_cast<KafkaDeadLetterTopic*>(opaque);
  ++self->failed_;
  self->last_error_ = rd_kafka_err2str(message->err);
}

base::Status KafkaDeadLetterTopic::Produce(const rd_kafka_message_t& record,
                                           const std::string& reason, const std::string& error) {
  const std::string source_topic = rd_kafka_topic_name(record.rkt);
  const std::string partition = std::to_string(record.partition);
  const std::string offset = std::to_string(record.offset);
  for (int attempt = 0;; ++attempt) {
    const rd_kafka_resp_err_t err = rd_kafka_producev(
        producer_, RD_KAFKA_V_TOPIC(topic_.c_str()), RD_KAFKA_V_VALUE(record.payload, record.len),
        RD_KAFKA_V_KEY(record.key, record.key_len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_HEADER("tidemark-reason", reason.data(), static_cast<ssize_t>(reason.size())),
        RD_KAFKA_V_HEADER("tidemark-error", error.data(), static_cast<ssize_t>(error.size())),
        RD_KAFKA_V_HEADER("tidemark-source-topic", source_topic.data(),
                          static_cast<ssize_t>(source_topic.size())),
        RD_KAFKA_V_HEADER("tidemark-source-partition", partition.data(),
                          static_cast<ssize_t>(partition.size())),
        RD_KAFKA_V_HEADER("tidemark-source-offset", offset.data(),
                          static_cast<ssize_t>(offset.size())),
        RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return base::Status::Ok();
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || attempt == 50) {
      return base::Status::Unavailable(std::string("dead-letter topic ") + topic_ + ": " +
                                       rd_kafka_err2str(err));
    }
    rd_kafka_poll(producer_, 100);  // room frees up as deliveries complete
  }
}

base::Status KafkaDeadLetterTopic::Flush(int timeout_ms) {
  const rd_kafka_resp_err_t err = rd_kafka_flush(producer_, timeout_ms);
  const uint64_t failed = failed_;
  failed_ = 0;
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return base::Status::Unavailable("dead-letter topic " + topic_ + ": " +
                                     std::to_string(rd_kafka_outq_len(producer_)) +
                                     " records not delivered in time");
  }
  if (failed > 0) {
    return base::Status::Unavailable("dead-letter topic " + topic_ + ": " + std::to_string(failed) +
                                     " deliveries failed: " + last_error_);
  }
  return base::Status::Ok();
}

void KafkaDeadLetterTopic::Poll() { rd_kafka_poll(producer_, 0); }

}  // namespace tidemark::server::ingest
