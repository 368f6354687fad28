// The Prometheus exposition: text format details, per-route request counters and histograms,
// route ids from the router, and the node metrics endpoint through the REST server.
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "server/handlers/cat_table.h"
#include "server/handlers/nodes.h"
#include "server/metrics/http_metrics.h"
#include "server/metrics/node_metrics.h"
#include "server/metrics/prometheus_text.h"
#include "server/metrics/process_metrics.h"
#include "server/metrics/status_history.h"
#include "server/metrics/system_stats.h"
#include "server/router.h"

namespace lookalike::server {
namespace {

// The value of the first sample line that starts with `series` followed by a space.
double ValueOf(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  ADD_FAILURE() << "no sample " << series << " in:\n" << text;
  return -1;
}

TEST(PrometheusText, EscapesLabelValuesAndSpellsNumbers) {
  PrometheusText out;
  out.Family("x_total", "counter", "Things.");
  out.Sample("x_total", {{"path", "a\"b\\c\nd"}}, 3);
  out.Sample("x_total", 0.25);
  EXPECT_EQ(out.str(),
            "# HELP x_total Things.\n# TYPE x_total counter\n"
            "x_total{path=\"a\\\"b\\\\c\\nd\"} 3\nx_total 0.25\n");
  EXPECT_EQ(PrometheusNumber(0.0005), "0.0005");
  EXPECT_EQ(PrometheusNumber(1e20), "1e+20");
  EXPECT_EQ(PrometheusNumber(-2), "-2");
  EXPECT_EQ(PrometheusNumber(1.0 / 0.0), "+Inf");
  EXPECT_EQ(PrometheusNumber(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(PrometheusNumber(0.0 / 0.0), "NaN");
}

TEST(PrometheusText, RendersRegistryHistogramsCumulativeWithLe) {
  MetricsRegistry registry;
  const double bounds[] = {0.01, 0.1};
  auto h = registry.GetHistogram("s_seconds", "Latency.", bounds, {{"index", "a"}});
  h->Observe(0.005);
  h->Observe(0.05);
  h->Observe(5);
  registry.GetCounter("n_total", "Count.", {{"index", "a\"q"}})->Add(2);
  PrometheusText out;
  WriteMetricFamilies(registry.Collect(), &out);
  EXPECT_EQ(out.str(),
            "# HELP n_total Count.\n# TYPE n_total counter\n"
            "n_total{index=\"a\\\"q\"} 2\n"
            "# HELP s_seconds Latency.\n# TYPE s_seconds histogram\n"
            "s_seconds_bucket{index=\"a\",le=\"0.01\"} 1\n"
            "s_seconds_bucket{index=\"a\",le=\"0.1\"} 2\n"
            "s_seconds_bucket{index=\"a\",le=\"+Inf\"} 3\n"
            "s_seconds_sum{index=\"a\"} 5.055\n"
            "s_seconds_count{index=\"a\"} 3\n");
}

TEST(StatusHistory, QuantilesInterpolateInsideTheirBucket) {
  const std::vector<double> bounds = {1, 2, 4};
  EXPECT_EQ(HistogramQuantile(bounds, {0, 0, 0, 0}, 0.5), 0);
  EXPECT_DOUBLE_EQ(HistogramQuantile(bounds, {10, 0, 0, 0}, 0.5), 0.5);
  EXPECT_DOUBLE_EQ(HistogramQuantile(bounds, {0, 4, 4, 0}, 0.75), 3);  // half into (2, 4]
  EXPECT_DOUBLE_EQ(HistogramQuantile(bounds, {0, 0, 0, 5}, 0.99), 4);  // above: the last bound
}

TEST(StatusHistory, RingKeepsTheNewestSamplesInOrder) {
  StatusHistory history(nullptr, nullptr, "", std::chrono::seconds(10), 3);
  for (int i = 0; i < 5; ++i) history.SampleNow();
  auto samples = history.Samples();
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_LE(samples[0].time_ms, samples[1].time_ms);
  EXPECT_LE(samples[1].time_ms, samples[2].time_ms);
  EXPECT_GT(samples[2].rss_bytes, 0u);
}

TEST(HttpMetrics, CountsPerRouteMethodAndStatusClass) {
  HttpMetrics m;
  m.SetRoutes({"/{index}/_search", "/_bulk"});
  m.Record(0, "POST", 200, 0.0004);
  m.Record(0, "POST", 201, 0.003);
  m.Record(0, "GET", 404, 0.02);
  m.Record(1, "PATCH", 503, 20.0);  // a method outside the closed set counts as "other"
  m.Record(-1, "GET", 400, 0.001);  // no route matched
  m.Record(7, "GET", 400, 0.001);   // an id the router never gave: also "unmatched"
  PrometheusText out;
  m.Write(&out);
  const std::string& t = out.str();
  EXPECT_EQ(ValueOf(t, R"(lookalike_http_requests_total{route="/{index}/_search",method="POST",status="2xx"})"), 2);
  EXPECT_EQ(ValueOf(t, R"(lookalike_http_requests_total{route="/{index}/_search",method="GET",status="4xx"})"), 1);
  EXPECT_EQ(ValueOf(t, R"(lookalike_http_requests_total{route="/_bulk",method="other",status="5xx"})"), 1);
  EXPECT_EQ(ValueOf(t, R"(lookalike_http_requests_total{route="unmatched",method="GET",status="4xx"})"), 2);
  EXPECT_EQ(t.find(R"(method="PATCH")"), std::string::npos);
  // Buckets are cumulative and end with +Inf == count; sum is the total time.
  const std::string b = R"(lookalike_http_request_duration_seconds_bucket{route="/{index}/_search",le=")";
  EXPECT_EQ(ValueOf(t, b + "0.0005\"}"), 1);
  EXPECT_EQ(ValueOf(t, b + "0.001\"}"), 1);
  EXPECT_EQ(ValueOf(t, b + "0.005\"}"), 2);
  EXPECT_EQ(ValueOf(t, b + "0.025\"}"), 3);
  EXPECT_EQ(ValueOf(t, b + "+Inf\"}"), 3);
  EXPECT_EQ(ValueOf(t, R"(lookalike_http_request_duration_seconds_count{route="/{index}/_search"})"), 3);
  EXPECT_NEAR(ValueOf(t, R"(lookalike_http_request_duration_seconds_sum{route="/{index}/_search"})"),
              0.0234, 1e-6);
  const std::string bulk = R"(lookalike_http_request_duration_seconds_bucket{route="/_bulk",le=")";
  EXPECT_EQ(ValueOf(t, bulk + "10\"}"), 0);  // 20 s is above the last finite bound
  EXPECT_EQ(ValueOf(t, bulk + "+Inf\"}"), 1);
}

TEST(HttpMetrics, SeriesWithoutRequestsAreLeftOut) {
  HttpMetrics m;
  m.SetRoutes({"/a", "/b"});
  m.Record(1, "GET", 200, 0.001);
  PrometheusText out;
  m.Write(&out);
  EXPECT_EQ(out.str().find(R"(route="/a")"), std::string::npos);
  EXPECT_NE(out.str().find(R"(route="/b")"), std::string::npos);
}

TEST(RouterRouteOf, MostSpecificPatternWinsAndMethodDoesNotMatter) {
  Router r;
  auto nop = [](const RestRequest&, HttpResponse*) {};
  r.Add("GET", "/{index}/_search", nop);
  r.Add("POST", "/_search", nop);
  r.Add("GET", "/{index}/_doc/{id}", nop);
  std::vector<std::string> patterns = r.patterns();
  ASSERT_EQ(patterns.size(), 3u);
  EXPECT_EQ(patterns[r.RouteOf("/_search")], "/_search");
  EXPECT_EQ(patterns[r.RouteOf("/photos/_search")], "/{index}/_search");
  EXPECT_EQ(patterns[r.RouteOf("/photos/_doc/7")], "/{index}/_doc/{id}");
  EXPECT_EQ(r.RouteOf("/photos/_doc"), -1);
  HttpRequest req;
  req.method = "DELETE";  // no handler for the method: 405, but the route is still known
  req.path = req.target = "/photos/_search";
  HttpResponse resp;
  EXPECT_EQ(r.Handle(req, &resp), r.RouteOf("/photos/_search"));
  EXPECT_EQ(resp.status, 405);
}

TEST(ProcessMetrics, ReadsThisProcess) {
  ProcessStats s = ReadProcessStats();
  EXPECT_GT(s.resident_bytes, 0u);
  EXPECT_GE(s.virtual_bytes, s.resident_bytes);
  EXPECT_GT(s.open_fds, 0u);  // stdin/stdout/stderr at least
  EXPECT_GE(s.max_fds, s.open_fds);
  EXPECT_GE(s.threads, 1u);
  EXPECT_GT(s.start_time_seconds, 1.5e9);  // after 2017: read from /proc, not left at 0
  EXPECT_GE(s.cpu_seconds, 0.0);
}

}  // namespace
}  // namespace lookalike::server

