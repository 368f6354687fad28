// The Elasticsearch codec for writes (src/server/es/): _bulk NDJSON → WriteOps, framing and
// per-item errors, and the rendering of typed outcomes (statuses from the one error table).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server/error_mapping.h"
#include "server/es/bulk_codec.h"
#include "server/es/doc_codec.h"

namespace lookalike::es {
namespace {

using server::HttpResponse;

std::string FramingError(std::string_view ndjson) {
  auto parsed = ParseBulk("dflt", ndjson);
  EXPECT_FALSE(parsed.ok()) << ndjson;
  if (parsed.ok()) return "";
  return std::string(server::ErrorTypeFor(parsed.status())) + ": " + parsed.status().message();
}

TEST(BulkCodec, FramingErrorsFailTheRequestWithElasticsearchTexts) {
  EXPECT_EQ(FramingError(""), "action_request_validation_exception: Validation Failed: 1: no "
                              "requests added;");
  EXPECT_EQ(FramingError("\n  \n"), "action_request_validation_exception: Validation Failed: 1: "
                                    "no requests added;");
  EXPECT_EQ(FramingError("not json\n"),
            "illegal_argument_exception: Malformed action/metadata line [1], expected "
            "START_OBJECT");
  EXPECT_EQ(FramingError("{}\n"), "illegal_argument_exception: Malformed action/metadata line "
                                  "[1], expected a single action object");
  EXPECT_EQ(FramingError("{\"delete\":{\"_id\":\"1\"},\"index\":{}}\n"),
            "illegal_argument_exception: Malformed action/metadata line [1], expected a single "
            "action object");
  EXPECT_EQ(FramingError("\n{\"frobnicate\":{}}\n"),
            "illegal_argument_exception: Malformed action/metadata line [2], expected field "
            "[create], [delete], [index] or [update] but found [frobnicate]");
  EXPECT_EQ(FramingError("{\"index\":{\"_id\":{\"a\":1}}}\n{}\n"),
            "illegal_argument_exception: Malformed action/metadata line [1], _id must be a "
            "string");
  EXPECT_EQ(FramingError("{\"index\":{\"_id\":\"1\",\"if_seq_no\":-1}}\n{}\n"),
            "illegal_argument_exception: Malformed action/metadata line [1], [if_seq_no] must "
            "be a non-negative integer");
  EXPECT_EQ(FramingError("{\"index\":{\"_id\":\"1\",\"if_seq_no\":1}}\n{}\n"),
            "action_request_validation_exception: Validation Failed: 1: ifSeqNo is set, but "
            "primary term is [0];");
  auto no_index = ParseBulk("", "{\"index\":{}}\n{}\n");
  ASSERT_FALSE(no_index.ok());
  EXPECT_EQ(no_index.status().message(), "Validation Failed: 1: index is missing;");
  EXPECT_EQ(FramingError("{\"delete\":{}}\n"), "action_request_validation_exception: Validation "
                                               "Failed: 1: id is missing;");
  EXPECT_EQ(FramingError("{\"update\":{}}\n{}\n"), "action_request_validation_exception: "
                                                   "Validation Failed: 1: id is missing;");
  const std::string unterminated = "illegal_argument_exception: The bulk request must be "
                                   "terminated by a newline [\\n]";
  EXPECT_EQ(FramingError("{\"index\":{}}\n{\"n\":1}"), unterminated);
  EXPECT_EQ(FramingError("{\"index\":{}}\n"), unterminated);  // the source line is missing
  EXPECT_EQ(FramingError("{\"delete\":{\"_id\":\"1\"}}\n{\"delete\":{\"_id\":\"2\"}}"),
            unterminated);
}

TEST(BulkCodec, ParsesEveryOpType) {
  auto parsed = ParseBulk("dflt",
                          "{\"index\":{\"_id\":7}}\r\n{\"a\":1}\n"
                          "\n"
                          "{\"index\":{\"_index\":\"other\",\"op_type\":\"create\"}}\n{\"b\":2}\n"
                          "{\"create\":{\"_id\":\"c\",\"if_seq_no\":3,\"if_primary_term\":1}}\n{}\n"
                          "{\"update\":{\"_id\":\"u\"}}\n"
                          "{\"doc\":{\"x\":[1, 2]},\"upsert\":{\"y\":true},\"doc_as_upsert\":true}\n"
                          "{\"delete\":{\"_id\":\"d\",\"_index\":\"gone\"}}\n");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  const std::vector<BulkItem>& items = *parsed;
  ASSERT_EQ(items.size(), 5u);
  EXPECT_EQ(items[0].action, "index");
  EXPECT_EQ(items[0].op.kind, WriteKind::kIndex);
  EXPECT_EQ(items[0].op.index, "dflt");
  EXPECT_EQ(items[0].op.id, "7");
  EXPECT_EQ(items[0].op.source, "{\"a\":1}");  // the bytes as sent, '\r' dropped
  EXPECT_EQ(items[1].action, "index");           // rendered under the key that was written
  EXPECT_EQ(items[1].op.kind, WriteKind::kCreate);
  EXPECT_EQ(items[1].op.index, "other");
  EXPECT_EQ(items[1].op.id, "");
  EXPECT_EQ(items[2].op.kind, WriteKind::kCreate);
  EXPECT_EQ(items[2].op.condition.if_seq_no, 3);
  EXPECT_EQ(items[2].op.condition.if_primary_term, 1);
  EXPECT_EQ(items[3].op.kind, WriteKind::kUpdate);
  EXPECT_EQ(items[3].op.partial_doc.value_or(""), "{\"x\":[1,2]}");
  EXPECT_EQ(items[3].op.upsert.value_or(""), "{\"y\":true}");
  EXPECT_TRUE(items[3].op.doc_as_upsert);
  EXPECT_EQ(items[4].op.kind, WriteKind::kDelete);
  EXPECT_EQ(items[4].op.index, "gone");
  for (const BulkItem& item : items) EXPECT_TRUE(item.error.ok());
}

TEST(BulkCodec, MalformedUpdateLinesFailOnlyTheirItem) {
  auto parsed = ParseBulk("i",
                          "{\"update\":{\"_id\":\"1\"}}\nnot json\n"
                          "{\"update\":{\"_id\":\"2\"}}\n{\"script\":{\"source\":\"x\"}}\n"
                          "{\"update\":{\"_id\":\"3\"}}\n{\"upsert\":{}}\n");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->size(), 3u);
  EXPECT_EQ((*parsed)[0].error.kind(), ErrorKind::kMalformedRequest);
  EXPECT_EQ((*parsed)[1].error.kind(), ErrorKind::kInvalidValue);
  EXPECT_EQ((*parsed)[1].error.message(), "scripted updates are not supported");
  EXPECT_TRUE((*parsed)[2].error.ok());
  EXPECT_FALSE((*parsed)[2].op.partial_doc.has_value());
  EXPECT_TRUE((*parsed)[2].op.upsert.has_value());
}

WriteOutcome Done(std::string id, WriteResultKind result, int64_t version, int64_t seq_no) {
  WriteOutcome o;
  o.index = "i";
  o.id = std::move(id);
  o.result = result;
  o.version = version;
  o.seq_no = seq_no;
  return o;
}

TEST(BulkCodec, RendersOutcomesWithTheServerErrorTable) {
  auto parsed = ParseBulk("i",
                          "{\"index\":{\"_id\":\"a\"}}\n{}\n{\"update\":{\"_id\":\"b\"}}\n{}\n"
                          "{\"delete\":{\"_id\":\"c\"}}\n{\"delete\":{\"_id\":\"d\"}}\n"
                          "{\"index\":{}}\n{}\n{\"create\":{}}\n{}\n{\"index\":{\"_id\":\"g\"}}\n{}\n");
  ASSERT_TRUE(parsed.ok());
  std::vector<BulkItem>& items = *parsed;
  items[5].error = Status::InvalidArgument("bad image").WithKind(ErrorKind::kMappingParse);
  std::vector<WriteOutcome> outcomes = {
      Done("a", WriteResultKind::kCreated, 1, 0), Done("b", WriteResultKind::kNoop, 1, 0),
      Done("c", WriteResultKind::kDeleted, 2, 1), Done("d", WriteResultKind::kNotFound, 1, 2),
      Done("", WriteResultKind::kCreated, 0, 0), Done("", WriteResultKind::kCreated, 0, 0),
      Done("g", WriteResultKind::kCreated, 0, 0)};
  outcomes[4].status = Status::ResourceExhausted("too big");  // no type: the table's 413
  outcomes[5].status = items[5].error;
  outcomes[6].status = Status::Unsupported("not here");  // 400, not 500
  EXPECT_EQ(
      RenderBulkResponse(items, outcomes, 5),
      "{\"took\":5,\"errors\":true,\"items\":["
      "{\"index\":{\"_index\":\"i\",\"_id\":\"a\",\"_version\":1,\"result\":\"created\","
      "\"_shards\":{\"total\":1,\"successful\":1,\"failed\":0},\"_seq_no\":0,"
      "\"_primary_term\":1,\"status\":201}},"
      "{\"update\":{\"_index\":\"i\",\"_id\":\"b\",\"_version\":1,\"result\":\"noop\","
      "\"_shards\":{\"total\":1,\"successful\":0,\"failed\":0},\"_seq_no\":0,"
      "\"_primary_term\":1,\"status\":200}},"
      "{\"delete\":{\"_index\":\"i\",\"_id\":\"c\",\"_version\":2,\"result\":\"deleted\","
      "\"_shards\":{\"total\":1,\"successful\":1,\"failed\":0},\"_seq_no\":1,"
      "\"_primary_term\":1,\"status\":200}},"
      "{\"delete\":{\"_index\":\"i\",\"_id\":\"d\",\"_version\":1,\"result\":\"not_found\","
      "\"_shards\":{\"total\":1,\"successful\":1,\"failed\":0},\"_seq_no\":2,"
      "\"_primary_term\":1,\"status\":404}},"
      "{\"index\":{\"_index\":\"i\",\"_id\":\"\",\"status\":413,\"error\":{\"type\":"
      "\"content_too_long_exception\",\"reason\":\"too big\",\"index\":\"i\"}}},"
      "{\"create\":{\"_index\":\"i\",\"_id\":null,\"status\":400,\"error\":{\"type\":"
      "\"mapper_parsing_exception\",\"reason\":\"bad image\",\"index\":\"i\"}}},"
      "{\"index\":{\"_index\":\"i\",\"_id\":\"g\",\"status\":400,\"error\":{\"type\":"
      "\"illegal_argument_exception\",\"reason\":\"not here\",\"index\":\"i\"}}}]}");
  outcomes.resize(4);
  items.resize(4);
  EXPECT_NE(RenderBulkResponse(items, outcomes, 0).find("\"errors\":false"), std::string::npos);
}

TEST(DocCodec, UpdateBodiesAndSingleDocumentResponses) {
  WriteOp op;
  ASSERT_TRUE(ParseUpdateBody("{\"doc\":{\"a\":{\"b\":1}},\"doc_as_upsert\":\"yes\"}", &op).ok());
  EXPECT_EQ(op.partial_doc.value_or(""), "{\"a\":{\"b\":1}}");
  EXPECT_FALSE(op.upsert.has_value());
  EXPECT_FALSE(op.doc_as_upsert);  // not a boolean: ignored, as before
  Status bad = ParseUpdateBody("{\"doc\":", &op);
  EXPECT_EQ(bad.kind(), ErrorKind::kMalformedRequest);
  std::string deep(150, '[');
  EXPECT_EQ(ParseUpdateBody("{\"doc\":" + deep, &op).kind(), ErrorKind::kMalformedRequest);

  WriteOutcome created = Done("x", WriteResultKind::kCreated, 1, 4);
  EXPECT_EQ(WriteOutcomeHttpStatus(created), 201);
  EXPECT_EQ(RenderWriteOutcome(created),
            "{\"_index\":\"i\",\"_id\":\"x\",\"_version\":1,\"result\":\"created\",\"_shards\":"
            "{\"total\":1,\"successful\":1,\"failed\":0},\"_seq_no\":4,\"_primary_term\":1}");
  HttpResponse response;
  ReplyWriteOutcome(created, &response);
  EXPECT_EQ(response.status, 201);
  ASSERT_EQ(response.headers.size(), 1u);
  EXPECT_EQ(response.headers[0].second, "/i/_doc/x");

  WriteOutcome missing = Done("y", WriteResultKind::kNotFound, 1, 5);
  EXPECT_EQ(WriteOutcomeHttpStatus(missing), 404);
  EXPECT_NE(RenderWriteOutcome(missing).find("\"successful\":0"), std::string::npos);
  EXPECT_EQ(WriteOutcomeHttpStatus(Done("z", WriteResultKind::kNoop, 1, 5)), 200);

  HttpResponse error;
  ReplyWriteOutcome(Status::Conflict("[x]: version conflict").WithKind(ErrorKind::kVersionConflict),
                    &error);
  EXPECT_EQ(error.status, 409);
  EXPECT_NE(error.body.find("version_conflict_engine_exception"), std::string::npos);
}

}  // namespace
}  // namespace lookalike::es
