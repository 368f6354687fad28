#!/usr/bin/python3
"""python3-elasticsearch 7.17 (Debian) against `lookalike serve` (issue 3, item 6, first bullet).

Creates a knn_vector index like the OpenSearch reference setup, bulk-loads N vectors of 1,280
dims in batches of 200 with helpers.bulk, refreshes, searches with the knn query and
_source: False, and checks recall@10 >= 0.95 against numpy brute force; then filtered knn,
bool queries, get/update/delete, and that errors raise the client's own exception classes.
N defaults to 10,000 (LOOKALIKE_IT_N overrides).

With --secure the same run happens with security on, the client authenticating with its own
http_auth=(user, password); then an API key made with es.security.create_api_key is used
through api_key=(id, key), and the client's AuthenticationException / AuthorizationException
are checked.
"""
import os
import time
import warnings

import numpy as np
from elasticsearch import Elasticsearch, helpers
from elasticsearch import exceptions as es_exc

from lk_server import SECURE_USER, Server, check, run_main, secure_mode

warnings.simplefilter("ignore")  # the 7.17 client warns about 'body=' on every call

N = int(os.environ.get("LOOKALIKE_IT_N", "10000"))
DIM = 1280
K = 10
CATS = 10
INDEX = "images"


def make_data(rng):
    # Clustered data (like image embeddings) rather than uniform noise.
    centers = rng.standard_normal((64, DIM)).astype(np.float32)
    X = centers[rng.integers(0, 64, N)] + 0.6 * rng.standard_normal((N, DIM)).astype(np.float32)
    return np.round(X, 4).astype(np.float32)


def brute_force(X, q, k, allowed=None):
    d = ((X - q) ** 2).sum(axis=1)
    if allowed is not None:
        d = np.where(allowed, d, np.inf)
    return [str(i) for i in np.argsort(d, kind="stable")[:k]]


def check_api_keys_and_refusals(server, es):
    """--secure only: the client's API key and error classes for 401 and 403."""
    me = es.security.authenticate()
    check(me["username"] == SECURE_USER[0] and me["roles"] == ["superuser"], me)
    key = es.security.create_api_key(body={
        "name": "python-reader", "expiration": "1h",
        "role_descriptors": {"r": {"indices": [{"names": [INDEX], "privileges": ["read"]}]}}})
    reader = Elasticsearch([server.url], timeout=120, api_key=(key["id"], key["api_key"]))
    r = reader.search(index=INDEX, body={"size": 1, "query": {"match_all": {}}})
    check(r["hits"]["total"]["value"] > 0, r["hits"]["total"])
    try:
        reader.index(index=INDEX, id="by-reader", body={"n": 1})
        raise AssertionError("a read-only API key could write")
    except es_exc.AuthorizationException as e:
        check(e.status_code == 403 and e.error == "security_exception", e.info)
    anonymous = Elasticsearch([server.url], timeout=30)
    try:
        anonymous.search(index=INDEX, body={})
        raise AssertionError("no credentials, yet searched")
    except es_exc.AuthenticationException as e:
        check(e.status_code == 401, e.info)
    r = es.security.invalidate_api_key(body={"ids": [key["id"]]})
    check(r["invalidated_api_keys"] == [key["id"]], r)
    try:
        reader.search(index=INDEX, body={})
        raise AssertionError("an invalidated key still works")
    except es_exc.AuthenticationException:
        pass
    reader.close()
    anonymous.close()


