// bench_ann: the ANN workload harness. Prepares one data set (a vector file or the seeded
// synthetic generator), computes or loads exact ground truth, then builds and sweeps every
// selected library on that same data and prints one markdown report (also written to
// <out>/ann-<dataset>-<n>.md). Run with --help for the flags.
#include <cblas.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "dataset.h"
#include "exact.h"
#include "ground_truth.h"
#include "peer.h"
#include "report.h"
#include "runner.h"
#include "synthetic.h"
#include "util.h"

extern "C" void openblas_set_num_threads(int num_threads);

namespace lookalike::bench {
namespace {

constexpr const char* kUsage = R"(usage: bench_ann [flags]

data:
  --dataset NAME|PATH   synthetic preset 'hard' (default) or 'easy', or a vector file:
                        .fvecs, .fbin, .npy (float32, C order) or raw float32 rows (--dim)
  --queries-file PATH   query vectors (default: synthetic queries, or for a file its last
                        --nq rows, which are then left out of the base set)
  --dim D               dimension of raw files; for synthetic data (default 1280)
  --n N                 base vectors (default 100000; for files 0 = all)
  --nq Q                queries (default 1000)
  --metric M            cosine (default), l2 or ip
  --seed S              synthetic seed (default 1)
  --synthetic K=V,...   override generator parameters (see docs/design/synthetic-data.md)
  --export PREFIX       also write PREFIX-base.fbin and PREFIX-queries.fbin

run:
  --libs LIST           default lookalike:16,hnswlib:16,faiss:16,faiss:48 (library:M);
                        faiss-hnswlib-graph:M = Faiss search over an hnswlib-built graph
  --ef LIST             ef_search sweep (default 16,32,64,128,256,512)
  --ef-construction E   default 128 (every library)
  --threads T           build threads for every library (default: all cores)
  --search-threads T    threads for the QPS pass (default 2)
  --k K                 neighbours per query, recall@K (default 10)
  --code C              Lookalike traversal codes: int8 (default), fp16, 1bit, none
  --rerank F            Lookalike rerank factor (default: the index default)
  --mmap DIR            Lookalike: save after building, then search a fresh load with the
                        float32 vectors mmap'd from DIR (the restart path; RSS columns show
                        what stays resident)
  --no-fork             run every library in this process (peak RSS is then shared)
  --no-exact            skip the exact search timing
  --cache DIR           ground-truth cache (default bench/out/cache; '' disables)
  --out DIR             report directory (default bench/out)
  --quiet               no progress lines on stderr
)";

struct Flags {
  std::string dataset = "hard";
  std::string queries_file;
  size_t dim = 0;
  size_t n = 100000;
  bool n_given = false;
  size_t nq = 1000;
  std::string metric = "cosine";
  uint64_t seed = 1;
  std::string synthetic;
  std::string export_prefix;
  std::string libs = "lookalike:16,hnswlib:16,faiss:16,faiss:48";
  std::string ef = "16,32,64,128,256,512";
  int ef_construction = 128;
  int threads = 0;
  int search_threads = 2;
  size_t k = 10;
  std::string code = "int8";
  float rerank = 0.0f;
  std::string mmap_dir;
  bool fork = true;
  bool exact = true;
  std::string cache = "bench/out/cache";
  std::string out = "bench/out";
  bool quiet = false;
};

Result<long long> ParseInt(const std::string& flag, const std::string& v, long long lo,
                           long long hi) {
  char* end = nullptr;
  long long x = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || x < lo || x > hi) {
    return Status::InvalidArgument(flag + ": expected an integer in [" + std::to_string(lo) +
                                   ", " + std::to_string(hi) + "], got '" + v + "'");
  }
  return x;
}