namespace lookalike::server {
namespace {

HttpResponse Cat(const CatTable& table, std::vector<std::pair<std::string, std::string>> query) {
  HttpRequest http;
  http.method = "GET";
  http.path = http.target = "/_cat/x";
  http.query = std::move(query);
  RestRequest req{http, {}};
  HttpResponse resp;
  ReplyCatTable(table, req, &resp);
  return resp;
}

TEST(CatTable, TextJsonHeadersAndColumnChoice) {
  CatTable t;
  t.columns = {"epoch", "status", "count"};
  t.rows = {{"17", "green", "5"}, {"1800", "red", "12345"}};
  EXPECT_EQ(Cat(t, {}).body, "17   green 5\n1800 red   12345\n");
  EXPECT_EQ(Cat(t, {{"v", ""}}).body,
            "epoch status count\n17    green  5\n1800  red    12345\n");
  EXPECT_EQ(Cat(t, {{"h", "count,status"}}).body, "5     green\n12345 red\n");
  HttpResponse json = Cat(t, {{"format", "json"}, {"h", "status"}});
  EXPECT_EQ(json.body, R"([{"status":"green"},{"status":"red"}])");
  HttpResponse bad = Cat(t, {{"h", "status,nope"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("Unknown column [nope]"), std::string::npos);
}

TEST(NodeId, StableAndShapedLikeElasticsearchIds) {
  RestContext a;
  a.node_name = "n1";
  a.cluster_uuid = "u";
  RestContext b = {};
  b.node_name = "n2";
  b.cluster_uuid = "u";
  EXPECT_EQ(NodeId(a), NodeId(a));
  EXPECT_NE(NodeId(a), NodeId(b));
  EXPECT_EQ(NodeId(a).size(), 22u);
  EXPECT_EQ(NodeId(a).find_first_not_of(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
}

TEST(SystemStats, ReadsTheMachineAndAFileSystem) {
  OsStats os = ReadOsStats();
  EXPECT_GT(os.mem_total_bytes, 0u);
  EXPECT_LE(os.mem_free_bytes, os.mem_total_bytes);
  EXPECT_GE(os.cpus, 1);
  EXPECT_EQ(os.kernel_name, "Linux");
  FsStats fs = ReadFsStats("/tmp");
  EXPECT_GT(fs.total_bytes, 0u);
  EXPECT_LE(fs.available_bytes, fs.free_bytes);
  EXPECT_LE(fs.free_bytes, fs.total_bytes);
  EXPECT_EQ(ReadFsStats("/no/such/dir").total_bytes, 0u);
  CpuSampler cpu;
  CpuSampler::Percent p = cpu.Sample();
  EXPECT_GE(p.os, 0);
  EXPECT_LE(p.os, 100);
  EXPECT_GE(p.process, 0);
  EXPECT_LE(p.process, 100);
}

}  // namespace
}  // namespace lookalike::server
