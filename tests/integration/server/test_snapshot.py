#!/usr/bin/env python3
"""Snapshot and restore with the real python Elasticsearch client (issue 13): repository
registration under --path-repo, create / get / restore / delete unchanged from Elasticsearch,
the errors Elasticsearch gives, registrations surviving a restart, and the CLI for a stopped
server."""
import os
import shutil
import subprocess
import sys
import tempfile
import warnings

import numpy as np
from elasticsearch import Elasticsearch, helpers
from elasticsearch import exceptions as es_exc

from lk_server import Server, check, run_main

warnings.filterwarnings("ignore")

DIM = 16
N = 400


def knn_ids(es, index, q):
    r = es.search(index=index, body={"size": 10, "_source": False,
                                     "query": {"knn": {"v": {"vector": q.tolist(), "k": 10}}}})
    return [h["_id"] for h in r["hits"]["hits"]]


def nested_answer(es, index, q):
    """Hits and the offsets/scores of their inner hits for a knn on the nested crops.emb."""
    r = es.search(index=index, body={"size": 5, "_source": False, "knn": {
        "field": "crops.emb", "query_vector": q.tolist(), "k": 5, "num_candidates": 50,
        "inner_hits": {"size": 2, "_source": False}}})
    return [(h["_id"], h["_score"], [(m["_nested"]["offset"], m["_score"])
                                     for m in h["inner_hits"]["crops"]["hits"]["hits"]])
            for h in r["hits"]["hits"]]


def expect_error(fn, status, error_type):
    try:
        fn()
    except es_exc.TransportError as e:
        check(e.status_code == status and e.error == error_type, (status, error_type, e.info))
        return e
    raise AssertionError("expected %s %s" % (status, error_type))


def check_status_and_verify(es, snap):
    """_snapshot/.../_status of the two finished snapshots, and _verify."""
    st = es.snapshot.status(repository="backup", snapshot="snap-1,snap-2")
    check([s["snapshot"] for s in st["snapshots"]] == ["snap-1", "snap-2"], st)
    first, second = st["snapshots"]
    check(first["state"] == "SUCCESS" and first["uuid"] == snap["uuid"] and
          first["repository"] == "backup", first)
    check(first["shards_stats"]["done"] == 1 and first["shards_stats"]["total"] == 1, first)
    total = first["stats"]["total"]
    check(total["file_count"] > 0 and total["size_in_bytes"] > 0, first)
    check(first["stats"]["incremental"] == total, first)  # the first snapshot copied everything
    per_index = first["indices"]["photos"]
    check(per_index["stats"]["total"] == total and
          per_index["shards"]["0"]["stage"] == "DONE", per_index)
    check(second["stats"]["incremental"]["file_count"] == 0 and
          second["stats"]["total"] == total, second)
    check(es.snapshot.status() == {"snapshots": []}, "nothing is running")
    check(es.snapshot.status(repository="backup") == {"snapshots": []}, "nothing is running")
    expect_error(lambda: es.snapshot.status(repository="backup", snapshot="snap-1,nope"), 404,
                 "snapshot_missing_exception")
    expect_error(lambda: es.snapshot.status(repository="nope", snapshot="snap-1"), 404,
                 "repository_missing_exception")
    verified = es.snapshot.verify_repository(repository="backup")
    nodes = list(verified["nodes"].values())
    check(len(nodes) == 1 and nodes[0]["name"], verified)
    expect_error(lambda: es.snapshot.verify_repository(repository="nope"), 404,
                 "repository_missing_exception")


