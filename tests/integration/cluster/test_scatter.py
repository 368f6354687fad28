"""The cluster read path without etcd (issue 9, item 4): three single-node servers each hold one
third of a data set in indices named like shard copies ("docs~<shard>~<uuid>"); a fourth serves
with `--static-shards FILE` and coordinates. Its answers must equal those of one node holding
every document (exact-search "flat" vectors, unique sort keys, integer values), and losing a
shard must show in `_shards` (or be a 503 with allow_partial_search_results=false).

Run: python3 tests/integration/cluster/test_scatter.py --binary build/lookalike [--models DIR]
"""
import base64
import json
import os
import random
import struct
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "server"))
from lk_server import Server, check, run_main, add_user, basic_auth  # noqa: E402

SHARDS = 3
UUID = "u1"
DOCS = 600
DIM = 8
CATEGORIES = ["shoes", "hats", "bags", "coats"]
ROUTED_ID, ROUTING = "routed-1", "key-7"
MAPPING = {
    "settings": {"index.knn": True},
    "mappings": {"properties": {
        "fvec": {"type": "knn_vector", "dimension": DIM,
                 "method": {"name": "flat", "space_type": "l2"}},
        "category": {"type": "keyword"},
        "price": {"type": "integer"},
        "num": {"type": "integer"},
        "title": {"type": "text"},
        "crops": {"type": "nested", "properties": {
            "emb": {"type": "knn_vector", "dimension": 4,
                    "method": {"name": "flat", "space_type": "l2"}},
            "tag": {"type": "keyword"}}}}}}


def murmur3_32(data, seed=0):
    """murmur3_x86_32, as src/cluster/routing.cc (the shard of a document)."""
    c1, c2 = 0xcc9e2d51, 0x1b873593
    h = seed
    n = len(data) // 4 * 4
    for i in range(0, n, 4):
        k = int.from_bytes(data[i:i + 4], "little")
        k = (k * c1) & 0xffffffff
        k = ((k << 15) | (k >> 17)) & 0xffffffff
        k = (k * c2) & 0xffffffff
        h ^= k
        h = ((h << 13) | (h >> 19)) & 0xffffffff
        h = (h * 5 + 0xe6546b64) & 0xffffffff
    k = 0
    tail = data[n:]
    if len(tail) >= 3:
        k ^= tail[2] << 16
    if len(tail) >= 2:
        k ^= tail[1] << 8
    if len(tail) >= 1:
        k ^= tail[0]
        k = (k * c1) & 0xffffffff
        k = ((k << 15) | (k >> 17)) & 0xffffffff
        k = (k * c2) & 0xffffffff
        h ^= k
    h ^= len(data)
    h ^= h >> 16
    h = (h * 0x85ebca6b) & 0xffffffff
    h ^= h >> 13
    h = (h * 0xc2b2ae35) & 0xffffffff
    h ^= h >> 16
    return h


def shard_of(doc_id):
    h = murmur3_32(doc_id.encode())
    if h >= 1 << 31:
        h -= 1 << 32
    return h % SHARDS  # Python's % is floorMod


def make_docs():
    rng = random.Random(7)
    docs = []
    for i in range(DOCS):
        docs.append({"_id": "d%04d" % i, "fvec": [round(rng.uniform(-1, 1), 4) for _ in range(DIM)],
                     "category": CATEGORIES[i % len(CATEGORIES)], "price": rng.randint(0, 50),
                     "num": i, "title": "item %s %s" % (CATEGORIES[i % 4], "red" if i % 3 else "blue"),
                     # Nested vectors (1..3 per document; every fifth has an object without one
                     # first, so offsets and ordinals differ).
                     "crops": ([{"tag": "none"}] if i % 5 == 0 else []) + [
                         {"tag": "t%d" % j, "emb": [round(rng.uniform(-1, 1), 4) for _ in range(4)]}
                         for j in range(1 + i % 3)]})
    # Written with its own routing: it lives on the shard ROUTING routes to, not on its id's.
    docs.append({"_id": ROUTED_ID, "_routing": ROUTING, "fvec": [0.5] * DIM, "category": "hats",
                 "price": 7, "num": DOCS, "title": "item routed"})
    return docs


