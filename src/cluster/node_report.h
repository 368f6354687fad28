// What one node of a cluster tells the node that answers a cluster-wide `_stats`,
// `_cat/indices`, `_cat/shards` or `_cat/nodes` (issue 9): the counters of each of its local
// shard copies and its memory and load. A typed message framed like the search path's
// (wire_coding.h; byte layout in docs/formats/node-report.md), so the answering node adds
// numbers and never parses another node's JSON.
//
//   GET /_internal/node/_report  →  application/octet-stream NodeReport
//
// CollectNodeReports asks every live node in parallel (its own report is made in-process). A
// node that cannot be reached in time is reported as an error beside the others: the caller
// shows its copies without counters rather than failing the whole answer.
//
// Thread safety: free functions without shared state.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "lookalike/status.h"
#include "net/http_client.h"

namespace lookalike::cluster {

inline constexpr char kNodeReportMagic[5] = "LKNR";
inline constexpr std::string_view kNodeReportPath = "/_internal/node/_report";

/// The counters of one local shard copy (an engine index named "<index>~<shard>~<uuid>").
struct CopyStatistics {
  std::string local_index;
  int64_t docs_count = 0;
  int64_t docs_deleted = 0;
  int64_t store_size_bytes = 0;
  int64_t knn_memory_bytes = 0;
  bool operator==(const CopyStatistics&) const = default;
};

struct NodeReport {
  std::string node;
  int64_t resident_bytes = 0;  // the process's resident memory
  int64_t mem_total_bytes = 0;
  int64_t mem_free_bytes = 0;
  float load_average[3] = {0, 0, 0};  // 1, 5 and 15 minutes
  /// The etcd revision the node's view of the cluster includes (ClusterSnapshot::revision): an
  /// index change made at revision R has reached the node once this is ≥ R.
  int64_t state_revision = 0;
  std::vector<CopyStatistics> copies;
  bool operator==(const NodeReport&) const = default;
};

std::string EncodeNodeReport(const NodeReport& report);
/// Corruption for bytes that are not a well-formed report of this version.
Result<NodeReport> DecodeNodeReport(std::string_view bytes);

/// A node to ask: its name and "host:port" of its REST API.
struct ReportTarget {
  std::string node;
  std::string http;
};

struct ReportOptions {
  std::string scheme = "http";
  net::HttpClientTls tls;
  /// A node that has not answered in this long is left out (reported as Unavailable).
  std::chrono::milliseconds timeout{5000};
  std::string authorization;  // forwarded as is ("" = none)
};

/// Every target's report, by node name, asked in parallel; `local` makes the report of
/// `local_node` in-process.
std::map<std::string, Result<NodeReport>> CollectNodeReports(
    const std::vector<ReportTarget>& targets, std::string_view local_node,
    const std::function<NodeReport()>& local, const ReportOptions& options);

}  // namespace lookalike::cluster
