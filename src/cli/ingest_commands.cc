// `ingest-images DIR --index NAME` and `search-image FILE --index NAME`: the folder-to-index
// pipeline (ingest_pipeline.h) and a one-shot image query, both against a running server
// (--server URL, the default) or the engine in-process (--data DIR).
#include <CLI/CLI.hpp>
#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>

#include "cli/commands.h"
#include "cli/index_target.h"
#include "cli/ingest_pipeline.h"
#include "common/json_writer.h"
#include "embed/crop_grid.h"
#include "lookalike/embedder.h"

namespace lookalike::cli {
namespace {

constexpr const char* kDefaultServer = "http://127.0.0.1:9200";

struct TargetArgs {
  std::string server;
  HttpClientTls tls;  // https:// servers: --ca-cert, --insecure-tls
  std::string data_dir;
  std::string index;
  std::string field = "embedding";
  std::string model;
  std::string models_dir;
  int threads = 0;
  CredentialArgs credentials;  // --user / --api-key for --server
};

void AddTargetOptions(CLI::App* cmd, TargetArgs* a) {
  cmd->add_option("--index,-i", a->index, "Index name")->required();
  auto* server =
      cmd->add_option("--server", a->server, "Server URL (default http://127.0.0.1:9200)");
  auto* data =
      cmd->add_option("--data", a->data_dir, "Use the engine in-process on this data directory");
  server->excludes(data);
  cmd->add_option("--ca-cert", a->tls.ca_file,
                  "PEM CA certificate(s) to verify an https:// server with (default: the "
                  "system's trust store)");
  cmd->add_flag("--insecure-tls", a->tls.insecure,
                "Do not verify an https:// server's certificate (testing only)");
  AddCredentialOptions(cmd, &a->credentials);
  cmd->add_option("--field", a->field, "Vector field name")->capture_default_str();
  cmd->add_option("--model,-m", a->model,
                  "Model name (default: the index's model, else the default model)");
  cmd->add_option("--models,--models-dir", a->models_dir, "Directory of model manifests");
  cmd->add_option("--threads", a->threads, "Network instances (0 = cores)");
}

Result<std::unique_ptr<IndexTarget>> OpenTarget(const TargetArgs& a) {
  if (!a.data_dir.empty()) return OpenLocalTarget(a.data_dir);
  LOOKALIKE_ASSIGN_OR_RETURN(std::string authorization, AuthorizationHeader(a.credentials));
  return OpenHttpTarget(a.server.empty() ? kDefaultServer : a.server, a.tls, authorization);
}

// The model recorded in an existing index's vector mapping ("" when unknown).
std::string IndexModel(IndexTarget& target, const TargetArgs& a) {
  auto exists = target.IndexExists(a.index);
  if (!exists.ok() || !*exists) return "";
  auto body = target.GetMapping(a.index);
  if (!body.ok()) return "";
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view model;
  if (parser.parse(*body).get(doc) != simdjson::SUCCESS) return "";
  if (doc[a.index]["mappings"]["properties"][a.field]["model"].get(model) != simdjson::SUCCESS) {
    return "";
  }
  return std::string(model);
}

Result<std::shared_ptr<Embedder>> LoadModel(const TargetArgs& a, IndexTarget& target,
                                            std::unique_ptr<ModelRegistry>* registry) {
  std::string dir = a.models_dir.empty() ? DefaultModelDir() : a.models_dir;
  EmbedderOptions options;
  options.instances = a.threads;
  LOOKALIKE_ASSIGN_OR_RETURN(*registry, ModelRegistry::LoadDir(dir, options));
  std::string name = a.model.empty() ? IndexModel(target, a) : a.model;
  return (*registry)->Get(name);
}

std::string FormatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--:--";
  long s = std::lround(seconds);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof(buf), "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  } else {
    std::snprintf(buf, sizeof(buf), "%ld:%02ld", s / 60, s % 60);
  }
  return buf;
}

// Draws the progress bar on a terminal; prints a plain line every few seconds otherwise.
class ProgressPrinter {
 public:
  explicit ProgressPrinter(bool tty) : tty_(tty) {}

