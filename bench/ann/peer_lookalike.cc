// Lookalike HNSW adapter, through the public contract (include/lookalike/vector_index.h) only,
// exactly as the engine uses it.
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "lookalike/vector_index.h"
#include "peer.h"

namespace lookalike::bench {
namespace {

class LookalikePeer : public AnnPeer {
 public:
  LookalikePeer(const PeerConfig& config, size_t dim, HnswParams params)
      : config_(config), params_(params) {
    dim_ = dim;
  }

  Status Build(const float* base, size_t n) override {
    LOOKALIKE_ASSIGN_OR_RETURN(index_, CreateHnswIndex(dim_, config_.metric, params_));
    std::vector<uint64_t> labels(n);
    for (size_t i = 0; i < n; ++i) labels[i] = i;
    LOOKALIKE_RETURN_IF_ERROR(index_->AddBatch(n, labels.data(), base, config_.build_threads));
    if (config_.mmap_dir.empty()) return Status::OK();
    // The restart path: save, drop the built index (its memory goes back to the system), load
    // with the float32 vectors mapped from the file. Build time then includes save and load.
    std::string path = config_.mmap_dir + "/bench-ann-" + std::to_string(::getpid()) + ".hnsw";
    LOOKALIKE_RETURN_IF_ERROR(index_->Save(path));
    index_.reset();
    LoadOptions load;
    load.mmap_vectors = true;
    auto loaded = LoadIndex(path, load);
    std::remove(path.c_str());  // the mapping keeps the data alive until the index goes
    if (!loaded.ok()) return loaded.status();
    index_ = std::move(loaded).value();
    return Status::OK();
  }

  Status SetEfSearch(int ef) override {
    ef_ = ef;
    return Status::OK();
  }

  Status Search(const float* query, size_t k, int64_t* out) const override {
    // Per-thread result buffer: Search clears and refills it, so steady state allocates
    // nothing here (what the index allocates is its own business and is measured).
    thread_local std::vector<SearchHit> hits;
    SearchParams params;
    params.k = k;
    params.ef_search = ef_ < static_cast<int>(k) ? static_cast<int>(k) : ef_;
    params.rerank_factor = config_.rerank_factor;
    LOOKALIKE_RETURN_IF_ERROR(index_->Search(query, params, &hits));
    size_t got = hits.size() < k ? hits.size() : k;
    for (size_t i = 0; i < got; ++i) out[i] = static_cast<int64_t>(hits[i].label);
    for (size_t i = got; i < k; ++i) out[i] = -1;
    return Status::OK();
  }

  size_t IndexBytes() const override {
    // memory_bytes is what the index holds in memory, float32 vectors included unless they are
    // mapped from a file (--mmap), so adding vector_bytes would count them twice.
    return index_->Stats().memory_bytes;
  }

  std::string Notes() const override {
    IndexStats s = index_->Stats();
    return "Lookalike " + s.kind + ", " + std::string(CodeTypeName(params_.code)) +
           " codes, isa " + s.isa + ", in memory " + std::to_string(s.memory_bytes >> 20) +
           " MB, float32 " + std::to_string(s.vector_bytes >> 20) + " MB" +
           (config_.mmap_dir.empty() ? "" : " mmap'd from a file (build s includes save + load)");
  }

 private:
  PeerConfig config_;
  HnswParams params_;
  std::unique_ptr<VectorIndex> index_;
  int ef_ = 64;
};

}  // namespace

Result<std::unique_ptr<AnnPeer>> CreateLookalikePeer(const PeerConfig& config, size_t dim) {
  HnswParams params;
  params.m = config.m;
  params.ef_construction = config.ef_construction;
  params.build_threads = config.build_threads;
  LOOKALIKE_ASSIGN_OR_RETURN(params.code, ParseCodeType(config.code));
  if (config.rerank_factor > 0) params.rerank_factor = config.rerank_factor;
  return std::unique_ptr<AnnPeer>(std::make_unique<LookalikePeer>(config, dim, params));
}

}  // namespace lookalike::bench
