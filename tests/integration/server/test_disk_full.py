#!/usr/bin/env python3
"""A full disk heals by itself (issue 7).

The server runs on a 64 MiB tmpfs (mounting needs root; CI runs as root, and the test fails
loudly rather than skipping when it cannot mount). Ten cycles, without restarting in between:
fill the disk (a filler file, then _bulk writes until they are refused), check that reads still
work and that writes are refused with 429 cluster_block_exception, free the space, check that
writes are accepted again. Cycles 1-5 run with the default watermarks (the flood stage blocks
writes before the disk is full); cycles 6-10 on a restarted server whose flood stage is a 1-byte
free-space floor, so the writes themselves run into ENOSPC inside RocksDB (WAL appends), which
must make the store read-only and later heal, never abort. At the end the server restarts and
every acknowledged document must be there; the log must show no assertion or abort.
"""
import errno
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from lk_server import Server, check, run_main

MOUNT_MB = 64
BULK_DOCS = 100
DIM = 8
FLOOD_REASON = ("blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark, "
                "index has read-only-allow-delete block];")


def mount_tmpfs(path):
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%dm" % MOUNT_MB, "tmpfs", path],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError("cannot mount a %d MiB tmpfs on %s (this test needs root, as in CI): %s"
                             % (MOUNT_MB, path, proc.stderr.strip()))


