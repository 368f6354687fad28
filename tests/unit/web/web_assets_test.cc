// The embedded search page: lookup rules, MIME types, and that the page is self-contained
// (every local reference resolves to an embedded file; nothing is loaded from another host).
#include "web/web_assets.h"

#include <gtest/gtest.h>

#include <regex>
#include <string>

namespace lookalike::web {
namespace {

TEST(WebAssets, IndexIsServedForEmptyPathAndSlash) {
  auto a = FindWebAsset("");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->path, "index.html");
  EXPECT_EQ(a->mime_type, "text/html; charset=utf-8");
  EXPECT_NE(a->content.find("<!doctype html>"), std::string_view::npos);
  auto b = FindWebAsset("/");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->content, a->content);
}

TEST(WebAssets, MimeTypesFollowExtensions) {
  auto js = FindWebAsset("app.js");
  ASSERT_TRUE(js.has_value());
  EXPECT_EQ(js->mime_type, "text/javascript; charset=utf-8");
  auto css = FindWebAsset("/style.css");
  ASSERT_TRUE(css.has_value());
  EXPECT_EQ(css->mime_type, "text/css; charset=utf-8");
  auto svg = FindWebAsset("favicon.svg");
  ASSERT_TRUE(svg.has_value());
  EXPECT_EQ(svg->mime_type, "image/svg+xml");
}

TEST(WebAssets, UnknownAndTraversalPathsMiss) {
  for (const char* p : {"nope.js", "../app.js", "..", "./app.js", "//app.js", "app.js?x=1",
                        "web_assets.h", "CMakeLists.txt", "embed_assets.cmake", "APP.JS"}) {
    EXPECT_FALSE(FindWebAsset(p).has_value()) << p;
  }
}

TEST(WebAssets, EtagsAreQuotedAndDistinct) {
  const auto& all = AllWebAssets();
  ASSERT_GE(all.size(), 3u);
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_GE(all[i].etag.size(), 3u);
    EXPECT_EQ(all[i].etag.front(), '"');
    EXPECT_EQ(all[i].etag.back(), '"');
    EXPECT_FALSE(all[i].content.empty()) << all[i].path;
    if (i > 0) {
      EXPECT_LT(all[i - 1].path, all[i].path);  // sorted: FindWebAsset relies on it
      EXPECT_NE(all[i - 1].etag, all[i].etag);
    }
  }
}

TEST(WebAssets, PageIsSelfContained) {
  const std::regex ref(R"re((?:src|href)="([^"]*)")re");
  for (const auto& asset : AllWebAssets()) {
    if (asset.path.size() < 5 || asset.path.substr(asset.path.size() - 5) != ".html") continue;
    std::string html(asset.content);
    int refs = 0;
    for (auto it = std::sregex_iterator(html.begin(), html.end(), ref); it != std::sregex_iterator();
         ++it) {
      std::string target = (*it)[1];
      if (!target.empty() && target[0] == '#') continue;  // in-page anchor
      // The page's status and duplicates tabs (the server maps both to the page).
      if (target == "status" || target == "duplicates") continue;
      ++refs;
      EXPECT_EQ(target.find("//"), std::string::npos) << "external reference " << target;
      EXPECT_TRUE(FindWebAsset(target).has_value()) << asset.path << " refers to " << target;
    }
    EXPECT_GE(refs, 3) << asset.path;
  }
  // The scripts address the API relative to the page, never by host or absolute path.
  for (const char* name : {"app.js", "duplicates.js", "http.js"}) {
    auto js = FindWebAsset(name);
    ASSERT_TRUE(js.has_value()) << name;
    EXPECT_EQ(js->content.find("http://"), std::string_view::npos) << name;
    EXPECT_EQ(js->content.find("https://"), std::string_view::npos) << name;
  }
}

}  // namespace
}  // namespace lookalike::web
