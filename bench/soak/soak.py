#!/usr/bin/env python3
"""Soak run: mixed load against one `lookalike serve` for a long time; reports memory and latency
over time. Not a test (no timing is asserted); `make bench` does not run it by default because it
takes --minutes (30 in bench/RESULTS.md).

  /usr/bin/python3 bench/soak/soak.py --binary build/lookalike --minutes 30 [--out bench/out/soak.md]

Clients (one thread each, all on their own keep-alive connection):
  bulk x2    _bulk of 200 documents (64-d vector, keyword, number) into `soak`, refresh=false;
             ids cycle through 100,000 so the data size stays steady (overwrites)
  search x2  knn (k 10) on `soak`, half of them with a term filter
  image x1   POST /soak_img/_search/image with a clip-art PNG (Debian openclipart-png)
  delete x1  deletes a random range of ids written earlier
  admin x1   creates an index, writes 50 documents, searches it, drops it
Every interval (--interval s) a row: requests, 4xx, 5xx, p50/p99 ms per client kind, server RSS.
The summary compares RSS at the end with RSS after the warm-up (--warmup-minutes) and counts 5xx.
Exit status 1 when any 5xx or transport error was seen, or RSS grew by more than 10 %.
"""
import argparse
import base64
import glob
import http.client
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration", "server"))
from lk_server import Server  # noqa: E402

DIM = 64
ID_SPACE = 100000  # ids cycle in [1, ID_SPACE]: overwrites and deletes keep the data size steady
CATS = ["red", "green", "blue", "black", "white"]