Status ParseFlags(int argc, char** argv, Flags* f) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (arg == "--no-fork") { f->fork = false; continue; }
    if (arg == "--no-exact") { f->exact = false; continue; }
    if (arg == "--quiet") { f->quiet = true; continue; }
    std::string value;
    size_t eq = arg.find('=');
    if (arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return Status::InvalidArgument("flag " + arg + " needs a value (see --help)");
    }
    if (arg == "--dataset") f->dataset = value;
    else if (arg == "--queries-file") f->queries_file = value;
    else if (arg == "--metric") f->metric = value;
    else if (arg == "--synthetic") f->synthetic = value;
    else if (arg == "--export") f->export_prefix = value;
    else if (arg == "--libs") f->libs = value;
    else if (arg == "--ef") f->ef = value;
    else if (arg == "--code") f->code = value;
    else if (arg == "--cache") f->cache = value;
    else if (arg == "--out") f->out = value;
    else if (arg == "--rerank") f->rerank = std::strtof(value.c_str(), nullptr);
    else if (arg == "--mmap") f->mmap_dir = value;
    else if (arg == "--dim") {
      LOOKALIKE_ASSIGN_OR_RETURN(long long v, ParseInt(arg, value, 1, 1 << 20));
      f->dim = static_cast<size_t>(v);
    } else if (arg == "--n") {
      LOOKALIKE_ASSIGN_OR_RETURN(long long v, ParseInt(arg, value, 0, 1LL << 32));
      f->n = static_cast<size_t>(v);
      f->n_given = true;
    } else if (arg == "--nq") {
      LOOKALIKE_ASSIGN_OR_RETURN(long long v, ParseInt(arg, value, 1, 1 << 24));
      f->nq = static_cast<size_t>(v);
    } else if (arg == "--seed") {
      LOOKALIKE_ASSIGN_OR_RETURN(long long v, ParseInt(arg, value, 0, 1LL << 62));
      f->seed = static_cast<uint64_t>(v);
    } else if (arg == "--ef-construction") {
      LOOKALIKE_ASSIGN_OR_RETURN(long long v, ParseInt(arg, value, 1, 1 << 16));
      f->ef_construction = static_cast<int>(v);
    } else if (arg == "--threads") {
      LOOKALIKE_ASSIGN_OR_RETURN(long long v, ParseInt(arg, value, 0, 1024));
      f->threads = static_cast<int>(v);
    } else if (arg == "--search-threads") {
      LOOKALIKE_ASSIGN_OR_RETURN(long long v, ParseInt(arg, value, 1, 1024));
      f->search_threads = static_cast<int>(v);
    } else if (arg == "--k") {
      LOOKALIKE_ASSIGN_OR_RETURN(long long v, ParseInt(arg, value, 1, 1000));
      f->k = static_cast<size_t>(v);
    } else {
      return Status::InvalidArgument("unknown flag " + arg + " (see --help)");
    }
  }
  return Status::OK();
}

Result<std::vector<int>> ParseEfList(const std::string& spec, size_t k) {
  std::vector<int> out;
  size_t pos = 0;
  while (pos < spec.size()) {
    size_t comma = spec.find(',', pos);
    std::string item = spec.substr(pos, comma == std::string::npos ? std::string::npos
                                                                   : comma - pos);
    pos = comma == std::string::npos ? spec.size() : comma + 1;
    LOOKALIKE_ASSIGN_OR_RETURN(long long v, ParseInt("--ef", item, 1, 100000));
    if (static_cast<size_t>(v) < k) {
      return Status::InvalidArgument("--ef " + item + " is below k = " + std::to_string(k));
    }
    if (!out.empty() && v <= out.back()) {
      return Status::InvalidArgument("--ef values must increase");
    }
    out.push_back(static_cast<int>(v));
  }
  if (out.empty()) return Status::InvalidArgument("--ef is empty");
  return out;
}

std::string MachineDescription() {
  std::string model = "unknown CPU";
  std::ifstream cpu("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpu, line)) {
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  }
  std::ifstream mem("/proc/meminfo");
  double gb = 0;
  while (std::getline(mem, line)) {
    if (line.rfind("MemTotal:", 0) == 0) gb = std::strtod(line.c_str() + 9, nullptr) / 1048576.0;
  }
  char buf[256];
  std::snprintf(buf, sizeof(buf), "%s, %d cores, %.0f GB RAM", model.c_str(), HardwareThreads(),
                gb);
  return buf;
}

std::string NowUtc() {
  std::time_t t = std::time(nullptr);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M UTC", std::gmtime(&t));
  return buf;
}