def home_shard(doc):
    return shard_of(doc.get("_routing", doc["_id"]))


def user_source(doc):
    return {k: v for k, v in doc.items() if not k.startswith("_")}


def load(server, index, docs, mapping=MAPPING):
    status, body = server.json("PUT", "/" + index, mapping)
    check(status == 200, "create %s: %s %s" % (index, status, body))
    lines = []
    for d in docs:
        lines.append(json.dumps({"index": {"_index": index, "_id": d["_id"]}}))
        lines.append(json.dumps(user_source(d)))
    status, data = server.request("POST", "/_bulk?refresh=true", "\n".join(lines) + "\n",
                                  headers={"Content-Type": "application/x-ndjson"})
    check(status == 200 and not json.loads(data)["errors"], "bulk into %s: %s" % (index, data[:300]))


def hits_of(body):
    return [(h["_id"], h.get("_score"), h.get("sort"), h.get("_source"), h["_index"])
            for h in body["hits"]["hits"]]


def same_search(coord, ref, body, what, compare_total=True, index="docs"):
    s1, got = coord.json("POST", "/%s/_search" % index, body)
    s2, want = ref.json("POST", "/%s/_search" % index, body)
    check(s1 == 200 and s2 == 200, "%s: statuses %s %s: %s %s" % (what, s1, s2, got, want))
    check(hits_of(got) == hits_of(want), "%s: hits differ:\n%s\n%s" % (what, hits_of(got), hits_of(want)))
    if compare_total:
        check(got["hits"]["total"] == want["hits"]["total"], "%s: totals %s %s" % (
            what, got["hits"]["total"], want["hits"]["total"]))
    check(got.get("aggregations") == want.get("aggregations"), "%s: aggs %s %s" % (
        what, got.get("aggregations"), want.get("aggregations")))
    check(got["_shards"]["total"] == SHARDS and got["_shards"]["failed"] == 0,
          "%s: _shards %s" % (what, got["_shards"]))
    return got


