#include "server/image/image_ingest.h"

#include <gtest/gtest.h>

#include <string>

namespace lookalike::server {
namespace {

constexpr char kMapping[] = R"({"photos":{"mappings":{"properties":{
  "title":{"type":"text"},
  "plain":{"type":"knn_vector","dimension":4},
  "emb":{"type":"knn_vector","dimension":384,"model":"m1","source_field":"image"},
  "emb2":{"type":"dense_vector","dims":8,"source_field":"thumb"}}}}})";

TEST(EmbedSpecs, OnlyVectorFieldsWithASourceField) {
  auto specs = FindEmbedSpecs(kMapping, "photos");
  ASSERT_EQ(specs.size(), 2u);
  EXPECT_EQ(specs[0].vector_field, "emb");
  EXPECT_EQ(specs[0].source_field, "image");
  EXPECT_EQ(specs[0].model, "m1");
  EXPECT_EQ(specs[0].dims, 384);
  EXPECT_EQ(specs[1].vector_field, "emb2");
  EXPECT_EQ(specs[1].model, "");
  EXPECT_EQ(specs[1].dims, 8);
  EXPECT_TRUE(FindEmbedSpecs("{}", "photos").empty());
  EXPECT_TRUE(FindEmbedSpecs("garbage", "photos").empty());
}

TEST(ImageRefs, PathBase64AbsentPresentAndBad) {
  EmbedSpec spec{"emb", "image", "", 0};
  auto path = FindImageRef(R"({"image":{"path":"/a/b.png"},"t":1})", spec);
  ASSERT_TRUE(path.ok());
  ASSERT_TRUE(path->has_value());
  EXPECT_EQ((*path)->path, "/a/b.png");
  auto b64 = FindImageRef(R"({"image":{"base64":"aGk="}})", spec);
  ASSERT_TRUE(b64.ok());
  ASSERT_TRUE(b64->has_value());
  EXPECT_EQ(std::string((*b64)->bytes.begin(), (*b64)->bytes.end()), "hi");
  // Nothing to do: no image field, or the vector is already there.
  auto none = FindImageRef(R"({"t":1})", spec);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto done = FindImageRef(R"({"image":{"path":"/a"},"emb":[1,2]})", spec);
  ASSERT_TRUE(done.ok());
  EXPECT_FALSE(done->has_value());
  for (const char* bad : {R"({"image":"/a/b.png"})", R"({"image":{"url":"x"}})",
                          R"({"image":{"base64":"***"}})", R"({"image":{"path":3}})", "[1]",
                          "not json"}) {
    auto r = FindImageRef(bad, spec);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().type(), "mapper_parsing_exception") << bad;
    }
  }
}

TEST(AppendVector, AddsLastMember) {
  std::vector<float> v = {1.5f, -2.0f};
  EXPECT_EQ(AppendVectorField(R"({"a":1})", "emb", v), R"({"a":1,"emb":[1.5,-2]})");
  EXPECT_EQ(AppendVectorField("{}", "emb", v), R"({"emb":[1.5,-2]})");
  EXPECT_EQ(AppendVectorField("{ }  ", "e", v), R"({ "e":[1.5,-2]}  )");
}

TEST(SplitBulk, ItemsWithAndWithoutSources) {
  std::string body =
      "{\"index\":{\"_index\":\"a\",\"_id\":\"1\"}}\n{\"x\":1}\n"
      "\n"
      "{\"delete\":{\"_id\":\"2\"}}\n"
      "{\"create\":{}}\r\n{\"y\":2}\r\n"
      "{\"update\":{\"_id\":\"3\"}}\n{\"doc\":{}}";
  auto items = SplitBulk(body, "dflt");
  ASSERT_TRUE(items.has_value());
  ASSERT_EQ(items->size(), 4u);
  EXPECT_EQ((*items)[0].op, "index");
  EXPECT_EQ((*items)[0].index, "a");
  EXPECT_EQ((*items)[0].id, "1");
  EXPECT_EQ((*items)[0].source_line, "{\"x\":1}");
  EXPECT_EQ((*items)[1].op, "delete");
  EXPECT_EQ((*items)[1].index, "dflt");
  EXPECT_TRUE((*items)[1].source_line.empty());
  EXPECT_EQ((*items)[2].source_line, "{\"y\":2}");
  EXPECT_EQ((*items)[2].id, "");
  EXPECT_EQ((*items)[3].op, "update");
  EXPECT_FALSE(SplitBulk("{\"index\":{}}\n", "d").has_value());    // source missing
  EXPECT_FALSE(SplitBulk("{\"frobnicate\":{}}\n{}\n", "d").has_value());
  EXPECT_FALSE(SplitBulk("nope\n", "d").has_value());
}

TEST(MergeBulk, SplicesFailedItemsInOrder) {
  std::string engine =
      R"({"took":7,"errors":false,"items":[{"index":{"_id":"b","status":201}},)"
      R"({"index":{"_id":"d","status":201}}]})";
  FailedBulkItem a{0, "index", "i", "a", 400, "mapper_parsing_exception", "bad a"};
  FailedBulkItem c{2, "create", "i", "", 403, "security_exception", "bad c"};
  FailedBulkItem e{4, "index", "i", "e", 400, "mapper_parsing_exception", "bad e"};
  auto merged = MergeBulkResponse(engine, {a, c, e});
  ASSERT_TRUE(merged.ok()) << merged.status().ToString();
  EXPECT_EQ(*merged,
            R"({"took":7,"errors":true,"items":[)"
            R"({"index":{"_index":"i","_id":"a","status":400,"error":{"type":"mapper_parsing_exception","reason":"bad a"}}},)"
            R"({"index":{"_id":"b","status":201}},)"
            R"({"create":{"_index":"i","_id":null,"status":403,"error":{"type":"security_exception","reason":"bad c"}}},)"
            R"({"index":{"_id":"d","status":201}},)"
            R"({"index":{"_index":"i","_id":"e","status":400,"error":{"type":"mapper_parsing_exception","reason":"bad e"}}}]})");
  auto all_failed = MergeBulkResponse("", {a});
  ASSERT_TRUE(all_failed.ok());
  EXPECT_NE(all_failed->find("\"errors\":true"), std::string::npos);
  auto untouched = MergeBulkResponse(engine, {});
  ASSERT_TRUE(untouched.ok());
  EXPECT_NE(untouched->find("\"errors\":false"), std::string::npos);
  EXPECT_FALSE(MergeBulkResponse("{}", {a}).ok());
}

}  // namespace
}  // namespace lookalike::server
