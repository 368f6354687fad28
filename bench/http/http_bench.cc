// bench_http: the REST server under load, end to end over HTTP with JSON bodies (issue 3,
// items 4 and 5). Starts `lookalike serve` on a temporary data directory (or uses --server),
// ingests n synthetic clustered vectors through _bulk from one client, waits until they are
// searchable (_refresh), then runs knn searches from 1 and 4 keep-alive clients and reports
// latency percentiles, QPS and recall@k against brute force on a query sample.
//
//   bench_http [--n 20000] [--dim 1280] [--batch 500] [--queries 2000] [--clients 1,4]
//              [--k 10] [--m 16] [--ef-construction 128] [--ef-search 128]
//              [--server http://127.0.0.1:9200] [--binary build/lookalike] [--out FILE]
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

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  size_t n = 20000;
  size_t dim = 1280;
  size_t batch = 500;
  size_t queries = 2000;
  size_t recall_queries = 100;
  std::vector<int> clients = {1, 4};
  int k = 10;
  int m = 16;
  int ef_construction = 128;
  int ef_search = 128;
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
  Conn(const std::string& host, int port) {
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
    req.append(method).append(" ").append(path).append(" HTTP/1.1\r\nHost: bench\r\n");
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

std::vector<int64_t> BruteForce(const std::vector<float>& x, size_t dim, const float* q, int k) {
  size_t n = x.size() / dim;
  std::vector<std::pair<float, int64_t>> d(n);
  for (size_t i = 0; i < n; ++i) {
    float s = 0;
    const float* v = &x[i * dim];
    for (size_t j = 0; j < dim; ++j) {
      float t = v[j] - q[j];
      s += t * t;
    }
    d[i] = {s, static_cast<int64_t>(i)};
  }
  std::partial_sort(d.begin(), d.begin() + k, d.end());
  std::vector<int64_t> out;
  for (int i = 0; i < k; ++i) out.push_back(d[i].second);
  return out;
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
    else if (f == "--ef-search") a->ef_search = std::stoi(next());
    else if (f == "--server") a->server = next();
    else if (f == "--binary") a->binary = next();
    else if (f == "--out") a->out = next();
    else if (f == "--clients") {
      a->clients.clear();
      std::stringstream ss(next());
      std::string part;
      while (std::getline(ss, part, ',')) a->clients.push_back(std::stoi(part));
    } else {
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
  conn->Request("DELETE", "/" + index, "", &body);
  char mapping[1024];
  std::snprintf(mapping, sizeof(mapping),
                "{\"settings\":{\"index\":{\"knn\":true,\"knn.algo_param.ef_search\":%d,"
                "\"refresh_interval\":-1,\"number_of_replicas\":0}},\"mappings\":{\"properties\":"
                "{\"v\":{\"type\":\"knn_vector\",\"dimension\":%zu,\"method\":{\"name\":\"hnsw\","
                "\"space_type\":\"l2\",\"parameters\":{\"m\":%d,\"ef_construction\":%d}}}}}}",
                a.ef_search, a.dim, a.m, a.ef_construction);
  if (conn->Request("PUT", "/" + index, mapping, &body) != 200) {
    std::fprintf(stderr, "create index failed: %s\n", body.c_str());
    cleanup();
    return 1;
  }

  std::fprintf(stderr, "bench_http: generating %zu x %zu vectors\n", a.n, a.dim);
  std::vector<float> x = MakeData(a.n, a.dim, 1234);

  // ---- Ingest: one client, _bulk of `batch` documents, then refresh.
  auto t0 = Clock::now();
  double serialize_s = 0;
  for (size_t start = 0; start < a.n; start += a.batch) {
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

  // ---- Queries: data points plus noise; bodies serialised up front.
  std::mt19937_64 rng(99);
  std::normal_distribution<float> gauss;
  std::uniform_int_distribution<size_t> pick(0, a.n - 1);
  size_t nq = std::max(a.queries, a.recall_queries);
  std::vector<float> queries(nq * a.dim);
  std::vector<std::string> bodies(nq);
  for (size_t q = 0; q < nq; ++q) {
    const float* base = &x[pick(rng) * a.dim];
    for (size_t j = 0; j < a.dim; ++j) queries[q * a.dim + j] = base[j] + 0.1f * gauss(rng);
    std::string& b = bodies[q];
    b = "{\"size\":" + std::to_string(a.k) + ",\"_source\":false,\"query\":{\"knn\":{\"v\":{\"vector\":";
    AppendVector(&b, &queries[q * a.dim], a.dim);
    b += ",\"k\":" + std::to_string(a.k) + "}}}}";
  }

  // Recall on the first recall_queries queries.
  size_t found = 0;
  for (size_t q = 0; q < a.recall_queries; ++q) {
    conn->Request("POST", "/" + index + "/_search", bodies[q], &body);
    std::vector<int64_t> got = HitIds(body);
    std::vector<int64_t> truth = BruteForce(x, a.dim, &queries[q * a.dim], a.k);
    std::set<int64_t> t(truth.begin(), truth.end());
    for (int64_t id : got) found += t.count(id);
  }
  double recall = static_cast<double>(found) / static_cast<double>(a.recall_queries * a.k);

  struct Row {
    int clients;
    double p50, p95, p99, qps;
  };
  std::vector<Row> rows;
  for (int c : a.clients) {
    std::vector<std::vector<double>> lat(static_cast<size_t>(c));
    std::atomic<size_t> next{0};
    std::atomic<bool> failed{false};
    auto s0 = Clock::now();
    std::vector<std::thread> threads;
    for (int t = 0; t < c; ++t) {
      threads.emplace_back([&, t] {
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
    for (auto& th : threads) th.join();
    double wall = Seconds(s0, Clock::now());
    std::vector<double> all;
    for (auto& l : lat) all.insert(all.end(), l.begin(), l.end());
    if (failed) std::fprintf(stderr, "bench_http: some searches failed\n");
    rows.push_back({c, Percentile(all, 0.50), Percentile(all, 0.95), Percentile(all, 0.99),
                    static_cast<double>(all.size()) / wall});
  }

  std::ostringstream out;
  char line[512];
  out << "## bench_http: REST server over HTTP/JSON\n\n";
  std::snprintf(line, sizeof(line),
                "n=%zu dim=%zu k=%d hnsw m=%d ef_construction=%d ef_search=%d, bulk batch %zu, "
                "%zu timed queries\n\n",
                a.n, a.dim, a.k, a.m, a.ef_construction, a.ef_search, a.batch, a.queries);
  out << line;
  std::snprintf(line, sizeof(line),
                "Ingest (one client, _bulk until searchable): %.1f s total = %.0f docs/s "
                "(bulk %.1f s, refresh %.1f s; client-side JSON serialisation excluded)\n\n",
                total_s, static_cast<double>(a.n) / total_s, bulk_s, Seconds(t_bulk, t_refresh));
  out << line;
  std::snprintf(line, sizeof(line), "recall@%d = %.4f (%zu queries vs brute force)\n\n", a.k,
                recall, a.recall_queries);
  out << line;
  out << "| clients | p50 ms | p95 ms | p99 ms | QPS |\n|---:|---:|---:|---:|---:|\n";
  for (const Row& r : rows) {
    std::snprintf(line, sizeof(line), "| %d | %.2f | %.2f | %.2f | %.0f |\n", r.clients, r.p50,
                  r.p95, r.p99, r.qps);
    out << line;
  }
  std::fputs(out.str().c_str(), stdout);
  if (!a.out.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(a.out).parent_path(), ec);
    std::ofstream(a.out) << out.str();
  }
  conn->Request("DELETE", "/" + index, "", &body);
  conn.reset();
  cleanup();
  return 0;
}