def check_nested_vectors(es):
    """Many vectors per document (a nested knn_vector): k documents by their best vector, in
    the Elasticsearch knn section and the OpenSearch nested query, with inner_hits naming the
    matching vectors; malformed lists and inner_hits refused."""
    es.indices.create(index="crops", body={"mappings": {"properties": {
        "crops": {"type": "nested", "properties": {
            "emb": {"type": "knn_vector", "dimension": 4, "space_type": "l2",
                    "method": {"name": "flat"}}}},
        "cat": {"type": "keyword"}}}})
    rng = np.random.default_rng(12)
    docs = {}
    actions = []
    for d in range(200):
        vecs = np.round(rng.standard_normal((1 + d % 4, 4)), 4).astype(np.float32)
        docs[str(d)] = vecs
        actions.append({"_index": "crops", "_id": str(d), "_source": {
            "cat": "c%d" % (d % 2), "crops": [{"emb": v.tolist()} for v in vecs]}})
    helpers.bulk(es, actions, refresh=True)
    q = rng.standard_normal(4).astype(np.float32)
    best = {i: float(((v - q) ** 2).sum(axis=1).min()) for i, v in docs.items()}
    truth = sorted(best, key=lambda i: (best[i], int(i)))[:5]
    es_form = es.search(index="crops", body={"size": 5, "_source": False, "knn": {
        "field": "crops.emb", "query_vector": q.tolist(), "k": 5, "num_candidates": 50}})
    os_form = es.search(index="crops", body={"size": 5, "_source": False, "query": {"nested": {
        "path": "crops", "score_mode": "max",
        "query": {"knn": {"crops.emb": {"vector": q.tolist(), "k": 5}}}}}})
    for r in (es_form, os_form):
        ids = [h["_id"] for h in r["hits"]["hits"]]
        check(ids == truth, (ids, truth))
        check(abs(r["hits"]["hits"][0]["_score"] - 1 / (1 + best[truth[0]])) < 1e-4, r)
    bad = {"crops": [{"emb": [1.0, 2.0, 3.0, 4.0]}, {"emb": [1.0, 2.0]}]}
    try:
        es.index(index="crops", id="bad", body=bad)
        raise AssertionError("a vector of the wrong dimension in the list was accepted")
    except es_exc.RequestError as e:
        check("mapper_parsing_exception" in str(e.error), e.info)
    check(not es.exists(index="crops", id="bad"), "the refused document was stored")
    # inner_hits: the offsets of each hit's best vectors (flat index: exact), in both dialects.
    es_inner = es.search(index="crops", body={"size": 5, "_source": False, "knn": {
        "field": "crops.emb", "query_vector": q.tolist(), "k": 5, "num_candidates": 50,
        "inner_hits": {"size": 2, "_source": False}}})
    os_inner = es.search(index="crops", body={"size": 5, "_source": False, "query": {"nested": {
        "path": "crops", "inner_hits": {},
        "query": {"knn": {"crops.emb": {"vector": q.tolist(), "k": 5}}}}}})
    for h, o in zip(es_inner["hits"]["hits"], os_inner["hits"]["hits"]):
        check(h["_id"] == o["_id"], (h, o))
        dist = ((docs[h["_id"]] - q) ** 2).sum(axis=1)
        ranked = sorted(range(len(dist)), key=lambda i: (dist[i], i))
        inner = h["inner_hits"]["crops"]["hits"]
        check(inner["total"]["value"] == len(dist), inner)
        check([m["_nested"]["offset"] for m in inner["hits"]] == ranked[:2], (inner, ranked))
        check(all(m["_nested"]["field"] == "crops" and "_source" not in m
                  for m in inner["hits"]), inner)
        os_hits = o["inner_hits"]["crops"]["hits"]
        check(os_hits["total"]["value"] == 1 and os_hits["hits"][0]["_nested"]["offset"] ==
              ranked[0], os_hits)
        check(np.allclose(os_hits["hits"][0]["_source"]["emb"], docs[o["_id"]][ranked[0]]),
              os_hits)
    for inner_hits in ({"sort": ["_score"]}, {"size": -1}, "top"):
        try:
            es.search(index="crops", body={"query": {"nested": {
                "path": "crops", "inner_hits": inner_hits,
                "query": {"knn": {"crops.emb": {"vector": q.tolist(), "k": 5}}}}}})
            raise AssertionError("inner_hits %r was accepted" % (inner_hits,))
        except es_exc.RequestError as e:
            check(e.status_code == 400 and e.error in (
                "parsing_exception", "illegal_argument_exception"), e.info)
    es.indices.delete(index="crops")


