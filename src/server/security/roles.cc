#include "server/security/roles.h"

#include <simdjson.h>

#include <algorithm>

namespace lookalike::security {
namespace {

constexpr std::string_view kClusterPrivileges[] = {
    "all", "monitor", "manage", "manage_security", "manage_api_key", "manage_own_api_key",
    "create_snapshot", "monitor_snapshot"};
constexpr std::string_view kIndexPrivileges[] = {
    "all",     "read",       "write",        "index",        "create",      "create_doc",
    "delete",  "manage",     "create_index", "delete_index", "view_index_metadata",
    "monitor", "maintenance"};

template <size_t N>
bool Known(const std::string_view (&names)[N], std::string_view name) {
  return std::find(std::begin(names), std::end(names), name) != std::end(names);
}

Status ReadStrings(simdjson::dom::element value, std::string_view what,
                   std::vector<std::string>* out) {
  simdjson::dom::array array;
  if (value.get(array) != simdjson::SUCCESS) {
    return Status::InvalidArgument(std::string(what) + " must be an array of strings");
  }
  for (simdjson::dom::element item : array) {
    std::string_view s;
    if (item.get(s) != simdjson::SUCCESS) {
      return Status::InvalidArgument(std::string(what) + " must be an array of strings");
    }
    out->emplace_back(s);
  }
  return Status::OK();
}

Result<IndexGrant> ParseIndexGrant(simdjson::dom::element json) {
  simdjson::dom::object object;
  if (json.get(object) != simdjson::SUCCESS) {
    return Status::InvalidArgument("each entry of [indices] must be an object");
  }
  IndexGrant grant;
  for (auto field : object) {
    if (field.key == "names") {
      LOOKALIKE_RETURN_IF_ERROR(ReadStrings(field.value, "[indices.names]", &grant.names));
    } else if (field.key == "privileges") {
      LOOKALIKE_RETURN_IF_ERROR(
          ReadStrings(field.value, "[indices.privileges]", &grant.privileges));
    } else if (field.key != "allow_restricted_indices") {
      return Status::InvalidArgument("unsupported field [" + std::string(field.key) +
                                     "] in an [indices] entry");
    }
  }
  if (grant.names.empty() || grant.privileges.empty()) {
    return Status::InvalidArgument("an [indices] entry needs [names] and [privileges]");
  }
  for (const std::string& p : grant.privileges) {
    if (!Known(kIndexPrivileges, p)) {
      return Status::InvalidArgument("unknown index privilege [" + p + "]");
    }
  }
  return grant;
}

}  // namespace

Status CheckRoleLimits(const RoleDescriptor& role) {
  if (role.indices.size() > kMaxIndexGrants) {
    return Status::InvalidArgument("a role may have at most " + std::to_string(kMaxIndexGrants) +
                                   " [indices] entries");
  }
  size_t patterns = 0;
  for (const IndexGrant& grant : role.indices) {
    patterns += grant.names.size();
    for (const std::string& name : grant.names) {
      if (name.size() > kMaxIndexPatternBytes) {
        return Status::InvalidArgument("index pattern longer than " +
                                       std::to_string(kMaxIndexPatternBytes) +
                                       " bytes in [indices.names]");
      }
    }
  }
  if (patterns > kMaxIndexPatterns) {
    return Status::InvalidArgument("a role may name at most " + std::to_string(kMaxIndexPatterns) +
                                   " index patterns");
  }
  return Status::OK();
}

namespace {

RoleDescriptor MakeRole(std::vector<std::string> cluster, std::vector<std::string> privileges) {
  RoleDescriptor role;
  role.cluster = std::move(cluster);
  role.indices.push_back(IndexGrant{{"*"}, std::move(privileges)});
  return role;
}

bool Intersects(const std::vector<std::string>& have,
                const std::vector<std::string_view>& granted_by) {
  for (const std::string& p : have) {
    if (std::find(granted_by.begin(), granted_by.end(), p) != granted_by.end()) return true;
  }
  return false;
}

}  // namespace

Result<RoleDescriptor> ParseRoleDescriptor(const simdjson::dom::element& json) {
  simdjson::dom::object object;
  if (json.get(object) != simdjson::SUCCESS) {
    return Status::InvalidArgument("a role descriptor must be an object");
  }
  RoleDescriptor role;
  for (auto field : object) {
    if (field.key == "cluster") {
      LOOKALIKE_RETURN_IF_ERROR(ReadStrings(field.value, "[cluster]", &role.cluster));
    } else if (field.key == "indices") {
      simdjson::dom::array array;
      if (field.value.get(array) != simdjson::SUCCESS) {
        return Status::InvalidArgument("[indices] must be an array");
      }
      for (simdjson::dom::element item : array) {
        LOOKALIKE_ASSIGN_OR_RETURN(IndexGrant grant, ParseIndexGrant(item));
        role.indices.push_back(std::move(grant));
      }
    } else if (field.key != "metadata" && field.key != "applications" && field.key != "run_as" &&
               field.key != "transient_metadata") {
      return Status::InvalidArgument("unsupported field [" + std::string(field.key) +
                                     "] in a role descriptor");
    }
  }
  for (const std::string& p : role.cluster) {
    if (!Known(kClusterPrivileges, p)) {
      return Status::InvalidArgument("unknown cluster privilege [" + p + "]");
    }
  }
  return role;
}

Result<RoleDescriptor> ParseRoleDescriptor(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json.data(), json.size()).get(doc) != simdjson::SUCCESS) {
    return Status::InvalidArgument("a role descriptor must be a JSON object");
  }
  return ParseRoleDescriptor(doc);
}

