// The ingest-images pipeline; see ingest_pipeline.h.
#include "cli/ingest_pipeline.h"

#include <simdjson.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <unordered_map>

#include "common/json_writer.h"
#include "embed/crop_grid.h"

namespace lookalike::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr size_t kIdsPerLookup = 500;     // ids per "what is stored already" query
constexpr size_t kUpdatesPerBulk = 500;   // mtime-only updates per _bulk
constexpr double kMaxCropBytes = 64.0 * (1 << 20);  // crop pixels per EmbedBatch (--crops)

struct FileEntry {
  std::string abs_path;
  std::string rel_path;
  std::string category;
  std::string id;
  uint64_t size = 0;
  int64_t mtime_ms = 0;
};

struct Stored {
  std::string content_hash;
  uint64_t size = 0;
  int64_t mtime_ms = 0;
};

bool HasImageExtension(const fs::path& p) {
  std::string ext = p.extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static constexpr std::string_view kExts[] = {".jpg", ".jpeg", ".jpe", ".jfif", ".png",
                                               ".gif", ".webp", ".bmp", ".dib"};
  return std::find(std::begin(kExts), std::end(kExts), ext) != std::end(kExts);
}

// Lists image files below `root` (hidden entries and directory symlinks are not followed).
Status WalkFolder(const fs::path& root, std::vector<FileEntry>* out, size_t* ignored,
                  std::vector<IngestFailure>* failures) {
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
  if (ec) return Status::IOError("cannot read folder " + root.string() + ": " + ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) {
      failures->push_back({it->path().string(), "cannot list: " + ec.message()});
      ec.clear();
      continue;
    }
    const fs::path& p = it->path();
    std::string name = p.filename().string();
    if (!name.empty() && name[0] == '.') {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(ec)) continue;
    if (!HasImageExtension(p)) {
      ++*ignored;
      continue;
    }
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) {
      failures->push_back({p.string(), std::string("cannot stat: ") + std::strerror(errno)});
      continue;
    }
    FileEntry e;
    e.abs_path = p.string();
    e.rel_path = p.lexically_relative(root).string();
    fs::path parent = p.parent_path();
    e.category = parent.filename().string();
    e.id = Hex64(Hash64(e.rel_path));
    e.size = static_cast<uint64_t>(st.st_size);
    e.mtime_ms = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
    out->push_back(std::move(e));
  }
  std::sort(out->begin(), out->end(),
            [](const FileEntry& a, const FileEntry& b) { return a.rel_path < b.rel_path; });
  return Status::OK();
}

std::optional<int64_t> AsInt(simdjson::dom::element e) {
  int64_t i;
  if (e.get(i) == simdjson::SUCCESS) return i;
  uint64_t u;
  if (e.get(u) == simdjson::SUCCESS) return static_cast<int64_t>(u);
  double d;
  if (e.get(d) == simdjson::SUCCESS) return static_cast<int64_t>(d);
  return std::nullopt;
}

