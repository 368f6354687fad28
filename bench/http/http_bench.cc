// bench_http: the REST server under load, end to end over HTTP with JSON bodies (issue 3,
// items 4 and 5). Starts `lookalike serve` on a temporary data directory (or uses --server),
// ingests n vectors through _bulk from one client, waits until they are searchable (_refresh),
// then, for each ef_search of the sweep (sent per query as method_parameters.ef_search), runs
// knn searches from 1 and 4 keep-alive clients and reports latency percentiles, QPS and
// recall@k against exact ground truth.
//
// Data: --dataset hard (default) or easy are bench_ann's seeded CNN-like presets
// (docs/design/synthetic-data.md; cosine, the reference's space), with queries from the
// preset's separate query stream and ground truth by sgemm, cached like bench_ann's;
// --dataset gaussian is plain clustered Gaussian data under l2 (queries = base rows + noise).
//
//   bench_http [--n 20000] [--dim 1280] [--dataset hard] [--batch 500] [--queries 2000]
//              [--recall-queries 200] [--clients 1,4] [--k 10] [--m 16]
//              [--ef-construction 128] [--ef-search 64,128,256]
//              [--server http://127.0.0.1:9200] [--binary build/lookalike] [--out FILE]
//              [--cache bench/out/cache] [--keep-index] [--no-ingest] [--scrape-ms 0,1000]
//
// --keep-index leaves the index in place at the end; --no-ingest skips creating and loading it
// and only queries (with --server: e.g. a server restarted on the data of an earlier run).
// --scrape-ms repeats each timed row once per value: 0 = no scraping, N = a separate client
// GETs /_prometheus/metrics every N ms during the row (the metrics endpoint's cost on search).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <simdjson.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ground_truth.h"
#include "synthetic.h"

namespace {
namespace lb = lookalike::bench;

using Clock = std::chrono::steady_clock;

struct Args {
  size_t n = 20000;
  size_t dim = 1280;
  size_t batch = 500;
  size_t queries = 2000;
  size_t recall_queries = 200;
  std::string dataset = "hard";
  std::string cache = "bench/out/cache";
  std::vector<int> clients = {1, 4};
  int k = 10;
  int m = 16;
  int ef_construction = 128;
  std::vector<int> ef_search = {64, 128, 256};
  std::vector<int> scrape_ms = {0};  // per timed row; 0 = no metrics scraping
  bool keep_index = false;
  bool ingest = true;
  std::string server;  // host:port of a running server; empty = start one
  std::string binary;
  std::string out = "bench/out/http.md";
};

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// A blocking keep-alive HTTP/1.1 client connection (just enough for the benchmark).
class Conn {
 public:
  Conn(const std::string& host, int port) : host_header_(host + ":" + std::to_string(port)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      close(fd_);
      fd_ = -1;
      return;
    }
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  ~Conn() {
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return fd_ >= 0; }

