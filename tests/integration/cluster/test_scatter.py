"""The cluster read path without etcd (issue 9, item 4): three single-node servers each hold one
third of a data set in indices named like shard copies ("docs~<shard>~<uuid>"); a fourth serves
with `--static-shards FILE` and coordinates. Its answers must equal those of one node holding
every document (exact-search "flat" vectors, unique sort keys, integer values), and losing a
shard must show in `_shards` (or be a 503 with allow_partial_search_results=false).

Run: python3 tests/integration/cluster/test_scatter.py --binary build/lookalike
"""
import json
import os
import random
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "server"))
from lk_server import Server, check, run_main, add_user, basic_auth  # noqa: E402

SHARDS = 3
UUID = "u1"
DOCS = 600
DIM = 8
CATEGORIES = ["shoes", "hats", "bags", "coats"]
MAPPING = {
    "settings": {"index.knn": True},
    "mappings": {"properties": {
        "fvec": {"type": "knn_vector", "dimension": DIM,
                 "method": {"name": "flat", "space_type": "l2"}},
        "category": {"type": "keyword"},
        "price": {"type": "integer"},
        "num": {"type": "integer"},
        "title": {"type": "text"}}}}


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
                     "num": i, "title": "item %s %s" % (CATEGORIES[i % 4], "red" if i % 3 else "blue")})
    return docs


def load(server, index, docs):
    status, body = server.json("PUT", "/" + index, MAPPING)
    check(status == 200, "create %s: %s %s" % (index, status, body))
    lines = []
    for d in docs:
        src = {k: v for k, v in d.items() if k != "_id"}
        lines.append(json.dumps({"index": {"_index": index, "_id": d["_id"]}}))
        lines.append(json.dumps(src))
    status, data = server.request("POST", "/_bulk?refresh=true", "\n".join(lines) + "\n",
                                  headers={"Content-Type": "application/x-ndjson"})
    check(status == 200 and not json.loads(data)["errors"], "bulk into %s: %s" % (index, data[:300]))


def hits_of(body):
    return [(h["_id"], h.get("_score"), h.get("sort"), h.get("_source"), h["_index"])
            for h in body["hits"]["hits"]]


def same_search(coord, ref, body, what, compare_total=True):
    s1, got = coord.json("POST", "/docs/_search", body)
    s2, want = ref.json("POST", "/docs/_search", body)
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
          [(d["_id"], True, {k: v for k, v in d.items() if k != "_id"}) for d in docs[:6]] +
          [("nope", False, None)], "mget: %s" % m1)
    status, body = coord.json("POST", "/docs/_search?scroll=1m", {"size": 5})
    check(status == 400, "scroll in cluster mode: %s %s" % (status, body))


def check_lost_shard(coord, shard_nodes, docs):
    lost = 2
    shard_nodes[lost].kill9()
    lost_ids = {d["_id"] for d in docs if shard_of(d["_id"]) == lost}
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
    check(body["hits"]["total"]["value"] == DOCS - len(lost_ids), "partial total %s" % body["hits"]["total"])
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
    check(status == 200 and body["count"] == DOCS - len(lost_ids) and body["_shards"]["failed"] == 1,
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
    shard_nodes = []
    coord = None
    try:
        for s in range(SHARDS):
            shard_nodes.append(Server(binary, extra_args=["--node-name", "n%d" % s]).start())
        ref = shard_nodes[0]  # also holds the whole data set as "docs": the single-node answer
        load(ref, "docs", docs)
        for s in range(SHARDS):
            part = [d for d in docs if shard_of(d["_id"]) == s]
            check(part, "shard %d has documents" % s)
            load(shard_nodes[s], "docs~%d~%s" % (s, UUID), part)
        shard_map = {"indices": [{"index": "docs", "uuid": UUID, "number_of_shards": SHARDS,
                                  "shards": [{"shard": s, "copies": [
                                      {"node": "n%d" % s, "http": "127.0.0.1:%d" % shard_nodes[s].port,
                                       "primary": True}]} for s in range(SHARDS)]}]}
        fd, map_path = tempfile.mkstemp(suffix=".json")
        with os.fdopen(fd, "w") as f:
            json.dump(shard_map, f)
        coord = Server(binary, extra_args=["--node-name", "coordinator", "--static-shards", map_path])
        coord.start()
        check_equal_answers(coord, ref, docs)
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