  void Update(const IngestProgress& p) {
    if (!started_) {
      started_ = true;
      baseline_done_ = p.done;  // files skipped without reading: not part of the rate
      baseline_seconds_ = p.seconds;
    }
    double elapsed = p.seconds - baseline_seconds_;
    size_t worked = p.done - baseline_done_;
    double rate = elapsed > 0.2 ? worked / elapsed : 0.0;
    size_t left = p.total > p.done ? p.total - p.done : 0;
    double eta = rate > 0 ? left / rate : (left == 0 ? 0.0 : NAN);
    double pct = p.total ? 100.0 * p.done / p.total : 100.0;
    if (tty_) {
      constexpr int kWidth = 28;
      int filled = p.total ? static_cast<int>(kWidth * p.done / p.total) : kWidth;
      std::string bar(filled, '#');
      bar.append(kWidth - filled, '.');
      std::fprintf(stderr, "\r\x1b[K%zu/%zu [%s] %3.0f%%  %.1f images/s  ETA %s", p.done, p.total,
                   bar.c_str(), pct, rate, FormatDuration(eta).c_str());
      if (p.failed) std::fprintf(stderr, "  %zu failed", p.failed);
      std::fflush(stderr);
      return;
    }
    bool last = p.done == p.total;
    if (!last && p.seconds - last_line_ < 5.0) return;
    if (last && printed_last_) return;
    printed_last_ = last;
    last_line_ = p.seconds;
    std::fprintf(stderr, "ingest-images: %zu/%zu (%.0f%%), %.1f images/s, ETA %s, %zu failed\n",
                 p.done, p.total, pct, rate, FormatDuration(eta).c_str(), p.failed);
  }
  void End() {
    if (tty_ && started_) std::fprintf(stderr, "\n");
  }

 private:
  bool tty_;
  bool started_ = false;
  bool printed_last_ = false;
  size_t baseline_done_ = 0;
  double baseline_seconds_ = 0;
  double last_line_ = -1e9;
};

struct IngestArgs {
  TargetArgs target;
  std::string dir;
  int batch = 16;
  int crops = 0;
  int decode_threads = 0;
  bool no_progress = false;
  DecodeLimits limits;
};

int RunIngest(const IngestArgs& args) {
  auto target = OpenTarget(args.target);
  if (!target.ok()) {
    std::fprintf(stderr, "lookalike ingest-images: %s\n", target.status().ToString().c_str());
    return 2;
  }
  std::unique_ptr<ModelRegistry> registry;
  auto embedder = LoadModel(args.target, **target, &registry);
  if (!embedder.ok()) {
    std::fprintf(stderr, "lookalike ingest-images: %s\n", embedder.status().ToString().c_str());
    return 2;
  }
  IngestOptions options;
  options.dir = args.dir;
  options.index = args.target.index;
  options.field = args.target.field;
  options.batch = args.batch;
  options.crops = args.crops;
  options.decode_threads = args.decode_threads;
  options.limits = args.limits;
  std::fprintf(stderr, "ingest-images: %s → index %s on %s, model %s (%d dims)", args.dir.c_str(),
               options.index.c_str(), (*target)->Describe().c_str(),
               (*embedder)->manifest().name.c_str(), (*embedder)->dims());
  if (options.crops > 0) {
    std::fprintf(stderr, ", whole image + %dx%d crops in '%s'", options.crops, options.crops,
                 options.crops_field.c_str());
  }
  std::fprintf(stderr, "\n");
  ProgressPrinter printer(!args.no_progress && ::isatty(STDERR_FILENO));
  auto report = IngestImages(options, **embedder, **target,
                             [&](const IngestProgress& p) { printer.Update(p); });
  printer.End();
  if (!report.ok()) {
    std::fprintf(stderr, "lookalike ingest-images: %s\n", report.status().ToString().c_str());
    return 1;
  }
  const IngestProgress& p = report->progress;
  double rate = p.seconds > 0 ? (p.indexed + p.failed) / p.seconds : 0.0;
  std::fprintf(stderr,
               "ingest-images: %zu images found, %zu indexed (new or changed), %zu unchanged, "
               "%zu failed, in %.1f s (%.1f images/s)%s\n",
               p.total, p.indexed, p.unchanged, report->failures.size(), p.seconds, rate,
               report->created_index ? "; index created" : "");
  if (report->ignored) {
    std::fprintf(stderr, "ingest-images: %zu files without an image extension ignored\n",
                 report->ignored);
  }
  if (!report->failures.empty()) {
    std::fprintf(stderr, "ingest-images: skipped files:\n");
    for (const auto& f : report->failures) {
      std::fprintf(stderr, "  %s: %s\n", f.path.c_str(), f.reason.c_str());
    }
  }
  return 0;
}

struct SearchArgs {
  TargetArgs target;
  std::string file;
  std::string like;  // --like ID: search by an indexed document's stored vector instead of FILE
  int k = 10;
  std::string filter;
  bool json = false;
  bool whole = false;        // --whole: the whole-image field even when the index has crops
  bool field_given = false;  // --field was on the command line
};

