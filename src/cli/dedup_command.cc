// `lookalike dedup --index NAME`: the near-duplicate report (POST /{index}/_near_duplicates) of a
// running server (--server URL, the default) or of the engine in-process (--data DIR), printed
// as the JSON report, as CSV (one row per document) or as a standalone HTML page that shows each
// group's images side by side (thumbnails fetched from the server and embedded as data: URIs,
// so the file can be mailed or opened offline).
#include <CLI/CLI.hpp>
#include <simdjson.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/index_target.h"
#include "common/base64.h"
#include "common/json_writer.h"

namespace lookalike::cli {
namespace {

struct DedupArgs {
  std::string server = "http://127.0.0.1:9200";
  std::string data_dir;
  HttpClientTls tls;
  CredentialArgs credentials;
  std::string index;
  std::string field;
  double min_score = 0.95;
  std::string format = "json";
  std::string output;
  size_t max_groups = 0;
  size_t size = 0;
  int thumb_side = 160;
};

struct Group {
  std::vector<std::string> ids;
  size_t doc_count = 0;
  double min_score = 0;
};

struct Report {
  size_t total_groups = 0;
  size_t docs_scanned = 0;
  std::vector<Group> groups;
};

Result<Report> ParseReport(const std::string& body) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::array groups;
  if (parser.parse(body).get(doc) != simdjson::SUCCESS ||
      doc["groups"].get(groups) != simdjson::SUCCESS) {
    return Status::Corruption("unexpected near-duplicate report");
  }
  Report report;
  uint64_t n = 0;
  Got(doc["total_groups"].get(n));
  report.total_groups = n;
  n = 0;
  Got(doc["docs_scanned"].get(n));
  report.docs_scanned = n;
  for (simdjson::dom::element g : groups) {
    Group group;
    simdjson::dom::array ids;
    if (g["ids"].get(ids) != simdjson::SUCCESS) return Status::Corruption("group without ids");
    for (simdjson::dom::element id : ids) {
      std::string_view s;
      if (id.get(s) == simdjson::SUCCESS) group.ids.emplace_back(s);
    }
    uint64_t count = 0;
    Got(g["doc_count"].get(count));
    group.doc_count = count;
    Got(g["min_score"].get(group.min_score));
    report.groups.push_back(std::move(group));
  }
  return report;
}

// RFC 4180: quote a field that holds a comma, quote or line break.
std::string CsvField(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string Csv(const Report& report) {
  std::string out = "group,doc_count,min_score,id\n";
  for (size_t g = 0; g < report.groups.size(); ++g) {
    const Group& group = report.groups[g];
    char score[32];
    std::snprintf(score, sizeof(score), "%.6g", group.min_score);
    for (const std::string& id : group.ids) {
      out += std::to_string(g + 1) + "," + std::to_string(group.doc_count) + "," + score + "," +
             CsvField(id) + "\n";
    }
  }
  return out;
}

std::string HtmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string Html(const Report& report, const DedupArgs& args, IndexTarget& target) {
  std::string out =
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>Near duplicates "
      "in " + HtmlEscape(args.index) + "</title>\n<style>\n"
      "body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}\n"
      ".group{border-top:1px solid #ccc;padding:.8rem 0}\n"
      ".row{display:flex;flex-wrap:wrap;gap:.8rem}\n"
      "figure{margin:0;width:" + std::to_string(args.thumb_side) + "px}\n"
      "figure img{max-width:100%;display:block;background:#eee}\n"
      "figcaption{font-size:.8rem;word-break:break-all}\n"
      ".missing{height:4rem;background:#eee;display:flex;align-items:center;justify-content:"
      "center;font-size:.8rem}\n</style></head><body>\n";
  char line[256];
  std::snprintf(line, sizeof(line),
                "<h1>Near duplicates in %s</h1>\n<p>%zu groups (%zu shown) among %zu documents, "
                "min_score %.4g",
                HtmlEscape(args.index).c_str(), report.total_groups, report.groups.size(),
                report.docs_scanned, args.min_score);
  out += line;
  out += args.field.empty() ? "" : ", field " + HtmlEscape(args.field);
  out += ".</p>\n";
  for (size_t g = 0; g < report.groups.size(); ++g) {
    const Group& group = report.groups[g];
    std::snprintf(line, sizeof(line),
                  "<section class=\"group\"><h2>Group %zu: %zu documents, min score %.4f</h2>\n"
                  "<div class=\"row\">\n",
                  g + 1, group.doc_count, group.min_score);
    out += line;
    for (const std::string& id : group.ids) {
      out += "<figure>";
      auto jpeg = target.Thumbnail(args.index, id, args.thumb_side);
      if (jpeg.ok()) {
        out += "<img alt=\"" + HtmlEscape(id) + "\" src=\"data:image/jpeg;base64," +
               Base64Encode(*jpeg) + "\">";
      } else {
        out += "<div class=\"missing\">no image</div>";
      }
      out += "<figcaption>" + HtmlEscape(id) + "</figcaption></figure>\n";
    }
    out += "</div></section>\n";
  }
  return out + "</body></html>\n";
}

int RunDedup(const DedupArgs& args) {
  auto fail = [](const Status& st, int code) {
    std::fprintf(stderr, "lookalike dedup: %s\n", st.ToString().c_str());
    return code;
  };
  if (args.format != "json" && args.format != "csv" && args.format != "html") {
    return fail(Status::InvalidArgument("--format must be json, csv or html"), 2);
  }
  Result<std::unique_ptr<IndexTarget>> target = [&]() -> Result<std::unique_ptr<IndexTarget>> {
    if (!args.data_dir.empty()) return OpenLocalTarget(args.data_dir);
    LOOKALIKE_ASSIGN_OR_RETURN(std::string authorization, AuthorizationHeader(args.credentials));
    return OpenHttpTarget(args.server, args.tls, authorization);
  }();
  if (!target.ok()) return fail(target.status(), 2);
  JsonWriter w;
  w.BeginObject();
  if (!args.field.empty()) w.Key("field").String(args.field);
  w.Key("min_score").Double(args.min_score);
  w.Key("max_groups").UInt(args.max_groups).Key("size").UInt(args.size).EndObject();
  auto body = (*target)->NearDuplicates(args.index, w.str());
  if (!body.ok()) return fail(body.status(), 1);
  std::string text;
  if (args.format == "json") {
    text = *body + "\n";
  } else {
    auto report = ParseReport(*body);
    if (!report.ok()) return fail(report.status(), 1);
    text = args.format == "csv" ? Csv(*report) : Html(*report, args, **target);
  }
  if (args.output.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  }
  std::ofstream file(args.output, std::ios::binary | std::ios::trunc);
  file << text;
  file.close();
  if (!file) return fail(Status::IOError("cannot write " + args.output), 1);
  return 0;
}

}  // namespace

void AddDedupCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<DedupArgs>();
  CLI::App* cmd = app.add_subcommand(
      "dedup", "Report groups of near-duplicate documents (POST /{index}/_near_duplicates)");
  cmd->add_option("--index,-i", args->index, "Index name")->required();
  cmd->add_option("--field", args->field, "Vector field (default: the index's only one)");
  cmd->add_option("--min-score", args->min_score,
                  "Smallest knn _score between members of a group, on the field's scale")
      ->capture_default_str();
  cmd->add_option("--format", args->format, "json, csv or html")->capture_default_str();
  cmd->add_option("--output,-o", args->output, "Write to this file instead of stdout");
  cmd->add_option("--max-groups", args->max_groups, "Groups listed, largest first (0 = all)")
      ->capture_default_str();
  cmd->add_option("--size", args->size, "Ids listed per group (0 = all)")->capture_default_str();
  cmd->add_option("--thumb-size", args->thumb_side, "Thumbnail side in pixels (html)")
      ->check(CLI::Range(16, 1024))
      ->capture_default_str();
  auto* server = cmd->add_option("--server", args->server, "Server URL")->capture_default_str();
  auto* data =
      cmd->add_option("--data", args->data_dir, "Use the engine in-process on this data directory");
  server->excludes(data);
  cmd->add_option("--ca-cert", args->tls.ca_file,
                  "PEM CA certificate(s) to verify an https:// server with");
  cmd->add_flag("--insecure-tls", args->tls.insecure,
                "Do not verify an https:// server's certificate (testing only)");
  AddCredentialOptions(cmd, &args->credentials);
  cmd->callback([args, exit_code] { *exit_code = RunDedup(*args); });
}

}  // namespace lookalike::cli
