// Where the image tools put and find documents: the engine in-process (--data DIR) or a running
// server over HTTP (--server URL). Both speak the same Elasticsearch JSON, so the ingest
// pipeline and search-image are written once against this interface.
//
// Thread safety: none; a target is used by one thread at a time.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "net/http_client.h"
#include "lookalike/status.h"

namespace lookalike::cli {

using net::HttpClient;
using net::HttpClientResponse;
using net::HttpClientTls;
using net::UrlEncodeSegment;

class IndexTarget {
 public:
  virtual ~IndexTarget() = default;

  virtual Result<bool> IndexExists(std::string_view index) = 0;
  /// PUT /{index} with `body_json` (settings + mappings).
  virtual Status CreateIndex(std::string_view index, std::string_view body_json) = 0;
  /// GET /{index}/_mapping → {"NAME":{"mappings":{...}}}.
  virtual Result<std::string> GetMapping(std::string_view index) = 0;
  /// POST /{index}/_search → the Elasticsearch response body.
  virtual Result<std::string> Search(std::string_view index, std::string_view body_json) = 0;
  /// POST /{index}/_bulk → the bulk response body (per-item errors are in the body).
  virtual Result<std::string> Bulk(std::string_view index, std::string_view ndjson) = 0;
  /// POST /{index}/_refresh: waits until everything written is searchable.
  virtual Status Refresh(std::string_view index) = 0;
  /// POST /{index}/_near_duplicates → the report body (server/es/near_duplicates_codec.h).
  virtual Result<std::string> NearDuplicates(std::string_view index, std::string_view body_json) = 0;
  /// GET /{index}/_image/{id}?size=N: a JPEG thumbnail of the document's image. Unsupported for
  /// the in-process engine (thumbnails are made by the server's image API).
  virtual Result<std::string> Thumbnail(std::string_view index, std::string_view id, int side) = 0;
  /// "http://127.0.0.1:9200" or "data directory DIR", for messages.
  virtual std::string Describe() const = 0;
};

/// Opens the engine on `data_dir` in this process (the server must not be running on it).
Result<std::unique_ptr<IndexTarget>> OpenLocalTarget(const std::string& data_dir);

/// Talks to a server at `base_url` ("http[s]://host:port"); checks that it answers GET /.
/// `tls` says how an https:// server's certificate is checked; `authorization` is sent as the
/// Authorization header of every request ("" = none).
Result<std::unique_ptr<IndexTarget>> OpenHttpTarget(const std::string& base_url,
                                                    const HttpClientTls& tls = {},
                                                    const std::string& authorization = "");

/// Marks a JSON lookup whose failure just leaves the caller's default in place (simdjson's
/// error codes are [[nodiscard]] and a (void) cast does not silence GCC).
template <typename ErrorCode>
inline void Got(ErrorCode) {}

/// Turns an Elasticsearch error body {"error":{"type","reason"},"status":N} into a Status
/// ("type: reason"); `fallback` is used when the body is not such an error.
Status StatusFromErrorBody(int http_status, std::string_view body, std::string_view fallback);

}  // namespace lookalike::cli
