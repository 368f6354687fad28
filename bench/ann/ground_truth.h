// Exact k-nearest-neighbour ground truth by brute force (OpenBLAS sgemm + per-query top-k),
// cached on disk under a key derived from the data itself.
//
// Cache file layout (little-endian), written atomically (temporary file + rename):
//   char[8]  magic "LKANNGT\0"
//   u32      version (1)
//   u32      metric (lookalike::Metric)
//   u64      key    (see GroundTruthKey)
//   u64      queries, u64 k
//   u32      ids[queries * k]        row numbers in the base set, closest first
//   f32      distances[queries * k]  smaller is closer, as in lookalike/vector_index.h
//   u32      CRC-32C of everything above
// A file whose magic, version, key, sizes or checksum do not match is ignored and rewritten.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "dataset.h"
#include "lookalike/status.h"
#include "lookalike/vector_index.h"

namespace lookalike::bench {

struct GroundTruth {
  size_t queries = 0;
  size_t k = 0;
  std::vector<uint32_t> ids;    // queries x k
  std::vector<float> distances; // queries x k

  const uint32_t* Ids(size_t q) const { return ids.data() + q * k; }
};

/// Exact top-k of every query row against every base row. For kCosine both sets must already
/// be L2-normalised (the harness normalises once, like the indexes do at insert).
Result<GroundTruth> ComputeGroundTruth(const Matrix& base, const Matrix& queries, Metric metric,
                                       size_t k, int threads);

/// A 64-bit key over the bytes of both sets, their shapes, the metric and k.
uint64_t GroundTruthKey(const Matrix& base, const Matrix& queries, Metric metric, size_t k);

/// Loads `dir`/gt-<key>.bin when it is valid for this data, else computes and stores it.
/// `*cached` tells which happened. An unwritable cache directory is reported, not fatal.
Result<GroundTruth> CachedGroundTruth(const std::string& dir, const Matrix& base,
                                      const Matrix& queries, Metric metric, size_t k,
                                      int threads, bool* cached, std::string* note);

/// How hard a data set is for graph search, from the ground truth (see
/// docs/design/synthetic-data.md): Euclidean distances to the 1st, 10th and last true neighbour
/// and to random base rows, their ratio (relative contrast) and the MLE local intrinsic
/// dimensionality over the k true neighbours (Levina-Bickel / Amsaleg et al.), averaged.
struct Difficulty {
  double nn1 = 0.0, nn10 = 0.0, nn_last = 0.0, random = 0.0;
  double relative_contrast = 0.0;  // random / nn10
  double lid = 0.0;
};
Difficulty MeasureDifficulty(const GroundTruth& gt, const Matrix& base, const Matrix& queries,
                             Metric metric);

/// Fraction of the first `at` true neighbours found among the first `at` returned labels,
/// averaged over queries. `found` holds queries x stride labels (-1 = empty slot).
double RecallAt(const GroundTruth& gt, const int64_t* found, size_t stride, size_t at);

}  // namespace lookalike::bench