def check_equal_answers(coord, ref, docs):
    rng = random.Random(11)
    for n in range(5):
        q = [round(rng.uniform(-1, 1), 4) for _ in range(DIM)]
        same_search(coord, ref, {"size": 10, "query": {"knn": {"fvec": {"vector": q, "k": 10}}}},
                    "knn %d" % n, compare_total=False)  # totals: k per shard (search_merge.h)
        same_search(coord, ref, {"size": 5, "knn": {"field": "fvec", "query_vector": q, "k": 5,
                                                     "num_candidates": 50}},
                    "es knn %d" % n, compare_total=False)
        same_search(coord, ref, {"size": 8, "query": {"knn": {"fvec": {
            "vector": q, "k": 8, "filter": {"term": {"category": "hats"}}}}}},
            "filtered knn %d" % n, compare_total=False)
    sort = [{"price": "desc"}, {"num": "asc"}]
    bool_query = {"bool": {"must": [{"match": {"title": "red"}}],
                           "filter": [{"range": {"price": {"gte": 10}}}]}}
    page = same_search(coord, ref, {"query": bool_query, "sort": sort, "from": 5, "size": 7},
                       "bool with sort, from/size")
    after = page["hits"]["hits"][-1]["sort"]
    same_search(coord, ref, {"query": bool_query, "sort": sort, "size": 9, "search_after": after},
                "search_after")
    # Text relevance (BM25) uses each shard's own term statistics, as in Elasticsearch's
    # query_then_fetch, so text scores are compared in a field order only.
    same_search(coord, ref, {"query": {"match": {"title": "blue"}}, "size": 12,
                             "sort": [{"num": "desc"}]}, "match sorted")
    same_search(coord, ref, {"size": 0, "track_total_hits": True, "aggs": {
        "cats": {"terms": {"field": "category", "size": 3}},
        "mean": {"avg": {"field": "price"}}, "top": {"max": {"field": "price"}}}}, "aggregations")
    # collapse.inner_hits: the coordinator's second round over the page's groups gives each
    # group the members one node finds (keyword and integer groups, inner sort, from/size).
    for body in [
        {"size": 3, "sort": [{"num": "asc"}], "collapse": {"field": "category", "inner_hits": [
            {"name": "cheap", "size": 4, "sort": [{"price": "asc"}, {"num": "asc"}]},
            {"name": "late", "from": 2, "size": 3, "sort": [{"num": "desc"}], "_source": ["num"]}]}},
        {"size": 4, "query": {"range": {"price": {"gte": 20}}}, "sort": [{"num": "desc"}],
         "collapse": {"field": "price", "inner_hits": {"name": "n", "size": 5,
                                                       "sort": [{"num": "asc"}]}}},
    ]:
        got = same_search(coord, ref, body, "collapse inner_hits")
        _, want = ref.json("POST", "/docs/_search", body)
        inner = [h.get("inner_hits") for h in got["hits"]["hits"]]
        check(inner == [h.get("inner_hits") for h in want["hits"]["hits"]] and all(inner),
              "collapse inner_hits differ:\n%s\n%s" % (inner, [h.get("inner_hits") for h in
                                                               want["hits"]["hits"]]))
    check_nested_inner_hits(coord, ref)
    for body in [{}, {"query": {"term": {"category": "bags"}}}]:
        s1, c1 = coord.json("POST", "/docs/_count", body)
        s2, c2 = ref.json("POST", "/docs/_count", body)
        check(s1 == 200 and c1["count"] == c2["count"], "count %s: %s %s" % (body, c1, c2))
    for d in docs[:20]:
        s1, g1 = coord.json("GET", "/docs/_doc/" + d["_id"])
        s2, g2 = ref.json("GET", "/docs/_doc/" + d["_id"])
        check(s1 == 200 and (g1["_index"], g1["_id"], g1["found"], g1["_source"]) ==
              (g2["_index"], g2["_id"], g2["found"], g2["_source"]), "GET %s: %s %s" % (d["_id"], g1, g2))
    s1, g1 = coord.json("GET", "/docs/_doc/nope")
    check(s1 == 404 and g1["found"] is False, "GET missing: %s %s" % (s1, g1))
    ids = [d["_id"] for d in docs[:6]] + ["nope"]
    s1, m1 = coord.json("POST", "/docs/_mget", {"ids": ids})
    check(s1 == 200 and [(x["_id"], x["found"], x.get("_source")) for x in m1["docs"]] ==
          [(d["_id"], True, user_source(d)) for d in docs[:6]] +
          [("nope", False, None)], "mget: %s" % m1)
    check_routing(coord)
    check_scroll(coord, ref, docs)
    check_vector_builders(coord, ref)


def check_nested_inner_hits(coord, ref):
    """Nested knn inner_hits cross the wire (each shard fills its own documents'): the same
    offsets, scores and nested sources as one node, in both dialects and with expand."""
    rng = random.Random(13)
    for n in range(3):
        q = [round(rng.uniform(-1, 1), 4) for _ in range(4)]
        for body in [
            {"size": 6, "_source": False, "knn": {
                "field": "crops.emb", "query_vector": q, "k": 6, "num_candidates": 60,
                "inner_hits": {"size": 2, "_source": ["crops.tag"], "fields": ["crops.tag"]}}},
            {"size": 6, "_source": False, "query": {"nested": {
                "path": "crops", "inner_hits": {"name": "best"},
                "query": {"knn": {"crops.emb": {"vector": q, "k": 6}}}}}},
            # score_mode max: with avg each shard picks its k documents by their best vector
            # and the coordinator keeps the best averages, which is not one node's choice (as
            # in OpenSearch with several shards).
            {"size": 6, "_source": False, "query": {"nested": {
                "path": "crops", "inner_hits": {"_source": False}, "score_mode": "max",
                "query": {"knn": {"crops.emb": {"vector": q, "k": 6,
                                                "expand_nested_docs": True}}}}}},
        ]:
            got = same_search(coord, ref, body, "nested inner_hits %d" % n, compare_total=False)
            _, want = ref.json("POST", "/docs/_search", body)
            inner = [h.get("inner_hits") for h in got["hits"]["hits"]]
            check(inner == [h.get("inner_hits") for h in want["hits"]["hits"]] and all(inner),
                  "nested inner_hits differ:\n%s\n%s" % (
                      inner, [h.get("inner_hits") for h in want["hits"]["hits"]]))
            check(all(m["_nested"]["field"] == "crops" and m["_index"] == "docs"
                      for i in inner for e in i.values() for m in e["hits"]["hits"]), inner)


