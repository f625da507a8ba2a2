// Helpers that merge sample lists with "last write wins" on equal timestamps. Pure functions;
// thread-safe.
#pragma once

#include <vector>

#include "storage/write_batch.h"

namespace tidemark::storage {

// Sorts by time keeping, for equal timestamps, only the sample that came last in the input.
void SortDedupeLastWins(std::vector<Sample>* samples);

// Merges two time-sorted, duplicate-free lists; on equal timestamps `newer` wins.
std::vector<Sample> MergeLastWins(const std::vector<Sample>& older,
                                  const std::vector<Sample>& newer);

// Keeps only samples with mint <= t <= maxt (input sorted).
void ClipToRange(std::vector<Sample>* samples, int64_t mint, int64_t maxt);

}  // namespace tidemark::storage
