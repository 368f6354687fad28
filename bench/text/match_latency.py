#!/usr/bin/python3
"""match / match_phrase latency on N short text documents (issue 12, item 5).

Starts `lookalike serve` (--binary) on a free port with a temporary data directory, bulk-loads
N documents of 12 words drawn from a Zipf-like 20,000-word vocabulary (seeded), then runs Q
two-word match queries and Q two-word match_phrase queries (size 10) sequentially and prints
the median and p90 wall-clock latency of each, and the server's RSS after loading.
Usage: match_latency.py --binary build/lookalike [--n 100000] [--q 200]
"""
import argparse
import json
import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "integration",
                                "server"))
from lk_server import Server, check  # noqa: E402


def words(rng, vocab, weights, k):
    return " ".join(rng.choices(vocab, weights=weights, k=k))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--n", type=int, default=100000)
    ap.add_argument("--q", type=int, default=200)
    args = ap.parse_args()
    rng = random.Random(7)
    vocab = ["w%d" % i for i in range(20000)]
    weights = [1.0 / (i + 1) for i in range(len(vocab))]
    with Server(args.binary).start() as server:
        status, data = server.request("PUT", "/t", {"mappings": {"properties": {
            "title": {"type": "text"}}}})
        check(status == 200, data)
        for start in range(0, args.n, 5000):
            lines = []
            for i in range(start, min(args.n, start + 5000)):
                lines.append(json.dumps({"index": {"_id": str(i)}}))
                lines.append(json.dumps({"title": words(rng, vocab, weights, 12)}))
            status, data = server.request("POST", "/t/_bulk", "\n".join(lines) + "\n",
                                          headers={"Content-Type": "application/x-ndjson"})
            check(status == 200, data[:200])
        server.request("POST", "/t/_refresh")
        with open("/proc/%d/status" % server.proc.pid) as f:
            rss = [line for line in f if line.startswith("VmRSS")][0].split()[1]
        for kind in ("match", "match_phrase"):
            lat = []
            for _ in range(args.q):
                q = {"query": {kind: {"title": words(rng, vocab[:2000], weights[:2000], 2)}}}
                t = time.perf_counter()
                status, _ = server.request("POST", "/t/_search", q)
                lat.append((time.perf_counter() - t) * 1000)
                check(status == 200 or kind == "match_phrase", status)
            lat.sort()
            print("%-13s median %.2f ms  p90 %.2f ms" % (kind, statistics.median(lat),
                                                       lat[int(0.9 * len(lat))]))
        print("RSS after load: %.0f MiB" % (int(rss) / 1024))


if __name__ == "__main__":
    main()
