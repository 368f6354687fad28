// Scatter/gather of searches, counts and GETs over shard copies; see scatter.h.
#include "cluster/scatter.h"

#include <poll.h>

#include <algorithm>
#include <chrono>

#include "cluster/routing.h"
#include "cluster/search_wire.h"
#include "cluster/shard_calls.h"
#include "lookalike/retrievers.h"
#include "lookalike/search_merge.h"

namespace lookalike::cluster {

struct Coordinator::ShardTarget {
  const IndexRoutes* routes = nullptr;
  int shard = 0;
};

struct Coordinator::ShardAnswer {
  std::string index;  // the user's index
  int shard = 0;
  std::string body;          // the binary result when status is OK
  Status status;             // a request error (fatal) when !failed; the last copy's otherwise
  bool failed = false;       // no copy answered: a shard failure
  std::string node;          // the node that answered, or the last one tried
};

namespace {

constexpr std::string_view kBinary = "application/octet-stream";

// Errors after which another copy may well answer: the copy is gone, broken or not there.
bool TryAnotherCopy(const Status& s) {
  switch (s.code()) {
    case StatusCode::kUnavailable:
    case StatusCode::kIOError:
    case StatusCode::kCorruption:
      return true;
    default:
      return s.kind() == ErrorKind::kIndexNotFound;
  }
}

// A non-binary answer (the security gate's 401/403, a proxy's error page) as a Status.
Status StatusOfForeignAnswer(const net::HttpClientResponse& response) {
  std::string what = "shard copy answered HTTP " + std::to_string(response.status) + ": " +
                     response.body.substr(0, 512);
  if (response.status == 401) return Status::Unauthenticated(what);
  if (response.status == 403) return Status::PermissionDenied(what);
  return Status::Unavailable(what);
}

// Elasticsearch's two reasons, word for word: with no shard answered it is "all shards failed"
// whatever allow_partial_search_results says. The shards' own errors travel beside the status
// (the failures list), as Elasticsearch's "failed_shards".
Status ShardsFailed(bool none_answered) {
  return Status::Unavailable(none_answered ? "all shards failed" : "Partial shards failure")
      .WithKind(ErrorKind::kShardsFailed);
}

int64_t MillisSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

}  // namespace

MergeSpec MergeSpecOf(const SearchRequest& request) {
  MergeSpec spec;
  spec.from = request.from;
  spec.size = request.size;
  spec.track_total_hits = request.track_total_hits;
  if (!request.ScoreSorted()) {
    for (const SortKey& key : request.sort) {
      spec.sort.push_back({key.kind == SortKey::Kind::kScore, key.desc});
    }
  }
  if (request.collapse) spec.collapse_field = request.collapse->field;
  return spec;
}

Coordinator::Coordinator(const ShardMapSource* source, ScatterOptions options)
    : source_(source), options_(std::move(options)) {}

Coordinator::~Coordinator() = default;

std::unique_ptr<net::HttpClient> Coordinator::TakeClient(const std::string& http) {
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    auto it = pool_.find(http);
    if (it != pool_.end() && !it->second.empty()) {
      std::unique_ptr<net::HttpClient> client = std::move(it->second.back());
      it->second.pop_back();
      return client;
    }
  }
  auto created = net::HttpClient::Create(options_.scheme + "://" + http, options_.tls);
  if (!created.ok()) return nullptr;
  auto client = std::make_unique<net::HttpClient>(std::move(created).value());
  client->SetReceiveTimeout(options_.shard_timeout);
  return client;
}

void Coordinator::ReturnClient(const std::string& http, std::unique_ptr<net::HttpClient> client) {
  std::lock_guard<std::mutex> lock(pool_mu_);
  pool_[http].push_back(std::move(client));
}

bool Coordinator::IsLocal(const ShardCopy& copy) const {
  return options_.local_engine != nullptr && !options_.local_node.empty() &&
         copy.node == options_.local_node;
}

Result<std::string> Coordinator::AskLocal(const std::string& local_index,
                                          std::string_view endpoint, std::string_view body) {
  return AnswerShardCall(*options_.local_engine, local_index, endpoint, body);
}