def check_routing(coord):
    """GET and _mget entries with their own routing read the shard it routes to."""
    status, body = coord.json("GET", "/docs/_doc/%s?routing=%s" % (ROUTED_ID, ROUTING))
    check(status == 200 and body["found"], "GET with routing: %s %s" % (status, body))
    status, body = coord.json("GET", "/docs/_doc/" + ROUTED_ID)
    check(status == 404, "GET of a routed document by its id alone: %s %s" % (status, body))
    status, body = coord.json("POST", "/_mget", {"docs": [
        {"_index": "docs", "_id": ROUTED_ID, "routing": ROUTING},
        {"_index": "docs", "_id": ROUTED_ID},
        {"_index": "docs", "_id": "d0005", "_source": ["num"]}]})
    check(status == 200 and [d["found"] for d in body["docs"]] == [True, False, True] and
          body["docs"][0]["_source"]["title"] == "item routed" and
          body["docs"][2]["_source"] == {"num": 5}, "_mget with routing: %s" % body)
    status, body = coord.json("POST", "/docs/_mget?routing=" + ROUTING, {"ids": [ROUTED_ID]})
    check(status == 200 and body["docs"][0]["found"], "_mget with ?routing: %s" % body)
    status, body = coord.json("POST", "/_mget", {"docs": [
        {"_index": "docs", "_id": "x", "routing": {"not": "a string"}}]})
    check(status == 400, "_mget with a bad routing: %s %s" % (status, body))


def scroll_pages(server, body):
    """Every page of a scroll of /docs, as lists of ids; the scroll is cleared at the end."""
    status, page = server.json("POST", "/docs/_search?scroll=1m", body)
    check(status == 200 and "_scroll_id" in page, "scroll start: %s %s" % (status, page))
    pages = []
    scroll_id = page["_scroll_id"]
    while page["hits"]["hits"]:
        pages.append([h["_id"] for h in page["hits"]["hits"]])
        check(len(pages) < 100, "scroll does not end")
        status, page = server.json("POST", "/_search/scroll", {"scroll_id": scroll_id,
                                                              "scroll": "1m"})
        check(status == 200 and page["_shards"]["failed"] == 0, "scroll page: %s %s" % (
            status, page))
    status, cleared = server.json("DELETE", "/_search/scroll", {"scroll_id": [scroll_id]})
    check(status == 200 and cleared["num_freed"] == 1, "clear scroll: %s %s" % (status, cleared))
    status, _ = server.json("POST", "/_search/scroll", {"scroll_id": scroll_id})
    check(status == 404, "cleared scroll still answers: %s" % status)
    return pages


def check_scroll(coord, ref, docs):
    """Scroll through the coordinator: the coordinator keeps each shard's position, so a sorted
    scroll gives one node's pages, and the default (_doc) order gives every document once."""
    for body in [{"size": 37, "sort": [{"num": "desc"}]},
                 {"size": 20, "query": {"term": {"category": "hats"}},
                  "sort": [{"price": "asc"}, {"num": "asc"}]}]:
        got, want = scroll_pages(coord, body), scroll_pages(ref, body)
        check(got == want, "scroll pages differ for %s:\n%s\n%s" % (body, got, want))
    pages = scroll_pages(coord, {"size": 50})
    seen = [i for p in pages for i in p]
    check(sorted(seen) == sorted(d["_id"] for d in docs) and all(len(p) == 50 for p in pages[:-1]),
          "a _doc scroll misses or repeats documents: %d of %d" % (len(set(seen)), len(docs)))


