// Prometheus collectors that read other modules' counters at scrape time, so storage, query and
// ingest stay free of any metrics library: storage statistics, query result cache statistics and
// dead-letter counts. The objects they
// read must outlive them. Thread-safe (the underlying Stats/Counts calls are).
#pragma once

#include <prometheus/collectable.h>

#include <memory>

#include "query/result_cache.h"
#include "server/ingest/dead_letters.h"
#include "storage/storage.h"

namespace tidemark::server {

std::shared_ptr<prometheus::Collectable> MakeStorageCollector(const storage::Storage* storage);
// Hit, miss and size counters of the query result cache.
std::shared_ptr<prometheus::Collectable> MakeResultCacheCollector(
    std::shared_ptr<const query::ResultCache> cache);
std::shared_ptr<prometheus::Collectable> MakeDeadLetterCollector(
    const ingest::DeadLetters* dead_letters);

}  // namespace tidemark::server