// The vector field a FILE query searches: --field when given; else the crops of an index made
// by `ingest-images --crops` ("crops.emb": the whole image and its crops, a document scored by
// its best one, so a close-up finds its photo), unless --whole; else --field's default.
std::string QueryField(const SearchArgs& args, IndexTarget& target) {
  if (args.field_given || args.whole) return args.target.field;
  auto body = target.GetMapping(args.target.index);
  if (!body.ok()) return args.target.field;
  simdjson::dom::parser parser;
  simdjson::dom::element doc, crops;
  std::string_view type, emb_type;
  if (parser.parse(*body).get(doc) == simdjson::SUCCESS &&
      doc[args.target.index]["mappings"]["properties"]["crops"].get(crops) == simdjson::SUCCESS &&
      crops["type"].get(type) == simdjson::SUCCESS && type == "nested" &&
      crops["properties"]["emb"]["type"].get(emb_type) == simdjson::SUCCESS &&
      (emb_type == "knn_vector" || emb_type == "dense_vector")) {
    return "crops.emb";
  }
  return args.target.field;
}

// Writes {"_source": {"excludes": [field, "crops"]}} members: the vectors are not worth
// printing.
void WriteSourceExcludes(JsonWriter& w, const std::string& field) {
  w.Key("_source").BeginObject().Key("excludes").BeginArray().String(field).String("crops");
  w.EndArray().EndObject();
}

// A knn body on `field` whose vector is FILE's embedding.
std::string ImageQueryBody(const SearchArgs& args, const std::string& field,
                           const std::vector<float>& vec) {
  JsonWriter w;
  w.BeginObject().Key("size").Int(args.k).Key("query").BeginObject().Key("knn").BeginObject();
  w.Key(field).BeginObject().Key("vector").BeginArray();
  for (float f : vec) w.Float(f);
  w.EndArray().Key("k").Int(args.k);
  if (!args.filter.empty()) w.Key("filter").Raw(args.filter);
  w.EndObject().EndObject().EndObject();
  WriteSourceExcludes(w, args.target.field);
  w.EndObject();
  return w.str();
}

// "More like this document": Elasticsearch's knn query_vector_builder.lookup reads the stored
// vector on the server (nothing crosses the wire twice), and a must_not on the id leaves the
// example itself out of the hits (Elasticsearch keeps it; a user asking for "more like" this
// image already has it), so the k hits are k other documents.
std::string LikeQueryBody(const SearchArgs& args) {
  JsonWriter w;
  w.BeginObject().Key("size").Int(args.k).Key("knn").BeginObject();
  w.Key("field").String(args.target.field).Key("k").Int(args.k);
  w.Key("num_candidates").Int(std::max(args.k, 100));
  w.Key("query_vector_builder").BeginObject().Key("lookup").BeginObject();
  w.Key("index").String(args.target.index).Key("id").String(args.like);
  w.Key("path").String(args.target.field).EndObject().EndObject();
  w.Key("filter").BeginObject().Key("bool").BeginObject();
  w.Key("must_not").BeginArray().BeginObject().Key("ids").BeginObject().Key("values");
  w.BeginArray().String(args.like).EndArray().EndObject().EndObject().EndArray();
  if (!args.filter.empty()) w.Key("filter").BeginArray().Raw(args.filter).EndArray();
  w.EndObject().EndObject().EndObject();
  WriteSourceExcludes(w, args.target.field);
  w.EndObject();
  return w.str();
}

// Prints the hits of a search response as a table; Corruption for an unexpected body.
Status PrintHits(const std::string& body, const std::string& how) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::array hits;
  if (parser.parse(body).get(doc) != simdjson::SUCCESS ||
      doc["hits"]["hits"].get(hits) != simdjson::SUCCESS) {
    return Status::Corruption("unexpected search response");
  }
  std::printf("%4s  %-8s  %-16s  %-16s  %s\n", "rank", "score", "id", "category", "path");
  int rank = 0;
  for (simdjson::dom::element hit : hits) {
    std::string_view id, category = "-", path = "-";
    double score = 0;
    Got(hit["_id"].get(id));
    Got(hit["_score"].get(score));
    Got(hit["_source"]["category"].get(category));
    Got(hit["_source"]["path"].get(path));
    std::printf("%4d  %-8.4f  %-16.*s  %-16.*s  %.*s\n", ++rank, score, static_cast<int>(id.size()),
                id.data(), static_cast<int>(category.size()), category.data(),
                static_cast<int>(path.size()), path.data());
  }
  int64_t took = 0;
  Got(doc["took"].get(took));
  std::printf("%d hits; %ssearch %lld ms\n", rank, how.c_str(), static_cast<long long>(took));
  return Status::OK();
}

