// Roles in Elasticsearch's role descriptor shape:
//   {"cluster":["monitor"],"indices":[{"names":["logs-*"],"privileges":["read","write"]}]}
// used for named roles (built-in or stored) and for an API key's "role_descriptors".
//
// Privileges (a subset of Elasticsearch's, same names and meaning):
//   cluster: all, monitor, manage (includes the security APIs here), manage_security,
//            manage_api_key, manage_own_api_key
//   indices: all, read, write, index, create, delete, manage, create_index, delete_index,
//            view_index_metadata, monitor, maintenance
// Index names in a grant are patterns: '*' matches any run of characters, '?' one character.
//
// Built-in roles (not stored, cannot be redefined):
//   superuser  cluster all, indices * all
//   viewer     cluster monitor, indices * read + view_index_metadata + monitor
//   editor     viewer plus indices * write + manage
//
// Thread safety: values and pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/json_writer.h"
#include "lookalike/status.h"

namespace simdjson::dom {
class element;
}

namespace lookalike::security {

struct IndexGrant {
  std::vector<std::string> names;       // index patterns
  std::vector<std::string> privileges;  // index privilege names
};

struct RoleDescriptor {
  std::vector<std::string> cluster;
  std::vector<IndexGrant> indices;
};

/// Parses and validates one descriptor; InvalidArgument names an unknown privilege or a field
/// of the wrong type.
Result<RoleDescriptor> ParseRoleDescriptor(const simdjson::dom::element& json);
Result<RoleDescriptor> ParseRoleDescriptor(std::string_view json);
void WriteRoleDescriptor(const RoleDescriptor& role, JsonWriter* w);

/// Bounds on a role that arrives as input (PUT _security/role, API-key role_descriptors, the
/// CLI), so that authorising a request stays cheap: at most kMaxIndexGrants [indices] entries,
/// kMaxIndexPatterns names in all, each at most kMaxIndexPatternBytes long. InvalidArgument
/// naming the bound. Not applied when the stored security file is loaded: a store written
/// before the bounds existed must still open.
inline constexpr size_t kMaxIndexGrants = 100;
inline constexpr size_t kMaxIndexPatterns = 1000;
inline constexpr size_t kMaxIndexPatternBytes = 1024;
Status CheckRoleLimits(const RoleDescriptor& role);

/// The built-in role called `name`, or nullptr.
const RoleDescriptor* BuiltinRole(std::string_view name);
bool IsBuiltinRole(std::string_view name);
/// superuser, viewer, editor.
std::vector<std::string> BuiltinRoleNames();

/// Glob match with '*' and '?'. Every character of `name` is literal, so a request for the
/// expression "logs-*" is covered by the grant "logs-*" or "*", never by "logs-a".
bool PatternMatches(std::string_view pattern, std::string_view name);

/// True when one of `roles` grants a cluster privilege listed in `granted_by`.
bool GrantsCluster(const std::vector<RoleDescriptor>& roles,
                   const std::vector<std::string_view>& granted_by);
/// True when one of `roles` has a grant whose names cover `index` and whose privileges include
/// one listed in `granted_by`.
bool GrantsIndex(const std::vector<RoleDescriptor>& roles, std::string_view index,
                 const std::vector<std::string_view>& granted_by);
/// True when one of `roles` grants one of `granted_by` on any index pattern at all.
bool GrantsAnyIndex(const std::vector<RoleDescriptor>& roles,
                    const std::vector<std::string_view>& granted_by);

}  // namespace lookalike::security
