// Thumbnails: the cache on its own (sizes, memory and disk hits, refresh on a changed file, the
// LRU bound, bad files) and GET /{index}/_image/{id}?size=N through the router with a real
// engine (JPEG of the right size, cache hit on the second request, 304, bad size → 400).
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <thread>

#include "lookalike/embedder.h"
#include "lookalike/engine.h"
#include "server/image/image_handlers.h"
#include "server/image/image_query.h"
#include "server/router.h"

namespace lookalike::server {
namespace {

namespace fs = std::filesystem;

// A w×h gradient, so the encoder has something other than a flat colour to compress.
Image Gradient(int w, int h, uint8_t tint) {
  Image img;
  img.width = w;
  img.height = h;
  img.rgb.resize(static_cast<size_t>(w) * h * 3);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      uint8_t* p = &img.rgb[(static_cast<size_t>(y) * w + x) * 3];
      p[0] = static_cast<uint8_t>(x * 255 / w);
      p[1] = static_cast<uint8_t>(y * 255 / h);
      p[2] = tint;
    }
  }
  return img;
}

void WriteJpeg(const std::string& path, int w, int h, uint8_t tint) {
  auto jpeg = EncodeThumbnailJpeg(Gradient(w, h, tint), std::max(w, h), 95);
  ASSERT_TRUE(jpeg.ok()) << jpeg.status().ToString();
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(jpeg->data()), static_cast<std::streamsize>(jpeg->size()));
}

ImageInfo Probe(const std::string& bytes) {
  auto info = ProbeImage(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  EXPECT_TRUE(info.ok()) << info.status().ToString();
  return info.ok() ? *info : ImageInfo{};
}

// Opens `path` below its own folder (as the image API does below a root) and gets its thumbnail.
Result<ThumbnailCache::Thumbnail> Thumb(ThumbnailCache&& cache, const std::string& path, int side) {
  auto file = embed::OpenImageBelowRoots(path, {fs::path(path).parent_path().string()});
  if (!file.ok()) return file.status();
  return cache.Get(*file, side);
}
Result<ThumbnailCache::Thumbnail> Thumb(ThumbnailCache& cache, const std::string& path, int side) {
  return Thumb(std::move(cache), path, side);
}

class ThumbnailTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("lookalike_thumb_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "images");
    image_ = (dir_ / "images" / "wide.jpg").string();
    WriteJpeg(image_, 400, 200, 10);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  std::string image_;
};

TEST_F(ThumbnailTest, ScalesLongestSideAndNeverEnlarges) {
  ThumbnailCache cache({});
  auto t = Thumb(cache, image_, 100);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ImageInfo info = Probe(*t->jpeg);
  EXPECT_EQ(info.format, ImageFormat::kJpeg);
  EXPECT_EQ(info.width, 100);
  EXPECT_EQ(info.height, 50);
  EXPECT_EQ(t->source, ThumbnailCache::Source::kMade);

  std::string tall = (dir_ / "images" / "tall.jpg").string();
  WriteJpeg(tall, 30, 90, 20);
  info = Probe(*Thumb(cache, tall, 45)->jpeg);
  EXPECT_EQ(info.width, 15);
  EXPECT_EQ(info.height, 45);
  info = Probe(*Thumb(cache, tall, 500)->jpeg);
  EXPECT_EQ(info.width, 30);
  EXPECT_EQ(info.height, 90);
}

TEST_F(ThumbnailTest, MemoryThenDiskHits) {
  ThumbnailCacheOptions options;
  options.dir = (dir_ / "thumbs").string();
  {
    ThumbnailCache cache(options);
    auto first = Thumb(cache, image_, 64);
    ASSERT_TRUE(first.ok());
    EXPECT_EQ(first->source, ThumbnailCache::Source::kMade);
    auto second = Thumb(cache, image_, 64);
    ASSERT_TRUE(second.ok());
    EXPECT_EQ(second->source, ThumbnailCache::Source::kMemory);
    EXPECT_EQ(second->jpeg, first->jpeg);  // the same shared buffer
    EXPECT_EQ(second->etag, first->etag);
    auto other = Thumb(cache, image_, 32);  // another size is another entry
    EXPECT_EQ(other->source, ThumbnailCache::Source::kMade);
    EXPECT_NE(other->etag, first->etag);
    ThumbnailCache::Counters c = cache.counters();
    EXPECT_EQ(c.made, 2u);
    EXPECT_EQ(c.memory_hits, 1u);
    EXPECT_EQ(c.memory_entries, 2u);
  }
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(options.dir)) {
    EXPECT_EQ(e.path().extension(), ".jpg") << e.path();  // no temporary files left behind
    ++files;
  }
  EXPECT_EQ(files, 2u);
  ThumbnailCache reopened(options);  // a restarted server finds them on disk
  auto again = Thumb(reopened, image_, 64);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->source, ThumbnailCache::Source::kDisk);
  EXPECT_EQ(Probe(*again->jpeg).width, 64);
  EXPECT_EQ(Thumb(reopened, image_, 64)->source, ThumbnailCache::Source::kMemory);
}

