#include "runner.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>
#include <unordered_set>

#include "util.h"

namespace lookalike::bench {
namespace {

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0.0;
  size_t idx = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size()))) - 1;
  idx = std::min(idx, v.size() - 1);
  std::nth_element(v.begin(), v.begin() + idx, v.end());
  return v[idx];
}

// Flags results a correct index can never return: labels outside [0, n) and repeated labels.
void CheckLabels(const std::vector<int64_t>& labels, size_t nq, size_t k, size_t n, int ef,
                 std::vector<std::string>* warnings) {
  size_t out_of_range = 0, duplicates = 0, short_lists = 0;
  std::unordered_set<int64_t> seen;
  for (size_t q = 0; q < nq; ++q) {
    seen.clear();
    for (size_t i = 0; i < k; ++i) {
      int64_t l = labels[q * k + i];
      if (l < 0) {
        ++short_lists;
        continue;
      }
      if (static_cast<size_t>(l) >= n) ++out_of_range;
      if (!seen.insert(l).second) ++duplicates;
    }
  }
  if (out_of_range + duplicates + short_lists == 0) return;
  char buf[200];
  std::snprintf(buf, sizeof(buf),
                "ef=%d: %zu labels out of range, %zu duplicate labels, %zu empty slots", ef,
                out_of_range, duplicates, short_lists);
  warnings->push_back(buf);
}

PeerResult RunInProcess(const PeerConfig& config, const Matrix& base, const Matrix& queries,
                        const GroundTruth& gt, const RunOptions& opt) {
  PeerResult r;
  r.config = config;
  const std::string label = config.Label();
  auto fail = [&](const Status& st) {
    r.ok = false;
    r.error = st.ToString();
    return r;
  };
  r.peak_exact = ResetPeakRss();
  size_t rss0 = CurrentRssBytes();
  auto created = CreatePeer(config, base.dim);
  if (!created.ok()) return fail(created.status());
  std::unique_ptr<AnnPeer> peer = std::move(created).value();

  if (opt.verbose) std::fprintf(stderr, "[%s] building %zu vectors...\n", label.c_str(), base.rows);
  double t0 = NowSeconds();
  double cpu0 = ProcessCpuSeconds();
  Status st = peer->Build(base.data.data(), base.rows);
  r.build_seconds = NowSeconds() - t0;
  r.build_cpu_seconds = ProcessCpuSeconds() - cpu0;
  if (!st.ok()) return fail(st);
  r.index_bytes = peer->IndexBytes();
  size_t rss_build = CurrentRssBytes();
  r.rss_after_build = rss_build > rss0 ? rss_build - rss0 : 0;
  r.notes = peer->Notes();
  if (opt.verbose) {
    std::fprintf(stderr, "[%s] built in %.1f s (%.1f CPU s), index %s\n", label.c_str(),
                 r.build_seconds, r.build_cpu_seconds, FormatBytes(r.index_bytes).c_str());
  }

  const size_t nq = queries.rows, k = opt.k;
  std::vector<int64_t> labels(nq * k), labels_mt(nq * k), labels_check(nq * k);
  std::vector<double> latencies(nq);
  for (int ef : opt.ef_values) {
    SweepPoint p;
    p.ef = ef;
    st = peer->SetEfSearch(ef);
    if (!st.ok()) return fail(st);
    // Warm-up: touch the upper layers and thread-local state before timing.
    for (size_t q = 0; q < std::min(opt.warmup_queries, nq); ++q) {
      st = peer->Search(queries.Row(q), k, labels.data() + q * k);
      if (!st.ok()) return fail(st);
    }
    double thread_cpu0 = ThreadCpuSeconds();
    for (size_t q = 0; q < nq; ++q) {
      double s = NowSeconds();
      st = peer->Search(queries.Row(q), k, labels.data() + q * k);
      latencies[q] = (NowSeconds() - s) * 1e3;
      if (!st.ok()) return fail(st);
    }
    // CPU time of this thread only: on a shared machine it is what the search itself cost,
    // free of the time spent preempted.
    p.cpu_ms = (ThreadCpuSeconds() - thread_cpu0) * 1e3 / static_cast<double>(nq);
    // Throughput: repeat the whole query set until the pass lasts long enough to average out
    // thread start-up and scheduler noise (the first repetition's labels are scored).
    size_t passes = 0;
    double mt0 = NowSeconds(), mt = 0.0;
    do {
      st = peer->SearchAll(queries.data.data(), nq, k, opt.search_threads, labels_mt.data());
      if (!st.ok()) return fail(st);
      ++passes;
      if (passes == 1) labels_check.swap(labels_mt);
      mt = NowSeconds() - mt0;
    } while (mt < opt.min_qps_seconds && passes < opt.max_qps_passes);
    labels_check.swap(labels_mt);
    p.recall = RecallAt(gt, labels.data(), k, k);
    p.recall_parallel = RecallAt(gt, labels_mt.data(), k, k);
    p.p50_ms = Percentile(latencies, 0.50);
    p.p99_ms = Percentile(latencies, 0.99);
    double sum = 0.0;
    for (double l : latencies) sum += l;
    p.mean_ms = sum / static_cast<double>(nq);
    p.qps = mt > 0 ? static_cast<double>(nq * passes) / mt : 0.0;
    CheckLabels(labels, nq, k, base.rows, ef, &r.warnings);
    if (std::fabs(p.recall - p.recall_parallel) > 0.005) {
      char buf[160];
      std::snprintf(buf, sizeof(buf), "ef=%d: recall %.4f single-thread vs %.4f with %d threads",
                    ef, p.recall, p.recall_parallel, opt.search_threads);
      r.warnings.push_back(buf);
    }
    if (opt.verbose) {
      std::fprintf(stderr,
                   "[%s] ef=%d recall@%zu=%.4f p50=%.3f ms p99=%.3f ms cpu=%.3f ms qps=%.0f\n",
                   label.c_str(), ef, k, p.recall, p.p50_ms, p.p99_ms, p.cpu_ms, p.qps);
    }
    r.sweep.push_back(p);
  }
  size_t peak = PeakRssBytes();
  r.peak_rss = peak > rss0 ? peak - rss0 : 0;
  size_t rss_end = CurrentRssBytes();
  r.rss_after_sweep = rss_end > rss0 ? rss_end - rss0 : 0;
  r.ok = true;
  return r;
}

