#!/usr/bin/python3
"""Bytes per vector per code type, read from the node's own metrics (docs/operations.md,
"Capacity planning").

Starts `lookalike serve` on a fresh data directory, creates one index per code type (HNSW with
float32 / fp16 / int8 / 1-bit traversal codes, and the exact flat index), bulk-loads N random
vectors of D dimensions into each, flushes (the vector snapshots are written), and prints per
code type what /_prometheus/metrics says: vector index bytes in RAM, the snapshot file on disk,
RocksDB's share (documents with their vectors) and the per-million extrapolation.

Usage: bench/capacity/capacity.py --binary build/lookalike [--n 2000] [--dim 1280]
"""
import json
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "integration",
                                "server"))
from lk_server import Server  # noqa: E402
from test_metrics import parse_exposition, series  # noqa: E402


def arg(name, default):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def main():
    binary = arg("--binary", "build/lookalike")
    n, dim = int(arg("--n", "2000")), int(arg("--dim", "1280"))
    kinds = {"float32": {"name": "hnsw", "parameters": {"m": 16, "encoder": "none"}},
             "fp16": {"name": "hnsw", "parameters": {"m": 16, "encoder": "fp16"}},
             "int8": {"name": "hnsw", "parameters": {"m": 16, "encoder": "int8"}},
             "1bit": {"name": "hnsw", "parameters": {"m": 16, "encoder": "1bit"}},
             "flat": {"name": "flat"}}
    rng = random.Random(1)
    with Server(binary).start() as server:
        for code, method in kinds.items():
            method = dict(method, space_type="l2")
            status, body = server.request("PUT", "/cap-" + code, {"mappings": {"properties": {
                "v": {"type": "knn_vector", "dimension": dim, "method": method}}}})
            assert status == 200, body
            for start in range(0, n, 250):
                lines = []
                for i in range(start, min(n, start + 250)):
                    lines.append('{"index":{"_id":"%d"}}' % i)
                    lines.append(json.dumps({"v": [round(rng.gauss(0, 1), 4) for _ in range(dim)]}))
                status, body = server.request("POST", "/cap-%s/_bulk" % code,
                                              "\n".join(lines) + "\n",
                                              headers={"Content-Type": "application/x-ndjson"},
                                              timeout=600)
                assert status == 200 and not json.loads(body)["errors"], body[:300]
            assert server.request("POST", "/cap-%s/_flush" % code, timeout=600)[0] == 200
        _, samples = parse_exposition(server.request("GET", "/_prometheus/metrics")[1].decode())
        print("n=%d dim=%d (float32 payload %d bytes/vector)" % (n, dim, 4 * dim))
        print("| code | RAM bytes/vector | snapshot file bytes/vector | RocksDB bytes/doc | "
              "RAM per 1M | disk per 1M |")
        print("|---|---|---|---|---|---|")
        for code in kinds:
            index = "cap-" + code
            labels = {"index": index, "field": "v", "code": code}
            ram = series(samples, "lookalike_vector_index_memory_bytes", **labels)
            disk = series(samples, "lookalike_vector_index_disk_bytes", **labels)
            store = series(samples, "lookalike_index_store_bytes", index=index)
            rocks = store - disk
            print("| %s | %.0f | %.0f | %.0f | %.2f GB | %.2f GB |" % (
                code, ram / n, disk / n, rocks / n, ram / n * 1e6 / 1e9,
                (disk + rocks) / n * 1e6 / 1e9))


if __name__ == "__main__":
    main()
