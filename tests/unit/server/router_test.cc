#include "server/router.h"

#include <iterator>
#include <string_view>

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
  Status typed = Status::NotFound("no such index [abc]").WithKind(ErrorKind::kIndexNotFound);
  EXPECT_EQ(ErrorTypeFor(typed), "index_not_found_exception");
  EXPECT_EQ(HttpStatusFor(Status::InvalidArgument("x").WithKind(ErrorKind::kMalformedRequest)),
            400);
  EXPECT_EQ(HttpStatusFor(Status::NotFound("x").WithKind(ErrorKind::kDocumentMissing)), 404);
  // A refused file path is a permission problem, not a malformed request.
  EXPECT_EQ(HttpStatusFor(Status::InvalidArgument("x").WithKind(ErrorKind::kForbidden)), 403);
}

// A new ErrorKind without a row in the table fails here (and at the static_assert).
TEST(ErrorMappingTest, EveryKindHasARow) {
  for (int i = 1; i < kErrorKindCount; ++i) {
    auto kind = static_cast<ErrorKind>(i);
    for (StatusCode code : {StatusCode::kInvalidArgument, StatusCode::kNotFound,
                            StatusCode::kResourceExhausted, StatusCode::kIOError}) {
      std::string_view type = ErrorTypeFor(code, kind);
      int http_status = HttpStatusFor(code, kind);
      EXPECT_GT(type.size(), std::string_view("_exception").size()) << ErrorKindName(kind);
      EXPECT_TRUE(type.ends_with("_exception")) << ErrorKindName(kind) << ": " << type;
      EXPECT_GE(http_status, 400) << ErrorKindName(kind);
      EXPECT_LE(http_status, 599) << ErrorKindName(kind);
      // The kind, not the code, decides.
      EXPECT_EQ(type, ErrorTypeFor(StatusCode::kInvalidArgument, kind)) << ErrorKindName(kind);
      EXPECT_EQ(http_status, HttpStatusFor(StatusCode::kInvalidArgument, kind));
    }
  }
}

// What clients see must not change when kinds are renamed or reordered: every kind's pinned
// Elasticsearch type and status.
TEST(ErrorMappingTest, KindsRenderAsElasticsearchDoes) {
  struct Row {
    ErrorKind kind;
    int http_status;
    std::string_view type;
  };
  const Row rows[] = {
      {ErrorKind::kInvalidValue, 400, "illegal_argument_exception"},
      {ErrorKind::kMalformedRequest, 400, "parsing_exception"},
      {ErrorKind::kMalformedInput, 400, "parse_exception"},
      {ErrorKind::kMalformedContent, 400, "x_content_parse_exception"},
      {ErrorKind::kRequestValidation, 400, "action_request_validation_exception"},
      {ErrorKind::kMappingParse, 400, "mapper_parsing_exception"},
      {ErrorKind::kStrictMapping, 400, "strict_dynamic_mapping_exception"},
      {ErrorKind::kIndexNotFound, 404, "index_not_found_exception"},
      {ErrorKind::kIndexAlreadyExists, 400, "resource_already_exists_exception"},
      {ErrorKind::kInvalidIndexName, 400, "invalid_index_name_exception"},
      {ErrorKind::kIndexUnavailable, 503, "unavailable_shards_exception"},
      {ErrorKind::kDocumentMissing, 404, "document_missing_exception"},
      {ErrorKind::kResourceNotFound, 404, "resource_not_found_exception"},
      {ErrorKind::kVersionConflict, 409, "version_conflict_engine_exception"},
      {ErrorKind::kWriteBlocked, 429, "cluster_block_exception"},
      {ErrorKind::kSearchRejected, 400, "search_phase_execution_exception"},
      {ErrorKind::kScrollMissing, 404, "search_context_missing_exception"},
      {ErrorKind::kTooManyScrolls, 429, "too_many_scroll_contexts_exception"},
      {ErrorKind::kQueueFull, 429, "es_rejected_execution_exception"},
      {ErrorKind::kBodyTooLarge, 413, "content_too_long_exception"},
      {ErrorKind::kForbidden, 403, "security_exception"},
      {ErrorKind::kRepositoryInvalid, 400, "repository_exception"},
      {ErrorKind::kRepositoryMissing, 404, "repository_missing_exception"},
      {ErrorKind::kSnapshotMissing, 404, "snapshot_missing_exception"},
      {ErrorKind::kInvalidSnapshotName, 400, "invalid_snapshot_name_exception"},
      {ErrorKind::kRestoreFailed, 500, "snapshot_restore_exception"},
      {ErrorKind::kSnapshotBusy, 503, "concurrent_snapshot_execution_exception"},
      {ErrorKind::kMethodNotAllowed, 405, "method_not_allowed_exception"},
      {ErrorKind::kShardsFailed, 503, "search_phase_execution_exception"},
      {ErrorKind::kNoMaster, 503, "cluster_block_exception"},
      {ErrorKind::kRepositoryVerification, 500, "repository_verification_exception"},
  };
  EXPECT_EQ(std::size(rows), static_cast<size_t>(kErrorKindCount - 1));
  for (const Row& row : rows) {
    Status st = Status::InvalidArgument("x").WithKind(row.kind);
    EXPECT_EQ(HttpStatusFor(st), row.http_status) << row.type;
    EXPECT_EQ(ErrorTypeFor(st), row.type);
  }
  // The security codes keep their status whatever the kind: a 401 carries the challenges.
  EXPECT_EQ(HttpStatusFor(Status::Unauthenticated("x").WithKind(ErrorKind::kForbidden)), 401);
  EXPECT_EQ(HttpStatusFor(Status::PermissionDenied("x")), 403);
  EXPECT_EQ(ErrorTypeFor(Status::PermissionDenied("x")), "security_exception");
  EXPECT_EQ(HttpStatusFor(Status::OK()), 200);
}