def same_error(coord, ref, body, what):
    s1, got = coord.json("POST", "/docs/_search", body)
    s2, want = ref.json("POST", "/docs/_search", body)
    check(s1 == s2 and s1 >= 400 and got["error"]["type"] == want["error"]["type"] and
          got["error"]["reason"] == want["error"]["reason"], "%s: %s %s / %s %s" % (
              what, s1, got, s2, want))


def check_vector_builders(coord, ref):
    """knn query_vector_builder through the coordinator: the examples' vectors come from the
    shards their routing (default: their id) routes to; the hits equal one node's."""
    def lookup(doc_id, **extra):
        spec = dict({"index": "docs", "id": doc_id, "path": "fvec"}, **extra)
        return {"size": 6, "knn": {"field": "fvec", "k": 6, "num_candidates": 60,
                                   "query_vector_builder": {"lookup": spec}}}
    for doc_id in ["d0003", "d0100", "d0451"]:
        got = same_search(coord, ref, lookup(doc_id), "lookup %s" % doc_id, compare_total=False)
        check(got["hits"]["hits"][0]["_id"] == doc_id, "lookup %s: itself first" % doc_id)
    same_search(coord, ref, lookup(ROUTED_ID, routing=ROUTING), "lookup with routing",
                compare_total=False)
    recommend = {"size": 7, "knn": {"field": "fvec", "k": 7, "num_candidates": 70,
                                    "filter": {"term": {"category": "shoes"}},
                                    "query_vector_builder": {"recommend": {
                                        "index": "docs", "path": "fvec",
                                        "positive": ["d0004", "d0017", "d0222"],
                                        "negative": ["d0301"]}}}}
    got = same_search(coord, ref, recommend, "recommend", compare_total=False)
    check(not {"d0004", "d0017", "d0222", "d0301"} & {h["_id"] for h in got["hits"]["hits"]},
          "recommend shows its examples: %s" % got["hits"]["hits"])
    # The same errors as one node: a missing example, a path without a vector.
    same_error(coord, ref, lookup("nope"), "lookup of a missing document")
    same_error(coord, ref, lookup("d0001", path="price"), "lookup of a path without a vector")
    status, body = coord.json("POST", "/docs/_search", lookup(ROUTED_ID))
    check(status == 400 and "not found" in body["error"]["reason"],
          "a routed example looked up by its id alone is on another shard: %s %s" % (status, body))
    status, body = coord.json("POST", "/docs/_search", dict(lookup("d0001"), **{"knn": dict(
        lookup("d0001")["knn"], query_vector_builder={"lookup": {
            "index": "missing", "id": "d0001", "path": "fvec"}})}))
    check(status == 404 and body["error"]["type"] == "index_not_found_exception",
          "lookup in a missing index: %s %s" % (status, body))


IMG_UUID = "u2"
IMG_DIM = 384  # mobilenet_v2_b10, the model the vector field names
IMG_MAPPING = {"mappings": {"properties": {
    "emb": {"type": "knn_vector", "dimension": IMG_DIM, "model": "mobilenet_v2_b10",
            "method": {"name": "flat", "space_type": "cosinesimil"}},
    "num": {"type": "integer"}}}}


