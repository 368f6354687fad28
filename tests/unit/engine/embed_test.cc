// Embedding as an engine plug-in (lookalike/field_embedder.h), with a deterministic fake in
// place of the model registry: index-time embedding of a mapped source_field (single writes and
// _bulk, where a bad image fails its item only), model checks at create index / put mapping,
// the neural query node, an engine without a plug-in, and a restart.
#include <atomic>

#include "common/base64.h"
#include "engine_test_util.h"
#include "server/error_mapping.h"
#include "server/es/index_codec.h"

namespace lookalike::testing {
namespace {

constexpr int kDims = 4;

// The vector of an image's bytes: their length, first and last byte, 1. Bytes "bad" do not
// decode; model "fake" (or the default) is the only one, making kDims values.
std::vector<float> FakeVector(std::span<const uint8_t> bytes) {
  return {static_cast<float>(bytes.size()), static_cast<float>(bytes.front()),
          static_cast<float>(bytes.back()), 1.0f};
}

class FakeEmbedder : public FieldEmbedder {
 public:
  Status CheckSpec(const EmbedSpec& spec) const override {
    if (!spec.model.empty() && spec.model != "fake") {
      return Status::InvalidArgument("unknown model [" + spec.model + "]")
          .WithKind(ErrorKind::kMappingParse);
    }
    if (spec.dims != 0 && spec.dims != kDims) {
      return Status::InvalidArgument("wrong dims").WithKind(ErrorKind::kMappingParse);
    }
    return Status::OK();
  }
  std::vector<Result<std::vector<float>>> EmbedDocumentFields(
      std::span<const FieldEmbedInput> inputs) override {
    ++batches;
    std::vector<Result<std::vector<float>>> out;
    for (const FieldEmbedInput& in : inputs) out.push_back(Vector(in.input, *in.spec));
    return out;
  }
  Result<QueryEmbedding> EmbedQuery(const EmbedSpec& spec, const EmbedInput& input) override {
    if (input.kind == EmbedInput::Kind::kText) {
      return Status::InvalidArgument("no text model").WithKind(ErrorKind::kInvalidValue);
    }
    LOOKALIKE_ASSIGN_OR_RETURN(std::vector<float> v, Vector(input, spec));
    return QueryEmbedding{std::move(v), "fake", 0.5};
  }
  std::atomic<int> batches{0};

 private:
  static Result<std::vector<float>> Vector(const EmbedInput& input, const EmbedSpec& spec) {
    std::string path_bytes = input.path;
    std::span<const uint8_t> bytes(input.bytes);
    if (input.kind == EmbedInput::Kind::kImagePath) {
      bytes = std::span(reinterpret_cast<const uint8_t*>(path_bytes.data()), path_bytes.size());
    }
    if (std::string(bytes.begin(), bytes.end()) == "bad") {
      return Status::InvalidArgument("failed to embed [" + spec.source_field + "]: not an image")
          .WithKind(ErrorKind::kMappingParse);
    }
    return FakeVector(bytes);
  }
};

std::string B64(std::string_view bytes) { return Base64Encode(bytes); }

constexpr char kIndexBody[] = R"({"mappings":{"properties":{
  "emb":{"type":"knn_vector","dimension":4,"model":"fake","source_field":"image"},
  "tag":{"type":"keyword"}}}})";

class EmbedTest : public ::testing::Test {
 protected:
  void Open(bool with_embedder) {
    EngineOptions options;
    options.data_dir = dir_.path();
    if (with_embedder) options.embedder = fake_;
    auto engine = Engine::Open(options);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(engine).value();
  }
  void Restart(bool with_embedder) {
    engine_->Shutdown();
    engine_.reset();
    Open(with_embedder);
  }
  Result<WriteOutcome> IndexDoc(std::string id, std::string source) {
    WriteOp op;
    op.index = "photos";
    op.id = std::move(id);
    op.source = std::move(source);
    return engine_->WriteDocument(std::move(op), RefreshPolicy::kTrue);
  }
  // The stored "emb" of a document (empty when it has none).
  std::vector<double> StoredVector(std::string_view id) {
    auto got = GetDoc(*engine_, "photos", id);
    EXPECT_TRUE(got.ok());
    Json doc(got->body);
    std::vector<double> out;
    if (!doc.Has("/_source/emb")) return out;
    for (auto x : doc.At("/_source/emb").get_array()) out.push_back(double(x));
    return out;
  }

  TempDir dir_;
  std::shared_ptr<FakeEmbedder> fake_ = std::make_shared<FakeEmbedder>();
  std::unique_ptr<Engine> engine_;
};