// What the index already holds for these files (content hash, size, mtime), by id.
Result<std::unordered_map<std::string, Stored>> LoadStored(IndexTarget& target,
                                                           std::string_view index,
                                                           const std::vector<FileEntry>& files) {
  std::unordered_map<std::string, Stored> stored;
  simdjson::dom::parser parser;
  for (size_t start = 0; start < files.size(); start += kIdsPerLookup) {
    size_t end = std::min(files.size(), start + kIdsPerLookup);
    JsonWriter w;
    w.BeginObject().Key("size").UInt(end - start).Key("query").BeginObject().Key("ids");
    w.BeginObject().Key("values").BeginArray();
    for (size_t i = start; i < end; ++i) w.String(files[i].id);
    w.EndArray().EndObject().EndObject();
    w.Key("_source").BeginArray().String("content_hash").String("file_size").String("mtime_ms");
    w.EndArray().EndObject();
    LOOKALIKE_ASSIGN_OR_RETURN(std::string body, target.Search(index, w.str()));
    simdjson::dom::element doc;
    simdjson::dom::array hits;
    if (parser.parse(body).get(doc) != simdjson::SUCCESS ||
        doc["hits"]["hits"].get(hits) != simdjson::SUCCESS) {
      return Status::Corruption("unexpected search response while checking stored files");
    }
    for (simdjson::dom::element hit : hits) {
      std::string_view id;
      if (hit["_id"].get(id) != simdjson::SUCCESS) continue;
      Stored s;
      simdjson::dom::element src;
      if (hit["_source"].get(src) == simdjson::SUCCESS) {
        std::string_view h;
        if (src["content_hash"].get(h) == simdjson::SUCCESS) s.content_hash = std::string(h);
        simdjson::dom::element v;
        if (src["file_size"].get(v) == simdjson::SUCCESS) s.size = AsInt(v).value_or(0);
        if (src["mtime_ms"].get(v) == simdjson::SUCCESS) s.mtime_ms = AsInt(v).value_or(0);
      }
      stored.emplace(std::string(id), std::move(s));
    }
  }
  return stored;
}

// An existing index has the nested crops field exactly when crops are asked for: documents
// written without crops would never be found by a search on the crops field, and crops written
// into an index without the field would be mapped dynamically as plain objects.
Status CheckCropsField(simdjson::dom::element mappings, const IngestOptions& options) {
  simdjson::dom::element crops;
  std::string_view type;
  const bool has = mappings["properties"][options.crops_field].get(crops) == simdjson::SUCCESS &&
                   crops["type"].get(type) == simdjson::SUCCESS && type == "nested";
  if (options.crops > 0 && !has) {
    return Status::InvalidArgument("index " + options.index + " was created without --crops (no "
                                   "nested field '" + options.crops_field +
                                   "'); ingest the crops into a new index");
  }
  if (options.crops == 0 && has) {
    return Status::InvalidArgument("index " + options.index + " holds crops (nested field '" +
                                   options.crops_field + "', made by --crops N): give --crops "
                                   "again so that new images get theirs");
  }
  return Status::OK();
}

// Creates the index, or checks that an existing one has a vector field of the model's size.
Status EnsureIndex(IndexTarget& target, const IngestOptions& options, int dims,
                   std::string_view model, bool* created) {
  LOOKALIKE_ASSIGN_OR_RETURN(bool exists, target.IndexExists(options.index));
  if (!exists) {
    LOOKALIKE_RETURN_IF_ERROR(target.CreateIndex(
        options.index, ImageIndexBody(options.field, dims, model,
                                      options.crops > 0 ? options.crops_field : "")));
    *created = true;
    return Status::OK();
  }
  LOOKALIKE_ASSIGN_OR_RETURN(std::string body, target.GetMapping(options.index));
  simdjson::dom::parser parser;
  simdjson::dom::element doc, mappings, field;
  if (parser.parse(body).get(doc) != simdjson::SUCCESS) {
    return Status::Corruption("unexpected mapping response");
  }
  if (doc[options.index]["mappings"].get(mappings) != simdjson::SUCCESS) {
    return Status::Corruption("mapping response has no mappings for " + options.index);
  }
  if (mappings["properties"][options.field].get(field) != simdjson::SUCCESS) {
    return Status::InvalidArgument("index " + options.index + " has no field '" + options.field +
                                   "'; choose another --index or --field");
  }
  std::string_view type;
  Got(field["type"].get(type));
  if (type != "knn_vector" && type != "dense_vector") {
    return Status::InvalidArgument("field '" + options.field + "' of index " + options.index +
                                   " is a " + std::string(type) + ", not a vector field");
  }
  simdjson::dom::element dim_el;
  int64_t have = -1;
  if (field["dimension"].get(dim_el) == simdjson::SUCCESS ||
      field["dims"].get(dim_el) == simdjson::SUCCESS) {
    have = AsInt(dim_el).value_or(-1);
  }
  std::string_view recorded;
  if (field["model"].get(recorded) == simdjson::SUCCESS && !recorded.empty() &&
      recorded != model) {
    return Status::InvalidArgument("index " + options.index + " holds vectors of model " +
                                   std::string(recorded) + ", not " + std::string(model) +
                                   "; use --model " + std::string(recorded) +
                                   " or another index");
  }
  if (have != -1 && have != dims) {
    return Status::InvalidArgument("index " + options.index + " stores " + std::to_string(have) +
                                   "-d vectors but model " + std::string(model) + " makes " +
                                   std::to_string(dims) + "-d ones; choose the index's --model");
  }
  return CheckCropsField(mappings, options);
}

