// One adapter per library under test, so the runner drives Lookalike, hnswlib and Faiss through
// the same calls on the same data.
//
// Thread safety: Build and SetEfSearch are never called concurrently with anything else.
// Search must be safe to call from several threads at once (all three libraries allow
// concurrent reads). SearchAll may start its own threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lookalike/status.h"
#include "lookalike/vector_index.h"

namespace lookalike::bench {

struct PeerConfig {
  std::string library;      // "lookalike", "hnswlib", "faiss", "faiss-hnswlib-graph"
  int m = 16;
  int ef_construction = 128;
  int build_threads = 1;
  Metric metric = Metric::kCosine;
  // Lookalike only.
  std::string code = "int8";
  float rerank_factor = 0.0f;  // 0 = the index default
  // Non-empty: after building, save the index under this folder and search a fresh load of it
  // with the float32 vectors mmap'd (the engine's restart path); the file is deleted after.
  std::string mmap_dir;

  /// "hnswlib M=16" style label for tables.
  std::string Label() const;
};

/// Parses "lookalike:16,hnswlib:16,faiss:16,faiss:48" (library:M; M defaults to 16).
Result<std::vector<PeerConfig>> ParsePeerList(const std::string& spec);

class AnnPeer {
 public:
  virtual ~AnnPeer() = default;

  /// Indexes n rows (labels 0..n-1) with the configured build threads.
  virtual Status Build(const float* base, size_t n) = 0;
  /// Beam width for the following searches.
  virtual Status SetEfSearch(int ef) = 0;
  /// k nearest labels, closest first, into out[0..k) (-1 fills missing slots). Single thread.
  virtual Status Search(const float* query, size_t k, int64_t* out) const = 0;
  /// All queries with `threads` workers; labels into out (nq x k). The default runs Search from
  /// `threads` std::threads; libraries with a batch API override it.
  virtual Status SearchAll(const float* queries, size_t nq, size_t k, int threads,
                           int64_t* out) const;
  /// Bytes of the index structures (graph + stored vectors/codes) as the library accounts them.
  virtual size_t IndexBytes() const = 0;
  /// Extra facts for the table notes (SIMD level, code type, ...).
  virtual std::string Notes() const { return ""; }

 protected:
  size_t dim_ = 0;
};

/// The adapter for config.library, or Unsupported when this build lacks the library.
Result<std::unique_ptr<AnnPeer>> CreatePeer(const PeerConfig& config, size_t dim);

// Per-library factories (each in its own translation unit; hnswlib's header may only be
// included once per program).
/// hnswlib built for the best instruction set this CPU has (Unsupported below AVX2).
Result<std::unique_ptr<AnnPeer>> CreateHnswlibPeer(const PeerConfig& config, size_t dim);
Result<std::unique_ptr<AnnPeer>> CreateHnswlibPeerAvx512(const PeerConfig& config, size_t dim);
Result<std::unique_ptr<AnnPeer>> CreateHnswlibPeerAvx2(const PeerConfig& config, size_t dim);
Result<std::unique_ptr<AnnPeer>> CreateFaissPeer(const PeerConfig& config, size_t dim);
Result<std::unique_ptr<AnnPeer>> CreateLookalikePeer(const PeerConfig& config, size_t dim);
// Faiss's search over a graph built by hnswlib with the same M and efConstruction (see
// peer_faiss.cc for why); needs both libraries.
Result<std::unique_ptr<AnnPeer>> CreateFaissImportedPeer(const PeerConfig& config, size_t dim);

/// Receives an HNSW graph node by node, in label space (node i = base row i).
class GraphSink {
 public:
  virtual ~GraphSink() = default;
  /// Called once, first: the top level of every node, the entry node and the maximum level.
  virtual void Levels(const std::vector<int>& top_level, int64_t entry, int max_level) = 0;
  /// Then once per node and level 0..top_level[node]: its neighbours (labels).
  virtual void Links(size_t node, int level, const int64_t* neighbours, size_t count) = 0;
};

/// Builds hnswlib (config.m, config.ef_construction, config.build_threads) over base and hands
/// its graph to sink; the hnswlib index is freed before returning.
Status BuildHnswlibGraph(const PeerConfig& config, size_t dim, const float* base, size_t n,
                         GraphSink* sink);
Status BuildHnswlibGraphAvx512(const PeerConfig& config, size_t dim, const float* base, size_t n,
                               GraphSink* sink);
Status BuildHnswlibGraphAvx2(const PeerConfig& config, size_t dim, const float* base, size_t n,
                             GraphSink* sink);

}  // namespace lookalike::bench
