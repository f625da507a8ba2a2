#include "server/ingest/kafka_source.h"

#include <algorithm>
#include <cstring>
#include <exception>

#include "storage/base/log.h"

namespace tidemark::server::ingest {
namespace {

constexpr int kPollTimeoutMs = 100;
constexpr int kDeadLetterFlushMs = 10'000;
constexpr int kCommitTimeoutMs = 3'000;
constexpr int kCloseTimeoutMs = 5'000;

struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const {
    rd_kafka_topic_partition_list_destroy(list);
  }
};
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

TopicPartition KeyOf(const rd_kafka_message_t& message) {
  return {rd_kafka_topic_name(message.rkt), message.partition};
}

// The first record of each partition among `records` (which are in offset order per partition).
std::map<TopicPartition, int64_t> FirstOffsets(const std::vector<rd_kafka_message_t*>& records) {
  std::map<TopicPartition, int64_t> first;
  for (const rd_kafka_message_t* record : records) first.emplace(KeyOf(*record), record->offset);
  return first;
}

PartitionList ToList(const std::map<TopicPartition, int64_t>& offsets) {
  PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const auto& [key, offset] : offsets) {
    rd_kafka_topic_partition_list_add(list.get(), key.first.c_str(), key.second)->offset = offset;
  }
  return list;
}

std::string Describe(const rd_kafka_topic_partition_list_t* partitions) {
  std::string text;
  for (int i = 0; i < partitions->cnt; ++i) {
    if (!text.empty()) text += ' ';
    text += std::string(partitions->elems[i].topic) + "/" +
            std::to_string(partitions->elems[i].partition);
  }
  return text;
}

void OnCommitted(rd_kafka_t* /*rk*/, rd_kafka_resp_err_t err,
                 rd_kafka_topic_partition_list_t* /*offsets*/, void* opaque) {
  *static_cast<rd_kafka_resp_err_t*>(opaque) = err;
}

// Commits the stored offsets and waits at most `timeout_ms` for the answer: rd_kafka_commit's own
// wait has no bound, and a stop or rebalance must not hang while the coordinator is unreachable.
rd_kafka_resp_err_t CommitStored(rd_kafka_t* consumer, int timeout_ms) {
  rd_kafka_queue_t* queue = rd_kafka_queue_new(consumer);
  rd_kafka_resp_err_t result = RD_KAFKA_RESP_ERR__TIMED_OUT;
  rd_kafka_resp_err_t err = rd_kafka_commit_queue(consumer, nullptr, queue, OnCommitted, &result);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (rd_kafka_event_t* event = rd_kafka_queue_poll(queue, timeout_ms); event != nullptr) {
      if (rd_kafka_event_type(event) == RD_KAFKA_EVENT_OFFSET_COMMIT) {
        result = rd_kafka_event_error(event);
      }
      rd_kafka_event_destroy(event);
    }
    err = result;
  }
  rd_kafka_queue_destroy(queue);
  return err;
}

void LogIfError(rd_kafka_error_t* error, const char* what) {
  if (error == nullptr) return;
  TM_LOG(kError) << "kafka: " << what << ": " << rd_kafka_error_string(error);
  rd_kafka_error_destroy(error);
}

// Appends a record's separately decoded output to the topic's.
void Merge(DecodeOutput&& one, DecodeOutput* all) {
  for (const storage::WriteBatch::Entry& entry : one.batch.entries()) {
    if (entry.ref != 0) {
      all->batch.Add(entry.ref, entry.samples);
    } else {
      all->batch.Add(entry.labels, entry.samples);
    }
  }
  for (Rejected& rejected : one.rejected) {
    if (all->rejected.size() < kMaxRejectedKept) all->rejected.push_back(std::move(rejected));
  }
  all->rejected_total += one.rejected_total;
  all->skipped_string_fields += one.skipped_string_fields;
}

// Decoders append to their output, so records can share one — except when the payload adds
// constant labels to line protocol or Prometheus text: that pass rewrites the whole batch, so
// each record is decoded alone and merged.
bool CanDecodeInPlace(const KafkaTopicSpec* spec) {
  return spec == nullptr || spec->payload.labels.empty() ||
         spec->payload.format == PayloadFormat::kPlain ||
         spec->payload.format == PayloadFormat::kJson;
}

