#include "peer.h"

#include <atomic>
#include <cstdlib>
#include <thread>

namespace lookalike::bench {

std::string PeerConfig::Label() const {
  std::string label = library + " M=" + std::to_string(m);
  if (library == "lookalike") {
    label += " " + code;
    if (!mmap_dir.empty()) label += " mmap";
    if (rerank_factor > 0) label += " rerank=" + std::to_string(rerank_factor).substr(0, 4);
  }
  return label;
}

Result<std::vector<PeerConfig>> ParsePeerList(const std::string& spec) {
  std::vector<PeerConfig> out;
  size_t pos = 0;
  while (pos <= spec.size()) {
    size_t comma = spec.find(',', pos);
    std::string item = spec.substr(pos, comma == std::string::npos ? std::string::npos
                                                                   : comma - pos);
    pos = comma == std::string::npos ? spec.size() + 1 : comma + 1;
    if (item.empty()) continue;
    PeerConfig c;
    size_t colon = item.find(':');
    c.library = item.substr(0, colon);
    if (c.library != "lookalike" && c.library != "hnswlib" && c.library != "faiss" &&
        c.library != "faiss-hnswlib-graph") {
      return Status::InvalidArgument(
          "unknown library '" + c.library +
          "' (expected lookalike, hnswlib, faiss or faiss-hnswlib-graph)");
    }
    if (colon != std::string::npos) {
      char* end = nullptr;
      long m = std::strtol(item.c_str() + colon + 1, &end, 10);
      if (*end != '\0' || m < 2 || m > 256) {
        return Status::InvalidArgument("bad M in '" + item + "' (expected 2..256)");
      }
      c.m = static_cast<int>(m);
    }
    out.push_back(c);
  }
  if (out.empty()) return Status::InvalidArgument("no library selected");
  return out;
}

Status AnnPeer::SearchAll(const float* queries, size_t nq, size_t k, int threads,
                          int64_t* out) const {
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  Status first_error;
  std::atomic_flag error_taken = ATOMIC_FLAG_INIT;
  auto worker = [&] {
    for (;;) {
      size_t q = next.fetch_add(1, std::memory_order_relaxed);
      if (q >= nq || failed.load(std::memory_order_relaxed)) return;
      Status st = Search(queries + q * dim_, k, out + q * k);
      if (!st.ok()) {
        if (!error_taken.test_and_set()) first_error = st;
        failed = true;
        return;
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  return failed ? first_error : Status::OK();
}

#ifdef LOOKALIKE_BENCH_HAVE_HNSWLIB
// The hnswlib adapter exists for AVX-512 and for AVX2 (peer_hnswlib_impl.h); pick here, in code
// built for the baseline ISA, before running any of it.
namespace {
bool HasAvx512() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
}
bool HasAvx2() {
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
         __builtin_cpu_supports("f16c") && __builtin_cpu_supports("popcnt");
}
Status NoHnswlibIsa() {
  return Status::Unsupported("the hnswlib adapter needs AVX2 (or AVX-512); this CPU has neither");
}
}  // namespace

Result<std::unique_ptr<AnnPeer>> CreateHnswlibPeer(const PeerConfig& config, size_t dim) {
  if (HasAvx512()) return CreateHnswlibPeerAvx512(config, dim);
  if (HasAvx2()) return CreateHnswlibPeerAvx2(config, dim);
  return NoHnswlibIsa();
}

Status BuildHnswlibGraph(const PeerConfig& config, size_t dim, const float* base, size_t n,
                         GraphSink* sink) {
  if (HasAvx512()) return BuildHnswlibGraphAvx512(config, dim, base, n, sink);
  if (HasAvx2()) return BuildHnswlibGraphAvx2(config, dim, base, n, sink);
  return NoHnswlibIsa();
}
#endif

Result<std::unique_ptr<AnnPeer>> CreatePeer(const PeerConfig& config, size_t dim) {
  if (config.library == "hnswlib") {
#ifdef LOOKALIKE_BENCH_HAVE_HNSWLIB
    return CreateHnswlibPeer(config, dim);
#else
    return Status::Unsupported("this bench_ann was built without hnswlib (libhnswlib-dev)");
#endif
  }
  if (config.library == "faiss") {
#ifdef LOOKALIKE_BENCH_HAVE_FAISS
    return CreateFaissPeer(config, dim);
#else
    return Status::Unsupported("this bench_ann was built without Faiss (libfaiss-dev)");
#endif
  }
  if (config.library == "faiss-hnswlib-graph") {
#if defined(LOOKALIKE_BENCH_HAVE_FAISS) && defined(LOOKALIKE_BENCH_HAVE_HNSWLIB)
    return CreateFaissImportedPeer(config, dim);
#else
    return Status::Unsupported("faiss-hnswlib-graph needs both Faiss and hnswlib");
#endif
  }
  if (config.library == "lookalike") {
#ifdef LOOKALIKE_BENCH_HAVE_LOOKALIKE_HNSW
    return CreateLookalikePeer(config, dim);
#else
    return Status::Unsupported("this bench_ann was built before Lookalike's HNSW existed");
#endif
  }
  return Status::InvalidArgument("unknown library '" + config.library + "'");
}

}  // namespace lookalike::bench