// A decoded (or rejected, or unchanged) file on its way from a decode worker to the embedder.
struct Decoded {
  enum class Kind { kImage, kUnchanged, kFailed };
  const FileEntry* entry = nullptr;
  Kind kind = Kind::kFailed;
  std::string hash;
  Image image;
  std::string error;
  std::vector<embed::CropBox> boxes;  // --crops: the grid over `image` (filled by the embedder)
};

// Blocking queue bounded by item count and by pixel bytes (one item is always admitted).
class DecodedQueue {
 public:
  DecodedQueue(size_t max_items, size_t max_bytes) : max_items_(max_items), max_bytes_(max_bytes) {}

  // False when the queue was closed (the consumer gave up).
  bool Push(Decoded d) {
    std::unique_lock lock(mu_);
    size_t bytes = d.image.rgb.size();
    not_full_.wait(lock, [&] {
      return closed_ || items_.empty() ||
             (items_.size() < max_items_ && bytes_ + bytes <= max_bytes_);
    });
    if (closed_) return false;
    bytes_ += bytes;
    items_.push_back(std::move(d));
    not_empty_.notify_one();
    return true;
  }
  Decoded Pop() {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return !items_.empty(); });
    Decoded d = std::move(items_.front());
    items_.pop_front();
    bytes_ -= d.image.rgb.size();
    not_full_.notify_all();
    return d;
  }
  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    not_full_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<Decoded> items_;
  size_t bytes_ = 0;
  size_t max_items_, max_bytes_;
  bool closed_ = false;
};

// One _bulk request and the files it covers (in item order).
struct WriteJob {
  std::string ndjson;
  std::vector<const FileEntry*> entries;
  bool images = true;  // false: mtime-only updates of unchanged files
};

// The writer thread: sends jobs in order and records per-item results.
class BulkWriter {
 public:
  BulkWriter(IndexTarget& target, std::string index)
      : target_(target), index_(std::move(index)), thread_([this] { Loop(); }) {}
  ~BulkWriter() { Finish(); }