void WriteRoleDescriptor(const RoleDescriptor& role, JsonWriter* w) {
  w->BeginObject().Key("cluster").BeginArray();
  for (const std::string& p : role.cluster) w->String(p);
  w->EndArray().Key("indices").BeginArray();
  for (const IndexGrant& grant : role.indices) {
    w->BeginObject().Key("names").BeginArray();
    for (const std::string& n : grant.names) w->String(n);
    w->EndArray().Key("privileges").BeginArray();
    for (const std::string& p : grant.privileges) w->String(p);
    w->EndArray().Key("allow_restricted_indices").Bool(false).EndObject();
  }
  w->EndArray().EndObject();
}

const RoleDescriptor* BuiltinRole(std::string_view name) {
  static const RoleDescriptor kSuperuser = MakeRole({"all"}, {"all"});
  static const RoleDescriptor kViewer =
      MakeRole({"monitor"}, {"read", "view_index_metadata", "monitor"});
  static const RoleDescriptor kEditor =
      MakeRole({"monitor"}, {"read", "view_index_metadata", "monitor", "write", "manage"});
  if (name == "superuser") return &kSuperuser;
  if (name == "viewer") return &kViewer;
  if (name == "editor") return &kEditor;
  return nullptr;
}

bool IsBuiltinRole(std::string_view name) { return BuiltinRole(name) != nullptr; }

std::vector<std::string> BuiltinRoleNames() { return {"superuser", "viewer", "editor"}; }

bool PatternMatches(std::string_view pattern, std::string_view name) {
  // Iterative glob with one backtrack point (the last '*'): linear in practice, no recursion.
  size_t p = 0, n = 0, star = std::string_view::npos, resume = 0;
  while (n < name.size()) {
    // '?' never stands for a '*' of the name: "logs-?" does not cover every "logs-*".
    bool one = p < pattern.size() && pattern[p] == '?' && name[n] != '*';
    if (one ||
        (p < pattern.size() && pattern[p] != '*' && pattern[p] != '?' && pattern[p] == name[n])) {
      ++p;
      ++n;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool GrantsCluster(const std::vector<RoleDescriptor>& roles,
                   const std::vector<std::string_view>& granted_by) {
  for (const RoleDescriptor& role : roles) {
    if (Intersects(role.cluster, granted_by)) return true;
  }
  return false;
}

bool GrantsIndex(const std::vector<RoleDescriptor>& roles, std::string_view index,
                 const std::vector<std::string_view>& granted_by) {
  for (const RoleDescriptor& role : roles) {
    for (const IndexGrant& grant : role.indices) {
      if (!Intersects(grant.privileges, granted_by)) continue;
      for (const std::string& pattern : grant.names) {
        if (PatternMatches(pattern, index)) return true;
      }
    }
  }
  return false;
}

bool GrantsAnyIndex(const std::vector<RoleDescriptor>& roles,
                    const std::vector<std::string_view>& granted_by) {
  for (const RoleDescriptor& role : roles) {
    for (const IndexGrant& grant : role.indices) {
      if (Intersects(grant.privileges, granted_by)) return true;
    }
  }
  return false;
}

}  // namespace lookalike::security