std::string BaseName(const std::string& path) {
  size_t slash = path.find_last_of('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  size_t dot = name.find('.');
  return dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
}

// Loads or generates base and query sets; fills the data part of `info`.
Status PrepareData(const Flags& f, int threads, Matrix* base, Matrix* queries, RunInfo* info) {
  double t0 = NowSeconds();
  if (f.dataset == "hard" || f.dataset == "easy") {
    LOOKALIKE_ASSIGN_OR_RETURN(SyntheticParams p, SyntheticPreset(f.dataset));
    p.dim = f.dim != 0 ? f.dim : 1280;
    p.seed = f.seed;
    LOOKALIKE_RETURN_IF_ERROR(ApplySyntheticOverrides(f.synthetic, &p));
    if (f.n == 0) return Status::InvalidArgument("--n must be positive for synthetic data");
    LOOKALIKE_ASSIGN_OR_RETURN(*base, GenerateSynthetic(p, kBaseStream, 0, f.n, threads));
    LOOKALIKE_ASSIGN_OR_RETURN(*queries, GenerateSynthetic(p, kQueryStream, 0, f.nq, threads));
    info->dataset = "synthetic-" + p.preset;
    info->data_details = "synthetic " + DescribeSynthetic(p);
  } else {
    size_t rows = 0, dim = 0;
    LOOKALIKE_RETURN_IF_ERROR(ProbeVectors(f.dataset, f.dim, &rows, &dim));
    size_t n = f.n_given ? f.n : 0;
    if (f.queries_file.empty()) {
      if (rows <= f.nq) return Status::InvalidArgument("file has too few rows to hold out queries");
      size_t available = rows - f.nq;
      if (n == 0 || n > available) n = available;
      LOOKALIKE_ASSIGN_OR_RETURN(*base, ReadVectors(f.dataset, dim, n, 0));
      LOOKALIKE_ASSIGN_OR_RETURN(*queries, ReadVectors(f.dataset, dim, f.nq, rows - f.nq));
      info->data_details = f.dataset + " (queries: its last " + std::to_string(f.nq) + " rows)";
    } else {
      LOOKALIKE_ASSIGN_OR_RETURN(*base, ReadVectors(f.dataset, dim, n, 0));
      LOOKALIKE_ASSIGN_OR_RETURN(*queries, ReadVectors(f.queries_file, dim, f.nq, 0));
      info->data_details = f.dataset + " (queries: " + f.queries_file + ")";
    }
    info->dataset = BaseName(f.dataset);
  }
  LOOKALIKE_ASSIGN_OR_RETURN(Metric metric, ParseMetric(f.metric));
  if (metric == Metric::kCosine) {
    // Normalise once here so every library sees unit vectors (Faiss and hnswlib do cosine as
    // inner product on unit vectors; Lookalike normalises at insert anyway).
    NormalizeRows(base, threads);
    NormalizeRows(queries, threads);
  }
  if (!f.export_prefix.empty()) {
    LOOKALIKE_RETURN_IF_ERROR(WriteVectors(f.export_prefix + "-base.fbin", *base));
    LOOKALIKE_RETURN_IF_ERROR(WriteVectors(f.export_prefix + "-queries.fbin", *queries));
  }
  info->n = base->rows;
  info->queries = queries->rows;
  info->dim = base->dim;
  info->data_seconds = NowSeconds() - t0;
  return Status::OK();
}

Status WriteReport(const std::string& dir, const std::string& name, const std::string& text,
                   std::string* path) {
  LOOKALIKE_RETURN_IF_ERROR(MakeDirs(dir));
  *path = dir + "/" + name;
  std::ofstream out(*path);
  if (!out) return Status::IOError("cannot write '" + *path + "'");
  out << text;
  out.close();
  return out ? Status::OK() : Status::IOError("cannot write '" + *path + "'");
}

Status Run(int argc, char** argv) {
  Flags f;
  LOOKALIKE_RETURN_IF_ERROR(ParseFlags(argc, argv, &f));
  const int threads = f.threads > 0 ? f.threads : HardwareThreads();
  openblas_set_num_threads(threads);
  LOOKALIKE_ASSIGN_OR_RETURN(Metric metric, ParseMetric(f.metric));
  LOOKALIKE_ASSIGN_OR_RETURN(std::vector<PeerConfig> configs, ParsePeerList(f.libs));
  RunOptions options;
  options.k = f.k;
  options.search_threads = f.search_threads;
  options.fork_per_library = f.fork;
  options.verbose = !f.quiet;
  LOOKALIKE_ASSIGN_OR_RETURN(options.ef_values, ParseEfList(f.ef, f.k));
  for (auto& c : configs) {
    c.ef_construction = f.ef_construction;
    c.build_threads = threads;
    c.metric = metric;
    c.code = f.code;
    c.rerank_factor = f.rerank;
    if (c.library == "lookalike") c.mmap_dir = f.mmap_dir;
  }

  RunInfo info;
  info.metric = std::string(MetricName(metric));
  info.k = f.k;
  info.build_threads = threads;
  info.search_threads = f.search_threads;
  info.ef_construction = f.ef_construction;
  info.machine = MachineDescription();
  info.date = NowUtc();
  for (int i = 0; i < argc; ++i) info.command += (i ? " " : "") + std::string(argv[i]);

  Matrix base, queries;
  LOOKALIKE_RETURN_IF_ERROR(PrepareData(f, threads, &base, &queries, &info));
  if (!f.quiet) {
    std::fprintf(stderr, "data: %zu x %zu base, %zu queries (%.1f s)\n", base.rows, base.dim,
                 queries.rows, info.data_seconds);
  }

  // Ground truth keeps 100 neighbours (or k if larger) so later runs can score recall@100.
  size_t gt_k = std::min(base.rows, std::max<size_t>(100, f.k));
  double t0 = NowSeconds();
  bool cached = false;
  std::string note;
  LOOKALIKE_ASSIGN_OR_RETURN(GroundTruth gt, CachedGroundTruth(f.cache, base, queries, metric,
                                                               gt_k, threads, &cached, &note));
  info.gt_seconds = NowSeconds() - t0;
  info.gt_k = gt_k;
  info.gt_note = std::string(cached ? "loaded from " : "computed; ") + note;
  {
    Difficulty d = MeasureDifficulty(gt, base, queries, metric);
    char buf[256];
    std::snprintf(buf, sizeof(buf),
                  "Euclidean distance to NN1 %.3f, NN10 %.3f, NN%zu %.3f, random %.3f; "
                  "relative contrast (random/NN10) %.3f; LID (MLE, k=%zu) %.1f",
                  d.nn1, d.nn10, gt.k, d.nn_last, d.random, d.relative_contrast, gt.k, d.lid);
    info.difficulty = buf;
  }
  if (!f.quiet) {
    std::fprintf(stderr, "ground truth: %s (%.1f s)\n", info.gt_note.c_str(), info.gt_seconds);
    std::fprintf(stderr, "difficulty: %s\n", info.difficulty.c_str());
  }

  if (f.exact) {
    // The issue's target: 100 queries against the whole base in one batch.
    Matrix q100;
    q100.dim = queries.dim;
    q100.rows = std::min<size_t>(100, queries.rows);
    q100.data.assign(queries.data.begin(), queries.data.begin() + q100.rows * q100.dim);
    if (!f.quiet) std::fprintf(stderr, "exact search: %zu queries...\n", q100.rows);
    info.exact = TimeExactSearch(base, q100, gt, metric, f.k, threads, &info.warnings);
  }

  // The report file is rewritten after every library, so a long run that is stopped early
  // still leaves the finished columns behind.
  std::string report_name = "ann-" + info.dataset + "-" + std::to_string(info.n) + ".md";
  std::string report_path;
  std::vector<PeerResult> results;
  for (const auto& c : configs) {
    results.push_back(RunPeer(c, base, queries, gt, options));
    if (!results.back().ok && !f.quiet) {
      std::fprintf(stderr, "[%s] failed: %s\n", c.Label().c_str(), results.back().error.c_str());
    }
    if (!f.out.empty() && &c != &configs.back()) {
      std::string partial = RenderReport(info, results) + "\n(partial: " +
                            std::to_string(results.size()) + " of " +
                            std::to_string(configs.size()) + " libraries done)\n";
      LOOKALIKE_RETURN_IF_ERROR(WriteReport(f.out, report_name, partial, &report_path));
    }
  }

  std::string report = RenderReport(info, results);
  std::fputs(report.c_str(), stdout);
  std::fflush(stdout);
  if (!f.out.empty()) {
    LOOKALIKE_RETURN_IF_ERROR(WriteReport(f.out, report_name, report, &report_path));
    if (!f.quiet) std::fprintf(stderr, "report written to %s\n", report_path.c_str());
  }
  return Status::OK();
}

}  // namespace
}  // namespace lookalike::bench

int main(int argc, char** argv) {
  lookalike::Status st = lookalike::bench::Run(argc, argv);
  if (!st.ok()) {
    std::fprintf(stderr, "bench_ann: %s\n", st.ToString().c_str());
    return 1;
  }
  return 0;
}