// One shard's way through its copies during a Gather.
struct Coordinator::ShardCall {
  ShardTarget target;
  std::string local_index;  // the copies' engine index
  std::string body;         // the request every copy of this shard is sent
  size_t start = 0;         // the copy asked first (round-robin)
  size_t tried = 0;         // copies asked so far
  std::unique_ptr<net::HttpClient> client;  // non-null while a remote copy has the request
  std::string http;                         // that copy's address
  std::chrono::steady_clock::time_point due;  // its answer must have begun by then
  bool local_due = false;  // the next copy is this node's, to be searched in-process
  bool done = false;
  ShardAnswer answer;

  const std::vector<ShardCopy>& copies() const {
    return target.routes->shards[target.shard].copies;
  }
  // Takes a copy's outcome; true when the shard is done (answered, or a request error).
  bool Settle(Result<std::string> result, const std::string& node, const std::string& where) {
    if (result.ok()) {
      answer.body = std::move(result).value();
      answer.status = Status::OK();
      done = true;
      return true;
    }
    answer.status = result.status().WithContext("[" + node + "][" + where + "]");
    done = !TryAnotherCopy(result.status());  // a request error is the same on every copy
    return done;
  }
};

void Coordinator::Advance(ShardCall* c, std::string_view endpoint, const ScatterCall& call,
                          bool run_local) {
  const std::string& body = c->body;
  const std::vector<ShardCopy>& copies = c->copies();
  while (c->tried < copies.size()) {
    const ShardCopy& copy = copies[(c->start + c->tried) % copies.size()];
    c->answer.node = copy.node;
    if (IsLocal(copy)) {
      c->local_due = !run_local;
      if (c->local_due) return;
      ++c->tried;
      if (c->Settle(AskLocal(c->local_index, endpoint, body), copy.node, copy.http)) return;
      continue;
    }
    ++c->tried;
    std::unique_ptr<net::HttpClient> client = TakeClient(copy.http);
    Status sent = Status::Unavailable("bad shard copy address [" + copy.http + "]");
    if (client != nullptr) {
      client->SetAuthorization(call.authorization);
      std::string path = "/_internal/shards/" + net::UrlEncodeSegment(c->local_index) + "/" +
                         std::string(endpoint);
      sent = client->BeginRequest("POST", path, body, kBinary);
    }
    if (sent.ok()) {
      c->client = std::move(client);
      c->http = copy.http;
      c->due = std::chrono::steady_clock::now() + options_.shard_timeout;
      return;
    }
    if (c->Settle(sent, copy.node, copy.http)) return;  // IOError: unreachable, next copy
  }
  c->answer.failed = true;  // every copy failed, or there is none
  if (copies.empty()) {
    c->answer.status = Status::Unavailable("no started copy of shard [" +
                                           std::to_string(c->target.shard) + "] of [" +
                                           c->target.routes->index + "]");
  }
  c->done = true;
}

void Coordinator::Receive(ShardCall* c, bool timed_out, std::string_view endpoint,
                          const ScatterCall& call) {
  std::unique_ptr<net::HttpClient> client = std::move(c->client);
  Result<std::string> result = Status::IOError(
      "timed out after " + std::to_string(options_.shard_timeout.count()) + " ms");
  if (!timed_out) {  // a timed-out connection is dropped: its late answer must not be read
    auto response = client->FinishRequest();
    if (!response.ok()) {
      result = response.status();  // IOError: the copy went away; the client is dropped
    } else {
      ReturnClient(c->http, std::move(client));
      bool binary = response->content_type.rfind(kBinary, 0) == 0;
      if (response->status == 200 && binary) {
        result = std::move(response->body);
      } else {
        result = binary ? DecodeShardError(response->body) : StatusOfForeignAnswer(*response);
      }
    }
  }
  if (!c->Settle(std::move(result), c->answer.node, c->http)) {
    Advance(c, endpoint, call, /*run_local=*/true);
  }
}