TEST_F(EmbedTest, WriteFillsTheVectorFromTheImage) {
  Open(true);
  ASSERT_TRUE(es::CreateIndexJson(*engine_, "photos", kIndexBody).ok());
  auto written = IndexDoc("a", R"({"image":{"base64":")" + B64("xyz") + R"("},"tag":"t"})");
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  EXPECT_EQ(StoredVector("a"), (std::vector<double>{3, 'x', 'z', 1}));
  // A path is handed to the plug-in as a path (it checks the allowed roots).
  ASSERT_TRUE(IndexDoc("p", R"({"image":{"path":"/img/abc"}})").ok());
  EXPECT_EQ(StoredVector("p"), (std::vector<double>{8, '/', 'c', 1}));
  // A document that brings its own vector, or no image, is left alone.
  ASSERT_TRUE(IndexDoc("own", R"({"image":{"path":"/img/q"},"emb":[9,9,9,9]})").ok());
  EXPECT_EQ(StoredVector("own"), (std::vector<double>{9, 9, 9, 9}));
  ASSERT_TRUE(IndexDoc("none", R"({"tag":"plain"})").ok());
  EXPECT_TRUE(StoredVector("none").empty());
  // An update that brings a new image gets the new image's vector.
  auto updated = Update(*engine_, "photos", "a",
                        R"({"doc":{"image":{"base64":")" + B64("pq") + R"("}}})",
                        RefreshPolicy::kTrue);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(StoredVector("a"), (std::vector<double>{2, 'p', 'q', 1}));
  // A single write with a bad image fails as a whole with the plug-in's error.
  auto bad = IndexDoc("b", R"({"image":{"base64":")" + B64("bad") + R"("}})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(server::ErrorTypeFor(bad.status()), "mapper_parsing_exception");
  auto malformed = IndexDoc("m", R"({"image":"not an object"})");
  ASSERT_FALSE(malformed.ok());
  EXPECT_EQ(server::ErrorTypeFor(malformed.status()), "mapper_parsing_exception");
}

TEST_F(EmbedTest, ABadImageFailsItsBulkItemOnly) {
  Open(true);
  ASSERT_TRUE(es::CreateIndexJson(*engine_, "photos", kIndexBody).ok());
  std::string bulk;
  for (std::string_view bytes : {"one", "bad", "three"}) {
    bulk += R"({"index":{"_id":")" + std::string(bytes) + "\"}}\n";
    bulk += R"({"image":{"base64":")" + B64(bytes) + "\"}}\n";
  }
  auto r = Bulk(*engine_, "photos", bulk, RefreshPolicy::kTrue);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Json body(*r);
  EXPECT_TRUE(body.At("/errors").get_bool().value());
  EXPECT_EQ(body.Int("/items/0/index/status"), 201);
  EXPECT_EQ(body.Int("/items/1/index/status"), 400);
  EXPECT_EQ(body.Str("/items/1/index/error/type"), "mapper_parsing_exception");
  EXPECT_EQ(body.Int("/items/2/index/status"), 201);
  EXPECT_EQ(fake_->batches.load(), 1);  // the whole bulk is one batch for the plug-in
  EXPECT_EQ(StoredVector("three"), (std::vector<double>{5, 't', 'e', 1}));
  EXPECT_FALSE(GetDoc(*engine_, "photos", "bad")->http_status == 200);
}

TEST_F(EmbedTest, MappingModelsAreChecked) {
  Open(true);
  auto unknown = es::CreateIndexJson(*engine_, 
      "x", R"({"mappings":{"properties":{"e":{"type":"knn_vector","dimension":4,)"
           R"("model":"nope","source_field":"img"}}}})");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(server::ErrorTypeFor(unknown.status()), "mapper_parsing_exception");
  EXPECT_FALSE(engine_->IndexExists("x"));
  ASSERT_TRUE(es::CreateIndexJson(*engine_, "photos", kIndexBody).ok());
  auto dims = es::PutMappingJson(*engine_, 
      "photos", R"({"properties":{"e2":{"type":"knn_vector","dimension":8,"source_field":"i"}}})");
  ASSERT_FALSE(dims.ok());
  EXPECT_EQ(server::ErrorTypeFor(dims.status()), "mapper_parsing_exception");
  EXPECT_TRUE(es::PutMappingJson(*engine_, "photos", R"({"properties":{"n":{"type":"long"}}})").ok());
}

