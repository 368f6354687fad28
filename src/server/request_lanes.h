// Which worker lane serves a REST request, and how big each lane is: the REST server's answer to
// the transport's lane selector (server/http/http_server.h). Like Elasticsearch's search, write
// and management thread pools, so writers blocked on the engine (vector-queue backpressure,
// refresh=wait_for) cannot hold the threads that searches, _cluster/health and _cat need.
//
//   search      _search (with scroll and _search/image), _count, _msearch, _knn_search, _mget,
//               GET/HEAD _doc, _source, GET _image
//   write       _bulk, PUT/POST/DELETE _doc, _create, _update, _delete_by_query,
//               _update_by_query, _refresh, _flush, _forcemerge (image ingest arrives as _doc and
//               _bulk)
//   management  everything else: /, _cluster, _cat, _stats, _mapping, _settings, index create,
//               get and delete, _security, _ui, _models, and paths no route knows
//
// Sizes (`cores` = hardware threads; Elasticsearch's defaults where it has them):
//   search      threads cores*3/2+1 (HttpServerOptions::worker_threads when > 0), queue 1000
//   write       threads cores, queue 10000
//   management  threads max(2, min(5, cores/2)), queue 1000
// Each can be overridden with Elasticsearch's setting names, thread_pool.<lane>.size and
// thread_pool.<lane>.queue_size (-1 = unbounded), given as "<lane>.size=N" (serve --thread-pool).
//
// Thread safety: pure functions.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>
#include <vector>

#include "lookalike/status.h"
#include "server/http/http_server.h"

namespace lookalike::server {

/// Lane numbers as the transport sees them (indices into RequestLaneOptions()).
enum class RequestLane : size_t { kSearch = 0, kWrite = 1, kManagement = 2 };
inline constexpr size_t kRequestLaneCount = 3;

std::string_view RequestLaneName(RequestLane lane);

/// The lane of a request; `path` is the request path as received (before '?', percent-encoded).
RequestLane RequestLaneFor(std::string_view method, std::string_view path);

/// Overrides of one lane's size; unset fields keep the defaults above.
struct LaneSizeSetting {
  int threads = 0;       // 0 = default
  long long queue = -2;  // -2 = default, -1 = unbounded, else requests that may wait
};
using ThreadPoolSettings = std::array<LaneSizeSetting, kRequestLaneCount>;

/// Applies "<lane>.size=N" (N ≥ 1) or "<lane>.queue_size=N" (N ≥ -1) for lane search, write or
/// management. InvalidArgument naming the problem otherwise.
Status ApplyThreadPoolSetting(std::string_view setting, ThreadPoolSettings* settings);

/// The lanes for HttpServerOptions::lanes, in RequestLane order.
std::vector<WorkerLaneOptions> RequestLaneOptions(const ThreadPoolSettings& settings,
                                                  int worker_threads, int cores);

}  // namespace lookalike::server
