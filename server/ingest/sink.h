// IngestSink: the one way decoded input reaches the store, for every source — append the batch,
// then keep what was rejected (by the decoder, or by the store: outside the retention window,
// beyond the series limit, invalid labels) in the dead letters under the source and origin.
//
// Append errors are returned, not swallowed: ResourceExhausted means the head is full and the
// caller should pause and retry the same payload (MQTT and Kafka do; HTTP answers 503), any other
// error is a storage failure. Dead letters are only written once the batch is in, so a retried
// payload is not counted twice. Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "server/ingest/dead_letters.h"
#include "server/ingest/decode.h"
#include "storage/base/status.h"
#include "storage/storage.h"

namespace tidemark::server::ingest {

// Appends rejections of one payload to `dead_letters` (when not null): the decoder's, a summary
// line for those it did not keep individually, and one line per kind of store rejection.
void RecordRejections(DeadLetters* dead_letters, const std::string& source,
                      const std::string& origin, int64_t now_ms, const DecodeOutput& decoded,
                      const storage::AppendReport& report);

// Rejections of any kind in a payload, the decoder's and the store's.
uint64_t TotalRejected(const DecodeOutput& decoded, const storage::AppendReport& report);

class IngestSink {
 public:
  // `storage` must outlive the sink; `dead_letters` may be null.
  IngestSink(storage::Storage* storage, DeadLetters* dead_letters)
      : storage_(storage), dead_letters_(dead_letters) {}

  // Appends `decoded.batch` and records rejections. `report` (optional) receives the store's
  // counts. With `defer_sync` the WAL fsync the sync policy asks for is left to a later Sync(),
  // so a source that acknowledges several payloads at once pays for one.
  base::Status Write(const std::string& source, const std::string& origin, int64_t now_ms,
                     const DecodeOutput& decoded, storage::AppendReport* report = nullptr,
                     bool defer_sync = false);
  // Makes deferred writes as durable as the sync policy promises.
  base::Status Sync() { return storage_->SyncWal(); }

  // Records one rejection that no decoder produced (a payload given up on).
  void Reject(const std::string& source, const std::string& origin, int64_t now_ms,
              Rejected rejected);

  storage::Storage* storage() const { return storage_; }

 private:
  storage::Storage* storage_;
  DeadLetters* dead_letters_;
};

}  // namespace tidemark::server::ingest