std::vector<Coordinator::ShardAnswer> Coordinator::Exchange(const std::vector<ShardTarget>& targets,
                                                            std::vector<std::string> bodies,
                                                            std::string_view endpoint,
                                                            const ScatterCall& call) {
  std::vector<ShardCall> calls(targets.size());
  for (size_t i = 0; i < targets.size(); ++i) {
    ShardCall& c = calls[i];
    c.target = targets[i];
    c.body = std::move(bodies[i]);
    c.answer.index = c.target.routes->index;
    c.answer.shard = c.target.shard;
    c.local_index = ShardIndexName(*c.target.routes, c.target.shard);
    size_t n = c.copies().size();
    c.start = n == 0 ? 0 : round_robin_.fetch_add(1, std::memory_order_relaxed) % n;
    Advance(&c, endpoint, call, /*run_local=*/false);  // remote requests go out first
  }
  for (ShardCall& c : calls) {
    if (c.local_due) Advance(&c, endpoint, call, /*run_local=*/true);
  }
  std::vector<pollfd> fds;
  std::vector<ShardCall*> waiting;
  while (true) {
    fds.clear();
    waiting.clear();
    auto now = std::chrono::steady_clock::now();
    auto first_due = std::chrono::steady_clock::time_point::max();
    for (ShardCall& c : calls) {
      if (c.client != nullptr && c.due <= now) Receive(&c, true, endpoint, call);
      if (c.client == nullptr) continue;  // done, or moved on to a local copy that answered
      fds.push_back(pollfd{c.client->socket_fd(), POLLIN, 0});
      waiting.push_back(&c);
      first_due = std::min(first_due, c.due);
    }
    if (waiting.empty()) break;
    auto wait = std::chrono::ceil<std::chrono::milliseconds>(first_due - now).count();
    int ready = ::poll(fds.data(), fds.size(), static_cast<int>(std::max<int64_t>(wait, 0)));
    if (ready <= 0) continue;  // the time is up for some (handled above), or EINTR
    for (size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].revents != 0) Receive(waiting[i], false, endpoint, call);
    }
  }
  std::vector<ShardAnswer> answers;
  answers.reserve(calls.size());
  for (ShardCall& c : calls) answers.push_back(std::move(c.answer));
  return answers;
}

Result<std::vector<Coordinator::ShardAnswer>> Coordinator::Scatter(std::string_view expression,
                                                                   std::string_view endpoint,
                                                                   std::string_view body,
                                                                   const ScatterCall& call) {
  return Scatter(
      expression, endpoint, [body](const IndexRoutes&, int) { return std::string(body); }, call);
}

Result<std::vector<Coordinator::ShardAnswer>> Coordinator::Scatter(std::string_view expression,
                                                                   std::string_view endpoint,
                                                                   const BodyFor& body_for,
                                                                   const ScatterCall& call) {
  // The routes are a snapshot: a map that changes underneath never changes this request.
  LOOKALIKE_ASSIGN_OR_RETURN(std::vector<IndexRoutes> routes, source_->Resolve(expression));
  std::vector<ShardTarget> targets;
  std::vector<std::string> bodies;
  for (const IndexRoutes& r : routes) {
    for (int shard = 0; shard < static_cast<int>(r.shards.size()); ++shard) {
      targets.push_back(ShardTarget{&r, shard});
      bodies.push_back(body_for(r, shard));
    }
  }
  return Exchange(targets, std::move(bodies), endpoint, call);
}

namespace {

ShardFailure FailureOf(const std::string& index, int shard, const std::string& node,
                       const Status& status) {
  ShardFailure f;
  f.shard = shard;
  f.index = index;
  f.node = node;
  f.code = status.code();
  f.kind = status.kind();
  f.reason = status.message();
  return f;
}

// The whole request fails when no shard answered, or when one did not and partial results
// are refused; the failures are reported either way.
Status CheckFailures(const std::vector<ShardFailure>& failures, bool none_answered,
                     bool partial_allowed, std::vector<ShardFailure>* out) {
  if (failures.empty() || (partial_allowed && !none_answered)) return Status::OK();
  if (out != nullptr) out->insert(out->end(), failures.begin(), failures.end());
  return ShardsFailed(none_answered);
}

void AddFailures(std::vector<ShardFailure> failures, ShardCounts* shards,
                 std::vector<ShardFailure>* out) {
  shards->total += static_cast<int64_t>(failures.size());
  shards->failed += static_cast<int64_t>(failures.size());
  if (out == nullptr) return;
  for (ShardFailure& f : failures) out->push_back(std::move(f));
}

}  // namespace

