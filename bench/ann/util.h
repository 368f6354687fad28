// Small helpers shared by the ANN harness: a parallel loop, a wall clock, process memory and
// the row-hash RNG behind the synthetic generator.
//
// Thread safety: every function is safe to call from any thread; ParallelFor runs `body` from
// `threads` threads at once, so `body` must only write disjoint data.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "lookalike/status.h"

namespace lookalike::bench {

/// Calls body(begin, end) on chunks of [0, n) from `threads` workers (the calling thread is one
/// of them). Chunks are handed out dynamically so uneven work still balances.
void ParallelFor(size_t n, int threads, size_t chunk,
                 const std::function<void(size_t begin, size_t end)>& body);

/// Number of online CPUs (at least 1).
int HardwareThreads();

/// Seconds since an arbitrary epoch, monotonic.
inline double NowSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// CPU seconds consumed so far by the whole process (all threads) and by the calling thread.
double ProcessCpuSeconds();
double ThreadCpuSeconds();

/// Resident set size and its high-water mark of this process in bytes, from /proc/self/status
/// (0 when unavailable).
size_t CurrentRssBytes();
size_t PeakRssBytes();
/// Resets the kernel's high-water mark (writes "5" to /proc/self/clear_refs) so PeakRssBytes()
/// afterwards measures only what follows. Returns false when the kernel refuses.
bool ResetPeakRss();

/// SplitMix64 step: a strong 64-bit mixer used to derive independent per-row seeds.
inline uint64_t Mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// xoshiro256** seeded from one 64-bit value; fast and good enough for synthetic data.
class Rng {
 public:
  explicit Rng(uint64_t seed);
  uint64_t Next();
  /// Uniform in [0, 1).
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  /// Standard normal (Marsaglia polar method; the spare value is cached).
  double Normal();

 private:
  uint64_t s_[4];
  double spare_ = 0.0;
  bool has_spare_ = false;
};

/// mkdir -p.
Status MakeDirs(const std::string& dir);

/// "12.3 MB" style, powers of 1024 with the MB/GB names the tables use.
std::string FormatBytes(size_t bytes);

}  // namespace lookalike::bench