  // Blocks while two jobs are already waiting (back-pressure on the embedder).
  void Submit(WriteJob job) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return jobs_.size() < 2 || done_; });
    if (done_) return;
    jobs_.push_back(std::move(job));
    cv_.notify_all();
  }
  void Finish() {
    {
      std::lock_guard lock(mu_);
      finishing_ = true;
      cv_.notify_all();
    }
    if (thread_.joinable()) thread_.join();
  }
  Status fatal() {
    std::lock_guard lock(mu_);
    return fatal_;
  }
  size_t indexed() const { return indexed_.load(); }
  size_t failed() const { return failed_.load(); }
  std::vector<IngestFailure> TakeFailures() {
    std::lock_guard lock(mu_);
    return std::move(failures_);
  }

 private:
  void Loop() {
    while (true) {
      WriteJob job;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return !jobs_.empty() || finishing_; });
        if (jobs_.empty()) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
        cv_.notify_all();
      }
      auto response = target_.Bulk(index_, job.ndjson);
      if (!response.ok()) {
        std::lock_guard lock(mu_);
        fatal_ = response.status().WithContext("bulk write");
        done_ = true;
        jobs_.clear();
        cv_.notify_all();
        return;
      }
      Record(job, *response);
    }
  }

  void Record(const WriteJob& job, const std::string& body) {
    simdjson::dom::element doc;
    simdjson::dom::array items;
    size_t ok_count = 0;
    std::vector<IngestFailure> bad;
    if (parser_.parse(body).get(doc) != simdjson::SUCCESS ||
        doc["items"].get(items) != simdjson::SUCCESS) {
      for (const FileEntry* e : job.entries) bad.push_back({e->abs_path, "bad _bulk response"});
    } else {
      size_t i = 0;
      for (simdjson::dom::element item : items) {
        if (i >= job.entries.size()) break;
        const FileEntry* e = job.entries[i++];
        simdjson::dom::object obj;
        if (item.get(obj) != simdjson::SUCCESS || obj.begin() == obj.end()) continue;
        simdjson::dom::element result = (*obj.begin()).value;
        simdjson::dom::element error;
        if (result["error"].get(error) == simdjson::SUCCESS) {
          std::string_view reason = "rejected by the index";
          if (error.is_string()) {
            Got(error.get(reason));
          } else {
            Got(error["reason"].get(reason));
          }
          bad.push_back({e->abs_path, std::string(reason)});
        } else {
          ++ok_count;
        }
      }
    }
    // A failed mtime-only update is harmless (the next run reads the file again): not reported.
    if (!job.images) return;
    indexed_ += ok_count;
    failed_ += bad.size();
    std::lock_guard lock(mu_);
    for (auto& f : bad) failures_.push_back(std::move(f));
  }

  IndexTarget& target_;
  std::string index_;
  simdjson::dom::parser parser_;  // used by the writer thread only
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<WriteJob> jobs_;
  bool finishing_ = false;
  bool done_ = false;  // a fatal error stopped the writer
  Status fatal_;
  std::vector<IngestFailure> failures_;
  std::atomic<size_t> indexed_{0};
  std::atomic<size_t> failed_{0};
  std::thread thread_;  // last: starts after the members it uses exist
};

void AppendAction(std::string* out, std::string_view action, std::string_view index,
                  std::string_view id) {
  JsonWriter w(out);
  w.BeginObject().Key(action).BeginObject().Key("_index").String(index).Key("_id").String(id);
  w.EndObject().EndObject();
  out->push_back('\n');
}

