// The node report and its collection; see node_report.h.
#include "cluster/node_report.h"

#include <functional>
#include <future>

#include "cluster/search_wire.h"
#include "cluster/wire_coding.h"

namespace lookalike::cluster {
namespace {

constexpr std::string_view kBinary = "application/octet-stream";
// local_index (≥ 4 bytes of length) + four int64 counters.
constexpr size_t kMinCopyBytes = 4 + 4 * sizeof(int64_t);

Result<NodeReport> AskNode(const ReportTarget& target, const ReportOptions& options) {
  auto created = net::HttpClient::Create(options.scheme + "://" + target.http, options.tls);
  if (!created.ok()) return created.status();
  net::HttpClient client = std::move(created).value();
  client.SetReceiveTimeout(options.timeout);
  client.SetAuthorization(options.authorization);
  auto response = client.Send("GET", kNodeReportPath);
  if (!response.ok()) {
    return Status::Unavailable("node [" + target.node + "] did not answer: " +
                               response.status().message());
  }
  bool binary = response->content_type.rfind(kBinary, 0) == 0;
  if (response->status == 200 && binary) return DecodeNodeReport(response->body);
  if (binary) return DecodeShardError(response->body);
  return Status::Unavailable("node [" + target.node + "] answered HTTP " +
                             std::to_string(response->status));
}

}  // namespace

std::string EncodeNodeReport(const NodeReport& report) {
  std::string payload;
  WireWriter w(&payload);
  w.String(report.node);
  w.Put<int64_t>(report.resident_bytes);
  w.Put<int64_t>(report.mem_total_bytes);
  w.Put<int64_t>(report.mem_free_bytes);
  for (float load : report.load_average) w.Put<float>(load);
  w.Put<int64_t>(report.state_revision);
  w.Count(report.copies.size());
  for (const CopyStatistics& c : report.copies) {
    w.String(c.local_index);
    w.Put<int64_t>(c.docs_count);
    w.Put<int64_t>(c.docs_deleted);
    w.Put<int64_t>(c.store_size_bytes);
    w.Put<int64_t>(c.knn_memory_bytes);
  }
  return FrameWireMessage(kNodeReportMagic, payload);
}

Result<NodeReport> DecodeNodeReport(std::string_view bytes) {
  LOOKALIKE_ASSIGN_OR_RETURN(std::string_view payload,
                             UnframeWireMessage(kNodeReportMagic, bytes, "node report"));
  WireReader r(payload);
  NodeReport report;
  bool ok = r.String(&report.node) && r.Get(&report.resident_bytes) &&
            r.Get(&report.mem_total_bytes) && r.Get(&report.mem_free_bytes);
  for (float& load : report.load_average) ok = ok && r.Get(&load);
  ok = ok && r.Get(&report.state_revision);
  size_t n = 0;
  ok = ok && r.Count(kMinCopyBytes, &n);
  if (ok) report.copies.resize(n);
  for (size_t i = 0; ok && i < n; ++i) {
    CopyStatistics& c = report.copies[i];
    ok = r.String(&c.local_index) && r.Get(&c.docs_count) && r.Get(&c.docs_deleted) &&
         r.Get(&c.store_size_bytes) && r.Get(&c.knn_memory_bytes);
  }
  if (!ok || !r.done()) return Status::Corruption("node report: damaged or truncated payload");
  return report;
}

std::map<std::string, Result<NodeReport>> CollectNodeReports(
    const std::vector<ReportTarget>& targets, std::string_view local_node,
    const std::function<NodeReport()>& local, const ReportOptions& options) {
  // The futures carry a plain struct: GCC 12 warns (-Wfree-nonheap-object, a false positive)
  // about a Result<T> destroyed inside std::future's machinery.
  struct Answer {
    Status status;
    NodeReport report;
  };
  auto ask = [&options](const ReportTarget& target) {
    Answer answer;
    auto report = AskNode(target, options);
    if (report.ok()) {
      answer.report = std::move(report).value();
    } else {
      answer.status = report.status();
    }
    return answer;
  };
  std::vector<std::future<Answer>> pending;
  pending.reserve(targets.size());
  for (const ReportTarget& target : targets) {
    if (target.node == local_node) {
      pending.push_back(std::async(std::launch::deferred, [&local] {
        return Answer{Status::OK(), local()};
      }));
    } else {
      pending.push_back(std::async(std::launch::async, ask, std::cref(target)));
    }
  }
  std::map<std::string, Result<NodeReport>> out;
  for (size_t i = 0; i < targets.size(); ++i) {
    Answer answer = pending[i].get();
    if (answer.status.ok()) {
      out.emplace(targets[i].node, std::move(answer.report));
    } else {
      out.emplace(targets[i].node, std::move(answer.status));
    }
  }
  return out;
}

}  // namespace lookalike::cluster
