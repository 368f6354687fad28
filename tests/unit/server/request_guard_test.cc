// RequestGuard: the Content-Type table, the Host check (DNS rebinding), Origin and CORS, and
// that RestServer::Handle runs the guard before any handler.
#include "server/request_guard.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>

namespace lookalike::server {
namespace {

HttpRequest Req(std::string method, std::string path, HeaderList headers = {},
                std::string body = "") {
  HttpRequest r;
  r.method = std::move(method);
  r.target = path;
  r.path = std::move(path);
  r.headers = std::move(headers);
  r.body = std::move(body);
  return r;
}

std::string HeaderOf(const HttpResponse& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

TEST(ContentType, JsonAndNdjsonEverywhereMultipartOnlyForImageSearch) {
  struct Case {
    const char* content_type;
    const char* path;
    bool accepted;
  };
  const Case cases[] = {
      {"application/json", "/_bulk", true},
      {"application/json; charset=UTF-8", "/i/_doc/1", true},
      {"Application/JSON;charset=utf-8", "/i/_search", true},
      {"application/x-ndjson", "/_bulk", true},
      {"application/vnd.elasticsearch+json; compatible-with=8", "/i/_search", true},
      {"application/vnd.elasticsearch+json;compatible-with=7", "/i/_search", true},
      {"application/vnd.elasticsearch+x-ndjson; compatible-with=8", "/_bulk", true},
      {"application/vnd.elasticsearch+json; compatible-with=9", "/i/_search", false},
      {"multipart/form-data; boundary=x", "/photos/_search/image", true},
      {"multipart/form-data; boundary=x", "/_bulk", false},
      {"multipart/form-data; boundary=x", "/i/_doc/1", false},
      {"text/plain", "/_bulk", false},
      {"text/plain;charset=UTF-8", "/i/_search", false},
      {"application/x-www-form-urlencoded", "/_bulk", false},
      {"application/octet-stream", "/_bulk", false},
      {"application/octet-stream", "/_internal/shards/i~0~u/_search", true},
      {"application/octet-stream", "/i/_search", false},
      {"application/jsonx", "/_bulk", false},
      {"", "/_bulk", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ContentTypeAccepted(c.content_type, c.path), c.accepted)
        << c.content_type << " " << c.path;
  }
}

TEST(RequestGuard, BodyWithoutAcceptedContentTypeIs406LikeElasticsearch) {
  RequestGuard guard({});
  HttpResponse resp;
  EXPECT_FALSE(guard.Admit(Req("POST", "/_bulk", {{"content-type", "text/plain"}}, "{}\n"), &resp));
  EXPECT_EQ(resp.status, 406);
  EXPECT_EQ(resp.body, R"({"error":"Content-Type header [text/plain] is not supported","status":406})");
  HttpResponse none;
  EXPECT_FALSE(guard.Admit(Req("POST", "/_bulk", {}, "{}\n"), &none));
  EXPECT_EQ(none.body, R"({"error":"Content-Type header [] is not supported","status":406})");
  // No body, no check: GET and DELETE need no Content-Type.
  HttpResponse ok;
  EXPECT_TRUE(guard.Admit(Req("DELETE", "/i", {}), &ok));
  EXPECT_TRUE(guard.Admit(Req("POST", "/_bulk", {{"content-type", "application/x-ndjson"}}, "x"),
                          &ok));
}

TEST(HostHeader, PortIsStrippedAndIpv6Unbracketed) {
  EXPECT_EQ(HostWithoutPort("LocalHost:9200"), "localhost");
  EXPECT_EQ(HostWithoutPort("127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(HostWithoutPort("[::1]:9200"), "::1");
  EXPECT_EQ(HostWithoutPort("[::1]"), "::1");
  EXPECT_EQ(HostWithoutPort("a:b:c"), "");
  EXPECT_EQ(HostWithoutPort("host:port"), "");
  EXPECT_EQ(HostWithoutPort("[::1"), "");
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("127.1.2.3"));
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_TRUE(IsLoopbackHost("localhost"));
  EXPECT_FALSE(IsLoopbackHost("0.0.0.0"));
  EXPECT_FALSE(IsLoopbackHost("10.1.2.3"));
  EXPECT_FALSE(IsLoopbackHost("::"));
}

TEST(RequestGuard, LoopbackServerAnswersOnlyToLocalNames) {
  RequestGuardOptions options;
  options.bound_host = "127.0.0.1";
  options.allowed_hosts = {"lookalike.internal"};
  RequestGuard guard(options);
  ASSERT_TRUE(guard.host_check_enabled());
  for (const char* host : {"localhost", "localhost:9200", "127.0.0.1:9200", "127.0.0.1",
                           "[::1]:9200", "[::1]", "LOCALHOST:1", "lookalike.internal:9200"}) {
    HttpResponse resp;
    EXPECT_TRUE(guard.Admit(Req("GET", "/", {{"host", host}}), &resp)) << host;
  }
  for (const char* host : {"evil.example", "evil.example:9200", "127.0.0.1.nip.io",
                           "localhost.evil.example", "", "[::1"}) {
    HttpResponse resp;
    EXPECT_FALSE(guard.Admit(Req("GET", "/", {{"host", host}}), &resp)) << host;
    EXPECT_EQ(resp.status, 403) << host;
    EXPECT_NE(resp.body.find("security_exception"), std::string::npos) << resp.body;
  }
}

TEST(RequestGuard, HostCheckIsOffWhenBoundElsewhere) {
  RequestGuardOptions options;
  options.bound_host = "0.0.0.0";
  RequestGuard guard(options);
  EXPECT_FALSE(guard.host_check_enabled());
  HttpResponse resp;
  EXPECT_TRUE(guard.Admit(Req("GET", "/", {{"host", "search.example.com"}}), &resp));
}

TEST(RequestGuard, ForeignOriginMayReadButNotWrite) {
  RequestGuard guard({});
  HeaderList foreign = {{"host", "localhost:9200"}, {"origin", "http://evil.example"},
                        {"content-type", "application/json"}};
  HttpResponse resp;
  EXPECT_FALSE(guard.Admit(Req("POST", "/_bulk", foreign, "{}\n"), &resp));
  EXPECT_EQ(resp.status, 403);
  EXPECT_NE(resp.body.find("cross-origin"), std::string::npos);
  for (const char* method : {"PUT", "DELETE", "POST"}) {
    HttpResponse r;
    EXPECT_FALSE(guard.Admit(Req(method, "/i", foreign), &r)) << method;
  }
  HttpResponse get;
  EXPECT_TRUE(guard.Admit(Req("GET", "/i/_search", foreign), &get));
  EXPECT_TRUE(get.headers.empty());
  // The page the server itself serves: Origin is http://<Host>.
  HeaderList own = {{"host", "localhost:9200"}, {"origin", "http://localhost:9200"},
                    {"content-type", "application/json"}};
  HttpResponse same;
  EXPECT_TRUE(guard.Admit(Req("POST", "/i/_search", own, "{}"), &same));
  // Same host, other port: another origin.
  HeaderList other_port = {{"host", "localhost:9200"}, {"origin", "http://localhost:8080"}};
  HttpResponse r;
  EXPECT_FALSE(guard.Admit(Req("DELETE", "/i", other_port), &r));
  HeaderList null_origin = {{"host", "localhost:9200"}, {"origin", "null"}};
  EXPECT_FALSE(guard.Admit(Req("DELETE", "/i", null_origin), &r));
}

TEST(RequestGuard, CorsOffByDefaultPreflightIsRefused) {
  RequestGuard guard({});
  HttpRequest preflight = Req("OPTIONS", "/_bulk",
                              {{"host", "localhost:9200"},
                               {"origin", "http://app.example"},
                               {"access-control-request-method", "POST"}});
  HttpResponse resp;
  EXPECT_FALSE(guard.Admit(preflight, &resp));  // a foreign OPTIONS is no GET
  EXPECT_EQ(resp.status, 403);
  EXPECT_EQ(HeaderOf(resp, "access-control-allow-origin"), "");
}

TEST(RequestGuard, CorsAllowsConfiguredOriginsOnly) {
  RequestGuardOptions options;
  options.cors_allow_origins = SplitCommaList({"http://app.example, https://b.example:8443"});
  ASSERT_EQ(options.cors_allow_origins.size(), 2u);
  RequestGuard guard(options);
  HeaderList allowed = {{"host", "localhost:9200"},
                        {"origin", "http://app.example"},
                        {"access-control-request-method", "POST"}};
  HttpResponse pre;
  EXPECT_FALSE(guard.Admit(Req("OPTIONS", "/_bulk", allowed), &pre));
  EXPECT_EQ(pre.status, 200);
  EXPECT_EQ(HeaderOf(pre, "access-control-allow-origin"), "http://app.example");
  EXPECT_NE(HeaderOf(pre, "access-control-allow-methods").find("POST"), std::string::npos);
  EXPECT_NE(HeaderOf(pre, "access-control-allow-headers").find("Content-Type"),
            std::string::npos);

  HeaderList denied = {{"host", "localhost:9200"},
                       {"origin", "http://evil.example"},
                       {"access-control-request-method", "POST"}};
  HttpResponse no;
  EXPECT_FALSE(guard.Admit(Req("OPTIONS", "/_bulk", denied), &no));
  EXPECT_EQ(no.status, 403);
  EXPECT_EQ(HeaderOf(no, "access-control-allow-origin"), "");

  // An allowed origin may write, and its responses say so.
  HeaderList write = {{"host", "localhost:9200"},
                      {"origin", "https://b.example:8443"},
                      {"content-type", "application/x-ndjson"}};
  HttpRequest bulk = Req("POST", "/_bulk", write, "{}\n");
  HttpResponse ok;
  EXPECT_TRUE(guard.Admit(bulk, &ok));
  guard.Decorate(bulk, &ok);
  EXPECT_EQ(HeaderOf(ok, "access-control-allow-origin"), "https://b.example:8443");
  // Still a foreign write from anyone else.
  HttpResponse refused;
  EXPECT_FALSE(guard.Admit(Req("DELETE", "/i", {{"host", "localhost:9200"},
                                                {"origin", "http://evil.example"}}),
                           &refused));
  EXPECT_EQ(refused.status, 403);
}

TEST(RequestGuard, WildcardAllowsEveryOrigin) {
  RequestGuardOptions options;
  options.cors_allow_origins = {"*"};
  RequestGuard guard(options);
  HttpRequest r = Req("DELETE", "/i", {{"host", "localhost"}, {"origin", "http://x.example"}});
  HttpResponse resp;
  EXPECT_TRUE(guard.Admit(r, &resp));
  guard.Decorate(r, &resp);
  EXPECT_EQ(HeaderOf(resp, "access-control-allow-origin"), "http://x.example");
}

}  // namespace
}  // namespace lookalike::server
