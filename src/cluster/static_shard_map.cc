// A shard map from a JSON file; see static_shard_map.h.
#include "cluster/static_shard_map.h"

#include <simdjson.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace lookalike::cluster {
namespace {

Status Bad(std::string_view why) {
  return Status::InvalidArgument("static shard map: " + std::string(why))
      .WithKind(ErrorKind::kInvalidValue);
}

// '*' matches any run of characters; everything else itself.
bool GlobMatches(std::string_view pattern, std::string_view name) {
  size_t star = pattern.find('*');
  if (star == std::string_view::npos) return pattern == name;
  if (name.substr(0, star) != pattern.substr(0, star)) return false;
  std::string_view rest = pattern.substr(star + 1);
  for (size_t at = star; at <= name.size(); ++at) {
    if (GlobMatches(rest, name.substr(at))) return true;
  }
  return false;
}

Result<ShardRoute> ParseShard(simdjson::dom::element e, int expected) {
  ShardRoute route;
  int64_t shard = 0, term = 1;
  if (e["shard"].get_int64().get(shard) != simdjson::SUCCESS || shard != expected) {
    return Bad("shards must be numbered 0.." + std::to_string(expected) + " in order");
  }
  route.shard = expected;
  if (e["primary_term"].get_int64().get(term) == simdjson::SUCCESS) route.primary_term = term;
  simdjson::dom::array copies;
  if (e["copies"].get_array().get(copies) != simdjson::SUCCESS) return Bad("shard without copies");
  for (simdjson::dom::element c : copies) {
    ShardCopy copy;
    std::string_view node, http;
    if (c["node"].get_string().get(node) != simdjson::SUCCESS ||
        c["http"].get_string().get(http) != simdjson::SUCCESS) {
      return Bad("a copy needs node and http");
    }
    copy.node = std::string(node);
    copy.http = std::string(http);
    bool primary = false;
    if (c["primary"].get_bool().get(primary) == simdjson::SUCCESS) copy.primary = primary;
    route.copies.push_back(std::move(copy));
  }
  return route;
}

Result<IndexRoutes> ParseIndex(simdjson::dom::element e) {
  IndexRoutes routes;
  std::string_view name, uuid;
  int64_t shards = 0, replicas = 0;
  if (e["index"].get_string().get(name) != simdjson::SUCCESS ||
      e["uuid"].get_string().get(uuid) != simdjson::SUCCESS ||
      e["number_of_shards"].get_int64().get(shards) != simdjson::SUCCESS || shards < 1 ||
      shards > 1024) {
    return Bad("an index needs index, uuid and number_of_shards (1..1024)");
  }
  routes.index = std::string(name);
  routes.uuid = std::string(uuid);
  routes.number_of_shards = static_cast<int>(shards);
  if (e["number_of_replicas"].get_int64().get(replicas) == simdjson::SUCCESS) {
    routes.number_of_replicas = static_cast<int>(replicas);
  }
  simdjson::dom::array list;
  if (e["shards"].get_array().get(list) != simdjson::SUCCESS || list.size() != size_t(shards)) {
    return Bad("index [" + routes.index + "] needs one shards entry per shard");
  }
  for (simdjson::dom::element s : list) {
    LOOKALIKE_ASSIGN_OR_RETURN(ShardRoute route,
                               ParseShard(s, static_cast<int>(routes.shards.size())));
    routes.shards.push_back(std::move(route));
  }
  return routes;
}

}  // namespace

StaticShardMap::StaticShardMap(std::vector<IndexRoutes> indices) : indices_(std::move(indices)) {
  std::sort(indices_.begin(), indices_.end(),
            [](const IndexRoutes& a, const IndexRoutes& b) { return a.index < b.index; });
}

Result<std::unique_ptr<StaticShardMap>> StaticShardMap::FromJson(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  simdjson::dom::array list;
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS ||
      root["indices"].get_array().get(list) != simdjson::SUCCESS) {
    return Bad("expected {\"indices\": [...]}");
  }
  std::vector<IndexRoutes> indices;
  for (simdjson::dom::element e : list) {
    LOOKALIKE_ASSIGN_OR_RETURN(IndexRoutes routes, ParseIndex(e));
    indices.push_back(std::move(routes));
  }
  return std::make_unique<StaticShardMap>(std::move(indices));
}

Result<std::unique_ptr<StaticShardMap>> StaticShardMap::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot read static shard map " + path);
  std::stringstream text;
  text << in.rdbuf();
  return FromJson(text.str());
}

Result<std::vector<IndexRoutes>> StaticShardMap::Resolve(std::string_view expression) const {
  std::vector<bool> chosen(indices_.size(), false);
  std::string_view rest = expression;
  while (true) {
    size_t comma = rest.find(',');
    std::string_view part = rest.substr(0, comma);
    if (part.empty() || part == "_all") part = "*";
    bool found = false;
    for (size_t i = 0; i < indices_.size(); ++i) {
      if (GlobMatches(part, indices_[i].index)) chosen[i] = found = true;
    }
    if (!found && part.find('*') == std::string_view::npos) {
      return Status::NotFound("no such index [" + std::string(part) + "]")
          .WithKind(ErrorKind::kIndexNotFound);
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  std::vector<IndexRoutes> out;
  for (size_t i = 0; i < indices_.size(); ++i) {
    if (chosen[i]) out.push_back(indices_[i]);
  }
  return out;
}

}  // namespace lookalike::cluster
