// Faiss IndexHNSWFlat adapter. Cosine is normalised vectors + METRIC_INNER_PRODUCT, which is
// how Faiss users do cosine. Faiss parallelises add() and batched search() with OpenMP, so the
// thread counts are set through omp_set_num_threads (a per-thread setting in libgomp).
#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <omp.h>

#include <exception>
#include <memory>
#include <vector>

#include "peer.h"

namespace lookalike::bench {
namespace {

class FaissPeer : public AnnPeer {
 public:
  FaissPeer(const PeerConfig& config, size_t dim) : config_(config) { dim_ = dim; }

  Status Build(const float* base, size_t n) override {
    try {
      faiss::MetricType metric =
          config_.metric == Metric::kL2 ? faiss::METRIC_L2 : faiss::METRIC_INNER_PRODUCT;
      index_ = std::make_unique<faiss::IndexHNSWFlat>(static_cast<int>(dim_), config_.m, metric);
      index_->hnsw.efConstruction = config_.ef_construction;
      omp_set_num_threads(config_.build_threads);
      index_->add(static_cast<faiss::Index::idx_t>(n), base);
    } catch (const std::exception& e) {
      return Status::Unavailable(std::string("faiss build failed: ") + e.what());
    }
    return Status::OK();
  }

  Status SetEfSearch(int ef) override {
    index_->hnsw.efSearch = ef;
    return Status::OK();
  }

  Status Search(const float* query, size_t k, int64_t* out) const override {
    // One query per call, one thread: the latency a request sees in a server.
    omp_set_num_threads(1);
    return Run(query, 1, k, out);
  }

  // Faiss's throughput API is a batch: one call, OpenMP splits the queries over the threads
  // and reuses one visited table per thread instead of allocating one per call.
  Status SearchAll(const float* queries, size_t nq, size_t k, int threads,
                   int64_t* out) const override {
    omp_set_num_threads(threads);
    return Run(queries, nq, k, out);
  }

  size_t IndexBytes() const override {
    size_t bytes = 0;
    if (auto* flat = dynamic_cast<const faiss::IndexFlatCodes*>(index_->storage)) {
      bytes += flat->codes.size();
    }
    const auto& h = index_->hnsw;
    bytes += h.neighbors.size() * sizeof(h.neighbors[0]) + h.levels.size() * sizeof(int) +
             h.offsets.size() * sizeof(size_t);
    return bytes;
  }

  std::string Notes() const override {
    return "Faiss 1.7.3 (Debian libfaiss-dev, generic build without AVX2 kernels)";
  }

 private:
  Status Run(const float* queries, size_t nq, size_t k, int64_t* out) const {
    std::vector<float> distances(nq * k);
    std::vector<faiss::Index::idx_t> labels(nq * k);
    try {
      index_->search(static_cast<faiss::Index::idx_t>(nq), queries, static_cast<faiss::Index::idx_t>(k),
                     distances.data(), labels.data());
    } catch (const std::exception& e) {
      return Status::Unavailable(std::string("faiss search failed: ") + e.what());
    }
    for (size_t i = 0; i < nq * k; ++i) out[i] = labels[i];
    return Status::OK();
  }

  PeerConfig config_;
  std::unique_ptr<faiss::IndexHNSWFlat> index_;
};

}  // namespace

Result<std::unique_ptr<AnnPeer>> CreateFaissPeer(const PeerConfig& config, size_t dim) {
  return std::unique_ptr<AnnPeer>(std::make_unique<FaissPeer>(config, dim));
}

}  // namespace lookalike::bench
