// The Elasticsearch _snapshot API at the edge: request bodies of create and restore parsed into
// the snapshot layer's requests, and its results rendered in Elasticsearch 7.10's shapes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lookalike/status.h"
#include "snapshot/repositories.h"
#include "snapshot/snapshot_ops.h"

namespace lookalike::es {

/// {"indices":"a,b*"|["a","b*"],"ignore_unavailable":bool,"include_global_state":bool,...};
/// an empty body selects every index. Unknown members are ignored as Elasticsearch's
/// lenient parser does for metadata; wrong types are 400 parse_exception.
Status ParseCreateSnapshotBody(std::string_view body, snapshot::CreateSnapshotRequest* out);
/// {"indices", "ignore_unavailable", "rename_pattern", "rename_replacement", ...}.
Status ParseRestoreSnapshotBody(std::string_view body, snapshot::RestoreSnapshotRequest* out);

/// One snapshot as in GET _snapshot/{repo}/{snap} ("snapshots" array element).
std::string RenderSnapshotInfo(const snapshot::SnapshotEntry& entry);
/// {"snapshots":[...]} .
std::string RenderSnapshots(const std::vector<snapshot::SnapshotEntry>& entries);
/// {"<name>":{"type":"fs","settings":{...}}, ...}.
std::string RenderRepositories(
    const std::vector<std::pair<std::string, snapshot::RepositoryConfig>>& repositories);
/// A finished snapshot with its verified manifest, for _status.
struct SnapshotStatus {
  snapshot::SnapshotEntry entry;
  snapshot::SnapshotManifest manifest;
};
/// GET _snapshot/.../_status: {"snapshots":[{"snapshot","repository","uuid","state",
/// "shards_stats","stats","indices":{name:{"shards_stats","stats","shards":{"0":..}}}}]}, the
/// running ones (state STARTED, no stats yet) first. An index's stats count its files (total);
/// the incremental part is known for the whole snapshot only.
std::string RenderSnapshotStatus(const std::string& repository,
                                 const std::vector<snapshot::RunningSnapshot>& running,
                                 const std::vector<SnapshotStatus>& finished);
/// POST _snapshot/{repo}/_verify: {"nodes":{"<node id>":{"name":"<node name>"}}}.
std::string RenderVerified(const std::string& node_id, const std::string& node_name);
/// {"snapshot":{"snapshot":..,"indices":[..],"shards":{..}}}.
std::string RenderRestore(const snapshot::RestoreResult& result);

}  // namespace lookalike::es