def png(width, height, seed):
    """A small random RGB PNG."""
    rng = random.Random(seed)
    rows = b"".join(b"\0" + bytes(rng.randrange(256) for _ in range(width * 3))
                    for _ in range(height))

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data)))
    return (b"\x89PNG\r\n\x1a\n" +
            chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def make_image_docs():
    rng = random.Random(5)
    return [{"_id": "i%03d" % i, "emb": [round(rng.uniform(0, 1), 4) for _ in range(IMG_DIM)],
             "num": i} for i in range(90)]


def check_images(coord, ref):
    """Neural (image) queries through the coordinator: it embeds the upload with its own model
    (the one the index's field names, read from a shard copy) and scatters a plain knn query to
    shards that have no models at all; the hits equal one node's."""
    image = png(48, 40, 3)
    query = {"size": 6, "_source": ["num"], "query": {"neural": {"emb": {
        "query_image": base64.b64encode(image).decode(), "k": 6}}}}
    got = same_search(coord, ref, query, "neural query", compare_total=False, index="imgs")
    check(got.get("model") == "mobilenet_v2_b10" and "embed_took" in got,
          "neural response: %s" % {k: v for k, v in got.items() if k != "hits"})
    in_bool = {"size": 4, "query": {"bool": {"must": [query["query"]],
                                             "filter": [{"range": {"num": {"gte": 30}}}]}}}
    same_search(coord, ref, in_bool, "neural query in a bool", compare_total=False, index="imgs")
    # A knn query counts its k hits on every shard (k per shard, as totals: search_merge.h).
    s1, c1 = coord.json("POST", "/imgs/_count", {"query": query["query"]})
    check(s1 == 200 and c1["count"] == SHARDS * 6, "neural count: %s %s" % (s1, c1))
    boundary = "lookalike-test-boundary"
    form = ("--%s\r\nContent-Disposition: form-data; name=\"k\"\r\n\r\n5\r\n--%s\r\n"
            "Content-Disposition: form-data; name=\"file\"; filename=\"q.png\"\r\n"
            "Content-Type: image/png\r\n\r\n" % (boundary, boundary)).encode()
    form += image + ("\r\n--%s--\r\n" % boundary).encode()
    headers = {"Content-Type": "multipart/form-data; boundary=" + boundary}
    answers = []
    for server in (coord, ref):
        status, data = server.request("POST", "/imgs/_search/image", form, headers=headers)
        check(status == 200, "_search/image: %s %s" % (status, data[:300]))
        answers.append(json.loads(data))
    check(hits_of(answers[0]) == hits_of(answers[1]), "_search/image hits differ: %s %s" % (
        hits_of(answers[0]), hits_of(answers[1])))
    check(all("emb" not in h["_source"] for h in answers[0]["hits"]["hits"]),
          "_search/image shows the searched vector")
    status, body = coord.json("POST", "/imgs/_search", {"query": {"neural": {"emb": {
        "query_image": "%%% not base64"}}}})
    check(status == 400, "bad neural image: %s %s" % (status, body))
    # A field that is not a vector: the same error as one node (the user's index name).
    not_vector = {"query": {"neural": {"num": {"query_image": query["query"]["neural"]["emb"][
        "query_image"]}}}}
    s1, got = coord.json("POST", "/imgs/_search", not_vector)
    s2, want = ref.json("POST", "/imgs/_search", not_vector)
    check(s1 == s2 == 400 and got["error"]["reason"] == want["error"]["reason"],
          "neural on a non-vector field: %s %s / %s %s" % (s1, got, s2, want))


def check_lost_shard(coord, shard_nodes, docs):
    lost = 2
    shard_nodes[lost].kill9()
    lost_ids = {d["_id"] for d in docs if home_shard(d) == lost}
    status, body = coord.json("POST", "/docs/_search", {"size": 50, "sort": [{"num": "asc"}]})
    check(status == 200, "partial search: %s %s" % (status, body))
    shards = body["_shards"]
    check(shards["total"] == SHARDS and shards["failed"] == 1 and shards["successful"] == 2,
          "partial _shards: %s" % shards)
    failure = shards["failures"][0]
    check(failure["shard"] == lost and failure["index"] == "docs" and failure["node"] == "n%d" % lost
          and failure["reason"]["type"] and failure["reason"]["reason"], "failure entry: %s" % failure)
    got = [h["_id"] for h in body["hits"]["hits"]]
    want = sorted((d for d in docs if d["_id"] not in lost_ids), key=lambda d: d["num"])[:50]
    check(got == [d["_id"] for d in want], "partial hits: %s" % got)
    check(body["hits"]["total"]["value"] == len(docs) - len(lost_ids), "partial total %s" % body["hits"]["total"])
    status, body = coord.json("POST", "/docs/_search?allow_partial_search_results=false", {})
    # Elasticsearch's answer: 503 search_phase_execution_exception, the lost shard in
    # failed_shards.
    error = body.get("error", {})
    check(status == 503 and error.get("type") == "search_phase_execution_exception" and
          error.get("reason") == "Partial shards failure" and error.get("phase") == "query" and
          [(f["index"], f["shard"], f["node"]) for f in error.get("failed_shards", [])] ==
          [("docs", lost, "n%d" % lost)] and error["root_cause"][0]["type"],
          "strict search: %s %s" % (status, body))
    status, body = coord.json("POST", "/docs/_count?allow_partial_search_results=false", {})
    check(status == 503 and body["error"]["type"] == "search_phase_execution_exception",
          "strict count: %s %s" % (status, body))
    status, body = coord.json("POST", "/docs/_count", {})
    check(status == 200 and body["count"] == len(docs) - len(lost_ids) and body["_shards"]["failed"] == 1,
          "partial count: %s" % body)
    lost_id = sorted(lost_ids)[0]
    status, body = coord.json("GET", "/docs/_doc/" + lost_id)
    check(status == 503, "GET on the lost shard: %s %s" % (status, body))


def check_shard_endpoint_security(binary):
    """With security on, the shard endpoint needs the caller's credentials (read on the user's
    index, the name before '~'): anonymous is 401, a user without read on it 403."""
    with Server(binary, secure=True).start() as node:
        status, _ = node.request("PUT", "/docs~0~u1", MAPPING)
        check(status == 200, "create shard copy: %s" % status)
        path = "/_internal/shards/docs~0~u1/_count"
        anonymous = Server.__new__(Server)
        anonymous.port, anonymous.auth = node.port, None
        status, body = anonymous.request("POST", path, b"x",
                                         headers={"Content-Type": "application/octet-stream"})
        check(status == 401, "anonymous shard call: %s %s" % (status, body[:200]))
        status, body = node.request("POST", path, b"not a count request",
                                    headers={"Content-Type": "application/octet-stream"})
        check(status == 400, "superuser, malformed body: %s %s" % (status, body[:200]))


def test(binary):
    docs = make_docs()
    image_docs = make_image_docs()
    models = sys.argv[sys.argv.index("--models") + 1] if "--models" in sys.argv else None
    with_models = ["--models", models] if models else []
    shard_nodes = []
    coord = None
    try:
        for s in range(SHARDS):
            # Only n0 (the single-node reference) has models: shards never embed.
            shard_nodes.append(Server(binary, extra_args=["--node-name", "n%d" % s] +
                                      (with_models if s == 0 else [])).start())
        ref = shard_nodes[0]  # also holds the whole data set as "docs": the single-node answer
        load(ref, "docs", docs)
        load(ref, "imgs", image_docs, IMG_MAPPING)
        for s in range(SHARDS):
            part = [d for d in docs if home_shard(d) == s]
            check(part, "shard %d has documents" % s)
            load(shard_nodes[s], "docs~%d~%s" % (s, UUID), part)
            load(shard_nodes[s], "imgs~%d~%s" % (s, IMG_UUID),
                 [d for d in image_docs if home_shard(d) == s], IMG_MAPPING)

        def routes(index, uuid):
            return {"index": index, "uuid": uuid, "number_of_shards": SHARDS,
                    "shards": [{"shard": s, "copies": [
                        {"node": "n%d" % s, "http": "127.0.0.1:%d" % shard_nodes[s].port,
                         "primary": True}]} for s in range(SHARDS)]}
        shard_map = {"indices": [routes("docs", UUID), routes("imgs", IMG_UUID)]}
        fd, map_path = tempfile.mkstemp(suffix=".json")
        with os.fdopen(fd, "w") as f:
            json.dump(shard_map, f)
        coord = Server(binary, extra_args=["--node-name", "coordinator", "--static-shards",
                                           map_path] + with_models)
        coord.start()
        check_equal_answers(coord, ref, docs)
        if models:
            check_images(coord, ref)
        else:
            print("no --models: image queries through the coordinator not checked")
        check_lost_shard(coord, shard_nodes, docs)
        os.remove(map_path)
    except Exception:
        for s in shard_nodes + ([coord] if coord else []):
            print(s.log())
        raise
    finally:
        for s in shard_nodes + ([coord] if coord else []):
            s.cleanup()
    check_shard_endpoint_security(binary)
    print("scatter/gather: OK")


if __name__ == "__main__":
    run_main(test)