def test(binary):
    root = tempfile.mkdtemp(prefix="lookalike-repos-")
    outside = tempfile.mkdtemp(prefix="lookalike-outside-")
    try:
        with Server(binary, extra_args=["--path-repo", root]).start() as server:
            data_dir = server.data_dir
            es = Elasticsearch([server.url], timeout=120)
            es.indices.create(index="photos", body={
                "settings": {"index": {"knn": True}},
                "mappings": {"properties": {
                    "v": {"type": "knn_vector", "dimension": DIM,
                          "method": {"name": "hnsw", "space_type": "l2"}},
                    "cat": {"type": "keyword"},
                    "crops": {"type": "nested", "properties": {
                        "emb": {"type": "knn_vector", "dimension": 4,
                                "method": {"name": "hnsw", "space_type": "l2"}}}}}}})
            rng = np.random.default_rng(3)
            X = rng.standard_normal((N, DIM)).astype(np.float32)
            C = rng.standard_normal((N, 3, 4)).astype(np.float32)
            helpers.bulk(es, ({"_index": "photos", "_id": str(i), "v": X[i].tolist(),
                               "cat": "c%d" % (i % 4),
                               "crops": [{"emb": c.tolist()} for c in C[i][:1 + i % 3]]}
                              for i in range(N)), refresh="wait_for")
            count = es.count(index="photos")["count"]
            before = knn_ids(es, "photos", X[5])
            check(count == N and before[0] == "5", (count, before))
            nested_before = nested_answer(es, "photos", C[7][0])
            check(nested_before[0][0] == "7" and nested_before[0][2][0][0] == 0, nested_before)

            r = es.snapshot.create_repository(repository="backup", body={
                "type": "fs", "settings": {"location": "backup"}})
            check(r == {"acknowledged": True}, r)
            got = es.snapshot.get_repository(repository="backup")
            check(got["backup"]["type"] == "fs" and
                  got["backup"]["settings"]["location"] == "backup", got)
            expect_error(lambda: es.snapshot.create_repository(
                repository="escape", body={"type": "fs", "settings": {"location": "../x"}}),
                400, "repository_exception")
            expect_error(lambda: es.snapshot.create_repository(
                repository="escape", body={"type": "fs", "settings": {"location": outside}}),
                400, "repository_exception")
            expect_error(lambda: es.snapshot.get_repository(repository="nope"), 404,
                         "repository_missing_exception")

            r = es.snapshot.create(repository="backup", snapshot="snap-1",
                                   body={"indices": "photos", "include_global_state": False},
                                   wait_for_completion=True)
            snap = r["snapshot"]
            check(snap["snapshot"] == "snap-1" and snap["state"] == "SUCCESS" and
                  snap["indices"] == ["photos"] and snap["shards"]["failed"] == 0, r)
            expect_error(lambda: es.snapshot.create(repository="backup", snapshot="snap-1",
                                                    wait_for_completion=True),
                         400, "invalid_snapshot_name_exception")
            r = es.snapshot.create(repository="backup", snapshot="snap-2",
                                   wait_for_completion=True)
            check(r["snapshot"]["stats"]["incremental"]["file_count"] == 0, r)  # unchanged

            listed = es.snapshot.get(repository="backup", snapshot="_all")
            check([s["snapshot"] for s in listed["snapshots"]] == ["snap-1", "snap-2"], listed)
            one = es.snapshot.get(repository="backup", snapshot="snap-1")
            check(one["snapshots"][0]["uuid"] == snap["uuid"], one)
            expect_error(lambda: es.snapshot.get(repository="backup", snapshot="nope"), 404,
                         "snapshot_missing_exception")
            check_status_and_verify(es, snap)

            expect_error(lambda: es.snapshot.restore(repository="backup", snapshot="snap-1",
                                                     wait_for_completion=True),
                         500, "snapshot_restore_exception")
            es.indices.delete(index="photos")
            r = es.snapshot.restore(repository="backup", snapshot="snap-1",
                                    body={"indices": "photos"}, wait_for_completion=True)
            check(r["snapshot"]["indices"] == ["photos"], r)
            es.indices.refresh(index="photos")
            check(es.count(index="photos")["count"] == count, "restored count")
            check(knn_ids(es, "photos", X[5]) == before, "restored knn")
            check(nested_answer(es, "photos", C[7][0]) == nested_before, "restored nested knn")
            stats = es.indices.stats(index="photos")
            field = stats["indices"]["photos"]["knn"]["fields"]["v"]
            check(field["loaded_from_snapshot"] and field["replayed_on_open"] == 0, field)

            r = es.snapshot.restore(repository="backup", snapshot="snap-2", body={
                "indices": "photos", "rename_pattern": "(.+)",
                "rename_replacement": "restored_$1"}, wait_for_completion=True)
            check(r["snapshot"]["indices"] == ["restored_photos"], r)
            check(es.count(index="restored_photos")["count"] == count, "renamed count")

            r = es.snapshot.delete(repository="backup", snapshot="snap-1")
            check(r == {"acknowledged": True}, r)
            expect_error(lambda: es.snapshot.delete(repository="backup", snapshot="snap-1"), 404,
                         "snapshot_missing_exception")
            expect_error(lambda: es.snapshot.restore(repository="nope", snapshot="snap-2"), 404,
                         "repository_missing_exception")

            # A restart keeps the registration and the restored indices.
            server.stop()
            server.start()
            es = Elasticsearch([server.url], timeout=120)
            check("backup" in es.snapshot.get_repository(), "registration persisted")
            check(es.count(index="restored_photos")["count"] == count, "after restart")
            listed = es.snapshot.get(repository="backup", snapshot="_all")
            check([s["snapshot"] for s in listed["snapshots"]] == ["snap-2"], listed)
            es.indices.delete(index="restored_photos")
            r = es.snapshot.delete_repository(repository="backup")
            check(r == {"acknowledged": True}, r)
            server.stop()

            # The CLI on the stopped server: snapshot, then restore under a new name.
            repo = os.path.join(root, "cli")
            run = lambda *a: subprocess.run([binary, *a], capture_output=True, text=True)
            p = run("snapshot", "--data", data_dir, "--repo", repo, "--name", "c1",
                    "--indices", "photos")
            check(p.returncode == 0 and "snapshot [c1]" in p.stdout, (p.stdout, p.stderr))
            p = run("restore", "--data", data_dir, "--repo", repo, "--name", "c1",
                    "--rename-pattern", "photos", "--rename-replacement", "cli_photos")
            check(p.returncode == 0 and "restored [cli_photos]" in p.stdout, (p.stdout, p.stderr))
            p = run("restore", "--data", data_dir, "--repo", repo, "--name", "missing")
            check(p.returncode == 1 and "[cli:missing] is missing" in p.stderr,
                  (p.returncode, p.stderr))
            p = run("snapshot", "--data", data_dir, "--repo", "relative/path", "--name", "x")
            check(p.returncode != 0 and "absolute" in p.stderr, p.stderr)
            server.start()
            es = Elasticsearch([server.url], timeout=120)
            es.indices.refresh(index="cli_photos")
            check(es.count(index="cli_photos")["count"] == count, "CLI restore")
            check(knn_ids(es, "cli_photos", X[5]) == before, "CLI restore knn")
            check(nested_answer(es, "cli_photos", C[7][0]) == nested_before,
                  "CLI restore nested knn")
        # No --path-repo: fs repositories are refused.
        with Server(binary).start() as server:
            es = Elasticsearch([server.url], timeout=60)
            e = expect_error(lambda: es.snapshot.create_repository(
                repository="r", body={"type": "fs", "settings": {"location": root}}),
                400, "repository_exception")
            check("path.repo" in str(e.info), e.info)
    finally:
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(outside, ignore_errors=True)


if __name__ == "__main__":
    run_main(test)
