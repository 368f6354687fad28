#!/usr/bin/env python3
"""Write latency of a two-node cluster (not a test): sequential single-document index requests
and sequential 500-document bulks into a 2-shard, 1-replica index, through one node. Prints
the median and p90 per request, so two builds can be compared on the same machine (e.g. the
cost of waiting for the copies' per-item decisions):

  bench/cluster/write_latency.py --binary build/lookalike [--docs 300 --bulks 20]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "integration",
                                "cluster"))
from elasticsearch import Elasticsearch  # noqa: E402

from cluster_util import script  # noqa: E402
from test_cluster_writes import Node, health, wait_for  # noqa: E402


def timed(calls):
    out = []
    for call in calls:
        start = time.perf_counter()
        call()
        out.append((time.perf_counter() - start) * 1000)
    out.sort()
    return statistics.median(out), out[int(len(out) * 0.9)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--docs", type=int, default=300)
    parser.add_argument("--bulks", type=int, default=20)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="lookalike-write-latency-")
    cluster_dir = os.path.join(tmp, "cluster")
    nodes = []
    try:
        up = script("up", cluster_dir=cluster_dir)
        env = dict(line.split("=", 1) for line in up.stdout.split() if "=" in line)
        nodes = [Node(args.binary, tmp, name, env) for name in ("n1", "n2")]
        for node in nodes:
            node.start()
        es = Elasticsearch([f"http://127.0.0.1:{nodes[0].port}"])
        es.indices.create(index="w", body={
            "settings": {"number_of_shards": 2, "number_of_replicas": 1},
            "mappings": {"properties": {"v": {"type": "knn_vector", "dimension": 8},
                                        "n": {"type": "long"}}}})
        wait_for("green", lambda: health(nodes[0].port)["status"] == "green", 60)
        single = timed([lambda i=i: es.index(index="w", id=str(i), body={
            "n": i, "v": [float(i % 5)] * 8}) for i in range(args.docs)])
        def bulk(b):
            body = []
            for i in range(500):
                body += [{"index": {"_index": "w", "_id": f"b{b}-{i}"}},
                         {"n": i, "v": [float((i + b) % 7)] * 8}]
            res = es.bulk(body=body)
            assert not res["errors"], res["items"][:2]
        bulks = timed([lambda b=b: bulk(b) for b in range(args.bulks)])
        print(f"single-doc index: median {single[0]:.1f} ms, p90 {single[1]:.1f} ms "
              f"({args.docs} requests)")
        print(f"500-doc bulk:     median {bulks[0]:.1f} ms, p90 {bulks[1]:.1f} ms "
              f"({args.bulks} requests)")
    finally:
        for n in nodes:
            if n.proc is not None and n.proc.poll() is None:
                n.proc.kill()
                n.proc.wait()
        script("down", cluster_dir=cluster_dir, check=False)
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    sys.exit(main())