def available(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def fill(path, leave_bytes):
    """Writes a filler file until only `leave_bytes` are free (or the disk is full)."""
    chunk = b"\0" * (1 << 20)
    with open(os.path.join(path, "filler"), "ab") as f:
        while True:
            room = available(path) - leave_bytes
            if room <= 0:
                break
            try:
                f.write(chunk[:min(len(chunk), room)])
                f.flush()
            except OSError as e:
                check(e.errno == errno.ENOSPC, "filler: %s" % e)
                break


def unfill(path):
    try:
        os.remove(os.path.join(path, "filler"))
    except FileNotFoundError:
        pass


def doc(cycle, n):
    return {"tag": "c%d" % cycle, "n": n, "text": "lorem ipsum " * 60,
            "vec": [float((cycle * 7 + n + k) % 13) + 0.5 for k in range(DIM)]}


def bulk(server, cycle, batch):
    lines = []
    ids = []
    for i in range(BULK_DOCS):
        doc_id = "c%d-b%d-%d" % (cycle, batch, i)
        ids.append(doc_id)
        lines.append(json.dumps({"index": {"_index": "docs", "_id": doc_id}}))
        lines.append(json.dumps(doc(cycle, batch * BULK_DOCS + i)))
    body = "\n".join(lines) + "\n"
    status, data = server.request("POST", "/_bulk", body,
                                  headers={"Content-Type": "application/x-ndjson"}, timeout=120)
    return status, (json.loads(data) if data else None)


def fill_with_writes(server, cycle, acked):
    """Bulk writes until one is refused; records every acknowledged id. Returns the refusals."""
    refusals = []
    for batch in range(400):
        status, resp = bulk(server, cycle, batch)
        if status != 200:
            refusals.append((status, resp))
            return refusals
        for item in resp["items"]:
            r = item["index"]
            if r["status"] in (200, 201):
                acked[r["_id"]] = cycle
            else:
                refusals.append((r["status"], r.get("error")))
        if refusals:
            return refusals
    raise AssertionError("cycle %d: 400 bulk requests on a %d MiB disk were never refused"
                         % (cycle, MOUNT_MB))


def check_refused(server, cycle):
    status, body = server.json("PUT", "/docs/_doc/refused-%d" % cycle, doc(cycle, -1))
    check(status == 429, "cycle %d: a write on a full disk answered %s %s" % (cycle, status, body))
    err = body["error"]
    check(err["type"] == "cluster_block_exception", "cycle %d: error %s" % (cycle, err))
    check(("index [docs] " + FLOOD_REASON) in err["reason"], "cycle %d: reason %s" % (cycle, err))
    status, resp = bulk(server, cycle, 999)
    check(status == 200, "cycle %d: bulk on a full disk answered %s" % (cycle, status))
    check(resp["errors"] and all(i["index"]["status"] == 429 for i in resp["items"]),
          "cycle %d: bulk items on a full disk: %s" % (cycle, resp["items"][:2]))
    status, _ = server.json("PUT", "/docs/_mapping", {"properties": {"extra": {"type": "keyword"}}})
    check(status == 429, "cycle %d: mapping change on a full disk answered %s" % (cycle, status))
    status, _ = server.json("PUT", "/newindex-%d" % cycle, {})
    check(status == 429, "cycle %d: index creation on a full disk answered %s" % (cycle, status))


def check_reads(server, cycle, acked):
    some = [i for i, c in acked.items()][-3:]
    for doc_id in some:
        status, body = server.json("GET", "/docs/_doc/" + doc_id)
        check(status == 200 and body["found"], "cycle %d: GET %s -> %s" % (cycle, doc_id, status))
    status, body = server.json("POST", "/docs/_search",
                               {"size": 1, "query": {"term": {"tag": "c%d" % cycle}}})
    check(status == 200, "cycle %d: search on a full disk -> %s %s" % (cycle, status, body))
    status, body = server.json("GET", "/docs/_count")
    check(status == 200, "cycle %d: count on a full disk -> %s" % (cycle, status))


def wait_writable(server, cycle, timeout=90):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        status, body = server.json("PUT", "/docs/_doc/healed-%d" % cycle, doc(cycle, -2))
        if status in (200, 201):
            return
        last = (status, body)
        time.sleep(0.5)
    raise AssertionError("cycle %d: writes did not resume within %d s after freeing the disk: %s"
                         % (cycle, timeout, last))


def run_cycles(server, mnt, cycles, leave_bytes, acked):
    for cycle in cycles:
        fill(mnt, leave_bytes)
        refusals = fill_with_writes(server, cycle, acked)
        statuses = sorted({s for s, _ in refusals})
        check(all(s == 429 or s >= 500 for s in statuses),
              "cycle %d: refusals must be 429 or 5xx: %s" % (cycle, refusals[:2]))
        check_refused(server, cycle)
        check_reads(server, cycle, acked)
        unfill(mnt)
        wait_writable(server, cycle)
        acked["healed-%d" % cycle] = cycle
        print("cycle %d: refused with %s, healed; %d documents acknowledged so far"
              % (cycle, statuses, len(acked)))


def check_cluster_settings(server):
    """The flood stage set through _cluster/settings takes effect at once and can be reset."""
    key = "cluster.routing.allocation.disk.watermark."
    status, body = server.json("PUT", "/_cluster/settings",
                               {"transient": {key + "flood_stage": "lots"}})
    check(status == 400 and body["error"]["type"] == "illegal_argument_exception",
          "bad flood stage: %s %s" % (status, body))
    status, body = server.json("PUT", "/_cluster/settings", {"transient": {
        key + "low": "0.1%", key + "high": "0.2%", key + "flood_stage": "0.3%"}})
    check(status == 200, "set flood stage: %s %s" % (status, body))
    status, body = server.json("PUT", "/docs/_doc/settings-probe", {"tag": "x"})
    check(status == 429 and body["error"]["type"] == "cluster_block_exception",
          "write above a 0.3%% flood stage: %s %s" % (status, body))
    status, body = server.json("PUT", "/_cluster/settings", {"transient": {
        key + "low": None, key + "high": None, key + "flood_stage": None}})
    check(status == 200, "reset flood stage: %s %s" % (status, body))
    status, body = server.json("PUT", "/docs/_doc/settings-probe", {"tag": "x"})
    check(status in (200, 201), "write after resetting the flood stage: %s %s" % (status, body))


def check_log(server):
    log = server.log_all()
    for bad in ("Assertion", "Aborted", "terminate called", "core dumped"):
        check(bad not in log, "server log contains %r:\n%s" % (bad, log[-3000:]))
    check("refused" in log, "refused writes are not logged")


def test(binary):
    base = tempfile.mkdtemp(prefix="lookalike-diskfull-")
    mnt = os.path.join(base, "data")
    os.mkdir(mnt)
    mount_tmpfs(mnt)
    acked = {}
    try:
        server = Server(binary, data_dir=mnt)
        server.log_all = lambda: open(server.log_path, "rb").read().decode("utf-8", "replace")
        with server.start():
            status, body = server.json("PUT", "/docs", {
                "settings": {"index.knn": True},
                "mappings": {"properties": {
                    "tag": {"type": "keyword"}, "n": {"type": "long"}, "text": {"type": "text"},
                    "vec": {"type": "knn_vector", "dimension": DIM,
                            "method": {"name": "hnsw", "space_type": "l2"}}}}})
            check(status == 200, "create index: %s %s" % (status, body))
            run_cycles(server, mnt, range(1, 6), 6 << 20, acked)
            check_cluster_settings(server)
            acked["settings-probe"] = 0
            rc = server.stop()
            check(rc == 0, "graceful exit code %s" % rc)

        # Flood stage at a 1-byte floor: only a completely full disk blocks, so the bulk writes
        # run into ENOSPC inside RocksDB first.
        server.extra_args = ["--disk-flood-stage", "1b", "--disk-high-watermark", "1b"]
        with server.start():
            run_cycles(server, mnt, range(6, 11), 512 << 10, acked)
            check_log(server)
            status, body = server.json("POST", "/docs/_flush")
            check(status == 200, "flush after healing: %s %s" % (status, body))

        with server.start():
            server.json("POST", "/docs/_refresh")
            status, body = server.json("GET", "/docs/_count")
            check(status == 200, "count after restart: %s" % status)
            check(body["count"] >= len(acked),
                  "after restart %d documents, %d were acknowledged" % (body["count"], len(acked)))
            ids = sorted(acked)
            for doc_id in ids[:: max(1, len(ids) // 50)] + ids[-5:]:
                status, got = server.json("GET", "/docs/_doc/" + doc_id)
                check(status == 200 and got["found"], "acknowledged %s lost: %s" % (doc_id, status))
            status, body = server.json("POST", "/docs/_search", {
                "size": 3, "query": {"knn": {"vec": {"vector": [0.5] * DIM, "k": 3}}}})
            check(status == 200 and len(body["hits"]["hits"]) == 3, "knn after restart: %s" % body)
            check_log(server)
            print("restart: all %d acknowledged documents present" % len(acked))
            for line in server.log_all().splitlines():  # what the operator would see
                if "storage:" in line or "disk watermarks:" in line:
                    print("  log: " + line[:220])
    finally:
        subprocess.run(["umount", mnt], check=False)
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    run_main(test)