  // Returns the status code (0 on transport failure); the body goes to *body.
  int Request(const char* method, const std::string& path, const std::string& payload,
              std::string* body, const char* content_type = "application/json") {
    std::string req;
    req.reserve(payload.size() + 200);
    // The server's guard against DNS rebinding answers only Host names it is bound to.
    req.append(method).append(" ").append(path).append(" HTTP/1.1\r\nHost: ");
    req.append(host_header_).append("\r\n");
    req.append("Content-Type: ").append(content_type).append("\r\n");
    req.append("Content-Length: ").append(std::to_string(payload.size())).append("\r\n\r\n");
    req.append(payload);
    size_t sent = 0;
    while (sent < req.size()) {
      ssize_t n = send(fd_, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return 0;
      sent += static_cast<size_t>(n);
    }
    // Read the head, then Content-Length bytes.
    buf_.erase(0, consumed_);
    consumed_ = 0;
    size_t head_end;
    while ((head_end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return 0;
    }
    int status = std::atoi(buf_.c_str() + 9);
    size_t len = 0;
    size_t cl = buf_.find("content-length: ");
    if (cl != std::string::npos && cl < head_end) len = std::strtoul(buf_.c_str() + cl + 16, nullptr, 10);
    while (buf_.size() < head_end + 4 + len) {
      if (!Fill()) return 0;
    }
    body->assign(buf_, head_end + 4, len);
    consumed_ = head_end + 4 + len;
    return status;
  }

 private:
  bool Fill() {
    char tmp[65536];
    ssize_t n = recv(fd_, tmp, sizeof(tmp), 0);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }
  std::string host_header_;
  int fd_ = -1;
  std::string buf_;
  size_t consumed_ = 0;
};

void AppendFloat(std::string* out, float v) {
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, res.ptr);
}

void AppendVector(std::string* out, const float* v, size_t dim) {
  out->push_back('[');
  for (size_t j = 0; j < dim; ++j) {
    if (j) out->push_back(',');
    AppendFloat(out, v[j]);
  }
  out->push_back(']');
}

// Clustered Gaussian data, rounded to 4 decimals (like the client tests).
std::vector<float> MakeData(size_t n, size_t dim, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> gauss;
  const size_t kCenters = 100;
  std::vector<float> centers(kCenters * dim);
  for (float& c : centers) c = gauss(rng);
  std::vector<float> x(n * dim);
  std::uniform_int_distribution<size_t> pick(0, kCenters - 1);
  for (size_t i = 0; i < n; ++i) {
    const float* c = &centers[pick(rng) * dim];
    for (size_t j = 0; j < dim; ++j) {
      x[i * dim + j] = std::round((c[j] + 0.6f * gauss(rng)) * 1e4f) / 1e4f;
    }
  }
  return x;
}

std::vector<int64_t> HitIds(const std::string& body) {
  std::vector<int64_t> ids;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(body).get(root) != simdjson::SUCCESS) return ids;
  simdjson::dom::array hits;
  if (root["hits"]["hits"].get_array().get(hits) != simdjson::SUCCESS) return ids;
  for (auto h : hits) {
    std::string_view id;
    if (h["_id"].get_string().get(id) == simdjson::SUCCESS) {
      ids.push_back(std::strtoll(std::string(id).c_str(), nullptr, 10));
    }
  }
  return ids;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5));
  return v[i];
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

std::vector<int> ParseInts(const std::string& list) {
  std::vector<int> out;
  std::stringstream ss(list);
  std::string part;
  while (std::getline(ss, part, ',')) out.push_back(std::stoi(part));
  return out;
}

