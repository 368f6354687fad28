// DocStore: documents, vectors, tombstones, counters and column-family lifecycle on RocksDB.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "storage/doc_store.h"

namespace lookalike::storage {
namespace {

class DocStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = (std::filesystem::temp_directory_path() /
            ("lookalike-store-test-" + std::to_string(rd()) + std::to_string(rd())))
               .string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::unique_ptr<DocStore> Open() {
    auto s = DocStore::Open(dir_, DocStoreOptions{});
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }
  std::string dir_;
};

TEST(Vectors, EncodeDecodeRoundTripAndCorruption) {
  std::vector<StoredVector> in = {{"^a", {1.0f, -2.5f, 3.25f}}, {"b.c", {}}, {"d", {7.0f}}};
  std::string enc = EncodeVectors(in);
  std::vector<StoredVector> out;
  ASSERT_TRUE(DecodeVectors(enc, &out).ok());
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].field, "^a");
  EXPECT_EQ(out[0].values, in[0].values);
  EXPECT_EQ(out[2].values, in[2].values);
  for (size_t cut = 0; cut < enc.size(); ++cut) {
    EXPECT_TRUE(DecodeVectors(enc.substr(0, cut), &out).IsCorruption()) << cut;
  }
}

TEST_F(DocStoreTest, DocumentsSurviveReopen) {
  std::string uuid = "u1";
  {
    auto store = Open();
    auto space = store->CreateIndex("idx", uuid, "{\"uuid\":\"u1\"}");
    ASSERT_TRUE(space.ok());
    WriteBatch batch(*space);
    for (uint32_t i = 0; i < 10; ++i) {
      DocRecord d{i, 1, static_cast<int64_t>(i), "id" + std::to_string(i),
                  "{\"n\":" + std::to_string(i) + "}"};
      batch.PutDoc(d, i % 2 ? EncodeVectors({{"^v", {float(i), 1.0f}}}) : std::string());
    }
    batch.DeleteDoc(3, 10);
    batch.SetCounters(10, 10);
    ASSERT_TRUE(store->Write(&batch).ok());
    ASSERT_TRUE(store->SetSnapshotSeq(*space, "v", 4).ok());
  }
  auto store = Open();
  auto metas = store->ListIndexMeta();
  ASSERT_EQ(metas.size(), 1u);
  EXPECT_EQ(metas[0].first, "idx");
  IndexSpace* space = store->Space(uuid);
  ASSERT_NE(space, nullptr);
  std::vector<uint32_t> seen;
  ASSERT_TRUE(store->ScanDocs(space, [&](DocRecord&& d) {
    seen.push_back(d.docnum);
    EXPECT_EQ(d.id, "id" + std::to_string(d.docnum));
    return Status::OK();
  }).ok());
  EXPECT_EQ(seen, (std::vector<uint32_t>{0, 1, 2, 4, 5, 6, 7, 8, 9}));
  DocRecord doc;
  EXPECT_TRUE(store->GetDoc(space, 3, &doc).IsNotFound());
  ASSERT_TRUE(store->GetDoc(space, 5, &doc).ok());
  EXPECT_EQ(doc.source, "{\"n\":5}");
  std::vector<StoredVector> vecs;
  ASSERT_TRUE(store->GetVectors(space, 5, &vecs).ok());
  ASSERT_EQ(vecs.size(), 1u);
  EXPECT_EQ(vecs[0].values[0], 5.0f);
  ASSERT_TRUE(store->GetVectors(space, 4, &vecs).ok());
  EXPECT_TRUE(vecs.empty());
  int tombstones = 0;
  ASSERT_TRUE(store->ScanTombstones(space, [&](uint32_t d, int64_t seq) {
    EXPECT_EQ(d, 3u);
    EXPECT_EQ(seq, 10);
    ++tombstones;
  }).ok());
  EXPECT_EQ(tombstones, 1);
  int64_t seq;
  uint32_t next;
  ASSERT_TRUE(store->GetCounters(space, &seq, &next).ok());
  EXPECT_EQ(seq, 10);
  EXPECT_EQ(next, 10u);
  EXPECT_EQ(store->GetSnapshotSeq(space, "v"), 4);
  EXPECT_EQ(store->GetSnapshotSeq(space, "w"), -1);
  ASSERT_TRUE(store->PruneTombstones(space, 10).ok());
  tombstones = 0;
  ASSERT_TRUE(store->ScanTombstones(space, [&](uint32_t, int64_t) { ++tombstones; }).ok());
  EXPECT_EQ(tombstones, 0);
}

TEST_F(DocStoreTest, DropIndexRemovesEverything) {
  {
    auto store = Open();
    auto space = store->CreateIndex("gone", "u2", "{\"uuid\":\"u2\"}");
    ASSERT_TRUE(space.ok());
    WriteBatch batch(*space);
    batch.PutDoc(DocRecord{0, 1, 0, "a", "{}"}, "");
    ASSERT_TRUE(store->Write(&batch).ok());
    ASSERT_TRUE(store->DropIndex("gone", "u2").ok());
    EXPECT_EQ(store->Space("u2"), nullptr);
    // An orphan column family (metadata never written) is dropped at the next open.
    auto orphan = store->CreateIndex("orphan", "u3", "{\"uuid\":\"u3\"}");
    ASSERT_TRUE(orphan.ok());
  }
  auto store = Open();
  auto metas = store->ListIndexMeta();
  ASSERT_EQ(metas.size(), 1u);
  EXPECT_EQ(metas[0].first, "orphan");
  EXPECT_EQ(store->Space("u2"), nullptr);
  EXPECT_NE(store->Space("u3"), nullptr);
}

}  // namespace
}  // namespace lookalike::storage