class Stats:
    """Latencies and status counts per client kind for the current interval."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()
        self.total_5xx = 0
        self.total_errors = 0
        self.first_errors = []

    def reset(self):
        self.lat = {}
        self.codes = {}

    def add(self, kind, ms, status, body=b""):
        with self.lock:
            self.lat.setdefault(kind, []).append(ms)
            c = self.codes.setdefault(kind, {"n": 0, "4xx": 0, "5xx": 0})
            c["n"] += 1
            if status is None or status >= 500:
                c["5xx"] += 1
                self.total_5xx += 1
                if len(self.first_errors) < 10:
                    self.first_errors.append("%s %s %s" % (kind, status, body[:200]))
            elif status >= 400:
                c["4xx"] += 1

    def take(self):
        with self.lock:
            lat, codes = self.lat, self.codes
            self.reset()
        return lat, codes


class Client:
    def __init__(self, port, headers):
        self.port = port
        self.headers = headers
        self.conn = None

    def request(self, method, path, body=None, content_type="application/json"):
        hdrs = dict(self.headers)
        if body is not None:
            hdrs["Content-Type"] = content_type
        for attempt in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                self.conn.request(method, path, body=body, headers=hdrs)
                resp = self.conn.getresponse()
                return resp.status, resp.read()
            except (OSError, http.client.HTTPException):
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                if attempt == 1:
                    return None, b"transport error"
        return None, b""


def vec(rng):
    return [round(rng.gauss(0, 1), 4) for _ in range(DIM)]


def timed(stats, kind, client, method, path, body=None, content_type="application/json"):
    t0 = time.perf_counter()
    status, data = client.request(method, path, body, content_type)
    stats.add(kind, (time.perf_counter() - t0) * 1000, status, data)
    return status, data


def bulk_loop(stop, stats, client, seed, next_id):
    rng = random.Random(seed)
    while not stop.is_set():
        lines = []
        for _ in range(200):
            with next_id["lock"]:
                next_id["v"] += 1
                i = 1 + next_id["v"] % ID_SPACE
            lines.append(json.dumps({"index": {"_index": "soak", "_id": str(i)}}))
            lines.append(json.dumps({"v": vec(rng), "cat": rng.choice(CATS), "n": i}))
        timed(stats, "bulk", client, "POST", "/_bulk", "\n".join(lines) + "\n",
              "application/x-ndjson")
        time.sleep(0.05)


def search_loop(stop, stats, client, seed):
    rng = random.Random(seed)
    while not stop.is_set():
        knn = {"v": {"vector": vec(rng), "k": 10}}
        if rng.random() < 0.5:
            knn["v"]["filter"] = {"term": {"cat": rng.choice(CATS)}}
        timed(stats, "search", client, "POST", "/soak/_search",
              json.dumps({"size": 10, "_source": False, "query": {"knn": knn}}))


def image_loop(stop, stats, client, seed, images):
    rng = random.Random(seed)
    while not stop.is_set():
        path = rng.choice(images)
        with open(path, "rb") as f:
            data = f.read()
        boundary = "soakboundary%d" % rng.randrange(1 << 30)
        body = (("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"q.png\"\r\n"
                 "Content-Type: image/png\r\n\r\n" % boundary).encode() + data +
                ("\r\n--%s--\r\n" % boundary).encode())
        timed(stats, "image", client, "POST", "/soak_img/_search/image?k=10", body,
              "multipart/form-data; boundary=" + boundary)


def delete_loop(stop, stats, client, seed, next_id):
    rng = random.Random(seed)
    while not stop.is_set():
        hi = min(next_id["v"], ID_SPACE)
        if hi < 1000:
            time.sleep(0.2)
            continue
        start = rng.randrange(1, hi - 100)
        lines = [json.dumps({"delete": {"_index": "soak", "_id": str(i)}})
                 for i in range(start, start + 50)]
        timed(stats, "delete", client, "POST", "/_bulk", "\n".join(lines) + "\n",
              "application/x-ndjson")
        time.sleep(0.05)


def admin_loop(stop, stats, client, seed):
    rng = random.Random(seed)
    n = 0
    while not stop.is_set():
        name = "soak_tmp_%d" % n
        n += 1
        timed(stats, "admin", client, "PUT", "/" + name, json.dumps({
            "settings": {"index.knn": True},
            "mappings": {"properties": {"v": {"type": "knn_vector", "dimension": DIM}}}}))
        lines = []
        for i in range(50):
            lines.append(json.dumps({"index": {"_index": name, "_id": str(i)}}))
            lines.append(json.dumps({"v": vec(rng)}))
        timed(stats, "admin", client, "POST", "/_bulk?refresh=true", "\n".join(lines) + "\n",
              "application/x-ndjson")
        timed(stats, "admin", client, "POST", "/%s/_search" % name,
              json.dumps({"query": {"knn": {"v": {"vector": vec(rng), "k": 5}}}}))
        timed(stats, "admin", client, "DELETE", "/" + name)
        time.sleep(0.5)


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def pct(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def setup(server, client, images):
    status, body = client.request("PUT", "/soak", json.dumps({
        "settings": {"index.knn": True},
        "mappings": {"properties": {"v": {"type": "knn_vector", "dimension": DIM},
                                    "cat": {"type": "keyword"}, "n": {"type": "long"}}}}))
    assert status == 200, body
    status, body = client.request("PUT", "/soak_img", json.dumps({
        "mappings": {"properties": {
            "embedding": {"type": "knn_vector", "dimension": 384, "model": "mobilenet_v2_b10",
                          "source_field": "image"}}}}))
    assert status == 200, body
    lines = []
    for i, path in enumerate(images[:100]):
        with open(path, "rb") as f:
            b64 = base64.b64encode(f.read()).decode()
        lines.append(json.dumps({"index": {"_index": "soak_img", "_id": str(i)}}))
        lines.append(json.dumps({"image": {"base64": b64}}))
    status, body = client.request("POST", "/_bulk?refresh=true", "\n".join(lines) + "\n",
                                  "application/x-ndjson")
    assert status == 200 and b'"errors":false' in body, body[:500]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(HERE, "..", "..", "build", "lookalike"))
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--warmup-minutes", type=float, default=3)
    ap.add_argument("--interval", type=float, default=60)
    ap.add_argument("--out", default="")
    ap.add_argument("--serve-arg", action="append", default=[],
                    help="extra argument for lookalike serve (repeatable)")
    ap.add_argument("--header", action="append", default=[],
                    help="NAME:VALUE sent with every request (e.g. Authorization)")
    args = ap.parse_args()

    images = sorted(glob.glob("/usr/share/openclipart/png/**/*.png", recursive=True))[:400]
    if len(images) < 20:
        sys.exit("soak: needs Debian's openclipart-png (scripts/install-deps.sh)")
    headers = dict(h.split(":", 1) for h in args.header)
    data_dir = tempfile.mkdtemp(prefix="lookalike-soak-")
    server = Server(args.binary, data_dir=data_dir, extra_args=args.serve_arg).start()
    rows = []
    try:
        setup(server, Client(server.port, headers), images)
        stats, stop, next_id = Stats(), threading.Event(), {"v": 0, "lock": threading.Lock()}
        threads = []

        def spawn(fn, *extra):
            t = threading.Thread(target=fn, args=(stop, stats, Client(server.port, headers))
                                 + extra, daemon=True)
            t.start()
            threads.append(t)

        spawn(bulk_loop, 1, next_id)
        spawn(bulk_loop, 2, next_id)
        spawn(search_loop, 3)
        spawn(search_loop, 4)
        spawn(image_loop, 5, images)
        spawn(delete_loop, 6, next_id)
        spawn(admin_loop, 7)
        t_start = time.time()
        rss_warm = None
        while time.time() - t_start < args.minutes * 60:
            time.sleep(args.interval)
            elapsed = (time.time() - t_start) / 60
            lat, codes = stats.take()
            rss = rss_kb(server.proc.pid)
            if rss_warm is None and elapsed >= args.warmup_minutes:
                rss_warm = rss
            row = {"min": elapsed, "rss_mb": rss / 1024, "docs": next_id["v"]}  # docs written
            for kind in ("bulk", "search", "image", "delete", "admin"):
                c = codes.get(kind, {"n": 0, "4xx": 0, "5xx": 0})
                row[kind] = (c["n"], c["4xx"], c["5xx"], pct(lat.get(kind), 0.5),
                             pct(lat.get(kind), 0.99))
            rows.append(row)
            print(format_row(row), flush=True)
        stop.set()
        for t in threads:
            t.join(timeout=180)
        rss_end = rss_kb(server.proc.pid)
        rc = server.stop()
    finally:
        server.cleanup()
        shutil.rmtree(data_dir, ignore_errors=True)
    rss_warm = rss_warm or (rows[0]["rss_mb"] * 1024 if rows else 0)
    growth = (rss_end - rss_warm) / rss_warm if rss_warm else float("nan")
    summary = ("RSS after warm-up %.0f MB, at the end %.0f MB (%+.1f %%); 5xx or transport "
               "errors: %d; graceful exit code %s" % (rss_warm / 1024, rss_end / 1024,
                                                      growth * 100, stats.total_5xx, rc))
    report = "\n".join([HEADER] + [format_row(r) for r in rows] + ["", summary] +
                       ["first errors: " + e for e in stats.first_errors])
    print(summary)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            f.write(report + "\n")
    ok = stats.total_5xx == 0 and growth <= 0.10 and rc == 0
    sys.exit(0 if ok else 1)


HEADER = ("| min | RSS MB | docs | bulk n/4xx/5xx p50/p99 ms | search | image | delete | admin |\n"
          "|---:|---:|---:|---|---|---|---|---|")


def format_row(row):
    cells = ["%.1f" % row["min"], "%.0f" % row["rss_mb"], str(row["docs"])]
    for kind in ("bulk", "search", "image", "delete", "admin"):
        n, c4, c5, p50, p99 = row[kind]
        cells.append("%d/%d/%d %.1f/%.1f" % (n, c4, c5, p50, p99))
    return "| " + " | ".join(cells) + " |"


if __name__ == "__main__":
    main()