TEST_F(ThumbnailTest, BytesAreKeyedByContentAndKeptInMemoryOnly) {
  ThumbnailCacheOptions options;
  options.dir = (dir_ / "thumbs").string();
  ThumbnailCache cache(options);
  auto a = EncodeThumbnailJpeg(Gradient(300, 100, 1), 300, 90).value();
  auto b = EncodeThumbnailJpeg(Gradient(300, 100, 200), 300, 90).value();
  auto first = cache.GetFromBytes(a, 60);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->source, ThumbnailCache::Source::kMade);
  EXPECT_EQ(Probe(*first->jpeg).width, 60);
  EXPECT_EQ(Probe(*first->jpeg).height, 20);
  auto again = cache.GetFromBytes(a, 60);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->source, ThumbnailCache::Source::kMemory);
  EXPECT_EQ(again->etag, first->etag);
  EXPECT_NE(cache.GetFromBytes(b, 60)->etag, first->etag);  // other content
  EXPECT_NE(cache.GetFromBytes(a, 30)->etag, first->etag);  // other size
  EXPECT_FALSE(fs::exists(options.dir));                    // nothing written to disk
  std::vector<uint8_t> junk = {'n', 'o', 'p', 'e'};
  EXPECT_TRUE(cache.GetFromBytes(junk, 60).status().IsInvalidArgument());
}

TEST_F(ThumbnailTest, ChangedFileGetsAFreshThumbnail) {
  ThumbnailCacheOptions options;
  options.dir = (dir_ / "thumbs").string();
  ThumbnailCache cache(options);
  auto before = Thumb(cache, image_, 64);
  ASSERT_TRUE(before.ok());
  // Same name, new content and shape; mtime granularity is ns but be safe on coarse clocks.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  WriteJpeg(image_, 100, 300, 200);
  auto after = Thumb(cache, image_, 64);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->source, ThumbnailCache::Source::kMade);
  EXPECT_NE(after->etag, before->etag);
  ImageInfo info = Probe(*after->jpeg);
  EXPECT_EQ(info.height, 64);
  EXPECT_EQ(info.width, 21);
}

TEST_F(ThumbnailTest, MemoryIsBounded) {
  ThumbnailCacheOptions probe_options;
  probe_options.memory_bytes = 0;
  size_t largest = Thumb(ThumbnailCache(probe_options), image_, 200)->jpeg->size();
  ThumbnailCacheOptions options;
  options.memory_bytes = largest * 5 / 2;  // room for a few of the 17 thumbnails, not all
  ThumbnailCache cache(options);
  for (int side = 40; side <= 200; side += 10) ASSERT_TRUE(Thumb(cache, image_, side).ok());
  ThumbnailCache::Counters c = cache.counters();
  EXPECT_LE(c.memory_bytes, options.memory_bytes);
  EXPECT_GT(c.memory_entries, 0u);
  EXPECT_LT(c.memory_entries, 17u);
  // The most recent survives, the oldest was evicted.
  EXPECT_EQ(Thumb(cache, image_, 200)->source, ThumbnailCache::Source::kMemory);
  EXPECT_EQ(Thumb(cache, image_, 40)->source, ThumbnailCache::Source::kMade);

  ThumbnailCacheOptions off;
  off.memory_bytes = 0;
  ThumbnailCache none(off);
  EXPECT_EQ(Thumb(none, image_, 50)->source, ThumbnailCache::Source::kMade);
  EXPECT_EQ(Thumb(none, image_, 50)->source, ThumbnailCache::Source::kMade);
}

TEST_F(ThumbnailTest, DiskIsBounded) {
  ThumbnailCacheOptions options;
  options.dir = (dir_ / "thumbs").string();
  options.memory_bytes = 0;
  size_t one = Thumb(ThumbnailCache(options), image_, 100)->jpeg->size();
  // Bytes grow with the side (about 26x `one` for all 11 below); pruning keeps the newest few.
  options.disk_bytes = one * 12;
  ThumbnailCache cache(options);
  for (int side = 100; side <= 200; side += 10) {
    ASSERT_TRUE(Thumb(cache, image_, side).ok());
    // Distinct mtimes, so "least recently used" is well defined on coarse file-system clocks.
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  uint64_t total = 0;
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(options.dir)) {
    total += e.file_size();
    ++files;
  }
  EXPECT_LE(total, options.disk_bytes);
  EXPECT_GT(cache.counters().disk_evicted, 0u);
  EXPECT_GT(files, 0u);
  EXPECT_LT(files, 11u);
  // The newest thumbnail survived pruning; the first one made was pruned.
  EXPECT_EQ(Thumb(cache, image_, 200)->source, ThumbnailCache::Source::kDisk);
  EXPECT_EQ(Thumb(cache, image_, 100)->source, ThumbnailCache::Source::kMade);
}

