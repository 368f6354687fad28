// Traversal codes for the HNSW index: an encoder, the per-query state, and the distance between a
// prepared query and a stored code, for each CodeType (float32, fp16, int8, 1-bit).
//
// A Quantizer is the "distance computer" half of the index: the graph (links) and the code store
// (bytes) live elsewhere and hand it code pointers. Every code is self-contained: any per-vector
// correction terms (norms, 1-bit scale) are stored after the packed components, so the store is one
// array of code_size() bytes per vector.
//
// Distances follow the index convention "smaller is closer" and approximate the metric's
// distance (index/metric.h): squared L2, or dot_offset - <q,x> (-<q,x> for ip, 1 - <q,x> for
// cosine, whose vectors are normalised first).
// They are used only to rank graph candidates; final distances come from the float32 rerank.
//
// Thread safety: after Train (or LoadParams) a Quantizer is immutable and may be used from many
// threads at once; each thread owns its PreparedQuery.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "index/metric.h"
#include <vector>

#include "lookalike/status.h"
#include "lookalike/vector_index.h"

namespace lookalike::quant {

/// Per-query state: the query folded for one code type. Buffers are reused across queries, so a
/// steady-state Prepare allocates nothing.
struct PreparedQuery {
  std::vector<float> q;  // folded query (dim floats)
  float bias = 0;        // constant term added to every distance
  float norm2 = 0;       // |q|^2 of the (normalised) query
  float sum = 0;         // sum of folded components (1-bit estimator)
  std::vector<int8_t> q8;  // folded query rounded to int8 (int8 codes: exact integer dot)
  float q8_scale = 0;      // q ~ q8 * q8_scale
};

class Quantizer {
 public:
  virtual ~Quantizer() = default;

  virtual CodeType type() const = 0;
  size_t dim() const { return dim_; }
  Metric metric() const { return metric_; }
  /// Bytes per stored code, a multiple of 4.
  virtual size_t code_size() const = 0;

  /// True when the quantizer needs no training or has been trained.
  virtual bool trained() const { return true; }
  /// Learns code parameters from n rows (already normalised under cosine). May be called again to
  /// retrain; existing codes must then be re-encoded. Non-finite components (a damaged index file
  /// can hold them) are ignored: the parameters are always finite, so SaveParams output always
  /// passes LoadParams.
  virtual void Train(const float* x, size_t n) {}

  /// x has dim() floats (already normalised under cosine); writes code_size() bytes. Defined for
  /// any input, NaN and infinite components included (their code is unspecified).
  virtual void Encode(const float* x, uint8_t* code) const = 0;
  /// Approximate reconstruction (for tests and diagnostics).
  virtual void Decode(const uint8_t* code, float* x) const = 0;

  /// Folds a (normalised) query into *pq. Reuses pq's buffers.
  virtual void Prepare(const float* query, PreparedQuery* pq) const = 0;
  /// Distance from a prepared query to one code.
  virtual float Distance(const PreparedQuery& pq, const uint8_t* code) const = 0;
  /// Distances to n codes (uses the 4-at-a-time kernels).
  virtual void Distances(const PreparedQuery& pq, const uint8_t* const* codes, size_t n,
                         float* out) const = 0;

  /// Trained parameters as bytes (for the index file) and back. LoadParams returns Corruption
  /// when the bytes do not fit this quantizer.
  virtual std::string SaveParams() const { return {}; }
  virtual Status LoadParams(const std::string& bytes) {
    return bytes.empty() ? Status::OK() : Status::Corruption("unexpected quantizer parameters");
  }

 protected:
  Quantizer(size_t dim, Metric metric)
      : dim_(dim), metric_(metric), metric_info_(MetricInfoOf(metric)) {}
  /// True when the metric's kernel is squared L2 (else the distance comes from <q,x>).
  bool l2() const { return metric_info_.kernel == DistanceKernel::kSquaredL2; }
  size_t dim_;
  Metric metric_;
  const MetricInfo& metric_info_;  // the row in index/metric.h: kernel and dot offset
};

/// Creates the quantizer for a code type; dim >= 1.
std::unique_ptr<Quantizer> MakeQuantizer(CodeType type, size_t dim, Metric metric);

}  // namespace lookalike::quant