// `vec` holds the whole image's vector, then (with --crops) one per box of d.boxes.
void AppendImageDocument(std::string* out, const IngestOptions& options, std::string_view model,
                         const Decoded& d, const float* vec, int dims) {
  const FileEntry& e = *d.entry;
  AppendAction(out, "index", options.index, e.id);
  JsonWriter w(out);
  w.BeginObject();
  w.Key("path").String(e.abs_path);
  w.Key("rel_path").String(e.rel_path);
  w.Key("category").String(e.category);
  w.Key("width").Int(d.image.width);
  w.Key("height").Int(d.image.height);
  w.Key("format").String(ImageFormatName(d.image.format));
  w.Key("file_size").UInt(e.size);
  w.Key("mtime_ms").Int(e.mtime_ms);
  w.Key("content_hash").String(d.hash);
  w.Key("model").String(model);
  w.Key(options.field).BeginArray();
  for (int i = 0; i < dims; ++i) w.Float(vec[i]);
  w.EndArray();
  if (options.crops > 0) {
    // The whole image first (its box is the image), so offset 0 is always the whole picture.
    w.Key(options.crops_field).BeginArray();
    for (size_t c = 0; c <= d.boxes.size(); ++c) {
      embed::CropBox box{0, 0, d.image.width, d.image.height};
      if (c > 0) box = d.boxes[c - 1];
      const float* v = vec + c * static_cast<size_t>(dims);
      w.BeginObject().Key("emb").BeginArray();
      for (int i = 0; i < dims; ++i) w.Float(v[i]);
      w.EndArray().Key("box").BeginArray().Int(box.x).Int(box.y).Int(box.width).Int(box.height);
      w.EndArray().EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
  out->push_back('\n');
}

// Embeds `docs` — each whole image, then (with --crops) its crops — with one EmbedBatch and
// appends their documents to `job`; when the batch fails, each image is embedded alone to find
// the one the model refuses (reported in `failures`, its document left out).
void EmbedDocuments(Embedder& embedder, const IngestOptions& options, std::string_view model,
                    std::span<Decoded> docs, std::vector<float>* vectors, WriteJob* job,
                    std::vector<IngestFailure>* failures) {
  const size_t per_image = 1 + static_cast<size_t>(options.crops) * options.crops;
  const size_t dims = static_cast<size_t>(embedder.dims());
  std::vector<Image> crops;  // lives until the vectors are made
  crops.reserve(docs.size() * (per_image - 1));
  for (Decoded& d : docs) {
    if (options.crops == 0) break;
    d.boxes = embed::CropGrid(d.image.width, d.image.height, options.crops);
    for (const embed::CropBox& b : d.boxes) crops.push_back(embed::CropImage(d.image, b));
  }
  std::vector<const Image*> images;
  for (size_t i = 0; i < docs.size(); ++i) {
    images.push_back(&docs[i].image);
    for (size_t c = 0; c + 1 < per_image; ++c) images.push_back(&crops[i * (per_image - 1) + c]);
  }
  const size_t doc_floats = per_image * dims;
  vectors->assign(docs.size() * doc_floats, 0.0f);
  Status st = embedder.EmbedBatch(images, *vectors);
  for (size_t i = 0; i < docs.size(); ++i) {
    if (!st.ok()) {
      Status one = embedder.EmbedBatch(std::span(images).subspan(i * per_image, per_image),
                                       std::span(*vectors).subspan(i * doc_floats, doc_floats));
      if (!one.ok()) {
        failures->push_back({docs[i].entry->abs_path, one.message()});
        continue;
      }
    }
    AppendImageDocument(&job->ndjson, options, model, docs[i], vectors->data() + i * doc_floats,
                        static_cast<int>(dims));
    job->entries.push_back(docs[i].entry);
  }
}

void AppendMtimeUpdate(std::string* out, std::string_view index, const FileEntry& e) {
  AppendAction(out, "update", index, e.id);
  JsonWriter w(out);
  w.BeginObject().Key("doc").BeginObject().Key("mtime_ms").Int(e.mtime_ms);
  w.Key("path").String(e.abs_path).EndObject().EndObject();
  out->push_back('\n');
}

}  // namespace

uint64_t Hash64(std::string_view data) {
  // Eight bytes per step, multiply-rotate mixing, murmur3's finaliser for the avalanche.
  constexpr uint64_t kP1 = 0x9E3779B185EBCA87ull;
  constexpr uint64_t kP2 = 0xC2B2AE3D27D4EB4Full;
  auto rotl = [](uint64_t x, int r) { return (x << r) | (x >> (64 - r)); };
  uint64_t h = 0x27D4EB2F165667C5ull ^ (data.size() * kP1);
  const char* p = data.data();
  size_t n = data.size();
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = rotl(h ^ (w * kP2), 31) * kP1;
    p += 8;
    n -= 8;
  }
  uint64_t tail = 0;
  for (size_t i = 0; i < n; ++i) tail |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  h = rotl(h ^ (tail * kP2), 27) * kP1;
  h ^= h >> 33;
  h *= 0xFF51AFD7ED558CCDull;
  h ^= h >> 33;
  h *= 0xC4CEB9FE1A85EC53ull;
  h ^= h >> 33;
  return h;
}

std::string Hex64(uint64_t v) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i) {
    s[i] = kHex[v & 15];
    v >>= 4;
  }
  return s;
}

