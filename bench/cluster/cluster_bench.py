"""Ingest and search throughput of a real Lookalike cluster with 1, 2 and 3 nodes (issue 9).
Not a test: it prints one table (and the CPU each service used) for bench/RESULTS.md.

For each node count N: a fresh etcd + 3 nats-server JetStream cluster (scripts/cluster.sh up,
in a temporary folder), N `lookalike serve --cluster` nodes, one index with N shards (one per
node; --shards to fix it) and --replicas replicas, HNSW vectors (L2). Then

  ingest  the documents through `_bulk` (--batch per request, --clients threads, requests
          spread over the nodes), timed until the last bulk is acknowledged (JetStream has
          every write) and until `_count` sees every document (every copy applied them); then
          `_refresh` on every local shard copy, so no insertion is left for the search phase;
  search  --queries knn queries (k=10, _source off) from --clients threads over persistent
          connections, spread over the nodes: p50 / p99 latency at the client and QPS;
  writes  100 one-document `_bulk` requests one after another: the fixed cost of a write (the
          JetStream publish and its replicated ack) when there is nothing to batch.

CPU seconds of every process (Lookalike nodes, nats-servers, etcd) are read from /proc around
each phase: unlike wall time they say what each part costs however many processes share the
cores, which is what the N-machine model in docs/design/cluster.md is built from.

Every process here shares this machine's cores: 3 nodes do not get 3 machines' CPUs.

  python3 bench/cluster/cluster_bench.py --binary build/lookalike [--docs 20000] [--dim 256]
      [--nodes 1,2,3] [--queries 2000] [--clients 2] [--batch 500] [--replicas 0]
"""
import argparse
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
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
SCRIPT = os.path.join(ROOT, "scripts", "cluster.sh")
INDEX = "bench"


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_s(pid):
    """User + system CPU seconds of a process so far (0 when it is gone)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100.0 * (len(values) - 1))))]


class Conn:
    """One persistent HTTP connection to a node."""

    def __init__(self, port):
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def call(self, method, path, body=None, ctype="application/json"):
        self.c.request(method, path, body=body, headers={"Content-Type": ctype})
        r = self.c.getresponse()
        data = r.read()
        return r.status, data


def http_json(port, method, path, body=None):
    conn = Conn(port)
    status, data = conn.call(method, path, None if body is None else json.dumps(body))
    return status, json.loads(data) if data else None


def wait_for(what, predicate, seconds=120):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if predicate():
                return
        except (OSError, http.client.HTTPException, ValueError):
            pass
        time.sleep(0.1)
    raise RuntimeError("timed out waiting for " + what)


class Cluster:
    """etcd + 3 NATS (cluster.sh) and N Lookalike nodes, all under one temporary folder."""

    def __init__(self, binary, n):
        self.binary, self.n = binary, n
        self.tmp = tempfile.mkdtemp(prefix="lookalike-cluster-bench-")
        self.dir = os.path.join(self.tmp, "cluster")
        self.nodes = []  # (name, port, Popen)

    def up(self):
        env = dict(os.environ, LK_CLUSTER_OWNER_PID=str(os.getpid()))
        out = subprocess.run(["bash", SCRIPT, "up", self.dir], capture_output=True, text=True,
                             env=env, timeout=120)
        if out.returncode != 0:
            raise RuntimeError("cluster.sh up failed: " + out.stderr)
        conf = dict(line.split("=", 1) for line in out.stdout.split() if "=" in line)
        for i in range(1, self.n + 1):
            name, port = "n%d" % i, free_port()
            log = open(os.path.join(self.tmp, name + ".log"), "a")
            proc = subprocess.Popen(
                [self.binary, "serve", "--data", os.path.join(self.tmp, name), "--port", str(port),
                 "--cluster", "etcd=" + conf["LK_ETCD_URL"], "--nats", conf["LK_NATS_URLS"],
                 "--node-name", name], stdout=log, stderr=subprocess.STDOUT)
            self.nodes.append((name, port, proc))
        for name, port, _ in self.nodes:
            wait_for(name, lambda p=port, nm=name: http_json(p, "GET", "/")[1]["name"] == nm)
        wait_for("%d nodes" % self.n, lambda: http_json(
            self.ports()[0], "GET", "/_cluster/health")[1]["number_of_nodes"] == self.n)

    def ports(self):
        return [port for _, port, _ in self.nodes]

    def pids(self):
        """{service: pid} of every process of this cluster."""
        out = {name: proc.pid for name, _, proc in self.nodes}
        run = os.path.join(self.dir, "run")
        for service in ("etcd", "nats1", "nats2", "nats3"):
            try:
                with open(os.path.join(run, service + ".pid")) as f:
                    out[service] = int(f.read().strip())
            except (OSError, ValueError):
                pass
        return out

    def down(self):
        for _, _, proc in self.nodes:
            proc.kill()
            proc.wait()
        subprocess.run(["bash", SCRIPT, "down", self.dir], capture_output=True, timeout=60)
        shutil.rmtree(self.tmp, ignore_errors=True)


def cpu_of(pids):
    return {name: cpu_s(pid) for name, pid in pids.items()}


def cpu_used(before, after):
    """CPU seconds per kind of service: lookalike (all nodes), nats (all three), etcd."""
    out = {"lookalike": 0.0, "nats": 0.0, "etcd": 0.0}
    for name, t in after.items():
        kind = "nats" if name.startswith("nats") else "etcd" if name == "etcd" else "lookalike"
        out[kind] += t - before.get(name, t)
    return out


def run_threads(clients, work):
    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def ingest(cluster, batches, clients):
    """Sends the bulk bodies; returns (seconds to the last ack, seconds until searchable,
    per-request latencies in ms, CPU used)."""
    ports, lock, latencies, errors = cluster.ports(), threading.Lock(), [], []
    next_batch = [0]

    def work(worker):
        conns = {}
        while True:
            with lock:
                i = next_batch[0]
                next_batch[0] += 1
            if i >= len(batches):
                return
            port = ports[i % len(ports)]
            conn = conns.setdefault(port, Conn(port))
            t = time.perf_counter()
            status, data = conn.call("POST", "/_bulk", batches[i], "application/x-ndjson")
            ms = (time.perf_counter() - t) * 1000
            with lock:
                latencies.append(ms)
                if status != 200 or json.loads(data).get("errors"):
                    errors.append((status, data[:300]))

    total = sum(b.count(b"\n") // 2 for b in batches)
    before = cpu_of(cluster.pids())
    start = time.perf_counter()
    run_threads(clients, work)
    acked = time.perf_counter() - start
    if errors:
        raise RuntimeError("bulk errors: %r" % errors[:3])
    wait_for("every document searchable", lambda: http_json(
        ports[0], "GET", "/%s/_count" % INDEX)[1]["count"] == total, 600)
    searchable = time.perf_counter() - start
    used = cpu_used(before, cpu_of(cluster.pids()))
    # Every local copy's _refresh returns once its vector index covers what it applied, so no
    # background insertion is left to run into the search phase's CPU time.
    for port in ports:
        for row in http_json(port, "GET", "/_cat/indices?format=json")[1]:
            if row["index"].startswith(INDEX + "~"):
                http_json(port, "POST", "/%s/_refresh" % row["index"])
    return acked, searchable, latencies, used


def search(cluster, bodies, clients):
    """Runs the queries; returns (latencies in ms, seconds, CPU used)."""
    ports, lock, latencies = cluster.ports(), threading.Lock(), []
    share = [bodies[i::clients] for i in range(clients)]

    def work(worker):
        conns = [Conn(p) for p in ports]
        mine = []
        for j, body in enumerate(share[worker]):
            conn = conns[(j + worker) % len(conns)]
            t = time.perf_counter()
            status, data = conn.call("POST", "/%s/_search" % INDEX, body)
            mine.append((time.perf_counter() - t) * 1000)
            if status != 200:
                raise RuntimeError("search status %d: %s" % (status, data[:300]))
        with lock:
            latencies.extend(mine)

    run_threads(clients, lambda w: [Conn(p).call("POST", "/%s/_search" % INDEX, bodies[0])
                                     for p in ports])  # warm-up
    before = cpu_of(cluster.pids())
    start = time.perf_counter()
    run_threads(clients, work)
    seconds = time.perf_counter() - start
    return latencies, seconds, cpu_used(before, cpu_of(cluster.pids()))


def small_writes(cluster, dim, count=100):
    """`count` one-document _bulk requests, one at a time: what a write costs when there is
    nothing to batch (the JetStream publish and ack round trip, replicated 3 ways)."""
    conn, out = Conn(cluster.ports()[0]), []
    vec = ",".join(["0.5"] * dim)
    for i in range(count):
        body = '{"index":{"_index":"%s","_id":"s%d"}}\n{"v":[%s],"n":-1}\n' % (INDEX, i, vec)
        t = time.perf_counter()
        status, data = conn.call("POST", "/_bulk", body.encode(), "application/x-ndjson")
        out.append((time.perf_counter() - t) * 1000)
        if status != 200 or json.loads(data).get("errors"):
            raise RuntimeError("small bulk failed: %s" % data[:300])
    return out


def make_batches(docs, dim, batch, rng):
    out, lines = [], []
    for i in range(docs):
        vec = ",".join("%.4f" % rng.uniform(-1, 1) for _ in range(dim))
        lines.append('{"index":{"_index":"%s","_id":"d%07d"}}\n{"v":[%s],"n":%d}\n' % (
            INDEX, i, vec, i))
        if len(lines) == batch:
            out.append("".join(lines).encode())
            lines = []
    if lines:
        out.append("".join(lines).encode())
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "lookalike"))
    ap.add_argument("--docs", type=int, default=20000)
    ap.add_argument("--dim", type=int, default=256)
    ap.add_argument("--nodes", default="1,2,3")
    ap.add_argument("--shards", type=int, default=0, help="0 = one per node")
    ap.add_argument("--replicas", type=int, default=0)
    ap.add_argument("--queries", type=int, default=2000)
    ap.add_argument("--clients", type=int, default=2)
    ap.add_argument("--batch", type=int, default=500)
    args = ap.parse_args()
    rng = random.Random(11)
    batches = make_batches(args.docs, args.dim, args.batch, rng)
    queries = [json.dumps({"size": 10, "_source": False, "query": {"knn": {"v": {
        "vector": [round(rng.uniform(-1, 1), 4) for _ in range(args.dim)], "k": 10}}}})
        for _ in range(args.queries)]
    rows, cpu_rows = [], []
    for n in [int(x) for x in args.nodes.split(",")]:
        shards = args.shards or n
        cluster = Cluster(args.binary, n)
        try:
            cluster.up()
            status, body = http_json(cluster.ports()[0], "PUT", "/" + INDEX, {
                "settings": {"number_of_shards": shards, "number_of_replicas": args.replicas},
                "mappings": {"properties": {
                    "v": {"type": "knn_vector", "dimension": args.dim},
                    "n": {"type": "long"}}}})
            if status != 200:
                raise RuntimeError("create index: %s" % body)
            wait_for("green", lambda: http_json(cluster.ports()[0], "GET",
                                                "/_cluster/health/" + INDEX)[1]["status"]
                     == "green")
            acked, searchable, bulk_ms, ingest_cpu = ingest(cluster, batches, args.clients)
            lat, seconds, search_cpu = search(cluster, queries, args.clients)
            one_doc_ms = small_writes(cluster, args.dim)
        finally:
            cluster.down()
        copies = args.docs * (args.replicas + 1)
        rows.append("| %d | %d×%d | %.0f | %.0f | %.0f / %.0f | %.1f | %.2f / %.2f | %.0f |" % (
            n, shards, args.replicas + 1, args.docs / acked, args.docs / searchable,
            percentile(bulk_ms, 50), percentile(bulk_ms, 99), percentile(one_doc_ms, 50),
            percentile(lat, 50), percentile(lat, 99), len(lat) / seconds))
        cpu_rows.append("| %d | %.1f | %.1f | %.1f | %.2f | %.2f |" % (
            n, 1e6 * ingest_cpu["lookalike"] / copies, 1e6 * ingest_cpu["nats"] / args.docs,
            1e6 * ingest_cpu["etcd"] / args.docs, 1e3 * search_cpu["lookalike"] / len(lat),
            1e3 * (search_cpu["nats"] + search_cpu["etcd"]) / len(lat)))
        print("done: %d node(s)" % n, file=sys.stderr, flush=True)
    print("%d docs × %d dims, bulk %d docs/request, %d client threads, %d knn queries (k=10)\n" % (
        args.docs, args.dim, args.batch, args.clients, args.queries))
    print("| nodes | shards × copies | ingest docs/s (acked) | ingest docs/s (searchable) | "
          "_bulk p50 / p99 ms | 1-doc _bulk p50 ms | search p50 / p99 ms | search QPS |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    print("\n".join(rows))
    print("\nCPU per unit of work (user + system, all processes of a kind summed):\n")
    print("| nodes | Lookalike µs/doc/copy | NATS µs/doc | etcd µs/doc | Lookalike ms/query | "
          "NATS + etcd ms/query |")
    print("|---:|---:|---:|---:|---:|---:|")
    print("\n".join(cpu_rows))


if __name__ == "__main__":
    main()