int RunSearch(const SearchArgs& args) {
  auto fail = [](const Status& st, int code) {
    std::fprintf(stderr, "lookalike search-image: %s\n", st.ToString().c_str());
    return code;
  };
  if (args.k < 1 || args.k > 10000) return fail(Status::InvalidArgument("-k must be 1..10000"), 2);
  if (args.file.empty() == args.like.empty()) {
    return fail(Status::InvalidArgument("give exactly one of FILE and --like ID"), 2);
  }
  if (!args.filter.empty()) {
    simdjson::dom::parser check;
    simdjson::dom::element el;
    if (check.parse(args.filter).get(el) != simdjson::SUCCESS || !el.is_object()) {
      return fail(Status::InvalidArgument("--filter must be a JSON object (a query clause)"), 2);
    }
  }
  auto target = OpenTarget(args.target);
  if (!target.ok()) return fail(target.status(), 2);
  std::string body, how;
  if (!args.like.empty()) {
    body = LikeQueryBody(args);
    how = "like document " + args.like + ", ";
  } else {
    std::unique_ptr<ModelRegistry> registry;
    auto embedder = LoadModel(args.target, **target, &registry);
    if (!embedder.ok()) return fail(embedder.status(), 2);
    auto t0 = std::chrono::steady_clock::now();
    auto image = DecodeImageFile(args.file);
    if (!image.ok()) return fail(image.status(), 1);
    auto vec = (*embedder)->Embed(*image);
    if (!vec.ok()) return fail(vec.status(), 1);
    double embed_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    const std::string field = QueryField(args, **target);
    body = ImageQueryBody(args, field, *vec);
    char buf[200];
    std::snprintf(buf, sizeof(buf), "embedding %.1f ms (model %s), field %s, ", embed_ms,
                  (*embedder)->manifest().name.c_str(), field.c_str());
    how = buf;
  }
  auto response = (*target)->Search(args.target.index, body);
  if (!response.ok()) return fail(response.status(), 1);
  if (args.json) {
    std::printf("%s\n", response->c_str());
    return 0;
  }
  if (Status st = PrintHits(*response, how); !st.ok()) return fail(st, 1);
  return 0;
}

}  // namespace

void AddIngestCommands(CLI::App& app, int* exit_code) {
  auto ingest_args = std::make_shared<IngestArgs>();
  auto* ingest = app.add_subcommand(
      "ingest-images",
      "Index every image below a folder (recursively): decode, embed, store path, category "
      "(parent folder), size, content hash and the vector. Re-runs add only new or changed files.");
  ingest->add_option("dir", ingest_args->dir, "Folder of images")->required();
  AddTargetOptions(ingest, &ingest_args->target);
  ingest->add_option("--batch", ingest_args->batch, "Images per embedding batch and _bulk request")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  ingest
      ->add_option("--crops", ingest_args->crops,
                    "Also embed an N x N grid of overlapping crops (N = 2..4) with the whole image "
                    "into the nested field 'crops', so a close-up finds the photo it was cut from "
                    "(1 + N*N embeddings per image)")
      ->check(CLI::Validator(
          [](std::string& value) -> std::string {
            int n = 0;
            auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
            if (value.empty() || ec != std::errc() || end != value.data() + value.size() ||
                n < embed::kMinCropGrid || n > embed::kMaxCropGrid) {
              return "the grid size N must be an integer from " +
                     std::to_string(embed::kMinCropGrid) + " to " +
                     std::to_string(embed::kMaxCropGrid) + " (N x N crops), not '" + value + "'";
            }
            return "";
          },
          "N"));
  ingest->add_option("--decode-threads", ingest_args->decode_threads, "Decoder threads (0 = cores)");
  ingest->add_flag("--no-progress", ingest_args->no_progress,
                   "Plain progress lines even on a terminal");
  AddDecodeLimitOptions(ingest, &ingest_args->limits);
  ingest->callback([ingest_args, exit_code] { *exit_code = RunIngest(*ingest_args); });

  auto search_args = std::make_shared<SearchArgs>();
  auto* search = app.add_subcommand(
      "search-image", "Find the indexed images most like FILE, or like an indexed document (--like)");
  auto* file = search->add_option("file", search_args->file, "Query image");
  search->add_option("--like", search_args->like,
                     "Search by the stored vector of this document _id (the document itself is "
                     "left out of the hits) instead of FILE")
      ->excludes(file);
  AddTargetOptions(search, &search_args->target);
  search->add_option("-k", search_args->k, "Number of hits")->capture_default_str();
  search->add_option("--filter", search_args->filter,
                     "Query clause the hits must match, e.g. '{\"term\":{\"category\":\"fruit\"}}'");
  search->add_flag("--json", search_args->json, "Print the raw search response");
  search->add_flag("--whole", search_args->whole,
                   "Search the whole-image vectors even when the index has crops (made by "
                   "ingest-images --crops; by default those are searched, so a close-up finds "
                   "its photo)");
  search->callback([search, search_args, exit_code] {
    search_args->field_given = search->get_option("--field")->count() > 0;
    *exit_code = RunSearch(*search_args);
  });
}

}  // namespace lookalike::cli