std::string ImageIndexBody(std::string_view field, int dims, std::string_view model,
                           std::string_view crops_field) {
  JsonWriter w;
  w.BeginObject().Key("settings").BeginObject().Key("index").BeginObject();
  w.Key("knn").Bool(true).Key("number_of_shards").Int(1).Key("number_of_replicas").Int(0);
  w.EndObject().EndObject();
  w.Key("mappings").BeginObject().Key("properties").BeginObject();
  auto vector_field = [&](std::string_view name) {
    w.Key(name).BeginObject().Key("type").String("knn_vector").Key("dimension").Int(dims);
    w.Key("model").String(model);
    w.Key("method").BeginObject().Key("name").String("hnsw");
    w.Key("space_type").String("cosinesimil");
    w.Key("parameters").BeginObject().Key("m").Int(16).Key("ef_construction").Int(128);
    w.EndObject().EndObject().EndObject();
  };
  vector_field(field);
  if (!crops_field.empty()) {
    w.Key(crops_field).BeginObject().Key("type").String("nested").Key("properties").BeginObject();
    vector_field("emb");
    w.Key("box").BeginObject().Key("type").String("integer").EndObject();
    w.EndObject().EndObject();
  }
  for (const char* k : {"path", "rel_path", "category", "format", "content_hash", "model"}) {
    w.Key(k).BeginObject().Key("type").String("keyword").EndObject();
  }
  for (const char* k : {"width", "height"}) {
    w.Key(k).BeginObject().Key("type").String("integer").EndObject();
  }
  for (const char* k : {"file_size", "mtime_ms"}) {
    w.Key(k).BeginObject().Key("type").String("long").EndObject();
  }
  w.EndObject().EndObject().EndObject();
  return w.Take();
}

