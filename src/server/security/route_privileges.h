// Which privilege each REST route needs: the one table that decides what a role may do.
// RequiredAccessFor classifies a request (method, percent-decoded path segments, body) into an
// Elasticsearch action name, the privileges that grant it and, for index actions, every index
// expression it touches (comma lists split; no index → "*"; _bulk and _mget read the _index of
// every item from the body, items without one use the path's index).
//
// A route missing from the table needs the cluster privilege "all", so a new endpoint is closed
// until someone maps it here.
//
// Thread safety: pure functions over a constant table.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lookalike::security {

enum class AccessKind {
  kAuthenticated,  // any authenticated user (GET /, the page, the model list, _authenticate)
  kCluster,        // a cluster privilege in granted_by
  kIndices,        // an index privilege in granted_by on every entry of indices
  kAnyIndex,       // an index privilege in granted_by on some index (scroll continuation;
                   // _bulk, whose items are then checked one by one with BulkItemAccess)
  kSecurityApi,    // /_security/...: the security handlers check per operation
};

struct RequiredAccess {
  AccessKind kind = AccessKind::kCluster;
  std::string action;                        // e.g. "indices:data/read/search"
  std::vector<std::string_view> granted_by;  // e.g. {"read", "all"}
  std::vector<std::string> indices;          // kIndices: never empty; kAnyIndex: _bulk's
                                             // indices, named when the request is refused
};

RequiredAccess RequiredAccessFor(std::string_view method, const std::vector<std::string>& segments,
                                 std::string_view body);

/// What one _bulk item needs: `action` is the item's key ("index", "create", "update",
/// "delete"); create is granted by create_doc/create/index/write/all, delete by delete/write/all,
/// index and update by index/write/all.
RequiredAccess BulkItemAccess(std::string_view action, std::string_view index);

/// Reading documents of `index` from inside another request (a knn lookup of an example
/// document): granted by read/all on that index.
RequiredAccess IndexReadAccess(std::string_view index);

/// Index names in the _index fields of a _bulk body's action lines (`path_index` for lines
/// without one). A line that cannot be read adds "*", so an unreadable body needs rights on
/// every index.
std::vector<std::string> BulkIndices(std::string_view body, std::string_view path_index);
/// The same for an _mget body's "docs" (an "ids" body uses the path's index only).
std::vector<std::string> MgetIndices(std::string_view body, std::string_view path_index);

}  // namespace lookalike::security
