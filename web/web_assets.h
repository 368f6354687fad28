// The search page's files (web/*.html, *.css, *.js, *.svg), compiled into the binary so
// `lookalike serve` can answer /_ui/ with no files on disk. The table is generated at build
// time from the files in web/ (see web/CMakeLists.txt and web/embed_assets.cmake).
//
// Thread safety: the table is immutable static data; FindWebAsset may be called from any thread.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace lookalike::web {

struct WebAsset {
  std::string_view path;       // relative to /_ui/, e.g. "index.html", "app.js"
  std::string_view content;    // the file's bytes (static storage)
  std::string_view mime_type;  // e.g. "text/html; charset=utf-8"
  std::string_view etag;       // quoted strong validator derived from the content, e.g. "\"1f…\""
};

/// Looks up a page asset by its path below /_ui/. "" and "index.html" give the page itself; a
/// leading '/' is ignored. Anything not built into the table — including "..", absolute paths,
/// query strings and sub-folders that do not exist — gives std::nullopt.
std::optional<WebAsset> FindWebAsset(std::string_view path);

/// Every built-in asset, in path order (for listings and tests).
const std::vector<WebAsset>& AllWebAssets();

}  // namespace lookalike::web