TEST_F(EmbedTest, NeuralQueryIsEmbeddedAndRunAsKnn) {
  Open(true);
  ASSERT_TRUE(es::CreateIndexJson(*engine_, "photos", kIndexBody).ok());
  std::string bulk;
  for (std::string_view bytes : {"aa", "abcd", "zzzzzz", "abce"}) {
    bulk += R"({"index":{"_id":")" + std::string(bytes) + "\"}}\n";
    bulk += R"({"image":{"base64":")" + B64(bytes) + R"("},"tag":")" +
            (bytes[0] == 'a' ? "a" : "z") + "\"}\n";
  }
  auto written = Bulk(*engine_, "photos", bulk, RefreshPolicy::kTrue);
  ASSERT_TRUE(written.ok());
  ASSERT_FALSE(Json(*written).At("/errors").get_bool().value()) << *written;
  std::string query = R"({"query":{"neural":{"emb":{"query_image":")" + B64("abcd") +
                      R"(","k":2}}}})";
  auto result = SearchTyped(*engine_, "photos", query);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->hits.size(), 2u);  // size defaults to k
  EXPECT_EQ(result->hits[0].id, "abcd");
  EXPECT_EQ(result->hits[1].id, "abce");
  ASSERT_TRUE(result->embedding.has_value());
  EXPECT_EQ(result->embedding->model, "fake");
  // Its filter restricts the candidates; inside a bool it is a clause like knn.
  std::string filtered = R"({"query":{"bool":{"must":[{"neural":{"emb":{"query_image":")" +
                         B64("abcd") + R"(","k":3,"filter":{"term":{"tag":"z"}}}}}]}}})";
  auto only_z = SearchTyped(*engine_, "photos", filtered);
  ASSERT_TRUE(only_z.ok()) << only_z.status().ToString();
  ASSERT_EQ(only_z->hits.size(), 1u);
  EXPECT_EQ(only_z->hits[0].id, "zzzzzz");
  // The response leads with the embedding, as image searches always did.
  auto rendered = SearchJson(*engine_, "photos", query);
  ASSERT_TRUE(rendered.ok());
  EXPECT_EQ(rendered->rfind("{\"embed_took\":0.5,\"model\":\"fake\",\"took\"", 0), 0u) << *rendered;
  // Errors: a field that is not a vector field; text the plug-in refuses.
  auto not_vector = SearchTyped(
      *engine_, "photos", R"({"query":{"neural":{"tag":{"query_image":"aGk="}}}})");
  ASSERT_FALSE(not_vector.ok());
  EXPECT_EQ(server::ErrorTypeFor(not_vector.status()), "illegal_argument_exception");
  auto text = SearchTyped(*engine_, "photos",
                          R"({"query":{"neural":{"emb":{"query_text":"a cat"}}}})");
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.status().message(), "no text model");
  // _count embeds too.
  auto count = CountJson(*engine_, "photos", query);
  ASSERT_TRUE(count.ok()) << count.status().ToString();
  EXPECT_EQ(Json(*count).Int("/count"), 2);
}

TEST_F(EmbedTest, WithoutAPlugInEmbeddingFailsClearly) {
  Open(false);
  auto create = es::CreateIndexJson(*engine_, "photos", kIndexBody);
  ASSERT_FALSE(create.ok());
  EXPECT_EQ(server::ErrorTypeFor(create.status()), "mapper_parsing_exception");
  EXPECT_NE(create.status().message().find("no image models are loaded"), std::string::npos);
  ASSERT_TRUE(es::CreateIndexJson(*engine_, "plain", R"({"mappings":{"properties":{
      "emb":{"type":"knn_vector","dimension":4}}}})").ok());
  auto neural = SearchTyped(*engine_, "plain",
                            R"({"query":{"neural":{"emb":{"query_image":"aGk="}}}})");
  ASSERT_FALSE(neural.ok());
  EXPECT_EQ(server::ErrorTypeFor(neural.status()), "illegal_argument_exception");
  EXPECT_NE(neural.status().message().find("no image models are loaded"), std::string::npos);
}

TEST_F(EmbedTest, EmbeddedDocumentsSurviveARestart) {
  Open(true);
  ASSERT_TRUE(es::CreateIndexJson(*engine_, "photos", kIndexBody).ok());
  ASSERT_TRUE(IndexDoc("a", R"({"image":{"base64":")" + B64("xyz") + R"("}})").ok());
  // Without the plug-in the index still opens and serves what it holds; only new images fail.
  Restart(false);
  ASSERT_TRUE(engine_->IndexExists("photos"));
  EXPECT_EQ(StoredVector("a"), (std::vector<double>{3, 'x', 'z', 1}));
  auto knn = SearchTyped(*engine_, "photos",
                         R"({"query":{"knn":{"emb":{"vector":[3,120,122,1],"k":1}}}})");
  ASSERT_TRUE(knn.ok()) << knn.status().ToString();
  ASSERT_EQ(knn->hits.size(), 1u);
  EXPECT_EQ(knn->hits[0].id, "a");
  auto refused = IndexDoc("b", R"({"image":{"base64":")" + B64("pq") + R"("}})");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(server::ErrorTypeFor(refused.status()), "illegal_argument_exception");
  EXPECT_TRUE(IndexDoc("c", R"({"emb":[1,2,3,4]})").ok());
  Restart(true);
  EXPECT_EQ(StoredVector("a"), (std::vector<double>{3, 'x', 'z', 1}));
  ASSERT_TRUE(IndexDoc("b", R"({"image":{"base64":")" + B64("pq") + R"("}})").ok());
  EXPECT_EQ(StoredVector("b"), (std::vector<double>{2, 'p', 'q', 1}));
}

}  // namespace
}  // namespace lookalike::testing
