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
      MakeIndex();
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

 protected:
  void MakeIndex() {
    faiss::MetricType metric =
        config_.metric == Metric::kL2 ? faiss::METRIC_L2 : faiss::METRIC_INNER_PRODUCT;
    index_ = std::make_unique<faiss::IndexHNSWFlat>(static_cast<int>(dim_), config_.m, metric);
    index_->hnsw.efConstruction = config_.ef_construction;
  }

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

#ifdef LOOKALIKE_BENCH_HAVE_HNSWLIB
// Debian's Faiss is a generic build: its own 1M x 1280 build at M=48 takes hours on two cores.
// Search speed depends on the graph and the search code, not on who built the graph, so this
// peer lets hnswlib (same algorithm, same M and efConstruction, float32 distances like Faiss)
// build it, copies the links into Faiss's HNSW arrays, and times Faiss's own search over them.
// Faiss and hnswlib share the layout: 2*M links on level 0, M above.
class FaissImportedPeer : public FaissPeer, private GraphSink {
 public:
  using FaissPeer::FaissPeer;

  Status Build(const float* base, size_t n) override {
    try {
      MakeIndex();
      LOOKALIKE_RETURN_IF_ERROR(BuildHnswlibGraph(config_, dim_, base, n, this));
      index_->storage->add(static_cast<faiss::Index::idx_t>(n), base);
      index_->ntotal = static_cast<faiss::Index::idx_t>(n);
    } catch (const std::exception& e) {
      return Status::Unavailable(std::string("faiss import failed: ") + e.what());
    }
    return Status::OK();
  }

  std::string Notes() const override {
    return "Faiss 1.7.3 search (Debian, generic build) over the graph hnswlib built with the "
           "same M and efConstruction; the build column is hnswlib's build plus the copy";
  }

 private:
  void Levels(const std::vector<int>& top_level, int64_t entry, int max_level) override {
    auto& h = index_->hnsw;
    for (int top : top_level) h.levels.push_back(top + 1);
    h.prepare_level_tab(top_level.size(), /*preset_levels=*/true);
    h.entry_point = static_cast<faiss::HNSW::storage_idx_t>(entry);
    h.max_level = max_level;
  }

  void Links(size_t node, int level, const int64_t* neighbours, size_t count) override {
    size_t begin = 0, end = 0;
    index_->hnsw.neighbor_range(static_cast<faiss::HNSW::idx_t>(node), level, &begin, &end);
    for (size_t j = 0; j < count && begin + j < end; ++j) {
      index_->hnsw.neighbors[begin + j] = static_cast<faiss::HNSW::storage_idx_t>(neighbours[j]);
    }
  }
};
#endif  // LOOKALIKE_BENCH_HAVE_HNSWLIB

}  // namespace

#ifdef LOOKALIKE_BENCH_HAVE_HNSWLIB
Result<std::unique_ptr<AnnPeer>> CreateFaissImportedPeer(const PeerConfig& config, size_t dim) {
  return std::unique_ptr<AnnPeer>(std::make_unique<FaissImportedPeer>(config, dim));
}
#endif

Result<std::unique_ptr<AnnPeer>> CreateFaissPeer(const PeerConfig& config, size_t dim) {
  return std::unique_ptr<AnnPeer>(std::make_unique<FaissPeer>(config, dim));
}

}  // namespace lookalike::bench
