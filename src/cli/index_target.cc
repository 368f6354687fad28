// The two IndexTarget implementations; see index_target.h.
#include "cli/index_target.h"

#include <simdjson.h>

#include "net/http_client.h"
#include "lookalike/engine.h"
#include "server/es/bulk_codec.h"
#include "server/es/index_codec.h"
#include "server/es/near_duplicates_codec.h"
#include "server/es/search_codec.h"

namespace lookalike::cli {
namespace {

class LocalTarget final : public IndexTarget {
 public:
  LocalTarget(std::unique_ptr<Engine> engine, std::string dir)
      : engine_(std::move(engine)), dir_(std::move(dir)) {}
  ~LocalTarget() override { engine_->Shutdown(); }

  Result<bool> IndexExists(std::string_view index) override { return engine_->IndexExists(index); }
  Status CreateIndex(std::string_view index, std::string_view body_json) override {
    return es::CreateIndexJson(*engine_, index, body_json).status();
  }
  Result<std::string> GetMapping(std::string_view index) override {
    return es::GetMappingJson(*engine_, index);
  }
  Result<std::string> Search(std::string_view index, std::string_view body_json) override {
    return es::SearchJson(*engine_, index, body_json);
  }
  Result<std::string> Bulk(std::string_view index, std::string_view ndjson) override {
    return es::Bulk(*engine_, index, ndjson, RefreshPolicy::kFalse);
  }
  Status Refresh(std::string_view index) override {
    auto r = engine_->Refresh(index);
    return r.ok() ? Status::OK() : r.status();
  }
  Result<std::string> NearDuplicates(std::string_view index, std::string_view body_json) override {
    LOOKALIKE_ASSIGN_OR_RETURN(es::NearDuplicatesRequest request,
                               es::ParseNearDuplicatesBody(body_json));
    LOOKALIKE_ASSIGN_OR_RETURN(NearDuplicateReport report,
                               engine_->FindNearDuplicates(index, request.field,
                                                           request.min_score, request.options));
    return es::RenderNearDuplicates(report);
  }
  Result<std::string> Thumbnail(std::string_view, std::string_view, int) override {
    return Status::Unsupported("thumbnails need a server (--server)");
  }
  std::string Describe() const override { return "data directory " + dir_; }

 private:
  std::unique_ptr<Engine> engine_;
  std::string dir_;
};

class HttpTarget final : public IndexTarget {
 public:
  HttpTarget(HttpClient client, std::string url) : client_(std::move(client)), url_(std::move(url)) {}

  Result<bool> IndexExists(std::string_view index) override {
    LOOKALIKE_ASSIGN_OR_RETURN(auto r, client_.Send("HEAD", "/" + UrlEncodeSegment(index)));
    if (r.status == 200) return true;
    if (r.status == 404) return false;
    return Status::IOError("HEAD /" + std::string(index) + " answered " + std::to_string(r.status));
  }
  Status CreateIndex(std::string_view index, std::string_view body_json) override {
    LOOKALIKE_ASSIGN_OR_RETURN(auto r,
                               client_.Send("PUT", "/" + UrlEncodeSegment(index), body_json));
    return Check(r, "create index").status();
  }
  Result<std::string> GetMapping(std::string_view index) override {
    LOOKALIKE_ASSIGN_OR_RETURN(auto r,
                               client_.Send("GET", "/" + UrlEncodeSegment(index) + "/_mapping"));
    return Check(r, "get mapping");
  }
  Result<std::string> Search(std::string_view index, std::string_view body_json) override {
    LOOKALIKE_ASSIGN_OR_RETURN(
        auto r, client_.Send("POST", "/" + UrlEncodeSegment(index) + "/_search", body_json));
    return Check(r, "search");
  }
  Result<std::string> Bulk(std::string_view index, std::string_view ndjson) override {
    LOOKALIKE_ASSIGN_OR_RETURN(auto r, client_.Send("POST", "/" + UrlEncodeSegment(index) + "/_bulk",
                                                    ndjson, "application/x-ndjson"));
    return Check(r, "bulk");
  }
  Status Refresh(std::string_view index) override {
    LOOKALIKE_ASSIGN_OR_RETURN(auto r,
                               client_.Send("POST", "/" + UrlEncodeSegment(index) + "/_refresh"));
    return Check(r, "refresh").status();
  }
  Result<std::string> NearDuplicates(std::string_view index, std::string_view body_json) override {
    LOOKALIKE_ASSIGN_OR_RETURN(
        auto r,
        client_.Send("POST", "/" + UrlEncodeSegment(index) + "/_near_duplicates", body_json));
    return Check(r, "near-duplicate report");
  }
  Result<std::string> Thumbnail(std::string_view index, std::string_view id, int side) override {
    LOOKALIKE_ASSIGN_OR_RETURN(auto r, client_.Send("GET", "/" + UrlEncodeSegment(index) +
                                                               "/_image/" + UrlEncodeSegment(id) +
                                                               "?size=" + std::to_string(side)));
    return Check(r, "thumbnail");
  }
  std::string Describe() const override { return url_; }