Result<SearchResult> Coordinator::Gather(std::vector<ShardAnswer> answers, const MergeSpec& spec,
                                         const ScatterCall& call,
                                         std::vector<ShardFailure>* failures_out,
                                         HitShards* hit_shards) {
  std::vector<SearchResult> partials;
  std::vector<ShardFailure> failures;
  for (ShardAnswer& a : answers) {
    if (!a.failed && !a.status.ok()) return a.status;  // a request error, the same everywhere
  }
  for (ShardAnswer& a : answers) {
    if (a.failed) {
      failures.push_back(FailureOf(a.index, a.shard, a.node, a.status));
      continue;
    }
    auto partial = DecodeSearchResult(a.body);
    if (!partial.ok()) {
      failures.push_back(FailureOf(a.index, a.shard, a.node, partial.status()));
      continue;
    }
    for (DocumentHit& hit : partial->hits) {
      hit.index = a.index;
      // A nested knn's inner hits come with the first round (the shard fills them).
      for (InnerHits& inner : hit.inner_hits) {
        for (DocumentHit& member : inner.hits) member.index = a.index;
      }
      if (hit_shards != nullptr) (*hit_shards)[{hit.index, hit.id}] = a.shard;
    }
    partials.push_back(std::move(partial).value());
  }
  LOOKALIKE_RETURN_IF_ERROR(
      CheckFailures(failures, partials.empty(), call.allow_partial_results, failures_out));
  LOOKALIKE_ASSIGN_OR_RETURN(SearchResult merged, MergeSearchResults(std::move(partials), spec));
  AddFailures(std::move(failures), &merged.shards, failures_out);
  return merged;
}

Result<SearchResult> Coordinator::ScatterSearch(std::string_view expression,
                                                const BodyFor& body_for, const MergeSpec& spec,
                                                const ScatterCall& call,
                                                std::vector<ShardFailure>* failures_out,
                                                HitShards* hit_shards) {
  LOOKALIKE_ASSIGN_OR_RETURN(std::vector<ShardAnswer> answers,
                             Scatter(expression, "_search", body_for, call));
  return Gather(std::move(answers), spec, call, failures_out, hit_shards);
}

Result<SearchResult> Coordinator::Search(std::string_view expression, const SearchRequest& request,
                                         const ScatterCall& call,
                                         std::vector<ShardFailure>* failures_out) {
  auto started = std::chrono::steady_clock::now();
  if (request.retriever) {
    // The leaves are ordinary scatter-gathers; the fusion runs here, as on one node.
    auto fused = RunRetriever(
        request,
        [&](const SearchRequest& leaf) { return Search(expression, leaf, call, failures_out); },
        [&](const std::string& index, const std::string& id, const std::string& path,
            const std::string* routing) {
          return ReadExampleVector(index, id, path, routing, call);
        });
    if (fused.ok()) fused->took_ms = MillisSince(started);
    return fused;
  }
  std::optional<SearchResult::Embedding> embedding;
  LOOKALIKE_ASSIGN_OR_RETURN(SearchRequest prepared,
                             Prepare(expression, request, call, &embedding));
  // collapse.inner_hits take a second round (lookalike/search_merge.h): the page first.
  const bool inner_hits = prepared.collapse && !prepared.collapse->inner_hits.empty();
  SearchRequest first = prepared;
  if (inner_hits) first.collapse->inner_hits.clear();
  LOOKALIKE_ASSIGN_OR_RETURN(std::string body, EncodeSearchRequest(first));
  LOOKALIKE_ASSIGN_OR_RETURN(std::vector<ShardAnswer> answers,
                             Scatter(expression, "_search", body, call));
  LOOKALIKE_ASSIGN_OR_RETURN(SearchResult merged, Gather(std::move(answers), MergeSpecOf(request),
                                                         call, failures_out, nullptr));
  if (inner_hits && !merged.hits.empty()) {
    LOOKALIKE_RETURN_IF_ERROR(GatherInnerHits(expression, prepared, call, &merged));
  }
  merged.embedding = std::move(embedding);
  // As on one node, "took" is the search alone; the embedding is reported as "embed_took".
  merged.took_ms = MillisSince(started) -
                   (merged.embedding ? static_cast<int64_t>(merged.embedding->took_ms) : 0);
  return merged;
}