TEST_F(ThumbnailTest, BadFiles) {
  ThumbnailCache cache({});
  std::string text = (dir_ / "images" / "notes.jpg").string();
  std::ofstream(text) << "not an image at all";
  EXPECT_EQ(Thumb(cache, text, 64).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Thumb(cache, (dir_ / "images" / "gone.jpg").string(), 64).status().code(),
            StatusCode::kNotFound);
  EXPECT_FALSE(EncodeThumbnailJpeg(Gradient(4, 4, 0), 0).ok());
  EXPECT_FALSE(EncodeThumbnailJpeg(Image{}, 64).ok());
}

TEST(ThumbnailSizeParam, Range) {
  EXPECT_EQ(ParseThumbnailSize("256").value(), 256);
  EXPECT_EQ(ParseThumbnailSize("8").value(), 8);
  EXPECT_EQ(ParseThumbnailSize("2048").value(), 2048);
  for (const char* bad : {"", "0", "7", "2049", "-5", "12px", "abc", " 64", "1e3"}) {
    auto r = ParseThumbnailSize(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().kind(), ErrorKind::kInvalidValue) << bad;
  }
}

// GET /{index}/_image/{id}?size=N through the router, against a real engine.
TEST_F(ThumbnailTest, ImageEndpoint) {
  EngineOptions eo;
  eo.data_dir = (dir_ / "data").string();
  eo.threads = 1;
  eo.snapshot_on_shutdown = false;
  auto engine = Engine::Open(eo);
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  auto doc = (*engine)->IndexDocument("pics", "d1", "{\"path\":\"" + image_ + "\"}", OpType::kIndex,
                                      RefreshPolicy::kTrue);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  ASSERT_TRUE((*engine)
                  ->IndexDocument("pics", "outside", "{\"path\":\"/etc/hostname\"}", OpType::kIndex,
                                  RefreshPolicy::kTrue)
                  .ok());
  {
    ImageApiOptions io;
    io.image_roots = {(dir_ / "images").string()};
    io.thumbnail_dir = (dir_ / "data" / "thumbnails").string();
    ImageApi api(engine->get(), io);
    Router router;
    api.Register(router);
    auto get = [&](const std::string& query, const std::string& etag = "",
                   const std::string& id = "d1") {
      HttpRequest req;
      req.method = "GET";
      req.path = "/pics/_image/" + id;
      req.target = req.path + (query.empty() ? "" : "?" + query);
      if (!query.empty()) {
        size_t eq = query.find('=');
        req.query.emplace_back(query.substr(0, eq), query.substr(eq + 1));
      }
      if (!etag.empty()) req.headers.emplace_back("if-none-match", etag);
      HttpResponse resp;
      router.Handle(req, &resp);
      return resp;
    };
    auto header = [](const HttpResponse& r, std::string_view name) {
      for (const auto& [k, v] : r.headers) {
        if (k == name) return v;
      }
      return std::string();
    };

    HttpResponse thumb = get("size=80");
    ASSERT_EQ(thumb.status, 200) << thumb.body;
    EXPECT_EQ(thumb.content_type, "image/jpeg");
    ImageInfo info = Probe(thumb.body);
    EXPECT_EQ(info.width, 80);
    EXPECT_EQ(info.height, 40);
    EXPECT_EQ(api.thumbnails().counters().made, 1u);
    HttpResponse again = get("size=80");
    EXPECT_EQ(again.status, 200);
    EXPECT_EQ(again.body, thumb.body);
    EXPECT_EQ(api.thumbnails().counters().memory_hits, 1u);
    EXPECT_EQ(api.thumbnails().counters().made, 1u);
    std::string etag = header(thumb, "etag");
    ASSERT_FALSE(etag.empty());
    EXPECT_EQ(get("size=80", etag).status, 304);

    HttpResponse full = get("");  // without size: the original bytes
    ASSERT_EQ(full.status, 200);
    EXPECT_EQ(Probe(full.body).width, 400);

    for (const char* bad : {"size=0", "size=abc", "size=99999", "size="}) {
      HttpResponse r = get(bad);
      EXPECT_EQ(r.status, 400) << bad;
      EXPECT_NE(r.body.find("illegal_argument_exception"), std::string::npos) << r.body;
    }
    EXPECT_TRUE(fs::exists(dir_ / "data" / "thumbnails"));
    // The root check comes first: no thumbnail of a file outside the roots, and the same 404
    // as for a missing file.
    HttpResponse refused = get("size=64", "", "outside");
    EXPECT_EQ(refused.status, 404);
    EXPECT_NE(refused.body.find("resource_not_found_exception"), std::string::npos) << refused.body;
  }
  (*engine)->Shutdown();
}

}  // namespace
}  // namespace lookalike::server