 private:
  static Result<std::string> Check(HttpClientResponse& r, std::string_view what) {
    if (r.status >= 200 && r.status < 300) return std::move(r.body);
    return StatusFromErrorBody(r.status, r.body,
                               std::string(what) + " failed with HTTP " + std::to_string(r.status));
  }

  HttpClient client_;
  std::string url_;
};

}  // namespace

Status StatusFromErrorBody(int http_status, std::string_view body, std::string_view fallback) {
  std::string message(fallback);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (!body.empty() && parser.parse(body.data(), body.size()).get(doc) == simdjson::SUCCESS) {
    simdjson::dom::element error;
    if (doc["error"].get(error) == simdjson::SUCCESS) {
      std::string_view type, reason;
      if (error.is_string()) {
        Got(error.get(reason));
      } else {
        Got(error["type"].get(type));
        Got(error["reason"].get(reason));
      }
      if (!reason.empty()) {
        message = type.empty() ? std::string(reason) : std::string(type) + ": " + std::string(reason);
      }
    }
  }
  message += " (HTTP " + std::to_string(http_status) + ")";
  switch (http_status) {
    case 404:
      return Status::NotFound(message);
    case 409:
      return Status::Conflict(message);
    case 413:
    case 429:
      return Status::ResourceExhausted(message);
    case 503:
      return Status::Unavailable(message);
    default:
      if (http_status >= 500) return Status::IOError(message);
      return Status::InvalidArgument(message);
  }
}

Result<std::unique_ptr<IndexTarget>> OpenLocalTarget(const std::string& data_dir) {
  EngineOptions options;
  options.data_dir = data_dir;
  options.durability = Durability::kAsync;  // one Refresh + Shutdown at the end syncs it all
  auto engine = Engine::Open(options);
  if (!engine.ok()) {
    return engine.status().WithContext("cannot open " + data_dir +
                                       " (if `lookalike serve` uses it, pass --server instead)");
  }
  return std::unique_ptr<IndexTarget>(
      std::make_unique<LocalTarget>(std::move(engine).value(), data_dir));
}

Result<std::unique_ptr<IndexTarget>> OpenHttpTarget(const std::string& base_url,
                                                    const HttpClientTls& tls,
                                                    const std::string& authorization) {
  LOOKALIKE_ASSIGN_OR_RETURN(HttpClient client, HttpClient::Create(base_url, tls));
  client.SetAuthorization(authorization);
  LOOKALIKE_ASSIGN_OR_RETURN(auto r, client.Send("GET", "/"));
  if (r.status != 200) {
    return StatusFromErrorBody(r.status, r.body, "GET / on " + base_url + " failed");
  }
  return std::unique_ptr<IndexTarget>(std::make_unique<HttpTarget>(std::move(client), base_url));
}

}  // namespace lookalike::cli
