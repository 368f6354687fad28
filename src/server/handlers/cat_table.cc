#include "server/handlers/cat_table.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "common/json_writer.h"
#include "server/handlers/rest_common.h"

namespace lookalike::server {
namespace {

// Indices of the columns ?h selects (all when absent); false when one is unknown.
bool SelectColumns(const CatTable& table, const std::string* h, std::vector<size_t>* out,
                   std::string* unknown) {
  if (h == nullptr || h->empty()) {
    for (size_t i = 0; i < table.columns.size(); ++i) out->push_back(i);
    return true;
  }
  std::string_view rest = *h;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view name = rest.substr(0, comma);
    auto it = std::find(table.columns.begin(), table.columns.end(), name);
    if (it == table.columns.end()) {
      *unknown = std::string(name);
      return false;
    }
    out->push_back(static_cast<size_t>(it - table.columns.begin()));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  return true;
}

}  // namespace

std::string CatBytes(int64_t bytes, const RestRequest& request) {
  const std::string* unit = request.Param("bytes");
  if (unit != nullptr && *unit == "b") return std::to_string(bytes);
  static const char* kUnits[] = {"b", "kb", "mb", "gb", "tb"};
  double v = static_cast<double>(bytes);
  int at = 0;
  while (v >= 1024.0 && at < 4) {
    v /= 1024.0;
    ++at;
  }
  char buf[32];
  if (at == 0) {
    std::snprintf(buf, sizeof(buf), "%" PRId64 "b", bytes);
  } else {
    std::snprintf(buf, sizeof(buf), "%.1f%s", v, kUnits[at]);
  }
  return buf;
}

std::string AlignedCatText(const std::vector<std::vector<std::string>>& lines) {
  std::vector<size_t> width;
  for (const auto& line : lines) {
    width.resize(std::max(width.size(), line.size()), 0);
    for (size_t i = 0; i < line.size(); ++i) width[i] = std::max(width[i], line[i].size());
  }
  std::string out;
  for (const auto& line : lines) {
    for (size_t i = 0; i < line.size(); ++i) {
      out += line[i];
      if (i + 1 < line.size()) out += std::string(width[i] - line[i].size() + 1, ' ');
    }
    out += '\n';
  }
  return out;
}

void ReplyCatTable(const CatTable& table, const RestRequest& request, HttpResponse* response) {
  std::vector<size_t> selected;
  std::string unknown;
  if (!SelectColumns(table, request.Param("h"), &selected, &unknown)) {
    return ReplyError(Status::InvalidArgument("Unknown column [" + unknown + "]")
                          .WithKind(ErrorKind::kInvalidValue),
                      response);
  }
  const std::string* format = request.Param("format");
  if (format != nullptr && *format == "json") {
    JsonWriter w;
    w.BeginArray();
    for (const auto& row : table.rows) {
      w.BeginObject();
      for (size_t c : selected) w.Key(table.columns[c]).String(row[c]);
      w.EndObject();
    }
    w.EndArray();
    response->body = w.Take();
    return;
  }
  std::vector<std::vector<std::string>> lines;
  if (request.Param("v") != nullptr) {
    lines.emplace_back();
    for (size_t c : selected) lines.back().push_back(table.columns[c]);
  }
  for (const auto& row : table.rows) {
    lines.emplace_back();
    for (size_t c : selected) lines.back().push_back(row[c]);
  }
  response->content_type = "text/plain; charset=UTF-8";
  response->body = AlignedCatText(lines);
}

}  // namespace lookalike::server
