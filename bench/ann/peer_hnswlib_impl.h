// The hnswlib adapter, compiled twice (peer_hnswlib_avx512.cc, peer_hnswlib_avx2.cc) with the
// instruction set in the file name, so hnswlib gets the kernels it would get from -march=native
// on either class of machine (it picks AVX-512/AVX/SSE at run time only among those compiled
// in). The including file has already included hnswlib under a namespace of its own and defines
// LOOKALIKE_HNSWLIB_SUFFIX; peer.cc picks a variant from cpuid.
#include <exception>
#include <memory>
#include <thread>
#include <vector>

#include "peer.h"
#include "util.h"

#define LOOKALIKE_HNSWLIB_CAT2(a, b) a##b
#define LOOKALIKE_HNSWLIB_CAT(a, b) LOOKALIKE_HNSWLIB_CAT2(a, b)
#define LOOKALIKE_HNSWLIB_NAME(base) LOOKALIKE_HNSWLIB_CAT(base, LOOKALIKE_HNSWLIB_SUFFIX)

namespace lookalike::bench {
namespace {

class HnswlibPeer : public AnnPeer {
 public:
  HnswlibPeer(const PeerConfig& config, size_t dim) : config_(config) {
    dim_ = dim;
    if (config.metric == Metric::kL2) {
      space_ = std::make_unique<hnswlib::L2Space>(dim);
    } else {
      // Cosine arrives here as normalised vectors, so 1 - <q, x> is the cosine distance.
      space_ = std::make_unique<hnswlib::InnerProductSpace>(dim);
    }
  }

  Status Build(const float* base, size_t n) override {
    try {
      index_ = std::make_unique<hnswlib::HierarchicalNSW<float>>(
          space_.get(), n, config_.m, config_.ef_construction, /*random_seed=*/100);
      // hnswlib's addPoint is safe to call concurrently; the first point goes in alone so the
      // entry point exists before the workers start.
      if (n == 0) return Status::OK();
      index_->addPoint(base, 0);
      ParallelFor(n - 1, config_.build_threads, 64, [&](size_t begin, size_t end) {
        for (size_t i = begin + 1; i < end + 1; ++i) index_->addPoint(base + i * dim_, i);
      });
    } catch (const std::exception& e) {
      return Status::Unavailable(std::string("hnswlib build failed: ") + e.what());
    }
    return Status::OK();
  }

  Status SetEfSearch(int ef) override {
    index_->setEf(ef);
    return Status::OK();
  }

  Status Search(const float* query, size_t k, int64_t* out) const override {
    try {
      auto heap = index_->searchKnn(query, k);
      size_t got = heap.size();
      for (size_t i = got; i < k; ++i) out[i] = -1;
      while (!heap.empty()) {
        out[--got] = static_cast<int64_t>(heap.top().second);
        heap.pop();
      }
    } catch (const std::exception& e) {
      return Status::Unavailable(std::string("hnswlib search failed: ") + e.what());
    }
    return Status::OK();
  }

  size_t IndexBytes() const override {
    const auto& h = *index_;
    size_t bytes = h.max_elements_ * h.size_data_per_element_;  // level 0: links+vector+label
    for (size_t i = 0; i < h.cur_element_count; ++i) {
      bytes += static_cast<size_t>(h.element_levels_[i]) * h.size_links_per_element_;
    }
    // Per-element bookkeeping: upper-level pointer, level, one mutex.
    bytes += h.max_elements_ * (sizeof(char*) + sizeof(int) + sizeof(std::mutex));
    return bytes;
  }

  const hnswlib::HierarchicalNSW<float>& index() const { return *index_; }

  std::string Notes() const override {
#if defined(__AVX512F__)
    return "hnswlib 0.6.2 (Debian), built with AVX-512 kernels";
#else
    return "hnswlib 0.6.2 (Debian), built with AVX2 kernels (this CPU lacks AVX-512)";
#endif
  }

 private:
  PeerConfig config_;
  std::unique_ptr<hnswlib::SpaceInterface<float>> space_;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> index_;
};

}  // namespace

Status LOOKALIKE_HNSWLIB_NAME(BuildHnswlibGraph)(const PeerConfig& config, size_t dim, const float* base, size_t n,
                         GraphSink* sink) {
  HnswlibPeer peer(config, dim);
  LOOKALIKE_RETURN_IF_ERROR(peer.Build(base, n));
  const auto& h = peer.index();
  // hnswlib numbers nodes in insertion order, which the parallel build shuffles; translate.
  std::vector<int> top(n, 0);
  for (size_t id = 0; id < h.cur_element_count; ++id) {
    top[h.getExternalLabel(static_cast<hnswlib::tableint>(id))] = h.element_levels_[id];
  }
  int64_t entry = n == 0 ? -1 : static_cast<int64_t>(h.getExternalLabel(h.enterpoint_node_));
  sink->Levels(top, entry, n == 0 ? -1 : h.maxlevel_);
  std::vector<int64_t> nbrs;
  for (size_t id = 0; id < h.cur_element_count; ++id) {
    auto tid = static_cast<hnswlib::tableint>(id);
    size_t label = h.getExternalLabel(tid);
    for (int level = 0; level <= h.element_levels_[id]; ++level) {
      hnswlib::linklistsizeint* list =
          level == 0 ? h.get_linklist0(tid) : h.get_linklist(tid, level);
      size_t count = h.getListCount(list);
      const auto* ids = reinterpret_cast<const hnswlib::tableint*>(list + 1);
      nbrs.resize(count);
      for (size_t j = 0; j < count; ++j) nbrs[j] = int64_t(h.getExternalLabel(ids[j]));
      sink->Links(label, level, nbrs.data(), count);
    }
  }
  return Status::OK();
}

Result<std::unique_ptr<AnnPeer>> LOOKALIKE_HNSWLIB_NAME(CreateHnswlibPeer)(const PeerConfig& config,
                                                                          size_t dim) {
  // The caller (peer.cc, baseline ISA) has checked that the CPU runs this translation unit.
  return std::unique_ptr<AnnPeer>(std::make_unique<HnswlibPeer>(config, dim));
}

}  // namespace lookalike::bench
