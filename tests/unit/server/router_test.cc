#include "server/router.h"

#include <gtest/gtest.h>

#include "lookalike/status.h"
#include "server/error_mapping.h"

namespace lookalike::server {
namespace {

HttpRequest Req(std::string method, std::string path) {
  HttpRequest r;
  r.method = std::move(method);
  r.path = r.target = std::move(path);
  return r;
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto tag = [](std::string name) {
      return [name](const RestRequest& req, HttpResponse* resp) {
        resp->body = name;
        for (const auto& [k, v] : req.path_params) resp->body += " " + k + "=" + v;
      };
    };
    router_.Add("GET,POST", "/_search", tag("search_all"));
    router_.Add("GET,POST", "/{index}/_search", tag("search"));
    router_.Add("PUT", "/{index}", tag("create"));
    router_.Add("GET", "/{index}", tag("get_index"));
    router_.Add("GET", "/{index}/_doc/{id}", tag("get_doc"));
  }
  HttpResponse Run(std::string method, std::string path) {
    HttpResponse resp;
    router_.Handle(Req(std::move(method), std::move(path)), &resp);
    return resp;
  }
  Router router_;
};

TEST_F(RouterTest, LiteralBeatsParameter) {
  EXPECT_EQ(Run("GET", "/_search").body, "search_all");
  EXPECT_EQ(Run("GET", "/idx/_search").body, "search index=idx");
  EXPECT_EQ(Run("GET", "/idx").body, "get_index index=idx");
}

TEST_F(RouterTest, PathParamsDecodedPerSegment) {
  EXPECT_EQ(Run("GET", "/my%2Fidx/_doc/a%20b").body, "get_doc index=my/idx id=a b");
}

TEST_F(RouterTest, WrongMethodIs405WithErrorBody) {
  HttpResponse resp = Run("DELETE", "/_search");
  EXPECT_EQ(resp.status, 405);
  EXPECT_NE(resp.body.find("method_not_allowed_exception"), std::string::npos);
  EXPECT_NE(resp.body.find("\"status\":405"), std::string::npos);
}

TEST_F(RouterTest, HeadFallsBackToGet) {
  EXPECT_EQ(Run("HEAD", "/idx/_doc/1").body, "get_doc index=idx id=1");
}

TEST_F(RouterTest, UnknownPathIs400) {
  HttpResponse resp = Run("GET", "/a/b/c/d/e");
  EXPECT_EQ(resp.status, 400);
  EXPECT_NE(resp.body.find("no handler found"), std::string::npos);
}

TEST(ErrorMappingTest, CodesAndTypes) {
  EXPECT_EQ(HttpStatusFor(Status::InvalidArgument("x")), 400);
  EXPECT_EQ(ErrorTypeFor(Status::InvalidArgument("x")), "illegal_argument_exception");
  EXPECT_EQ(HttpStatusFor(Status::NotFound("x")), 404);
  EXPECT_EQ(HttpStatusFor(Status::AlreadyExists("x")), 400);
  EXPECT_EQ(ErrorTypeFor(Status::AlreadyExists("x")), "resource_already_exists_exception");
  EXPECT_EQ(HttpStatusFor(Status::Conflict("x")), 409);
  EXPECT_EQ(HttpStatusFor(Status::ResourceExhausted("x")), 413);
  EXPECT_EQ(HttpStatusFor(Status::Unsupported("x")), 400);
  EXPECT_EQ(HttpStatusFor(Status::Corruption("x")), 500);
  EXPECT_EQ(HttpStatusFor(Status::IOError("x")), 500);
  EXPECT_EQ(HttpStatusFor(Status::Unavailable("x")), 503);
  Status typed = Status::NotFound("no such index [abc]").WithType("index_not_found_exception");
  EXPECT_EQ(ErrorTypeFor(typed), "index_not_found_exception");
  EXPECT_EQ(HttpStatusFor(Status::InvalidArgument("x").WithType("parsing_exception")), 400);
  EXPECT_EQ(HttpStatusFor(Status::NotFound("x").WithType("document_missing_exception")), 404);
  // A refused file path is a permission problem, not a malformed request.
  EXPECT_EQ(HttpStatusFor(Status::InvalidArgument("x").WithType("security_exception")), 403);
}

TEST(ErrorMappingTest, BodyShape) {
  HttpResponse resp;
  SetErrorResponse(Status::NotFound("no such index [abc]").WithType("index_not_found_exception"),
                   &resp);
  EXPECT_EQ(resp.status, 404);
  EXPECT_NE(resp.body.find("{\"error\":{\"root_cause\":[{\"type\":\"index_not_found_exception\","
                           "\"reason\":\"no such index [abc]\""),
            std::string::npos)
      << resp.body;
  EXPECT_NE(resp.body.find("\"index\":\"abc\""), std::string::npos) << resp.body;
  EXPECT_NE(resp.body.find("},\"status\":404}"), std::string::npos) << resp.body;
}

}  // namespace
}  // namespace lookalike::server
