// The vector index contract: what the engine, the CLI and the benchmark harness program against.
//
// Two implementations: the exact flat index (the test oracle and ground truth) and HNSW over
// compressed codes with exact float32 rerank. Both are created by the factories at the bottom.
//
// Labels are 64-bit ids chosen by the caller (the engine uses its dense document numbers).
// Distances follow "smaller is closer" for every metric:
//   kL2            squared Euclidean distance
//   kInnerProduct  -<q, x>
//   kCosine        1 - <q/|q|, x/|x|>   (vectors are normalised once, at insert)
//
// Thread safety: Search, Stats and Contains may run concurrently with each other and with Add
// and Remove. Save may run concurrently with Search. Add/Remove from several threads at once is
// allowed. The object must outlive all calls in flight.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lookalike/status.h"

namespace lookalike {

enum class Metric : uint8_t { kL2 = 0, kInnerProduct = 1, kCosine = 2 };

/// "l2", "ip", "cosine" (and the OpenSearch/Elasticsearch aliases: "l2_norm", "innerproduct",
/// "dot_product", "max_inner_product", "cosinesimil").
Result<Metric> ParseMetric(std::string_view name);
std::string_view MetricName(Metric metric);

/// How the graph traversal stores vectors in RAM. Exact rerank always uses float32.
enum class CodeType : uint8_t { kFloat32 = 0, kFloat16 = 1, kInt8 = 2, kBinary = 3 };
/// "float32"/"none", "fp16"/"float16", "int8", "1bit"/"binary".
Result<CodeType> ParseCodeType(std::string_view name);
std::string_view CodeTypeName(CodeType type);

struct HnswParams {
  int m = 16;                       // links per node on upper layers (2*m on layer 0)
  int ef_construction = 128;
  int ef_search = 64;               // default beam width; SearchParams can override per query
  CodeType code = CodeType::kInt8;  // traversal codes
  float rerank_factor = 3.0f;       // rerank the best k*rerank_factor candidates against float32
  int build_threads = 0;            // 0 = all cores
  uint64_t seed = 42;
};

/// Allow-set for filtered search. Implementations must be thread-safe for reads.
class LabelFilter {
 public:
  virtual ~LabelFilter() = default;
  virtual bool Contains(uint64_t label) const = 0;
  /// Number of labels that pass, or -1 when unknown. Lets the index pick exact scan when few pass.
  virtual int64_t Count() const { return -1; }
  /// Appends every passing label to *out and returns true, or returns false when enumeration is
  /// not supported (then the index never picks the exact-scan path from Count alone).
  virtual bool Enumerate(std::vector<uint64_t>* out) const { return false; }
};

struct SearchParams {
  size_t k = 10;
  int ef_search = 0;  // 0 = index default; must be >= k when set (radial: where the beam starts)
  /// 0 = index default. Otherwise (>= 1) HNSW over compressed codes re-scores the best
  /// ceil(k * rerank_factor) code candidates against float32 and widens its beam to at least that
  /// many (Elasticsearch rescore_vector.oversample, OpenSearch rescore.oversample_factor).
  float rerank_factor = 0.0f;
  /// false: no float32 rerank; distances (and order) come from the traversal codes. Indices that
  /// search float32 vectors directly (flat, HNSW with float32 codes) ignore it.
  bool rerank = true;
  /// Radial search: when finite, only vectors at distance <= max_distance are returned, still at
  /// most k of them (the closest). HNSW repeats its search with a growing result count until it
  /// finds fewer than that many within the radius (the radius is exhausted) or reaches k; the
  /// flat index scans exactly.
  float max_distance = std::numeric_limits<float>::infinity();
  const LabelFilter* filter = nullptr; // nullptr = everything
};

struct SearchHit {
  uint64_t label;
  float distance;
};

struct IndexStats {
  std::string kind;        // "flat" or "hnsw"
  std::string isa;         // SIMD level chosen at run time: "scalar", "avx2", "avx512"
  size_t dim = 0;
  size_t live = 0;         // searchable vectors
  size_t deleted = 0;      // tombstones not yet compacted
  size_t memory_bytes = 0; // all resident structures: codes, graph and float32 vectors held in
                           // RAM; mmap'd float32 pages are not counted
  // (vector_bytes below is part of memory_bytes unless the vectors are mmap'd; never add them)
  size_t vector_bytes = 0; // float32 payload, resident or mapped
};

class VectorIndex {
 public:
  virtual ~VectorIndex() = default;

