// Neumaier's compensated summation, the summation Prometheus applies in sum_over_time,
// avg_over_time and the regression functions. Shared so that a rollup bucket's sum equals
// sum_over_time over the same raw samples bit for bit.
#pragma once

#include <cmath>

namespace tidemark::base {

// Adds x to *sum; *c collects what rounding dropped from *sum.
inline void CompensatedAdd(double x, double* sum, double* c) {
  const double t = *sum + x;
  *c += std::fabs(*sum) >= std::fabs(x) ? (*sum - t) + x : (x - t) + *sum;
  *sum = t;
}

// The compensated total: sum + c, or sum itself once it overflowed to an infinity (c is NaN then).
inline double CompensatedTotal(double sum, double c) { return std::isinf(sum) ? sum : sum + c; }

}  // namespace tidemark::base