bool ParseArgs(int argc, char** argv, Args* a) {
  for (int i = 1; i < argc; ++i) {
    std::string f = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (f == "--n") a->n = std::stoul(next());
    else if (f == "--dim") a->dim = std::stoul(next());
    else if (f == "--batch") a->batch = std::stoul(next());
    else if (f == "--queries") a->queries = std::stoul(next());
    else if (f == "--recall-queries") a->recall_queries = std::stoul(next());
    else if (f == "--k") a->k = std::stoi(next());
    else if (f == "--m") a->m = std::stoi(next());
    else if (f == "--ef-construction") a->ef_construction = std::stoi(next());
    else if (f == "--dataset") a->dataset = next();
    else if (f == "--cache") a->cache = next();
    else if (f == "--ef-search") a->ef_search = ParseInts(next());
    else if (f == "--server") a->server = next();
    else if (f == "--binary") a->binary = next();
    else if (f == "--out") a->out = next();
    else if (f == "--clients") a->clients = ParseInts(next());
    else if (f == "--scrape-ms") a->scrape_ms = ParseInts(next());
    else if (f == "--keep-index") a->keep_index = true;
    else if (f == "--no-ingest") a->ingest = false;
    else {
      std::fprintf(stderr, "usage: see the header of bench/http/http_bench.cc (unknown %s)\n",
                   f.c_str());
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (const char* n = std::getenv("BENCH_HTTP_N")) a.n = std::stoul(n);
  if (!ParseArgs(argc, argv, &a)) return 2;
  if (a.ef_search.empty() || a.clients.empty() || a.n == 0 || a.k < 1) {
    std::fprintf(stderr, "bench_http: empty --ef-search/--clients or zero --n/--k\n");
    return 2;
  }
  const bool gaussian = a.dataset == "gaussian";
  lb::SyntheticParams synth;
  if (!gaussian) {
    auto preset = lb::SyntheticPreset(a.dataset);
    if (!preset.ok()) {
      std::fprintf(stderr, "bench_http: --dataset must be hard, easy or gaussian\n");
      return 2;
    }
    synth = *preset;
    synth.dim = a.dim;
  }
  const char* space = gaussian ? "l2" : "cosinesimil";
  const int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  signal(SIGPIPE, SIG_IGN);

  std::string host = "127.0.0.1";
  int port = 9200;
  pid_t child = -1;
  std::string data_dir;
  if (a.server.empty()) {
    if (a.binary.empty()) {
      a.binary = (std::filesystem::path(argv[0]).parent_path() / "lookalike").string();
    }
    port = FreePort();
    data_dir = (std::filesystem::temp_directory_path() /
                ("lookalike-bench-http-" + std::to_string(getpid())))
                   .string();
    child = fork();
    if (child == 0) {
      std::string p = std::to_string(port);
      execl(a.binary.c_str(), a.binary.c_str(), "serve", "--data", data_dir.c_str(), "--port",
            p.c_str(), "--log-level", "warn", static_cast<char*>(nullptr));
      std::perror("exec lookalike");
      _exit(127);
    }
  } else {
    std::string s = a.server;
    if (s.rfind("http://", 0) == 0) s = s.substr(7);
    size_t colon = s.rfind(':');
    host = s.substr(0, colon);
    if (colon != std::string::npos) port = std::stoi(s.substr(colon + 1));
  }
  auto cleanup = [&] {
    if (child > 0) {
      kill(child, SIGTERM);
      int st;
      waitpid(child, &st, 0);
      std::error_code ec;
      std::filesystem::remove_all(data_dir, ec);
    }
  };
  // Wait until the server answers.
  std::unique_ptr<Conn> conn;
  std::string body;
  for (int i = 0; i < 600; ++i) {
    conn = std::make_unique<Conn>(host, port);
    if (conn->ok() && conn->Request("GET", "/", "", &body) == 200) break;
    conn.reset();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!conn) {
    std::fprintf(stderr, "bench_http: server at %s:%d did not answer\n", host.c_str(), port);
    cleanup();
    return 1;
  }

  const std::string index = "bench_http";
  if (a.ingest) conn->Request("DELETE", "/" + index, "", &body);
  char mapping[1024];
  std::snprintf(mapping, sizeof(mapping),
                "{\"settings\":{\"index\":{\"knn\":true,\"knn.algo_param.ef_search\":%d,"
                "\"refresh_interval\":-1,\"number_of_replicas\":0}},\"mappings\":{\"properties\":"
                "{\"v\":{\"type\":\"knn_vector\",\"dimension\":%zu,\"method\":{\"name\":\"hnsw\","
                "\"space_type\":\"%s\",\"parameters\":{\"m\":%d,\"ef_construction\":%d}}}}}}",
                a.ef_search.front(), a.dim, space, a.m, a.ef_construction);
  if (a.ingest && conn->Request("PUT", "/" + index, mapping, &body) != 200) {
    std::fprintf(stderr, "create index failed: %s\n", body.c_str());
    cleanup();
    return 1;
  }

  std::fprintf(stderr, "bench_http: generating %zu x %zu vectors (%s)\n", a.n, a.dim,
               a.dataset.c_str());
  std::vector<float> x;
  lb::Matrix query_rows;
  size_t nq = std::max(a.queries, a.recall_queries);
  if (gaussian) {
    x = MakeData(a.n, a.dim, 1234);
    // Queries: data points plus noise.
    std::mt19937_64 rng(99);
    std::normal_distribution<float> gauss;
    std::uniform_int_distribution<size_t> pick(0, a.n - 1);
    query_rows.rows = nq;
    query_rows.dim = a.dim;
    query_rows.data.resize(nq * a.dim);
    for (size_t q = 0; q < nq; ++q) {
      const float* b = &x[pick(rng) * a.dim];
      for (size_t j = 0; j < a.dim; ++j) query_rows.Row(q)[j] = b[j] + 0.1f * gauss(rng);
    }
  } else {
    auto base = lb::GenerateSynthetic(synth, lb::kBaseStream, 0, a.n, threads);
    auto qs = lb::GenerateSynthetic(synth, lb::kQueryStream, 0, nq, threads);
    if (!base.ok() || !qs.ok()) {
      std::fprintf(stderr, "bench_http: synthetic data: %s\n",
                   (base.ok() ? qs.status() : base.status()).ToString().c_str());
      cleanup();
      return 1;
    }
    x = std::move(base->data);
    query_rows = std::move(qs).value();
  }

  // ---- Ingest: one client, _bulk of `batch` documents, then refresh.
  auto t0 = Clock::now();
  double serialize_s = 0;
  for (size_t start = 0; a.ingest && start < a.n; start += a.batch) {
    auto s0 = Clock::now();
    std::string nd;
    nd.reserve(a.batch * (a.dim * 9 + 64));
    for (size_t i = start; i < std::min(a.n, start + a.batch); ++i) {
      nd.append("{\"index\":{\"_id\":\"").append(std::to_string(i)).append("\"}}\n{\"v\":");
      AppendVector(&nd, &x[i * a.dim], a.dim);
      nd.append("}\n");
    }
    serialize_s += Seconds(s0, Clock::now());
    int st = conn->Request("POST", "/" + index + "/_bulk", nd, &body, "application/x-ndjson");
    if (st != 200 || body.find("\"errors\":false") == std::string::npos) {
      std::fprintf(stderr, "bulk failed (%d): %.300s\n", st, body.c_str());
      cleanup();
      return 1;
    }
  }
  auto t_bulk = Clock::now();
  conn->Request("POST", "/" + index + "/_refresh", "", &body);
  auto t_refresh = Clock::now();
  double bulk_s = Seconds(t0, t_bulk) - serialize_s;
  double total_s = Seconds(t0, t_refresh) - serialize_s;
  std::fprintf(stderr, "bench_http: ingest %.1f s (+ refresh %.1f s)\n", bulk_s,
               Seconds(t_bulk, t_refresh));

  // ---- Ground truth (exact, sgemm; cached) on the first recall_queries queries.
  lb::Matrix base_view;
  base_view.rows = a.n;
  base_view.dim = a.dim;
  base_view.data = std::move(x);
  lb::Matrix recall_rows;
  recall_rows.rows = a.recall_queries;
  recall_rows.dim = a.dim;
  recall_rows.data.assign(query_rows.data.begin(),
                          query_rows.data.begin() + a.recall_queries * a.dim);
  bool cached = false;
  std::string gt_note;
  auto gt = lb::CachedGroundTruth(a.cache, base_view, recall_rows,
                                  gaussian ? lookalike::Metric::kL2 : lookalike::Metric::kCosine,
                                  static_cast<size_t>(a.k), threads, &cached, &gt_note);
  base_view = lb::Matrix();  // the server holds the data now; free ours before timing
  if (!gt.ok()) {
    std::fprintf(stderr, "bench_http: ground truth: %s\n", gt.status().ToString().c_str());
    cleanup();
    return 1;
  }

  struct Row {
    int ef;
    int clients;
    int scrape_ms;
    size_t scrapes;
    double recall, p50, p95, p99, qps;
  };
  std::vector<Row> rows;
  std::vector<std::string> bodies(nq);
  for (int ef : a.ef_search) {
    for (size_t q = 0; q < nq; ++q) {
      std::string& b = bodies[q];
      b = "{\"size\":" + std::to_string(a.k) +
          ",\"_source\":false,\"query\":{\"knn\":{\"v\":{\"vector\":";
      AppendVector(&b, query_rows.Row(q), a.dim);
      b += ",\"k\":" + std::to_string(a.k) + ",\"method_parameters\":{\"ef_search\":" +
           std::to_string(ef) + "}}}}}";
    }
    std::vector<int64_t> found(a.recall_queries * static_cast<size_t>(a.k), -1);
    for (size_t q = 0; q < a.recall_queries; ++q) {
      conn->Request("POST", "/" + index + "/_search", bodies[q], &body);
      std::vector<int64_t> got = HitIds(body);
      for (size_t i = 0; i < got.size() && i < static_cast<size_t>(a.k); ++i) {
        found[q * static_cast<size_t>(a.k) + i] = got[i];
      }
    }
    double recall =
        lb::RecallAt(*gt, found.data(), static_cast<size_t>(a.k), static_cast<size_t>(a.k));
    for (int c : a.clients) {
      for (int scrape_ms : a.scrape_ms) {
        std::vector<std::vector<double>> lat(static_cast<size_t>(c));
        std::atomic<size_t> next{0};
        std::atomic<bool> failed{false};
        std::atomic<bool> done{false};
        size_t scrapes = 0;
        std::thread scraper;
        if (scrape_ms > 0) {
          scraper = std::thread([&] {
            Conn sc(host, port);
            std::string text;
            while (!done) {
              if (sc.Request("GET", "/_prometheus/metrics", "", &text) == 200) ++scrapes;
              for (int slept = 0; slept < scrape_ms && !done; slept += 10) {
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
              }
            }
          });
        }
        auto s0 = Clock::now();
        std::vector<std::thread> workers;
        for (int t = 0; t < c; ++t) {
          workers.emplace_back([&, t] {
            Conn cn(host, port);
            std::string resp;
            while (true) {
              size_t i = next.fetch_add(1);
              if (i >= a.queries) break;
              auto q0 = Clock::now();
              if (cn.Request("POST", "/" + index + "/_search", bodies[i], &resp) != 200) {
                failed = true;
                break;
              }
              lat[static_cast<size_t>(t)].push_back(Seconds(q0, Clock::now()) * 1000.0);
            }
          });
        }
        for (auto& th : workers) th.join();
        double wall = Seconds(s0, Clock::now());
        done = true;
        if (scraper.joinable()) scraper.join();
        std::vector<double> all;
        for (auto& l : lat) all.insert(all.end(), l.begin(), l.end());
        if (failed) std::fprintf(stderr, "bench_http: some searches failed\n");
        rows.push_back({ef, c, scrape_ms, scrapes, recall, Percentile(all, 0.50),
                        Percentile(all, 0.95), Percentile(all, 0.99),
                        static_cast<double>(all.size()) / wall});
        std::fprintf(stderr,
                     "bench_http: ef_search %d, %d client(s), scrape every %d ms: recall %.4f "
                     "p50 %.2f ms\n",
                     ef, c, scrape_ms, recall, rows.back().p50);
      }
    }
  }

  std::ostringstream out;
  char line[512];
  out << "## bench_http: REST server over HTTP/JSON\n\n";
  std::snprintf(line, sizeof(line),
                "data %s (%s), n=%zu dim=%zu k=%d hnsw m=%d ef_construction=%d, bulk batch %zu, "
                "%zu timed queries per row\n\n",
                a.dataset.c_str(), space, a.n, a.dim, a.k, a.m, a.ef_construction, a.batch,
                a.queries);
  out << line;
  if (a.ingest) {
    std::snprintf(line, sizeof(line),
                  "Ingest (one client, _bulk until searchable): %.1f s total = %.0f docs/s "
                  "(bulk %.1f s, refresh %.1f s; client-side JSON serialisation excluded)\n\n",
                  total_s, static_cast<double>(a.n) / total_s, bulk_s,
                  Seconds(t_bulk, t_refresh));
  } else {
    std::snprintf(line, sizeof(line), "No ingest (--no-ingest): queries against the index as "
                  "the server found it\n\n");
  }
  out << line;
  std::snprintf(line, sizeof(line),
                "recall@%d over the first %zu queries against exact ground truth (%s)\n\n", a.k,
                a.recall_queries, cached ? "cached" : "computed");
  out << line;
  out << "| ef_search | recall@" << a.k
      << " | clients | scrape every | scrapes | p50 ms | p95 ms | p99 ms | QPS |\n"
      << "|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const Row& r : rows) {
    const std::string every = r.scrape_ms > 0 ? std::to_string(r.scrape_ms) + " ms" : "off";
    std::snprintf(line, sizeof(line), "| %d | %.4f | %d | %s | %zu | %.2f | %.2f | %.2f | %.0f |\n",
                  r.ef, r.recall, r.clients, every.c_str(), r.scrapes, r.p50, r.p95, r.p99,
                  r.qps);
    out << line;
  }
  std::fputs(out.str().c_str(), stdout);
  if (!a.out.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(a.out).parent_path(), ec);
    std::ofstream(a.out) << out.str();
  }
  if (!a.keep_index) conn->Request("DELETE", "/" + index, "", &body);
  conn.reset();
  cleanup();
  return 0;
}