  virtual size_t dim() const = 0;
  virtual Metric metric() const = 0;
  /// Number of live (searchable) vectors.
  virtual size_t size() const = 0;

  /// Inserts or replaces the vector under `label`. InvalidArgument for NaN/Inf components or a
  /// zero vector under cosine. `vec` has dim() floats.
  virtual Status Add(uint64_t label, const float* vec) = 0;
  /// Adds n vectors (row-major) with `threads` workers (0 = all cores).
  virtual Status AddBatch(size_t n, const uint64_t* labels, const float* vecs, int threads = 0) = 0;
  /// Removes a label; NotFound if absent. The label never appears in results afterwards.
  virtual Status Remove(uint64_t label) = 0;
  virtual bool Contains(uint64_t label) const = 0;

  /// k nearest live vectors (within params.max_distance), closest first, into *out (cleared
  /// first). InvalidArgument for k == 0, k > 10000, ef_search < k (top-k only), a NaN
  /// max_distance, or a bad query vector.
  virtual Status Search(const float* query, const SearchParams& params,
                        std::vector<SearchHit>* out) const = 0;

  /// The float32 vector stored under `label`, as the index compares it (unit length under
  /// kCosine), into *out (resized to dim()). Searching with it ranks the label itself first;
  /// the near-duplicate report uses it to ask each stored vector for its neighbours. NotFound
  /// when the label is absent; Unsupported for an index that keeps no float32 vectors.
  virtual Status GetVector(uint64_t label, std::vector<float>* out) const {
    (void)label, (void)out;
    return Status::Unsupported("this vector index does not return stored vectors");
  }

  /// Writes a versioned, checksummed snapshot (see docs/formats/). Atomic and durable: a
  /// temporary file in the same directory, fsync, rename, fsync of the directory; on failure the
  /// previous snapshot at `path` is untouched and the temporary file is removed.
  virtual Status Save(const std::string& path) const = 0;

  virtual IndexStats Stats() const = 0;

  /// Bytes of the snapshot file this index maps (LoadOptions::mmap_vectors) that are in the page
  /// cache now, for the memory metrics; 0 when nothing is mapped. Costs one mincore pass over
  /// the mapping (a byte of scratch per page, no I/O); never call it on the search path.
  virtual size_t MappedResidentBytes() const { return 0; }
  /// Bytes mapped from the snapshot file (the upper bound of MappedResidentBytes).
  virtual size_t MappedBytes() const { return 0; }
};

Result<std::unique_ptr<VectorIndex>> CreateFlatIndex(size_t dim, Metric metric);
Result<std::unique_ptr<VectorIndex>> CreateHnswIndex(size_t dim, Metric metric,
                                                     const HnswParams& params);

struct LoadOptions {
  bool mmap_vectors = true;  // map float32 vectors from the file instead of reading them
};
/// Loads a snapshot written by Save (either kind). Corruption for a bad magic, version,
/// length or checksum; never crashes on a damaged file.
Result<std::unique_ptr<VectorIndex>> LoadIndex(const std::string& path,
                                               const LoadOptions& options = {});

/// Validates a vector for insertion or as a query: dimension, finiteness, non-zero under cosine.
Status ValidateVector(const float* vec, size_t n, size_t expected_dim, Metric metric);

}  // namespace lookalike