// The time a record stands for when its payload carries none (plain values, line protocol without
// timestamps, JSON read at arrival): the record's Kafka timestamp, so a replay after a crash writes
// the very same samples, which the store deduplicates. The clock only when the record has none.
int64_t RecordTime(const rd_kafka_message_t& record, int64_t now_ms) {
  rd_kafka_timestamp_type_t type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
  const int64_t timestamp = rd_kafka_message_timestamp(&record, &type);
  return type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE || timestamp < 0 ? now_ms : timestamp;
}

}  // namespace

KafkaSource::KafkaSource(KafkaSourceOptions options, IngestSink sink, SeriesResolver* resolver,
                         const base::Clock* clock)
    : options_(std::move(options)), sink_(sink), resolver_(resolver), clock_(clock) {}

base::Result<std::unique_ptr<KafkaSource>> KafkaSource::Start(KafkaSourceOptions options,
                                                              IngestSink sink,
                                                              SeriesResolver* resolver,
                                                              const base::Clock* clock) {
  std::unique_ptr<KafkaSource> source(new KafkaSource(std::move(options), sink, resolver, clock));
  TM_RETURN_IF_ERROR(source->Open());
  source->thread_ = std::thread([raw = source.get()] { raw->Run(); });
  return source;
}

base::Status KafkaSource::Open() {
  if (options_.brokers.empty()) return base::Status::InvalidArgument("ingest.kafka: no brokers");
  if (options_.topics.empty()) return base::Status::InvalidArgument("ingest.kafka: no topics");
  auto router = TopicRouter::Make(options_.topics);
  if (!router.ok()) return router.status();
  router_ = std::move(router).value();
  auto conf = MakeConsumerConf(options_);
  if (!conf.ok()) return conf.status();
  rd_kafka_conf_set_opaque(conf->get(), this);
  rd_kafka_conf_set_rebalance_cb(conf->get(), &KafkaSource::OnRebalance);
  rd_kafka_conf_set_stats_cb(conf->get(), &KafkaSource::OnStatistics);
  char error[512];
  consumer_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf->get(), error, sizeof(error));
  if (consumer_ == nullptr) return base::Status::InvalidArgument(std::string("kafka: ") + error);
  conf->release();  // owned by consumer_ now
  // Statistics and errors are then served by the consumer poll, on the poll thread.
  rd_kafka_poll_set_consumer(consumer_);
  if (!options_.dead_letter_topic.empty()) {
    auto topic = KafkaDeadLetterTopic::Open(options_);
    if (!topic.ok()) return topic.status();
    dead_letter_topic_ = std::move(topic).value();
  }
  PartitionList topics(rd_kafka_topic_partition_list_new(static_cast<int>(options_.topics.size())));
  for (const KafkaTopicSpec& spec : options_.topics) {
    rd_kafka_topic_partition_list_add(topics.get(), spec.name.c_str(), RD_KAFKA_PARTITION_UA);
  }
  if (rd_kafka_resp_err_t err = rd_kafka_subscribe(consumer_, topics.get()); err) {
    return base::Status::InvalidArgument(std::string("kafka subscribe: ") + rd_kafka_err2str(err));
  }
  TM_LOG(kInfo) << "kafka: consuming " << Describe(topics.get()) << " as group "
                << options_.group_id;
  return base::Status::Ok();
}

