#include "server/ingest/sink.h"

namespace tidemark::server::ingest {

void RecordRejections(DeadLetters* dead_letters, const std::string& source,
                      const std::string& origin, int64_t now_ms, const DecodeOutput& decoded,
                      const storage::AppendReport& report) {
  if (dead_letters == nullptr) return;
  std::vector<Rejected> rejected = decoded.rejected;
  if (decoded.rejected_total > decoded.rejected.size()) {
    rejected.push_back({0, "more_rejected",
                        std::to_string(decoded.rejected_total - decoded.rejected.size()) +
                            " more rejected lines not kept individually",
                        ""});
  }
  const uint64_t outside = report.rejected_too_old + report.rejected_too_new;
  if (outside > 0) {
    rejected.push_back({0, "outside_time_window",
                        std::to_string(report.rejected_too_old) +
                            " samples older than retention, " +
                            std::to_string(report.rejected_too_new) + " too far in the future",
                        ""});
  }
  if (report.rejected_series_limit > 0) {
    rejected.push_back({0, "series_limit",
                        std::to_string(report.rejected_series_limit) +
                            " samples of new series beyond the series limit",
                        ""});
  }
  if (report.rejected_invalid_labels > 0) {
    rejected.push_back(
        {0, "invalid_labels",
         std::to_string(report.rejected_invalid_labels) + " samples of series with invalid labels",
         ""});
  }
  if (!rejected.empty()) dead_letters->Add(source, origin, now_ms, rejected);
}

uint64_t TotalRejected(const DecodeOutput& decoded, const storage::AppendReport& report) {
  return decoded.rejected_total + report.rejected_too_old + report.rejected_too_new +
         report.rejected_invalid_labels + report.rejected_series_limit;
}

base::Status IngestSink::Write(const std::string& source, const std::string& origin, int64_t now_ms,
                               const DecodeOutput& decoded, storage::AppendReport* report,
                               bool defer_sync) {
  storage::AppendReport local;
  if (!decoded.batch.empty()) {
    TM_RETURN_IF_ERROR(defer_sync ? storage_->AppendDeferringSync(decoded.batch, &local)
                                  : storage_->Append(decoded.batch, &local));
  }
  RecordRejections(dead_letters_, source, origin, now_ms, decoded, local);
  if (report != nullptr) *report = local;
  return base::Status::Ok();
}

void IngestSink::Reject(const std::string& source, const std::string& origin, int64_t now_ms,
                        Rejected rejected) {
  if (dead_letters_ != nullptr) dead_letters_->Add(source, origin, now_ms, {std::move(rejected)});
}

}  // namespace tidemark::server::ingest
