#!/usr/bin/env python3
"""Per-item write results in cluster mode (issue 9): outcomes that depend on the stored
document are decided by the shard copies (all decide the same) and the coordinator reports a
copy's decision, the primary's first. The three nodes of scripts/cluster.sh, an index of 2
shards x 1 replica (so writes through any node ask a remote primary for some items), driven by
the python3-elasticsearch client:
_create of an existing id → 409 item in _bulk and 409 for PUT _create; a document that does not
fit the mapping → 400 item; _update of a missing document → 404 item; index of an existing id →
"updated", _version 2; if_seq_no / if_primary_term mismatch → 409, match → 200; delete of a
missing document → 404 "not_found"; the first write into a missing index creates it (1 shard,
1 replica, dynamic mapping). Everything is killed at the end, even on failure."""
import argparse
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

from elasticsearch import ConflictError, Elasticsearch, NotFoundError, helpers

from cluster_util import NODES, LocalCluster
from test_cluster_writes import Node, health, wait_for


def check_bulk_decisions(es):
    ids = [f"d{i}" for i in range(12)]
    first = [{"_op_type": "create", "_index": "items", "_id": i, "_source": {"n": 1}} for i in ids]
    ok, errors = helpers.bulk(es, first, refresh="wait_for")
    assert ok == len(ids) and not errors, errors

    res = es.bulk(body=[
        {"create": {"_index": "items", "_id": "d0"}}, {"n": 2},          # exists → 409
        {"create": {"_index": "items", "_id": "d5"}}, {"n": 2},          # exists → 409
        {"create": {"_index": "items", "_id": "fresh1"}}, {"n": 3},      # new → 201
        {"index": {"_index": "items", "_id": "d1"}}, {"n": 4},           # exists → updated, v2
        {"index": {"_index": "items", "_id": "bad"}}, {"n": "not a number"},  # mapping → 400
        {"index": {"_index": "items", "_id": "badv"}}, {"v": [1, 2, 3]},  # wrong dimension → 400
        {"update": {"_index": "items", "_id": "missing"}}, {"doc": {"n": 5}},  # → 404
        {"delete": {"_index": "items", "_id": "nothere"}},               # → 404 not_found
        {"delete": {"_index": "items", "_id": "d2"}},                    # → 200 deleted
    ])
    items = [next(iter(item.values())) for item in res["items"]]
    assert res["errors"] is True, res
    status = [item["status"] for item in items]
    assert status == [409, 409, 201, 200, 400, 400, 404, 404, 200], items
    assert items[0]["error"]["type"] == "version_conflict_engine_exception", items[0]
    assert items[1]["error"]["type"] == "version_conflict_engine_exception", items[1]
    assert items[2]["result"] == "created" and items[2]["_version"] == 1, items[2]
    assert items[3]["result"] == "updated" and items[3]["_version"] == 2, items[3]
    assert items[4]["error"]["type"] == "mapper_parsing_exception", items[4]
    assert items[5]["error"]["type"] == "mapper_parsing_exception", items[5]
    assert items[6]["error"]["type"] == "document_missing_exception", items[6]
    assert items[7]["result"] == "not_found", items[7]
    assert items[8]["result"] == "deleted" and items[8]["_version"] == 2, items[8]
    # _seq_no is the batch's stream sequence: the same for every item of one shard's batch.
    for item in (items[2], items[3], items[8]):
        assert item["_seq_no"] >= 1 and item["_primary_term"] >= 1, item


def check_single_document_decisions(nodes):
    for node in nodes:  # through either node: one of the two shards' primaries is remote
        es = Elasticsearch([f"http://127.0.0.1:{node.port}"])
        try:
            es.create(index="items", id="d3", body={"n": 9})
            raise AssertionError("a second _create of d3 was accepted")
        except ConflictError as e:
            assert e.status_code == 409, e
            assert e.error == "version_conflict_engine_exception", e.info
        missing = es.delete(index="items", id="never-was", ignore=404)
        assert missing["result"] == "not_found", missing
        try:
            es.update(index="items", id="never-was", body={"doc": {"n": 1}})
            raise AssertionError("an update of a missing document succeeded")
        except NotFoundError as e:
            assert e.error == "document_missing_exception", e.info