// The child reports through a pipe in a line format: "key value...". Free text goes last.
std::string Serialize(const PeerResult& r) {
  std::ostringstream out;
  out.precision(17);
  out << "ok " << (r.ok ? 1 : 0) << "\n";
  out << "build " << r.build_seconds << " " << r.build_cpu_seconds << "\n";
  out << "bytes " << r.index_bytes << " " << r.rss_after_build << " " << r.peak_rss << " "
      << (r.peak_exact ? 1 : 0) << " " << r.rss_after_sweep << "\n";
  for (const auto& p : r.sweep) {
    out << "point " << p.ef << " " << p.recall << " " << p.recall_parallel << " " << p.p50_ms
        << " " << p.p99_ms << " " << p.mean_ms << " " << p.qps << " " << p.cpu_ms << "\n";
  }
  auto one_line = [](std::string s) {
    std::replace(s.begin(), s.end(), '\n', ' ');
    return s;
  };
  out << "notes " << one_line(r.notes) << "\n";
  for (const auto& w : r.warnings) out << "warning " << one_line(w) << "\n";
  out << "error " << one_line(r.error) << "\n";
  return out.str();
}

void Deserialize(const std::string& text, PeerResult* r) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string key;
    ls >> key;
    std::string rest = line.size() > key.size() + 1 ? line.substr(key.size() + 1) : "";
    if (key == "ok") {
      int ok = 0;
      ls >> ok;
      r->ok = ok != 0;
    } else if (key == "build") {
      ls >> r->build_seconds >> r->build_cpu_seconds;
    } else if (key == "bytes") {
      int exact = 1;
      ls >> r->index_bytes >> r->rss_after_build >> r->peak_rss >> exact >> r->rss_after_sweep;
      r->peak_exact = exact != 0;
    } else if (key == "point") {
      SweepPoint p;
      ls >> p.ef >> p.recall >> p.recall_parallel >> p.p50_ms >> p.p99_ms >> p.mean_ms >> p.qps >>
          p.cpu_ms;
      r->sweep.push_back(p);
    } else if (key == "notes") {
      r->notes = rest;
    } else if (key == "warning") {
      r->warnings.push_back(rest);
    } else if (key == "error") {
      r->error = rest;
    }
  }
}

bool WriteAll(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    ssize_t w = write(fd, s.data() + done, s.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    done += static_cast<size_t>(w);
  }
  return true;
}

}  // namespace

Result<std::string> RunInChild(const std::function<std::string()>& body) {
  int fds[2];
  if (pipe(fds) != 0) return Status::IOError(std::string("pipe: ") + std::strerror(errno));
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return Status::IOError(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    close(fds[0]);
    bool ok = WriteAll(fds[1], body());
    close(fds[1]);
    std::fflush(nullptr);
    // _exit: skip the parent's atexit handlers and static destructors in the copy.
    _exit(ok ? 0 : 3);
  }
  close(fds[1]);
  std::string text;
  char buf[4096];
  for (;;) {
    ssize_t got = read(fds[0], buf, sizeof(buf));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    text.append(buf, static_cast<size_t>(got));
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) {
    return Status::Unavailable("crashed with signal " + std::to_string(WTERMSIG(status)) + " (" +
                               strsignal(WTERMSIG(status)) + ")");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Status::Unavailable("child exited with status " + std::to_string(WEXITSTATUS(status)));
  }
  return text;
}

PeerResult RunPeer(const PeerConfig& config, const Matrix& base, const Matrix& queries,
                   const GroundTruth& gt, const RunOptions& options) {
  if (!options.fork_per_library) return RunInProcess(config, base, queries, gt, options);
  auto text = RunInChild(
      [&] { return Serialize(RunInProcess(config, base, queries, gt, options)); });
  PeerResult r;
  r.config = config;
  if (!text.ok()) {
    r.error = text.status().message();
    return r;
  }
  Deserialize(*text, &r);
  return r;
}

}  // namespace lookalike::bench