Result<IngestReport> IngestImages(const IngestOptions& options, Embedder& embedder,
                                  IndexTarget& target, const ProgressCallback& on_progress) {
  IngestReport report;
  const auto start = Clock::now();
  std::error_code ec;
  fs::path root = fs::canonical(options.dir, ec);
  if (ec || !fs::is_directory(root, ec)) {
    return Status::NotFound("folder " + options.dir + " does not exist or is not a folder");
  }
  std::vector<FileEntry> files;
  LOOKALIKE_RETURN_IF_ERROR(WalkFolder(root, &files, &report.ignored, &report.failures));

  const int dims = embedder.dims();
  const std::string model = embedder.manifest().name;
  LOOKALIKE_RETURN_IF_ERROR(EnsureIndex(target, options, dims, model, &report.created_index));
  std::unordered_map<std::string, Stored> stored;
  if (!report.created_index) {
    LOOKALIKE_ASSIGN_OR_RETURN(stored, LoadStored(target, options.index, files));
  }

  // Files whose size and mtime match the stored ones are not even read.
  std::vector<const FileEntry*> todo;
  IngestProgress progress;
  progress.total = files.size();
  for (const FileEntry& f : files) {
    auto it = stored.find(f.id);
    if (it != stored.end() && it->second.size == f.size && it->second.mtime_ms == f.mtime_ms &&
        !it->second.content_hash.empty()) {
      ++progress.unchanged;
    } else {
      todo.push_back(&f);
    }
  }

  const int threads = options.decode_threads > 0
                          ? options.decode_threads
                          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  const size_t batch = static_cast<size_t>(std::max(1, options.batch));
  DecodedQueue queue(2 * batch + threads, options.max_queued_bytes);
  std::atomic<size_t> next{0};
  std::vector<std::thread> decoders;
  for (int t = 0; t < threads && t < static_cast<int>(todo.size()); ++t) {
    decoders.emplace_back([&] {
      while (true) {
        size_t i = next.fetch_add(1);
        if (i >= todo.size()) return;
        Decoded d;
        d.entry = todo[i];
        auto bytes = ReadFileLimited(d.entry->abs_path, options.limits.max_file_bytes);
        if (!bytes.ok()) {
          d.error = bytes.status().message();
        } else {
          d.hash = Hex64(Hash64(std::string_view(reinterpret_cast<const char*>(bytes->data()),
                                                 bytes->size())));
          auto it = stored.find(d.entry->id);
          if (it != stored.end() && it->second.content_hash == d.hash) {
            d.kind = Decoded::Kind::kUnchanged;
          } else {
            auto image = DecodeImage(*bytes, options.limits);
            if (image.ok()) {
              d.kind = Decoded::Kind::kImage;
              d.image = std::move(image).value();
            } else {
              d.error = image.status().message();
            }
          }
        }
        if (!queue.Push(std::move(d))) return;
      }
    });
  }

  BulkWriter writer(target, options.index);
  size_t local_failed = 0;
  auto last_report = Clock::now() - std::chrono::seconds(1);
  auto emit = [&](bool force) {
    auto now = Clock::now();
    if (!force && now - last_report < std::chrono::milliseconds(100)) return;
    last_report = now;
    progress.indexed = writer.indexed();
    progress.failed = local_failed + writer.failed();
    progress.done = progress.indexed + progress.unchanged + progress.failed;
    progress.seconds = std::chrono::duration<double>(now - start).count();
    if (on_progress) on_progress(progress);
  };
  emit(true);

  std::vector<Decoded> pending;
  std::vector<const FileEntry*> touched;
  std::vector<float> vectors;
  Status fatal;
  auto flush_images = [&] {
    if (pending.empty()) return;
    WriteJob job;
    const size_t failures_before = report.failures.size();
    // Crops are copies of pixel rows: embed a batch in parts of at most kMaxCropBytes of them,
    // so that a batch of large photographs does not hold all their crops at once.
    const double crop_share =
        options.crops == 0 ? 0.0
                           : 4.0 * options.crops * options.crops /
                                 ((options.crops + 1.0) * (options.crops + 1.0));
    for (size_t begin = 0, end = 0; begin < pending.size(); begin = end) {
      double bytes = 0;
      do {
        bytes += crop_share * static_cast<double>(pending[end].image.rgb.size());
        ++end;
      } while (end < pending.size() &&
               bytes + crop_share * pending[end].image.rgb.size() <= kMaxCropBytes);
      EmbedDocuments(embedder, options, model, std::span(pending).subspan(begin, end - begin),
                     &vectors, &job, &report.failures);
    }
    local_failed += report.failures.size() - failures_before;
    pending.clear();
    if (!job.entries.empty()) writer.Submit(std::move(job));
  };
  auto flush_touched = [&] {
    if (touched.empty()) return;
    WriteJob job;
    job.images = false;
    for (const FileEntry* e : touched) AppendMtimeUpdate(&job.ndjson, options.index, *e);
    job.entries = std::move(touched);
    touched.clear();
    writer.Submit(std::move(job));
  };

  for (size_t remaining = todo.size(); remaining > 0; --remaining) {
    Decoded d = queue.Pop();
    switch (d.kind) {
      case Decoded::Kind::kFailed:
        report.failures.push_back({d.entry->abs_path, std::move(d.error)});
        ++local_failed;
        break;
      case Decoded::Kind::kUnchanged:
        ++progress.unchanged;
        touched.push_back(d.entry);
        break;
      case Decoded::Kind::kImage:
        pending.push_back(std::move(d));
        break;
    }
    if (pending.size() >= batch || remaining == 1) flush_images();
    if (touched.size() >= kUpdatesPerBulk || remaining == 1) flush_touched();
    fatal = writer.fatal();
    if (!fatal.ok()) break;
    emit(false);
  }
  queue.Close();
  for (auto& t : decoders) t.join();
  writer.Finish();
  if (fatal.ok()) fatal = writer.fatal();
  if (!fatal.ok()) return fatal;
  for (auto& f : writer.TakeFailures()) report.failures.push_back(std::move(f));
  LOOKALIKE_RETURN_IF_ERROR(target.Refresh(options.index));
  emit(true);
  report.progress = progress;
  return report;
}

}  // namespace lookalike::cli