KafkaSource::~KafkaSource() {
  Stop();
  // Without a completed close, destroying must not try to leave the group again (and wait).
  if (consumer_ != nullptr) {
    rd_kafka_destroy_flags(consumer_, closed_ ? 0 : RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
  }
}

void KafkaSource::Stop() {
  if (stop_.exchange(true)) return;
  if (thread_.joinable()) thread_.join();
}

void KafkaSource::Run() {
  while (!stop_.load()) {
    // Nothing may escape the poll loop: an unexpected exception fails the batch in hand, which is
    // rewound and retried like a store failure.
    try {
      RunOnce();
    } catch (const std::exception& e) {
      TM_LOG(kError) << "kafka: unexpected error: " << e.what();
      std::vector<rd_kafka_message_t*> records;
      for (const MessagePtr& message : pending_) records.push_back(message.get());
      if (!records.empty()) BackOff(records, base::Status::Internal(e.what()));
      pending_.clear();
    }
  }
  Shutdown();
}

void KafkaSource::RunOnce() {
  ResumeDue();
  if (dead_letter_topic_) dead_letter_topic_->Poll();
  Collect();
  ProcessPending();
}

void KafkaSource::Shutdown() {
  // Commit what was written, then leave the group so the other members take the partitions over
  // at once. Both are bounded: with the brokers gone, stopping must not hang.
  if (rd_kafka_resp_err_t err = CommitStored(consumer_, kCommitTimeoutMs);
      err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
    TM_LOG(kWarn) << "kafka: final commit: " << rd_kafka_err2str(err);
  }
  rd_kafka_queue_t* queue = rd_kafka_queue_new(consumer_);
  LogIfError(rd_kafka_consumer_close_queue(consumer_, queue), "close");
  const int64_t deadline = clock_->NowMillis() + kCloseTimeoutMs;
  while (!rd_kafka_consumer_closed(consumer_) && clock_->NowMillis() < deadline) {
    rd_kafka_event_t* event = rd_kafka_queue_poll(queue, kPollTimeoutMs);
    if (event == nullptr) continue;
    if (rd_kafka_event_type(event) == RD_KAFKA_EVENT_REBALANCE) {
      Rebalance(rd_kafka_event_error(event), rd_kafka_event_topic_partition_list(event));
    }
    rd_kafka_event_destroy(event);
  }
  rd_kafka_queue_destroy(queue);
  closed_ = rd_kafka_consumer_closed(consumer_);
  if (!closed_) {
    TM_LOG(kWarn) << "kafka: could not leave the group in time; stopping anyway";
  }
  dead_letter_topic_.reset();
  TM_LOG(kInfo) << "kafka: stopped";
}

void KafkaSource::Collect() {
  pending_.clear();
  size_t bytes = 0;
  int timeout_ms = kPollTimeoutMs;
  while (pending_.size() < options_.max_batch_records && bytes < options_.max_batch_bytes) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer_, timeout_ms);
    if (message == nullptr) return;
    timeout_ms = 0;  // take what is already fetched, then write
    bytes += message->len;
    Accept(MessagePtr(message));
  }
}

void KafkaSource::Accept(MessagePtr message) {
  if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return;
    const int64_t now = clock_->NowMillis();
    if (now - last_error_log_ms_ >= 10'000) {  // the client repeats these while they last
      last_error_log_ms_ = now;
      TM_LOG(kWarn) << "kafka: consumer error: " << rd_kafka_message_errstr(message.get());
    }
    return;
  }
  // A paused partition was rewound: records fetched before that come again after the pause.
  if (paused_until_ms_.contains(KeyOf(*message))) return;
  pending_.push_back(std::move(message));
}

void KafkaSource::ProcessPending() {
  if (pending_.empty()) return;
  // One append per topic (each topic has its own payload spec), records in arrival order.
  std::map<std::string, std::vector<rd_kafka_message_t*>> by_topic;
  for (const MessagePtr& message : pending_) {
    by_topic[rd_kafka_topic_name(message->rkt)].push_back(message.get());
  }
  for (const auto& [topic, records] : by_topic) ProcessTopic(topic, records);
  pending_.clear();
}

