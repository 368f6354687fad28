#include "server/handlers/scroll.h"

#include <simdjson.h>

#include <cerrno>
#include <charconv>
#include <optional>
#include <vector>

#include "common/base64.h"
#include "common/json_writer.h"
#include "server/es/cluster_render.h"
#include "server/es/search_codec.h"
#include "server/es/search_render.h"
#include "server/handlers/rest_common.h"
#include "server/request_caller.h"

namespace lookalike::server {

using Clock = std::chrono::steady_clock;

Result<std::chrono::milliseconds> ParseKeepAlive(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + digits, n);
  std::string_view unit = text.substr(digits);
  int64_t ms_per = unit == "ms" ? 1 : unit == "s" ? 1000 : unit == "m" ? 60000
                 : unit == "h" ? 3600000 : unit == "d" ? 86400000 : 0;
  if (digits == 0 || ec != std::errc() || ms_per == 0 || n > 86400000 / ms_per) {
    return Status::InvalidArgument("failed to parse keep-alive [" + std::string(text) +
                                   "]: expected a duration such as 30s, 2m or 1h, at most 24h")
        .WithKind(ErrorKind::kInvalidValue);
  }
  return std::chrono::milliseconds(n * ms_per);
}

namespace {

// 128 bits from the kernel CSPRNG, base64url without padding (22 characters): a scroll id is
// the only thing standing between a client and another client's result pages, so it must not
// be guessable from ids seen before.
Result<std::string> RandomScrollId() {
  std::string bytes(16, '\0');
  Status st = FillRandom(bytes.data(), bytes.size());
  if (!st.ok()) return Status::Unavailable("cannot draw a random scroll id: " + st.message());
  return Base64UrlEncode(bytes);
}

}  // namespace

void ScrollStore::ExpireLocked() {
  auto now = Clock::now();
  for (auto it = contexts_.begin(); it != contexts_.end();) {
    it = it->second.expires < now ? contexts_.erase(it) : std::next(it);
  }
}

Result<std::string> ScrollStore::Add(ScrollContext context) {
  std::lock_guard<std::mutex> lock(mu_);
  ExpireLocked();
  if (contexts_.size() >= kMaxContexts) {
    return Status::ResourceExhausted(
               "Trying to create too many scroll contexts. Must be less "
               "than or equal to: [" +
               std::to_string(kMaxContexts) +
               "]. Clear scroll contexts with DELETE /_search/scroll.")
        .WithKind(ErrorKind::kTooManyScrolls);
  }
  LOOKALIKE_ASSIGN_OR_RETURN(std::string id, RandomScrollId());
  if (!contexts_.emplace(id, std::move(context)).second) {
    return Status::Unavailable("scroll id collision; retry");  // 2^-128: a broken RNG
  }
  return id;
}

std::optional<ScrollContext> ScrollStore::Take(const std::string& id, std::string_view owner) {
  std::lock_guard<std::mutex> lock(mu_);
  ExpireLocked();
  auto it = contexts_.find(id);
  if (it == contexts_.end() || it->second.owner != owner) return std::nullopt;
  ScrollContext c = std::move(it->second);
  contexts_.erase(it);
  return c;
}

void ScrollStore::Put(const std::string& id, ScrollContext context) {
  std::lock_guard<std::mutex> lock(mu_);
  contexts_[id] = std::move(context);
}

size_t ScrollStore::Clear(const std::vector<std::string>& ids, std::string_view owner) {
  std::lock_guard<std::mutex> lock(mu_);
  size_t freed = 0;
  for (const std::string& id : ids) {
    if (id == "_all") {
      freed += std::erase_if(contexts_, [&](const auto& entry) { return entry.second.owner == owner; });
    } else if (auto it = contexts_.find(id); it != contexts_.end() && it->second.owner == owner) {
      contexts_.erase(it);
      ++freed;
    }
  }
  return freed;
}