// The second round of collapse.inner_hits: every shard searched again for the page's groups
// only; their members merged into `page`. A shard that fails now fails the request (its members
// would be missing without a trace in the page's totals).
Status Coordinator::GatherInnerHits(std::string_view expression, const SearchRequest& request,
                                    const ScatterCall& call, SearchResult* page) {
  LOOKALIKE_ASSIGN_OR_RETURN(std::string body,
                             EncodeSearchRequest(InnerHitsRound(request, *page)));
  LOOKALIKE_ASSIGN_OR_RETURN(std::vector<ShardAnswer> answers,
                             Scatter(expression, "_search", body, call));
  std::vector<SearchResult> partials;
  for (ShardAnswer& a : answers) {
    if (!a.status.ok()) return a.status;
    LOOKALIKE_ASSIGN_OR_RETURN(SearchResult partial, DecodeSearchResult(a.body));
    for (DocumentHit& hit : partial.hits) {
      hit.index = a.index;
      for (InnerHits& inner : hit.inner_hits) {
        for (DocumentHit& member : inner.hits) member.index = a.index;
      }
    }
    partials.push_back(std::move(partial));
  }
  return MergeInnerHits(std::move(partials), request, page);
}

Result<CountResult> Coordinator::Count(std::string_view expression, const CountRequest& request,
                                       const ScatterCall& call,
                                       std::vector<ShardFailure>* failures_out) {
  CountRequest prepared;
  LOOKALIKE_ASSIGN_OR_RETURN(prepared.query, EmbedNeural(expression, request.query, call, nullptr));
  LOOKALIKE_ASSIGN_OR_RETURN(std::string body, EncodeCountRequest(prepared));
  LOOKALIKE_ASSIGN_OR_RETURN(std::vector<ShardAnswer> answers,
                             Scatter(expression, "_count", body, call));
  for (ShardAnswer& a : answers) {
    if (!a.failed && !a.status.ok()) return a.status;
  }
  CountResult total;
  std::vector<ShardFailure> failures;
  bool any_answered = false;
  for (ShardAnswer& a : answers) {
    auto partial = a.failed ? Result<CountResult>(a.status) : DecodeCountResult(a.body);
    if (!partial.ok()) {
      failures.push_back(FailureOf(a.index, a.shard, a.node, partial.status()));
      continue;
    }
    any_answered = true;
    total.count += partial->count;
    total.shards.total += partial->shards.total;
    total.shards.successful += partial->shards.successful;
    total.shards.skipped += partial->shards.skipped;
    total.shards.failed += partial->shards.failed;
  }
  LOOKALIKE_RETURN_IF_ERROR(
      CheckFailures(failures, !any_answered, call.allow_partial_results, failures_out));
  AddFailures(std::move(failures), &total.shards, failures_out);
  return total;
}

Result<std::string> Coordinator::AskRoutedShard(std::string_view index,
                                                const std::string_view* routing,
                                                std::string_view endpoint, std::string_view body,
                                                const ScatterCall& call, std::string_view what) {
  LOOKALIKE_ASSIGN_OR_RETURN(std::vector<IndexRoutes> routes, source_->Resolve(index));
  if (routes.size() != 1 || routes[0].index != index) {
    return Status::InvalidArgument(std::string(what) + " needs one concrete index, got [" +
                                   std::string(index) + "]")
        .WithKind(ErrorKind::kInvalidValue);
  }
  const IndexRoutes& r = routes[0];
  int shard = routing != nullptr ? ShardForRouting(*routing, r.number_of_shards) : 0;
  if (shard < 0 || shard >= static_cast<int>(r.shards.size())) {
    return Status::Unavailable("shard [" + std::to_string(shard) + "] of [" + r.index +
                               "] is not in the shard map")
        .WithKind(ErrorKind::kIndexUnavailable);
  }
  ShardAnswer a =
      std::move(Exchange({ShardTarget{&r, shard}}, {std::string(body)}, endpoint, call).front());
  if (a.failed) return Status(a.status).WithKind(ErrorKind::kIndexUnavailable);
  if (!a.status.ok()) return a.status;
  return std::move(a.body);
}

Result<StoredDocument> Coordinator::Get(std::string_view index, std::string_view id,
                                        const std::string* routing, const SourceFilter& source,
                                        const ScatterCall& call) {
  ShardGetRequest get;
  get.id = std::string(id);
  get.source = source;
  std::string_view key = routing != nullptr ? std::string_view(*routing) : id;
  LOOKALIKE_ASSIGN_OR_RETURN(
      std::string body,
      AskRoutedShard(index, &key, "_get", EncodeGetRequest(get), call, "GET _doc"));
  LOOKALIKE_ASSIGN_OR_RETURN(StoredDocument document, DecodeStoredDocument(body));
  document.index = std::string(index);
  return document;
}

}  // namespace lookalike::cluster
