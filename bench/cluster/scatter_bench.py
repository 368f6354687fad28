"""Search latency of a 3-shard scatter/gather against one node holding the same documents
(issue 9, item 4). Not a test: it prints a table for bench/RESULTS.md.

Three single-node servers hold one third each in shard-copy indices ("docs~<s>~u1", split by
the cluster's routing hash); the first also holds everything as "docs"; a fourth serves with
--static-shards and coordinates. The same knn and filtered-knn queries go to the coordinator and
to the single node, one at a time; p50/p99 in milliseconds, measured at the client, and the
coordinator's CPU time per query (user + system, from /proc: unlike latency it barely moves
when other work shares the machine).

All four processes share this machine's cores, so the scatter pays for its fan-out without
gaining CPUs: the ratio shows the coordinator's cost (encode, three HTTP round trips, merge),
not what three machines would give.

  python3 bench/cluster/scatter_bench.py --binary build/lookalike [--docs 20000] [--dim 128]
      [--queries 500]
"""
import argparse
import json
import os
import random
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration", "server"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration", "cluster"))
from lk_server import Server  # noqa: E402
import test_scatter as setup  # noqa: E402  (routing hash, loader)


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100.0 * (len(values) - 1))))]


def cpu_ms(pid):
    """User + system CPU time of a process so far, in milliseconds (Linux /proc)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000.0 / os.sysconf("SC_CLK_TCK")


def timed(server, path, bodies):
    out = []
    for body in bodies:
        start = time.perf_counter()
        status, _ = server.request("POST", path, json.dumps(body))
        out.append((time.perf_counter() - start) * 1000)
        if status != 200:
            raise RuntimeError("status %s" % status)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(HERE, "..", "..", "build", "lookalike"))
    ap.add_argument("--docs", type=int, default=20000)
    ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--queries", type=int, default=500)
    args = ap.parse_args()
    setup.DIM = args.dim
    setup.MAPPING["mappings"]["properties"]["fvec"]["dimension"] = args.dim
    rng = random.Random(3)
    docs = [{"_id": "d%06d" % i, "fvec": [rng.uniform(-1, 1) for _ in range(args.dim)],
             "category": setup.CATEGORIES[i % 4], "price": rng.randint(0, 50), "num": i,
             "title": "item"} for i in range(args.docs)]
    nodes, coord = [], None
    try:
        for s in range(setup.SHARDS):
            nodes.append(Server(args.binary, extra_args=["--node-name", "n%d" % s]).start())
        setup.load(nodes[0], "docs", docs)
        for s in range(setup.SHARDS):
            setup.load(nodes[s], "docs~%d~%s" % (s, setup.UUID),
                       [d for d in docs if setup.shard_of(d["_id"]) == s])
        shard_map = {"indices": [{"index": "docs", "uuid": setup.UUID,
                                  "number_of_shards": setup.SHARDS,
                                  "shards": [{"shard": s, "copies": [
                                      {"node": "n%d" % s, "http": "127.0.0.1:%d" % nodes[s].port}]}
                                      for s in range(setup.SHARDS)]}]}
        fd, map_path = tempfile.mkstemp(suffix=".json")
        with os.fdopen(fd, "w") as f:
            json.dump(shard_map, f)
        coord = Server(args.binary, extra_args=["--static-shards", map_path]).start()
        queries = [[rng.uniform(-1, 1) for _ in range(args.dim)] for _ in range(args.queries)]
        kinds = {
            "knn k=10": [{"size": 10, "_source": False,
                          "query": {"knn": {"fvec": {"vector": q, "k": 10}}}} for q in queries],
            "filtered knn k=10": [{"size": 10, "_source": False, "query": {"knn": {"fvec": {
                "vector": q, "k": 10, "filter": {"term": {"category": "hats"}}}}}}
                for q in queries],
        }
        print("| query | one node p50 / p99 ms | 3-shard scatter p50 / p99 ms | p50 ratio | "
              "coordinator CPU ms/query |")
        print("|---|---|---|---|---|")
        for name, bodies in kinds.items():
            timed(nodes[0], "/docs/_search", bodies[:20])  # warm-up
            timed(coord, "/docs/_search", bodies[:20])
            one = timed(nodes[0], "/docs/_search", bodies)
            cpu_before = cpu_ms(coord.proc.pid)
            scatter = timed(coord, "/docs/_search", bodies)
            coord_cpu = (cpu_ms(coord.proc.pid) - cpu_before) / len(bodies)
            print("| %s | %.2f / %.2f | %.2f / %.2f | %.2f | %.2f |" % (
                name, percentile(one, 50), percentile(one, 99), percentile(scatter, 50),
                percentile(scatter, 99), percentile(scatter, 50) / percentile(one, 50), coord_cpu))
        os.remove(map_path)
    finally:
        for s in nodes + ([coord] if coord else []):
            s.cleanup()


if __name__ == "__main__":
    main()