namespace {

// Whom a scroll belongs to: the authenticated caller, "" when security is off.
std::string_view CallerId(const RestRequest& req) {
  return req.caller != nullptr ? std::string_view(req.caller->id) : std::string_view();
}

Status ContextMissing(const std::string& id) {
  return Status::NotFound("No search context found for id [" + id + "]")
      .WithKind(ErrorKind::kScrollMissing);
}

// Runs one page of `c` and remembers its last hit's sort values (typed, from the engine's
// result: nothing is parsed back or written as text); returns the response with "_scroll_id"
// first. In cluster mode the coordinator runs the page and advances each shard's position.
Result<std::string> NextPage(RestContext& ctx, const RestRequest& req, const std::string& id,
                             ScrollContext* c,
                             std::optional<SearchResult::Embedding> embedding = std::nullopt) {
  std::string scroll_id = "\"_scroll_id\":";
  AppendJsonString(&scroll_id, id);
  if (c->coordinated) {
    LOOKALIKE_ASSIGN_OR_RETURN(cluster::ScatterCall call, ScatterCallOf(req));
    std::vector<ShardFailure> failures;
    LOOKALIKE_ASSIGN_OR_RETURN(
        SearchResult result,
        ctx.coordinator->ScrollPage(c->index.empty() ? std::string_view("_all") : c->index,
                                    c->request, &c->cursor, call, &failures));
    result.embedding = std::move(embedding);
    SetFailureTypes(&failures);
    return es::RenderClusterSearchResponse(result, failures, scroll_id);
  }
  LOOKALIKE_ASSIGN_OR_RETURN(SearchResult result, ctx.engine->Search(c->index, c->request));
  if (!result.hits.empty() && !result.hits.back().sort.empty()) {
    c->request.search_after = result.hits.back().sort;  // still rendered below
  }
  return es::RenderSearchResponse(result, scroll_id);
}

// The body of a scroll request as an object; nullopt when there is no body or it holds another
// JSON value (ignored, as before). A default-constructed dom::element refers to no document and
// must never be read, so "no body" is this optional, not an unset element.
using OptionalBody = std::optional<simdjson::dom::object>;

Result<OptionalBody> ParseScrollBody(const RestRequest& req, simdjson::dom::parser* parser) {
  if (req.body().empty()) return OptionalBody();
  simdjson::dom::element root;
  if (parser->parse(req.body()).get(root) != simdjson::SUCCESS) {
    return Status::InvalidArgument("request body is not JSON")
        .WithKind(ErrorKind::kMalformedRequest);
  }
  simdjson::dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) return OptionalBody();
  return OptionalBody(object);
}

// A string member of the body, if there is one.
std::optional<std::string> BodyString(const OptionalBody& body, std::string_view key) {
  std::string_view v;
  if (body && (*body)[key].get_string().get(v) == simdjson::SUCCESS) return std::string(v);
  return std::nullopt;
}

std::string KeepAliveOf(const RestRequest& req, const OptionalBody& body) {
  if (const std::string* s = req.Param("scroll")) return *s;
  return BodyString(body, "scroll").value_or("5m");
}

}  // namespace

Result<std::string> StartScroll(RestContext& ctx, const RestRequest& req,
                                std::string_view keep_alive) {
  LOOKALIKE_ASSIGN_OR_RETURN(auto ttl, ParseKeepAlive(keep_alive));
  es::SearchParseOptions parse;
  parse.max_clause_count = ctx.engine->MaxClauseCount();
  parse.scroll = true;  // the body's "scroll" and "search_after" are not the search's
  LOOKALIKE_ASSIGN_OR_RETURN(SearchRequest request,
                             es::ParseSearchRequest(req.body(), req.http.query, parse));
  LOOKALIKE_RETURN_IF_ERROR(AuthorizeLookups(req, request));
  if (request.from > 0) {
    return Status::InvalidArgument("using [from] is not allowed in a scroll context")
        .WithKind(ErrorKind::kInvalidValue);
  }
  // Scrolls without a sort go in index order, Elasticsearch's recommended scroll sort.
  if (request.sort.empty()) request.sort.push_back(SortKey::Of("_doc"));
  ScrollContext c;
  c.index = std::string(IndexParam(req));
  std::optional<SearchResult::Embedding> embedding;
  if (Coordinated(ctx, c.index)) {
    // Examples are resolved and images embedded once for the whole scroll.
    LOOKALIKE_ASSIGN_OR_RETURN(cluster::ScatterCall call, ScatterCallOf(req));
    LOOKALIKE_ASSIGN_OR_RETURN(
        request, ctx.coordinator->Prepare(c.index.empty() ? std::string_view("_all") : c.index,
                                          request, call, &embedding));
    c.coordinated = true;
  }
  c.request = std::move(request);
  c.expires = Clock::now() + ttl;
  c.owner = std::string(CallerId(req));
  ScrollContext placeholder;  // holds the id until the first page is done; no client knows it
  placeholder.expires = c.expires;
  placeholder.owner = c.owner;
  LOOKALIKE_ASSIGN_OR_RETURN(std::string id, ctx.scrolls.Add(std::move(placeholder)));
  auto page = NextPage(ctx, req, id, &c, std::move(embedding));
  if (!page.ok()) {
    ctx.scrolls.Clear({id}, c.owner);
    return page.status();
  }
  ctx.scrolls.Put(id, std::move(c));
  return page;
}