TEST(ErrorMappingTest, BodyShape) {
  HttpResponse resp;
  SetErrorResponse(Status::NotFound("no such index [abc]").WithKind(ErrorKind::kIndexNotFound),
                   &resp);
  EXPECT_EQ(resp.status, 404);
  EXPECT_NE(resp.body.find("{\"error\":{\"root_cause\":[{\"type\":\"index_not_found_exception\","
                           "\"reason\":\"no such index [abc]\""),
            std::string::npos)
      << resp.body;
  EXPECT_NE(resp.body.find("\"index\":\"abc\""), std::string::npos) << resp.body;
  EXPECT_NE(resp.body.find("},\"status\":404}"), std::string::npos) << resp.body;
}

// A cluster search whose shards failed: Elasticsearch's search_phase_execution_exception with
// the shards' own errors in failed_shards and each distinct cause once in root_cause.
TEST(ErrorMappingTest, ShardsFailedBodyListsTheFailedShards) {
  std::vector<ShardFailure> failures(2);
  failures[0].shard = 0;
  failures[0].index = "docs";
  failures[0].reason = "no started copy of shard [0] of [docs]";
  failures[1] = failures[0];
  failures[1].shard = 2;
  failures[1].node = "n3";
  HttpResponse resp;
  SetShardsFailedResponse(
      Status::Unavailable("all shards failed").WithKind(ErrorKind::kShardsFailed), failures,
      &resp);
  EXPECT_EQ(resp.status, 503);
  EXPECT_EQ(resp.body,
            "{\"error\":{\"root_cause\":[{\"type\":\"unavailable_shards_exception\","
            "\"reason\":\"no started copy of shard [0] of [docs]\",\"index\":\"docs\","
            "\"shard\":\"0\"}],\"type\":\"search_phase_execution_exception\","
            "\"reason\":\"all shards failed\",\"phase\":\"query\",\"grouped\":true,"
            "\"failed_shards\":[{\"shard\":0,\"index\":\"docs\",\"node\":null,"
            "\"reason\":{\"type\":\"unavailable_shards_exception\",\"reason\":\"no "
            "started copy of shard [0] of [docs]\"}},{\"shard\":2,\"index\":\"docs\","
            "\"node\":\"n3\",\"reason\":{\"type\":\"unavailable_shards_exception\","
            "\"reason\":\"no started copy of shard [0] of [docs]\"}}]},\"status\":503}");
  // Any other error keeps its usual body.
  SetShardsFailedResponse(Status::InvalidArgument("bad"), failures, &resp);
  EXPECT_EQ(resp.status, 400);
  EXPECT_EQ(resp.body.find("failed_shards"), std::string::npos) << resp.body;
}

}  // namespace
}  // namespace lookalike::server