void KafkaSource::ProcessTopic(const std::string& topic,
                               const std::vector<rd_kafka_message_t*>& records) {
  const KafkaTopicSpec* spec = router_.Find(topic);
  const int64_t now_ms = clock_->NowMillis();
  DecodeOutput decoded;
  std::vector<std::pair<rd_kafka_message_t*, Rejected>> bad;
  KafkaTopicCounts counts;
  const bool in_place = CanDecodeInPlace(spec);
  for (rd_kafka_message_t* record : records) {
    const std::string_view payload(static_cast<const char*>(record->payload), record->len);
    DecodeOutput alone;
    DecodeOutput* out = in_place ? &decoded : &alone;
    const size_t kept_before = out->rejected.size();
    const size_t rejected_before = out->rejected_total;
    if (spec != nullptr) {
      DecodePayload(spec->payload, payload, TransportContext{}, RecordTime(*record, now_ms),
                    options_.limits, out, resolver_);
    } else {
      out->Reject(1, "no_topic_config", "no configured topic matches " + topic, payload);
    }
    const std::string where = "partition " + std::to_string(record->partition) + " offset " +
                              std::to_string(record->offset) + ": ";
    for (size_t i = kept_before; i < out->rejected.size(); ++i) {
      out->rejected[i].message.insert(0, where);
    }
    if (out->rejected_total > rejected_before) {
      bad.emplace_back(record, kept_before < out->rejected.size()
                                   ? out->rejected[kept_before]
                                   : Rejected{0, "rejected", "rejected lines", ""});
    }
    counts.bytes += record->len;
    counts.decode_errors += out->rejected_total - rejected_before;
    if (!in_place) Merge(std::move(alone), &decoded);
  }
  storage::AppendReport report;
  base::Status status = sink_.Write("kafka", topic, now_ms, decoded, &report);
  if (status.ok() && !bad.empty()) status = SendDeadLetters(bad);
  if (!status.ok()) {
    BackOff(records, status);
    return;
  }
  StoreOffsets(records);
  counts.records = records.size();
  counts.samples = report.accepted;
  counts.dead_letter_records = dead_letter_topic_ ? bad.size() : 0;
  metrics_->AddTopic(topic, counts);
}

base::Status KafkaSource::SendDeadLetters(
    const std::vector<std::pair<rd_kafka_message_t*, Rejected>>& bad) {
  if (!dead_letter_topic_) return base::Status::Ok();
  for (const auto& [record, rejected] : bad) {
    TM_RETURN_IF_ERROR(dead_letter_topic_->Produce(*record, rejected.reason, rejected.message));
  }
  // Delivered before the offsets are stored: the dead-letter topic loses nothing either.
  return dead_letter_topic_->Flush(kDeadLetterFlushMs);
}

void KafkaSource::StoreOffsets(const std::vector<rd_kafka_message_t*>& records) {
  std::map<TopicPartition, int64_t> next;
  for (const rd_kafka_message_t* record : records) next[KeyOf(*record)] = record->offset + 1;
  PartitionList list = ToList(next);
  // Fails only for partitions revoked meanwhile; their new owner re-reads those records and the
  // store deduplicates them.
  if (rd_kafka_resp_err_t err = rd_kafka_offsets_store(consumer_, list.get()); err) {
    TM_LOG(kDebug) << "kafka: offsets not stored: " << rd_kafka_err2str(err);
  }
}

void KafkaSource::BackOff(const std::vector<rd_kafka_message_t*>& records,
                          const base::Status& why) {
  const std::map<TopicPartition, int64_t> first = FirstOffsets(records);
  const int64_t until = clock_->NowMillis() + options_.backpressure_pause_ms;
  PartitionList list = ToList(first);
  if (why.code() == base::StatusCode::kResourceExhausted) {
    TM_LOG(kWarn) << "kafka: store is full, pausing " << Describe(list.get()) << " for "
                  << options_.backpressure_pause_ms << " ms";
  } else {
    TM_LOG(kError) << "kafka: writing " << Describe(list.get()) << " failed (" << why.ToString()
                   << "); retrying in " << options_.backpressure_pause_ms << " ms";
  }
  if (rd_kafka_resp_err_t err = rd_kafka_pause_partitions(consumer_, list.get()); err) {
    TM_LOG(kError) << "kafka: pause: " << rd_kafka_err2str(err);
  }
  // Rewind to the first record not written, so it is read again after the pause.
  LogIfError(rd_kafka_seek_partitions(consumer_, list.get(), /*timeout_ms=*/0), "seek");
  for (const auto& [key, offset] : first) paused_until_ms_[key] = until;
  metrics_->CountBackpressurePause();
  UpdatePausedMetric();
}

