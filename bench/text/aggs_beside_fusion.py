"""Usage: /usr/bin/python3 bench/text/aggs_beside_fusion.py build/lookalike

Cost of aggregations beside an rrf retriever / hybrid query: ms per search with and without
a terms aggregation (the extra union search), 20k docs, 64-d vectors, one node."""
import json, os, random, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "integration", "server"))
from lk_server import Server
random.seed(1)
N, D, Q = 20000, 64, 150
WORDS = ["red", "blue", "shoe", "hat", "bag", "green", "coat", "boot"]
s = Server(sys.argv[1]).start()
try:
    s.json("PUT", "/b", {"settings": {"index": {"knn": True, "number_of_replicas": 0}},
        "mappings": {"properties": {"t": {"type": "text"}, "cat": {"type": "keyword"},
        "v": {"type": "knn_vector", "dimension": D, "method": {"name": "hnsw", "space_type": "l2"}}}}})
    for start in range(0, N, 2000):
        lines = []
        for i in range(start, start + 2000):
            lines.append(json.dumps({"index": {"_id": str(i)}}))
            lines.append(json.dumps({"t": " ".join(random.choice(WORDS) for _ in range(4)),
                "cat": "c%d" % (i % 50), "v": [random.gauss(0, 1) for _ in range(D)]}))
        s.request("POST", "/b/_bulk?refresh=true", "\n".join(lines) + "\n",
                  {"Content-Type": "application/x-ndjson"})
    def body(aggs, kind):
        vec = [random.gauss(0, 1) for _ in range(D)]
        word = random.choice(WORDS)
        if kind == "rrf":
            b = {"size": 10, "retriever": {"rrf": {"rank_window_size": 50, "retrievers": [
                {"standard": {"query": {"match": {"t": word}}}},
                {"knn": {"field": "v", "query_vector": vec, "k": 50, "num_candidates": 100}}]}}}
        else:
            b = {"size": 10, "query": {"hybrid": {"queries": [{"match": {"t": word}},
                {"knn": {"v": {"vector": vec, "k": 50}}}]}}}
        if aggs:
            b["aggs"] = {"c": {"terms": {"field": "cat", "size": 10}}}
        return b
    for kind in ("rrf", "hybrid"):
        res = {}
        for aggs in (False, True, False, True):
            t0 = time.perf_counter()
            for _ in range(Q):
                st, r = s.json("POST", "/b/_search", body(aggs, kind))
                assert st == 200, r
            res.setdefault(aggs, []).append((time.perf_counter() - t0) / Q * 1000)
        a, b = min(res[False]), min(res[True])
        print("%s: %.2f ms without aggs, %.2f ms with terms aggs, ratio %.2f" % (kind, a, b, b / a))
finally:
    s.stop(); s.cleanup()