void RegisterScrollHandlers(Router& router, RestContext& ctx) {
  auto next = [&ctx](const RestRequest& req, HttpResponse* resp) {
    simdjson::dom::parser parser;
    auto body = ParseScrollBody(req, &parser);
    if (!body.ok()) return ReplyError(body.status(), resp);
    std::string id(req.PathParam("scroll_id"));
    if (const std::string* p = req.Param("scroll_id")) id = *p;
    if (id.empty()) id = BodyString(*body, "scroll_id").value_or("");
    if (id.empty()) {
      return ReplyError(Status::InvalidArgument("Validation Failed: 1: scrollId is missing;")
                            .WithKind(ErrorKind::kRequestValidation),
                        resp);
    }
    auto ttl = ParseKeepAlive(KeepAliveOf(req, *body));
    if (!ttl.ok()) return ReplyError(ttl.status(), resp);
    std::optional<ScrollContext> c = ctx.scrolls.Take(id, CallerId(req));
    if (!c) return ReplyError(ContextMissing(id), resp);
    c->expires = Clock::now() + *ttl;
    auto page = NextPage(ctx, req, id, &*c);
    if (page.ok()) ctx.scrolls.Put(id, std::move(*c));  // a failed page ends the scroll
    Reply(page, resp);
  };
  router.Add("GET,POST", "/_search/scroll", next);
  router.Add("GET,POST", "/_search/scroll/{scroll_id}", next);

  auto clear = [&ctx](const RestRequest& req, HttpResponse* resp) {
    std::vector<std::string> ids;
    if (!req.PathParam("scroll_id").empty()) ids.emplace_back(req.PathParam("scroll_id"));
    simdjson::dom::parser parser;
    simdjson::dom::element body;
    if (!req.body().empty()) {
      if (parser.parse(req.body()).get(body) != simdjson::SUCCESS || !body.is_object()) {
        return ReplyError(Status::InvalidArgument("request body is not a JSON object")
                              .WithKind(ErrorKind::kMalformedRequest),
                          resp);
      }
      simdjson::dom::element list;
      std::string_view v;
      if (body["scroll_id"].get(list) == simdjson::SUCCESS) {
        if (list.get_string().get(v) == simdjson::SUCCESS) {
          ids.emplace_back(v);
        } else if (simdjson::dom::array arr; list.get_array().get(arr) == simdjson::SUCCESS) {
          for (simdjson::dom::element e : arr) {
            if (e.get_string().get(v) == simdjson::SUCCESS) ids.emplace_back(v);
          }
        }
      }
    }
    size_t freed = ctx.scrolls.Clear(ids, CallerId(req));
    JsonWriter w;
    w.BeginObject().Key("succeeded").Bool(true).Key("num_freed").Int(int64_t(freed)).EndObject();
    resp->status = freed > 0 || ids.empty() ? 200 : 404;
    resp->body = w.Take();
  };
  router.Add("DELETE", "/_search/scroll", clear);
  router.Add("DELETE", "/_search/scroll/{scroll_id}", clear);
}

}  // namespace lookalike::server