void KafkaSource::ResumeDue() {
  if (paused_until_ms_.empty()) return;
  const int64_t now = clock_->NowMillis();
  std::map<TopicPartition, int64_t> due;
  for (auto it = paused_until_ms_.begin(); it != paused_until_ms_.end();) {
    if (it->second > now) {
      ++it;
      continue;
    }
    due.emplace(it->first, 0);
    it = paused_until_ms_.erase(it);
  }
  if (due.empty()) return;
  PartitionList list = ToList(due);
  if (rd_kafka_resp_err_t err = rd_kafka_resume_partitions(consumer_, list.get()); err) {
    TM_LOG(kError) << "kafka: resume: " << rd_kafka_err2str(err);
  }
  UpdatePausedMetric();
}

void KafkaSource::UpdatePausedMetric() { metrics_->SetPausedPartitions(paused_until_ms_.size()); }

void KafkaSource::OnRebalance(rd_kafka_t* /*rk*/, rd_kafka_resp_err_t err,
                              rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  try {
    static_cast<KafkaSource*>(opaque)->Rebalance(err, partitions);
  } catch (const std::exception& e) {
    TM_LOG(kError) << "kafka: rebalance: " << e.what();
  }
}

void KafkaSource::Rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions) {
  metrics_->CountRebalance();
  const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(consumer_), "COOPERATIVE") == 0;
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    Assign(partitions, cooperative);
  } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
    Revoke(partitions, cooperative);
  } else {
    TM_LOG(kError) << "kafka: rebalance failed: " << rd_kafka_err2str(err);
    Revoke(partitions, cooperative);
  }
}

void KafkaSource::Assign(rd_kafka_topic_partition_list_t* partitions, bool cooperative) {
  TM_LOG(kInfo) << "kafka: assigned " << Describe(partitions);
  for (int i = 0; i < partitions->cnt; ++i) {
    assigned_.emplace(partitions->elems[i].topic, partitions->elems[i].partition);
  }
  if (cooperative) {
    LogIfError(rd_kafka_incremental_assign(consumer_, partitions), "assign");
  } else if (rd_kafka_resp_err_t err = rd_kafka_assign(consumer_, partitions); err) {
    TM_LOG(kError) << "kafka: assign: " << rd_kafka_err2str(err);
  }
}

void KafkaSource::Revoke(rd_kafka_topic_partition_list_t* partitions, bool cooperative) {
  TM_LOG(kInfo) << "kafka: revoked " << Describe(partitions);
  // Commit what was written while the partitions are still ours, so the next owner starts right
  // after it instead of at an older auto-commit.
  rd_kafka_resp_err_t err = CommitStored(consumer_, kCommitTimeoutMs);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
    TM_LOG(kWarn) << "kafka: commit on revoke: " << rd_kafka_err2str(err);
  }
  std::set<TopicPartition> revoked;
  for (int i = 0; i < partitions->cnt; ++i) {
    revoked.emplace(partitions->elems[i].topic, partitions->elems[i].partition);
  }
  // Records of revoked partitions not yet written are the new owner's to read.
  std::erase_if(pending_, [&](const MessagePtr& m) { return revoked.contains(KeyOf(*m)); });
  for (const TopicPartition& key : revoked) {
    assigned_.erase(key);
    paused_until_ms_.erase(key);
  }
  UpdatePausedMetric();
  if (cooperative) {
    LogIfError(rd_kafka_incremental_unassign(consumer_, partitions), "unassign");
  } else if (err = rd_kafka_assign(consumer_, nullptr); err) {
    TM_LOG(kError) << "kafka: unassign: " << rd_kafka_err2str(err);
  }
  std::map<TopicPartition, int64_t> lag = metrics_->lag();
  std::erase_if(lag, [&](const auto& entry) { return !assigned_.contains(entry.first); });
  metrics_->SetLag(std::move(lag));
}

int KafkaSource::OnStatistics(rd_kafka_t* /*rk*/, char* json, size_t json_len, void* opaque) {
  try {
    auto* self = static_cast<KafkaSource*>(opaque);
    self->metrics_->SetLag(
        ConsumerLagFromStatistics(std::string_view(json, json_len), self->assigned_));
  } catch (const std::exception& e) {
    TM_LOG(kWarn) << "kafka: statistics: " << e.what();
  }
  return 0;  // librdkafka frees the JSON
}

}  // namespace tidemark::server::ingest
