#include "server/es/near_duplicates_codec.h"

#include <simdjson.h>

#include <cmath>

#include "common/json_writer.h"

namespace lookalike::es {
namespace {

Status BadBody(std::string_view what) {
  return Status::InvalidArgument(what).WithKind(ErrorKind::kMalformedRequest);
}

// A non-negative integer member (JSON integer, or a float with no fraction).
Status CountMember(simdjson::dom::element e, std::string_view key, size_t* out) {
  int64_t i = 0;
  uint64_t u = 0;
  double d = 0;
  if (e.get_uint64().get(u) == simdjson::SUCCESS) {
    *out = static_cast<size_t>(u);
    return Status::OK();
  }
  if (e.get_int64().get(i) != simdjson::SUCCESS && e.get_double().get(d) == simdjson::SUCCESS &&
      d >= 0 && d < 1e15 && std::floor(d) == d) {
    *out = static_cast<size_t>(d);
    return Status::OK();
  }
  return BadBody("[near_duplicates] [" + std::string(key) + "] must be a non-negative integer");
}

}  // namespace

Result<NearDuplicatesRequest> ParseNearDuplicatesBody(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  if (parser.parse(body.data(), body.size()).get_object().get(o) != simdjson::SUCCESS) {
    return BadBody("[near_duplicates] request body must be a JSON object");
  }
  NearDuplicatesRequest request;
  request.options.max_groups = kDefaultNearDuplicateGroups;
  bool have_min_score = false;
  for (auto [key, value] : o) {
    if (key == "field") {
      std::string_view s;
      if (value.get_string().get(s) != simdjson::SUCCESS) {
        return BadBody("[near_duplicates] [field] must be a string");
      }
      request.field.assign(s);
    } else if (key == "min_score") {
      double d = 0;
      if (value.get_double().get(d) != simdjson::SUCCESS || !std::isfinite(d) ||
          std::fabs(d) > 3.0e38) {
        return BadBody("[near_duplicates] [min_score] must be a finite number");
      }
      request.min_score = static_cast<float>(d);
      have_min_score = true;
    } else if (key == "max_groups") {
      LOOKALIKE_RETURN_IF_ERROR(CountMember(value, key, &request.options.max_groups));
    } else if (key == "size") {
      LOOKALIKE_RETURN_IF_ERROR(CountMember(value, key, &request.options.max_group_size));
    } else {
      return BadBody("[near_duplicates] unknown field [" + std::string(key) + "]");
    }
  }
  if (!have_min_score) return BadBody("[near_duplicates] [min_score] is required");
  return request;
}

std::string RenderNearDuplicates(const NearDuplicateReport& report) {
  JsonWriter w;
  w.BeginObject();
  w.Key("took").Int(static_cast<int64_t>(std::llround(report.took_ms)));
  w.Key("timed_out").Bool(false);
  w.Key("total_groups").UInt(report.total_groups);
  w.Key("docs_scanned").UInt(report.docs_scanned);
  w.Key("pairs").UInt(report.pairs);
  w.Key("groups").BeginArray();
  for (const NearDuplicateGroup& g : report.groups) {
    w.BeginObject().Key("ids").BeginArray();
    for (const std::string& id : g.ids) w.String(id);
    w.EndArray();
    w.Key("doc_count").UInt(g.doc_count);
    w.Key("min_score").Float(g.min_score);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return w.Take();
}

}  // namespace lookalike::es