def test(binary):
    secure = secure_mode()
    with Server(binary, secure=secure).start() as server:
        auth = {"http_auth": SECURE_USER} if secure else {}
        es = Elasticsearch([server.url], timeout=120, **auth)
        info = es.info()
        check(info["version"]["number"].startswith("7."), info)
        check(es.ping(), "ping")

        mapping = {
            "settings": {"index": {"knn": True, "knn.algo_param.ef_search": 256,
                                   "refresh_interval": -1, "number_of_replicas": 0}},
            "mappings": {"properties": {
                "fvec": {"type": "knn_vector", "dimension": DIM,
                         "method": {"name": "hnsw", "space_type": "l2", "engine": "nmslib",
                                    "parameters": {"ef_construction": 128, "m": 48}}},
                "cat": {"type": "keyword"},
                "n": {"type": "integer"},
                "title": {"type": "text"},
            }},
        }
        r = es.indices.create(index=INDEX, body=mapping)
        check(r["acknowledged"], r)
        check(es.indices.exists(index=INDEX), "exists")

        rng = np.random.default_rng(7)
        X = make_data(rng)
        cats = np.arange(N) % CATS

        def rows():
            for i in range(N):
                yield {"_index": INDEX, "_id": str(i),
                       "_source": {"fvec": X[i].tolist(), "cat": "c%d" % cats[i], "n": int(i),
                                   "title": "image number %d %s" % (i, "even" if i % 2 == 0 else "odd")}}

        t0 = time.time()
        ok, errors = helpers.bulk(es, rows(), chunk_size=200, request_timeout=300)
        t_bulk = time.time() - t0
        check(ok == N and not errors, (ok, errors))
        t0 = time.time()
        es.indices.refresh(index=INDEX, request_timeout=600)
        t_refresh = time.time() - t0
        check(es.count(index=INDEX)["count"] == N, "count after refresh")

        # --- kNN recall vs brute force
        queries = X[rng.choice(N, 30, replace=False)] + 0.1 * rng.standard_normal((30, DIM)).astype(np.float32)
        hits_total = 0
        t_search = 0.0
        for q in queries:
            t0 = time.time()
            res = es.search(index=INDEX, body={"size": K, "_source": False,
                                               "query": {"knn": {"fvec": {"vector": q.tolist(), "k": K}}}})
            t_search += time.time() - t0
            got = [h["_id"] for h in res["hits"]["hits"]]
            check(len(got) == K, res)
            check(all("_source" not in h for h in res["hits"]["hits"]), "_source: False")
            hits_total += len(set(got) & set(brute_force(X, q, K)))
        t_search /= len(queries)
        recall = hits_total / (K * len(queries))
        print("n=%d bulk %.1fs refresh %.1fs search %.1f ms/query recall@10 %.3f"
              % (N, t_bulk, t_refresh, 1000 * t_search, recall))
        check(recall >= 0.95, "recall %.3f < 0.95" % recall)

        # --- filtered kNN: k hits, all matching, and the right ones
        f_hits = 0
        for q in queries[:10]:
            res = es.search(index=INDEX, body={"size": K, "_source": ["cat"], "query": {"knn": {"fvec": {
                "vector": q.tolist(), "k": K, "filter": {"term": {"cat": "c3"}}}}}})
            hits = res["hits"]["hits"]
            check(len(hits) == K, "filtered knn returned %d hits" % len(hits))
            check(all(h["_source"]["cat"] == "c3" for h in hits), hits)
            f_hits += len(set(h["_id"] for h in hits) & set(brute_force(X, q, K, cats == 3)))
        check(f_hits / (10 * K) >= 0.9, "filtered recall %.3f" % (f_hits / (10 * K)))

        # --- radial search: OpenSearch max_distance / min_score instead of k, Elasticsearch
        # knn.similarity (the l2 distance, not squared); every document within the radius,
        # with and without a filter, against numpy (issue 12, item 2)
        r_found = r_total = 0
        for q in queries[:4]:
            d = ((X.astype(np.float64) - q) ** 2).sum(axis=1)
            order = np.argsort(d, kind="stable")
            for allowed, flt in ((None, None), (cats == 3, {"term": {"cat": "c3"}})):
                idx = order if allowed is None else order[allowed[order]]
                radius = float((d[idx[59]] + d[idx[60]]) / 2)  # 60 documents inside
                truth = set(str(i) for i in idx[:60])
                forms = [{"query": {"knn": {"fvec": {"vector": q.tolist(), "max_distance": radius}}}},
                         {"query": {"knn": {"fvec": {"vector": q.tolist(),
                                                     "min_score": 1 / (1 + radius)}}}},
                         {"knn": {"field": "fvec", "query_vector": q.tolist(), "k": 500,
                                  "num_candidates": 1000, "similarity": radius ** 0.5}}]
                for body in forms:
                    if flt:
                        target = body["query"]["knn"]["fvec"] if "query" in body else body["knn"]
                        target["filter"] = flt
                    body.update({"size": 500, "_source": False})
                    got = [h["_id"] for h in es.search(index=INDEX, body=body)["hits"]["hits"]]
                    outside = [i for i in got if d[int(i)] > radius * (1 + 1e-5)]
                    check(not outside and len(set(got)) == len(got), (outside, body.keys()))
                    r_found += len(set(got) & truth)
                    r_total += len(truth)
        check(r_found / r_total >= 0.95, "radial recall %.3f" % (r_found / r_total))

        # --- bool queries
        res = es.search(index=INDEX, body={"size": 100, "query": {"bool": {
            "filter": [{"term": {"cat": "c1"}}, {"range": {"n": {"gte": 100, "lt": 200}}}]}}})
        ids = sorted(int(h["_id"]) for h in res["hits"]["hits"])
        check(ids == [i for i in range(100, 200) if i % CATS == 1], ids)
        check(res["hits"]["total"]["value"] == 10, res["hits"]["total"])
        res = es.search(index=INDEX, body={"size": 5, "query": {"bool": {
            "must": [{"range": {"n": {"lt": 50}}}],
            "must_not": [{"terms": {"cat": ["c0", "c1", "c2", "c3", "c4"]}}]}},
            "sort": [{"n": "desc"}]})
        check([h["_id"] for h in res["hits"]["hits"]] == ["49", "48", "47", "46", "45"], res)
        res = es.search(index=INDEX, body={"size": 0, "query": {"bool": {
            "should": [{"term": {"cat": "c1"}}, {"term": {"cat": "c2"}}, {"range": {"n": {"lt": 10}}}],
            "minimum_should_match": 2}}, "track_total_hits": True})
        check(res["hits"]["total"]["value"] == 2, res["hits"]["total"])  # ids 1 and 2
        res = es.search(index=INDEX, body={"query": {"match": {"title": "number 77"}}, "size": 3})
        check(res["hits"]["hits"][0]["_id"] == "77", res)

        # --- get / update / delete
        doc = es.get(index=INDEX, id="5")
        check(doc["found"] and doc["_source"]["n"] == 5, doc)
        r = es.update(index=INDEX, id="5", body={"doc": {"cat": "updated"}}, refresh=True)
        check(r["result"] == "updated", r)
        check(es.get(index=INDEX, id="5")["_source"]["cat"] == "updated", "update applied")
        check(es.get(index=INDEX, id="5")["_source"]["n"] == 5, "partial update keeps fields")
        r = es.index(index=INDEX, id="new", body={"fvec": X[0].tolist(), "cat": "x", "n": -1},
                     refresh="wait_for")
        check(r["result"] == "created" and r["_version"] == 1, r)
        r = es.index(index=INDEX, id="new", body={"fvec": X[0].tolist(), "cat": "y", "n": -1})
        check(r["result"] == "updated" and r["_version"] == 2, r)
        r = es.delete(index=INDEX, id="new", refresh=True)
        check(r["result"] == "deleted", r)
        check(not es.exists(index=INDEX, id="new"), "deleted doc gone")
        check(es.count(index=INDEX)["count"] == N, "count back to N")

        # Aggregations: facet counts over all documents, and over a knn query's k hits.
        r = es.search(index=INDEX, body={"size": 0, "aggs": {
            "cats": {"terms": {"field": "cat", "size": 100}}, "top_n": {"max": {"field": "n"}}}})
        buckets = r["aggregations"]["cats"]["buckets"]
        check(sum(b["doc_count"] for b in buckets) == N and
              r["aggregations"]["cats"]["sum_other_doc_count"] == 0, r["aggregations"])
        check(r["aggregations"]["top_n"]["value"] == N - 1, r["aggregations"]["top_n"])
        r = es.search(index=INDEX, body={"size": 0, "query": {"knn": {"fvec": {
            "vector": X[3].tolist(), "k": 10}}}, "aggs": {"cats": {"terms": {"field": "cat"}}}})
        check(sum(b["doc_count"] for b in r["aggregations"]["cats"]["buckets"]) == 10,
              r["aggregations"])

        # Collapse: one hit per category (the nearest of each), as a brute force over the same
        # knn candidates picks them; the client passes "collapse" through unchanged.
        q = X[5]
        r = es.search(index=INDEX, body={"size": 5, "collapse": {"field": "cat"}, "query": {"knn": {
            "fvec": {"vector": q.tolist(), "k": 200}}}, "_source": ["cat"]})
        hits = r["hits"]["hits"]
        cats = [h["fields"]["cat"][0] for h in hits]
        check(len(hits) == 5 and len(set(cats)) == 5 and
              all(h["_source"]["cat"] == c for h, c in zip(hits, cats)), hits)
        plain = es.search(index=INDEX, body={"size": 200, "_source": ["cat"], "query": {"knn": {
            "fvec": {"vector": q.tolist(), "k": 200}}}})["hits"]["hits"]
        firsts, seen_cats = [], set()
        for h in plain:
            if h["_source"]["cat"] not in seen_cats:
                seen_cats.add(h["_source"]["cat"])
                firsts.append(h["_id"])
        check([h["_id"] for h in hits] == firsts[:5], (hits, firsts))

        # collapse.inner_hits through the client's own collapse= keyword: each group's members
        # are its category's knn hits in score order (the brute force over `plain`), sliced by
        # from/size; a second entry pages past the best member and shows no _source.
        r = es.search(index=INDEX, size=5, query={"knn": {"fvec": {"vector": q.tolist(), "k": 200}}},
                      collapse={"field": "cat", "max_concurrent_group_searches": 2, "inner_hits": [
                          {"name": "best", "size": 3, "_source": ["cat"]},
                          {"name": "next", "from": 1, "size": 2, "_source": False}]})
        for h in r["hits"]["hits"]:
            cat = h["fields"]["cat"][0]
            members = [p["_id"] for p in plain if p["_source"]["cat"] == cat]
            best = h["inner_hits"]["best"]["hits"]
            check(best["total"] == {"value": len(members), "relation": "eq"}, best["total"])
            check([m["_id"] for m in best["hits"]] == members[:3] and best["hits"][0]["_id"] == h["_id"]
                  and all(m["_source"] == {"cat": cat} for m in best["hits"]), (best, members[:3]))
            check(abs(best["max_score"] - h["_score"]) < 1e-6, (best["max_score"], h["_score"]))
            nxt = h["inner_hits"]["next"]["hits"]["hits"]
            check([m["_id"] for m in nxt] == members[1:3] and all("_source" not in m for m in nxt),
                  (nxt, members[1:3]))

        # helpers.scan (the scroll API): every document exactly once, in pages, then cleared.
        seen = [h["_id"] for h in helpers.scan(es, index=INDEX, query={"query": {"match_all": {}}},
                                              size=777, scroll="1m", _source=False)]
        check(len(seen) == N and len(set(seen)) == N, "scan gave %d ids, %d distinct" %
              (len(seen), len(set(seen))))
        cats = [h["_source"]["cat"] for h in helpers.scan(
            es, index=INDEX, query={"query": {"term": {"cat": "c3"}}}, size=100)]
        check(len(cats) == es.count(index=INDEX, body={"query": {"term": {"cat": "c3"}}})["count"]
              and set(cats) == {"c3"}, "filtered scan: %d hits" % len(cats))
        first = es.search(index=INDEX, body={"size": 10}, scroll="30s")
        check(len(first["hits"]["hits"]) == 10 and first["_scroll_id"], "scroll start")
        es.clear_scroll(body={"scroll_id": [first["_scroll_id"]]})

        # --- errors raise the client's own exception classes
        def raises(exc, fn, type_substring=None):
            try:
                fn()
            except exc as e:
                if type_substring:
                    check(type_substring in str(e.error), (e.status_code, e.error, e.info))
                return e
            raise AssertionError("%s not raised" % exc.__name__)

        raises(es_exc.NotFoundError, lambda: es.get(index=INDEX, id="no-such-doc"))
        raises(es_exc.NotFoundError, lambda: es.search(index="no-such-index", body={}),
               "index_not_found_exception")
        raises(es_exc.RequestError, lambda: es.indices.create(index=INDEX),
               "resource_already_exists_exception")
        raises(es_exc.ConflictError, lambda: es.create(index=INDEX, id="1", body={"n": 1}))
        # _mget: by ids under an index, and as docs naming their index (a missing one errs alone).
        r = es.mget(index=INDEX, body={"ids": ["5", "no-such-doc", "6"]})
        check([(d["_id"], d["found"]) for d in r["docs"]] ==
              [("5", True), ("no-such-doc", False), ("6", True)], r)
        check(r["docs"][0]["_source"]["n"] == 5, r["docs"][0])
        r = es.mget(body={"docs": [{"_index": INDEX, "_id": "6", "_source": ["n"]},
                                   {"_index": "no-such-index", "_id": "1"}]})
        check(r["docs"][0]["_source"] == {"n": 6}, r["docs"][0])
        check(r["docs"][1]["error"]["type"] == "index_not_found_exception", r["docs"][1])
        raises(es_exc.RequestError, lambda: es.mget(body={"ids": ["1"]}))
        raises(es_exc.NotFoundError, lambda: es.scroll(body={"scroll_id": first["_scroll_id"],
                                                             "scroll": "1m"}),
               "search_context_missing_exception")
        raises(es_exc.RequestError, lambda: es.search(index=INDEX, body={"from": 5}, scroll="1m"))
        raises(es_exc.RequestError, lambda: es.search(index=INDEX, collapse={
            "field": "cat", "inner_hits": {"name": "x", "size": 101}}), "illegal_argument_exception")
        raises(es_exc.RequestError, lambda: es.search(index=INDEX, collapse={
            "field": "cat", "inner_hits": [{"name": "x"}, {"name": "x"}]}),
            "illegal_argument_exception")
        # Optimistic concurrency with the client's own parameters.
        cur = es.get(index=INDEX, id="5")
        check(cur["_primary_term"] == 1, cur)
        raises(es_exc.ConflictError, lambda: es.index(
            index=INDEX, id="5", body=cur["_source"], if_seq_no=cur["_seq_no"] + 1000,
            if_primary_term=1), "version_conflict_engine_exception")
        r = es.index(index=INDEX, id="5", body=cur["_source"], if_seq_no=cur["_seq_no"],
                     if_primary_term=cur["_primary_term"])
        check(r["result"] == "updated" and r["_seq_no"] > cur["_seq_no"], r)
        raises(es_exc.ConflictError, lambda: es.delete(
            index=INDEX, id="5", if_seq_no=cur["_seq_no"], if_primary_term=1))
        raises(es_exc.RequestError, lambda: es.index(index=INDEX, id="bad", body={"fvec": [1.0, 2.0]}))
        raises(es_exc.RequestError, lambda: es.search(index=INDEX, body={"query": {"knn": {"fvec": {
            "vector": [0.5] * (DIM - 1), "k": 3}}}}))
        raises(es_exc.RequestError, lambda: es.search(index=INDEX, body={"query": {"no_such_query": {}}}))
        # Radial search takes exactly one of k, max_distance, min_score; rescore factors in range.
        raises(es_exc.RequestError, lambda: es.search(index=INDEX, body={"query": {"knn": {"fvec": {
            "vector": X[0].tolist(), "k": 3, "max_distance": 1.0}}}}), "illegal_argument_exception")
        raises(es_exc.RequestError, lambda: es.search(index=INDEX, body={"query": {"knn": {"fvec": {
            "vector": X[0].tolist(), "k": 3, "rescore": {"oversample_factor": 0.5}}}}}),
            "illegal_argument_exception")
        raises(es_exc.RequestError, lambda: es.search(index=INDEX, body={"knn": {
            "field": "fvec", "query_vector": X[0].tolist(), "k": 3,
            "rescore_vector": {"oversample": 20}}}), "illegal_argument_exception")
        raises(es_exc.RequestError, lambda: es.indices.create(index="BadName"))
        raises(es_exc.NotFoundError, lambda: es.update(index=INDEX, id="missing", body={"doc": {"n": 1}}))

        # bulk with per-item errors: helpers.bulk raises BulkIndexError
        try:
            helpers.bulk(es, [{"_index": INDEX, "_id": "b1", "_source": {"fvec": [1.0]}}])
            raise AssertionError("BulkIndexError not raised")
        except helpers.BulkIndexError as e:
            check(len(e.errors) == 1, e.errors)

        check_nested_vectors(es)

        if secure:
            check_api_keys_and_refusals(server, es)

        es.indices.delete(index=INDEX)
        check(not es.indices.exists(index=INDEX), "index deleted")
        es.close()


if __name__ == "__main__":
    run_main(test)