def check_conditional_writes(es):
    first = es.index(index="items", id="c1", body={"n": 1}, refresh="wait_for")
    assert first["result"] == "created", first
    seq, term = first["_seq_no"], first["_primary_term"]
    got = es.get(index="items", id="c1")
    assert got["_seq_no"] == seq, (got, first)  # the stored _seq_no is the stream sequence
    for wrong_seq, wrong_term in ((seq + 1000, term), (seq, term + 1)):
        try:
            es.index(index="items", id="c1", body={"n": 2}, if_seq_no=wrong_seq,
                     if_primary_term=wrong_term)
            raise AssertionError(f"if_seq_no={wrong_seq} if_primary_term={wrong_term} passed")
        except ConflictError as e:
            assert e.error == "version_conflict_engine_exception", e.info
    second = es.index(index="items", id="c1", body={"n": 3}, if_seq_no=seq, if_primary_term=term)
    assert second["result"] == "updated" and second["_version"] == 2, second
    assert second["_seq_no"] > seq, (first, second)
    # The old sequence no longer names the document's last write.
    try:
        es.update(index="items", id="c1", body={"doc": {"n": 4}}, if_seq_no=seq,
                  if_primary_term=term)
        raise AssertionError("a stale if_seq_no passed")
    except ConflictError:
        pass
    # The same condition inside a _bulk: the mismatching item fails alone.
    res = es.bulk(body=[
        {"index": {"_index": "items", "_id": "c1", "if_seq_no": seq, "if_primary_term": term}},
        {"n": 5},
        {"index": {"_index": "items", "_id": "c1", "if_seq_no": second["_seq_no"],
                   "if_primary_term": second["_primary_term"]}},
        {"n": 6},
    ], refresh="wait_for")
    items = [item["index"] for item in res["items"]]
    assert [i["status"] for i in items] == [409, 200], items
    assert es.get(index="items", id="c1")["_source"]["n"] == 6


def status_of(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def check_malformed_result_requests(nodes, es):
    """The internal _write_results endpoint refuses what is not a stream sequence (400) and
    answers 404 for a copy the node does not hold; the node keeps answering afterwards."""
    port = nodes[0].port
    base = "/_internal/shards/items~0~nosuchuuid/_write_results"
    for query in ("", "?seq=", "?seq=abc", "?seq=0", "?seq=-1", "?seq=1x",
                  "?seq=99999999999999999999999"):
        assert status_of(port, base + query) == 400, query
    assert status_of(port, base + "?seq=1") == 404
    res = es.index(index="items", id="after-malformed", body={"n": 7}, refresh="wait_for")
    assert res["result"] == "created", res


def check_auto_creation(es):
    created = es.index(index="autocreated", id="1", body={"title": "first", "n": 1},
                       refresh="wait_for")
    assert created["result"] == "created", created
    settings = es.indices.get_settings(index="autocreated")["autocreated"]["settings"]["index"]
    assert settings["number_of_shards"] == "1" and settings["number_of_replicas"] == "1", settings
    assert es.get(index="autocreated", id="1")["_source"]["title"] == "first"
    # A bulk creates a missing index too; a delete alone does not.
    ok, errors = helpers.bulk(es, [{"_index": "bulkcreated", "_id": "x", "_source": {"a": 1}}],
                              refresh="wait_for")
    assert ok == 1 and not errors, errors
    assert es.count(index="bulkcreated")["count"] == 1
    try:
        es.delete(index="never-created", id="1")
        raise AssertionError("a delete created an index")
    except NotFoundError as e:
        assert e.error == "index_not_found_exception", e.info
    assert not es.indices.exists(index="never-created")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    binary = parser.parse_args().binary
    tmp = tempfile.mkdtemp(prefix="lookalike-cluster-decisions-")
    cluster = LocalCluster(os.path.abspath(binary), os.path.join(tmp, "cluster"))
    try:
        cluster.up()
        nodes = [Node(cluster, name) for name in NODES]
        es = Elasticsearch([f"http://127.0.0.1:{n.port}" for n in nodes])
        es.indices.create(index="items", body={
            "settings": {"number_of_shards": 2, "number_of_replicas": 1},
            "mappings": {"properties": {"n": {"type": "long"},
                                        "v": {"type": "knn_vector", "dimension": 4}}}})
        wait_for("green", lambda: health(nodes[0].port)["status"] == "green", 60)
        check_bulk_decisions(es)
        check_single_document_decisions(nodes)
        check_conditional_writes(es)
        check_malformed_result_requests(nodes, es)
        check_auto_creation(es)
        print("ok")
    except BaseException:
        cluster.print_logs()
        raise
    finally:
        cluster.down()
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    sys.exit(main())
