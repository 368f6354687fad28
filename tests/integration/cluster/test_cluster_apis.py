#!/usr/bin/env python3
"""Cluster-wide index APIs on a three-node cluster (issue 9), through the python3-elasticsearch
client given all three node addresses: `indices.refresh` makes every acknowledged write
searchable on every node, `indices.stats` adds primaries and every copy, `cat.shards` lists
each copy with its state, docs and node, `cat.nodes` every live node with one master,
`cat.indices`, `cat.health`, `cat.count` answer for the cluster; `put_mapping` and
`put_settings` reach every copy (number_of_replicas adds copies); an acknowledged create, delete
or mapping change is visible on every node at once; a nested knn with inner_hits answers the
brute force on every node. Then etcd is killed: searches
keep answering from the last known shard map, writes and index creation answer 503
cluster_block_exception at once, and everything works again once etcd is back. Everything is
killed at the end, even on failure."""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from elasticsearch import Elasticsearch, helpers

from cluster_util import LocalCluster

NAMES = ["n1", "n2", "n3"]
DOCS = 400


def request(port, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def wait_for(what, predicate, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if predicate():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class Node:
    """One of the nodes n1..n3 that scripts/cluster.sh started (LocalCluster, free ports)."""

    def __init__(self, cluster, name):
        self.name, self.port = name, cluster.ports[name]


def check_refresh_and_stats(es, nodes):
    ok, errors = helpers.bulk(es, ({"_index": "apis", "_id": str(i),
                                    "_source": {"v": [float(i % 5), 1.0, 0.5, float(i % 3)],
                                                "n": i}} for i in range(DOCS)),
                              chunk_size=100)
    assert ok == DOCS and not errors, errors
    refreshed = es.indices.refresh(index="apis")
    assert refreshed["_shards"] == {"total": 4, "successful": 4, "failed": 0}, refreshed
    # Every acknowledged write is searchable on every node once the refresh answered.
    for node in nodes:
        one = Elasticsearch([f"http://127.0.0.1:{node.port}"])
        assert one.count(index="apis")["count"] == DOCS, node.name
    assert es.indices.refresh()["_shards"]["failed"] == 0
    stats = es.indices.stats(index="apis")
    assert stats["_shards"] == {"total": 4, "successful": 4, "failed": 0}, stats["_shards"]
    assert stats["_all"]["primaries"]["docs"]["count"] == DOCS, stats["_all"]
    assert stats["_all"]["total"]["docs"]["count"] == 2 * DOCS, stats["_all"]
    index = stats["indices"]["apis"]
    assert index["primaries"]["docs"]["count"] == DOCS and index["health"] == "green", index
    assert index["total"]["store"]["size_in_bytes"] > index["primaries"]["store"]["size_in_bytes"]
    assert es.indices.stats()["indices"].keys() == {"apis"}  # local copies are not indices


def check_cat(es, nodes):
    shards = es.cat.shards(index="apis", format="json")
    assert len(shards) == 4 and all(s["state"] == "STARTED" for s in shards), shards
    by_shard = {}
    for s in shards:
        by_shard.setdefault(s["shard"], []).append(s)
    assert sorted(by_shard) == ["0", "1"], shards
    for copies in by_shard.values():
        assert sorted(c["prirep"] for c in copies) == ["p", "r"], copies
        assert len({c["node"] for c in copies}) == 2, copies  # distinct nodes
        assert len({c["docs"] for c in copies}) == 1, copies  # the copies agree
    assert sum(int(s["docs"]) for s in shards if s["prirep"] == "p") == DOCS, shards
    text = es.cat.shards(v=True)
    assert text.splitlines()[0].split() == ["index", "shard", "prirep", "state", "docs", "store",
                                            "ip", "node"], text
    for node in nodes:  # every node answers for the whole cluster
        one = Elasticsearch([f"http://127.0.0.1:{node.port}"])
        listed = one.cat.nodes(format="json")
        assert sorted(n["name"] for n in listed) == NAMES, listed
        assert [n["master"] for n in listed].count("*") == 1, listed
        assert {n["http_address"] for n in listed} == {f"127.0.0.1:{n.port}" for n in nodes}
    indices = es.cat.indices(index="apis", format="json")
    assert len(indices) == 1 and indices[0]["docs.count"] == str(DOCS), indices
    assert indices[0]["health"] == "green" and indices[0]["pri"] == "2", indices
    health = es.cat.health(format="json")[0]
    assert health["status"] == "green" and health["node.total"] == "3", health
    assert health["shards"] == "4" and health["pri"] == "2", health
    assert es.cat.count(index="apis", format="json")[0]["count"] == str(DOCS)


def copy_mappings(node):
    """The mapping of every local copy of apis on `node` (names with '~' are local)."""
    status, body = request(node.port, "GET", "/apis~*/_mapping")
    assert status == 200, body
    return [m["mappings"].get("properties", {}) for m in body.values()]


def check_updates(es, nodes):
    ack = es.indices.put_mapping(index="apis", body={"properties": {"tag": {"type": "keyword"}}})
    assert ack["acknowledged"], ack
    for node in nodes:  # the definition in etcd, on every node
        got = request(node.port, "GET", "/apis/_mapping")[1]
        assert got["apis"]["mappings"]["properties"]["tag"]["type"] == "keyword", got
    wait_for("every copy has the new field",
             lambda: all(all(p.get("tag", {}).get("type") == "keyword" for p in copy_mappings(n))
                         for n in nodes))
    status, body = request(nodes[1].port, "PUT", "/apis/_mapping",
                           {"properties": {"v": {"type": "knn_vector", "dimension": 8}}})
    assert status == 400, body  # a changed dimension, refused as on one node
    es.indices.put_settings(index="apis", body={"index": {"max_result_window": 50}})
    wait_for("every copy refuses a page beyond the new window",
             lambda: all(request(n.port, "POST", "/apis/_search", {"from": 45, "size": 10})[0]
                         == 400 for n in nodes))
    status, body = request(nodes[2].port, "PUT", "/apis/_settings", {"index.number_of_shards": 3})
    assert status == 400 and body["error"]["type"] == "illegal_argument_exception", body
    es.indices.put_settings(index="apis", body={"index": {"number_of_replicas": 2}})
    assert es.indices.get_settings(index="apis")["apis"]["settings"]["index"][
        "number_of_replicas"] == "2"
    wait_for("a copy of each shard on every node",
             lambda: [s["state"] for s in es.cat.shards(index="apis", format="json")]
             == ["STARTED"] * 6, 60)
    wait_for("green with 2 replicas", lambda: es.cluster.health()["status"] == "green")
    assert es.indices.refresh(index="apis")["_shards"] == {"total": 6, "successful": 6,
                                                           "failed": 0}
    assert es.indices.stats(index="apis")["_all"]["total"]["docs"]["count"] == 3 * DOCS


def check_nested(es, nodes):
    """A nested knn_vector index over two shards: every node answers a knn with inner_hits
    (offsets and scores of each hit's best vectors, filled by the shard that holds the
    document) exactly as the brute force over every document's vectors."""
    es.indices.create(index="crops", body={
        "settings": {"number_of_shards": 2, "number_of_replicas": 1},
        "mappings": {"properties": {"crops": {"type": "nested", "properties": {
            "emb": {"type": "knn_vector", "dimension": 3,
                    "method": {"name": "flat", "space_type": "l2"}}}}}}})
    wait_for("crops green", lambda: es.cluster.health(index="crops")["status"] == "green")
    rng = random.Random(5)  # distinct values: no ties between documents
    docs = {str(d): [[round(rng.uniform(-1, 1), 4) for _ in range(3)] for _ in range(1 + d % 3)]
            for d in range(60)}
    helpers.bulk(es, ({"_index": "crops", "_id": i, "crops": [{"emb": v} for v in vecs]}
                      for i, vecs in docs.items()), refresh=True)
    q = [0.3, -0.2, 0.1]

    def score(v):
        return 1 / (1 + sum((a - b) ** 2 for a, b in zip(v, q)))
    ranked = {i: sorted(range(len(v)), key=lambda j: (-score(v[j]), j)) for i, v in docs.items()}
    for node in nodes:
        status, body = request(node.port, "POST", "/crops/_search", {
            "size": 5, "_source": False, "knn": {"field": "crops.emb", "query_vector": q, "k": 5,
                                                 "num_candidates": 50,
                                                 "inner_hits": {"size": 2, "_source": False}}})
        assert status == 200, body
        hits = body["hits"]["hits"]
        best = sorted(docs, key=lambda i: (-score(docs[i][ranked[i][0]]), int(i)))[:5]
        assert sorted(h["_id"] for h in hits) == sorted(best), (hits, best)
        for h in hits:
            inner = h["inner_hits"]["crops"]["hits"]
            want = ranked[h["_id"]][:2]
            assert inner["total"]["value"] == len(docs[h["_id"]]), inner
            assert [m["_nested"]["offset"] for m in inner["hits"]] == want, (inner, want)
            assert all(m["_index"] == "crops" for m in inner["hits"]), inner
            assert abs(inner["hits"][0]["_score"] - h["_score"]) < 1e-6, h
    es.indices.delete(index="crops")


def check_delete_and_recreate(nodes):
    """A deleted index is gone on every node once the delete is acknowledged, so another node
    can create it again at once."""
    first, last = nodes[0], nodes[-1]
    status, body = request(first.port, "PUT", "/gone", {"settings": {"number_of_replicas": 0}})
    assert status == 200 and body["acknowledged"], body
    status, body = request(first.port, "DELETE", "/gone")
    assert status == 200 and body == {"acknowledged": True}, body
    for node in nodes:
        assert request(node.port, "GET", "/gone")[0] == 404, node.name
    status, body = request(last.port, "PUT", "/gone", {"settings": {"number_of_replicas": 0}})
    assert status == 200 and body["acknowledged"], body
    assert request(first.port, "DELETE", "/gone")[0] == 200


def check_search_pipelines(nodes):
    """Stored search pipelines are single-node: the API, ?search_pipeline and an index default
    naming one answer 400 in cluster mode; a hybrid query with its pipeline inline works, with
    aggregations over the union of its sub-queries' matches."""
    first, last = nodes[0], nodes[-1]
    pipeline = {"phase_results_processors": [{"score-ranker-processor": {}}]}
    for method, path, body in (("PUT", "/_search/pipeline/p", pipeline),
                               ("GET", "/_search/pipeline", None),
                               ("DELETE", "/_search/pipeline/p", None)):
        status, answer = request(first.port, method, path, body)
        assert status == 400 and "cluster mode" in answer["error"]["reason"], answer
    queries = [{"range": {"n": {"lt": 10}}}, {"range": {"n": {"gte": DOCS - 5}}}]
    hybrid = {"size": 3, "query": {"hybrid": {"queries": queries}},
              "aggs": {"c": {"value_count": {"field": "n"}}}}
    status, answer = request(last.port, "POST", "/apis/_search?search_pipeline=p", hybrid)
    assert status == 400 and "cluster mode" in answer["error"]["reason"], answer
    status, answer = request(last.port, "POST", "/apis/_search", dict(hybrid,
                             search_pipeline=pipeline))
    assert status == 200 and len(answer["hits"]["hits"]) == 3, answer
    union = request(last.port, "POST", "/apis/_count",
                    {"query": {"bool": {"should": queries}}})[1]["count"]
    assert union > 0 and answer["aggregations"]["c"]["value"] == union, (answer, union)
    status, body = request(first.port, "PUT", "/piped", {"settings": {
        "number_of_replicas": 0, "index": {"search": {"default_pipeline": "p"}}},
        "mappings": {"properties": {"n": {"type": "long"}}}})
    assert status == 200, body
    status, answer = request(last.port, "POST", "/piped/_search",
                             {"query": {"hybrid": {"queries": queries}}})
    assert status == 400 and "default_pipeline" in answer["error"]["reason"], answer
    assert request(first.port, "DELETE", "/piped")[0] == 200


def check_etcd_down(es, nodes, cluster):
    n1 = nodes[0]
    cluster.kill("etcd")
    # The node learns it at once (its watch breaks); writes are then refused, not left hanging.
    # The probe deletes a document that does not exist, so it changes nothing if it lands
    # before the node noticed.
    wait_for("writes refused without etcd",
             lambda: request(n1.port, "DELETE", "/apis/_doc/none?refresh=wait_for")[0] == 503,
             30)
    status, body = request(n1.port, "PUT", "/apis/_doc/y?refresh=wait_for", {"n": -2})
    assert status == 503 and body["error"]["type"] == "cluster_block_exception", body
    bulk = urllib.request.Request(
        f"http://127.0.0.1:{nodes[1].port}/apis/_bulk", method="POST",
        data=b'{"index":{"_id":"z"}}\n{"n":-4}\n', headers={"Content-Type": "application/x-ndjson"})
    try:
        urllib.request.urlopen(bulk, timeout=30)
        raise AssertionError("a bulk was accepted without etcd")
    except urllib.error.HTTPError as e:
        assert e.code == 503 and json.load(e)["error"]["type"] == "cluster_block_exception"
    status, body = request(n1.port, "PUT", "/other", {})
    assert status == 503 and body["error"]["type"] == "cluster_block_exception", body
    # Searches and counts keep answering from the last known shard map, on every node.
    for node in nodes:
        status, body = request(node.port, "POST", "/apis/_search", {"size": 3})
        assert status == 200 and body["hits"]["total"]["value"] == DOCS, body
        assert body["_shards"]["failed"] == 0, body
    cluster.start("etcd")
    wait_for("writes accepted once etcd is back",
             lambda: request(n1.port, "PUT", "/apis/_doc/back?refresh=wait_for",
                             {"n": -3})[0] in (200, 201), 60)
    assert es.count(index="apis")["count"] == DOCS + 1
    assert es.get(index="apis", id="back")["_source"]["n"] == -3
    assert es.cluster.health()["status"] == "green"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    binary = parser.parse_args().binary
    tmp = tempfile.mkdtemp(prefix="lookalike-cluster-apis-")
    cluster = LocalCluster(os.path.abspath(binary), os.path.join(tmp, "cluster"))
    try:
        cluster.up()
        nodes = [Node(cluster, name) for name in NAMES]
        es = Elasticsearch([f"http://127.0.0.1:{n.port}" for n in nodes], max_retries=3,
                           retry_on_timeout=True)
        created = es.indices.create(index="apis", body={
            "settings": {"number_of_shards": 2, "number_of_replicas": 1},
            "mappings": {"properties": {"v": {"type": "knn_vector", "dimension": 4},
                                        "n": {"type": "long"}}}})
        assert created["acknowledged"] and created["shards_acknowledged"], created
        for node in nodes:  # acknowledged: every node knows the index at once
            assert request(node.port, "GET", "/apis")[0] == 200, node.name
        wait_for("green", lambda: es.cluster.health()["status"] == "green")
        check_refresh_and_stats(es, nodes)
        check_cat(es, nodes)
        check_updates(es, nodes)
        check_nested(es, nodes)
        check_delete_and_recreate(nodes)
        check_search_pipelines(nodes)
        check_etcd_down(es, nodes, cluster)
        print("ok")
    except BaseException:
        cluster.print_logs()
        raise
    finally:
        cluster.down()
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    sys.exit(main())
