#!/usr/bin/env bash
# A whole local Lookalike cluster on one machine (issue 9, item 7): one etcd, three nats-server
# in a JetStream cluster and three Lookalike nodes n1, n2, n3, everything under one folder.
#
#   scripts/cluster.sh up [DIR]          start etcd, nats1..nats3, then n1..n3 on 127.0.0.1:9201,
#                                        9202, 9203 (DIR default data/cluster); returns once every
#                                        node answers and _cluster/health is green
#   scripts/cluster.sh down [DIR]        stop everything started by `up` (nodes get SIGTERM, then
#                                        kill -9 after 20 s; the services kill -9); data stays
#   scripts/cluster.sh status [DIR]      one line per process: running / stopped, pid, URL
#   scripts/cluster.sh kill NODE [DIR]   kill -9 one process: n1..n3, nats1..nats3, etcd
#   scripts/cluster.sh start NODE [DIR]  restart one process on its data with its old port;
#                                        returns once it answers (a node restarted within its
#                                        lease TTL takes its registration and copies back)
#   scripts/cluster.sh env [DIR]         print LK_ETCD_URL, LK_NATS_URLS, LK_NODE_URLS
#
# Environment (read by `up`):
#   LOOKALIKE_BIN       the lookalike binary (default build/lookalike)
#   LK_NODE_BASE_PORT   n1..n3 serve on BASE, BASE+1, BASE+2 (default 9201); 0 = free ports,
#                       for tests and for several clusters on one machine. Only the first `up`
#                       of a DIR picks ports; later ones reuse DIR/cluster.env's
#   LK_NODE_ARGS        extra `lookalike serve` arguments for every node (e.g. --log-level debug)
#   LK_CLUSTER_OWNER_PID  if set, a watchdog runs `down` as soon as that process is gone, so a
#                       test that dies cannot leave processes behind
#
# Layout of DIR: cluster.env (ports and URLs, sourced by the other commands), run/NAME.pid,
# run/NAME.cmd (the command line `start` repeats), logs/NAME.log, etcd/, nats/NAME/ and
# nodes/NAME/ (data).
# shellcheck disable=SC2206 # the port and URL lists split on spaces (numbers and URLs only)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SCRIPT="$ROOT/scripts/cluster.sh"
NATS_NODES=(nats1 nats2 nats3)
LK_NODES=(n1 n2 n3)

usage() {
  sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
}

die() { echo "cluster.sh: $*" >&2; exit 1; }

resolve_dir() { # DIR argument or the default, as an absolute path
  local dir="${1:-$ROOT/data/cluster}"
  mkdir -p "$dir"
  (cd "$dir" && pwd)
}

free_ports() { # N distinct free TCP ports on 127.0.0.1
  python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

port_free() { # port: nothing listens on 127.0.0.1:PORT and it can be bound
  python3 - "$1" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
PY
}

alive() { # pid: running and not a zombie waiting to be reaped
  kill -0 "$1" 2>/dev/null || return 1
  [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

pid_of() { # running pid of process $2 in dir $1, or nothing
  local file="$1/run/$2.pid"
  [ -f "$file" ] || return 0
  local pid
  pid="$(cat "$file")"
  if [ -n "$pid" ] && alive "$pid"; then echo "$pid"; fi
}

node_index() { echo $((${1#n} - 1)); } # n1 -> 0

launch() { # dir name: runs run/NAME.cmd in the background, records the pid
  local dir="$1" name="$2"
  [ -z "$(pid_of "$dir" "$name")" ] || die "$name is already running"
  # setsid: the process must not die with the shell that started it (and ctest's group).
  setsid bash -c "exec $(cat "$dir/run/$name.cmd")" >>"$dir/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$dir/run/$name.pid"
}

http_ok() { curl -fsS --max-time 1 "$1" >/dev/null 2>&1; }

wait_for() { # dir name url [seconds]: the URL answers; fails early when NAME's process died
  local dir="$1" name="$2" url="$3"
  local deadline=$((SECONDS + ${4:-30}))
  until http_ok "$url"; do
    if [ -z "$(pid_of "$dir" "$name")" ]; then
      tail -n 5 "$dir/logs/$name.log" >&2 || true
      die "$name exited before it answered on $url (log: $dir/logs/$name.log)"
    fi
    [ $SECONDS -lt $deadline ] || die "$name did not become ready ($url); see $dir/logs/$name.log"
    sleep 0.1
  done
}

write_ports() { # dir: picks the services' ports once, writes cluster.env and their commands
  local dir="$1"
  read -r etcd_client etcd_peer n1 n2 n3 r1 r2 r3 m1 m2 m3 <<<"$(free_ports 11)"
  local client=("$n1" "$n2" "$n3") route=("$r1" "$r2" "$r3") monitor=("$m1" "$m2" "$m3")
  local routes="nats://127.0.0.1:$r1,nats://127.0.0.1:$r2,nats://127.0.0.1:$r3"
  cat >"$dir/cluster.env" <<ENV
LK_ETCD_URL=http://127.0.0.1:$etcd_client
LK_NATS_URLS=nats://127.0.0.1:$n1,nats://127.0.0.1:$n2,nats://127.0.0.1:$n3
LK_NATS_MONITOR_PORTS="$m1 $m2 $m3"
ENV
  echo "etcd --name etcd1 --data-dir '$dir/etcd'" \
    "--listen-client-urls http://127.0.0.1:$etcd_client" \
    "--advertise-client-urls http://127.0.0.1:$etcd_client" \
    "--listen-peer-urls http://127.0.0.1:$etcd_peer" \
    "--initial-advertise-peer-urls http://127.0.0.1:$etcd_peer" \
    "--initial-cluster etcd1=http://127.0.0.1:$etcd_peer --log-level warn" >"$dir/run/etcd.cmd"
  local i
  for i in 0 1 2; do
    local name="${NATS_NODES[$i]}"
    mkdir -p "$dir/nats/$name"
    echo "nats-server -js -sd '$dir/nats/$name' -n $name -a 127.0.0.1 -p ${client[$i]}" \
      "-m ${monitor[$i]} --cluster_name lookalike" \
      "--cluster nats://127.0.0.1:${route[$i]} --routes $routes" >"$dir/run/$name.cmd"
  done
}

add_node_ports() { # dir: the Lookalike nodes' ports, once (a DIR from before they existed too)
  local dir="$1" base="${LK_NODE_BASE_PORT:-9201}" ports
  grep -q '^LK_NODE_PORTS=' "$dir/cluster.env" && return 0
  [[ "$base" =~ ^[0-9]+$ ]] || die "LK_NODE_BASE_PORT must be a port number or 0 (got '$base')"
  if [ "$base" = 0 ]; then
    ports="$(free_ports 3)"
  else
    ports="$base $((base + 1)) $((base + 2))"
  fi
  local urls="" p
  for p in $ports; do urls="${urls:+$urls,}http://127.0.0.1:$p"; done
  printf 'LK_NODE_PORTS="%s"\nLK_NODE_URLS=%s\n' "$ports" "$urls" >>"$dir/cluster.env"
}

load_env() { # dir
  [ -f "$1/cluster.env" ] || die "no cluster in $1 (cluster.sh up first)"
  # shellcheck disable=SC1091
  source "$1/cluster.env"
}

write_node_commands() { # dir: the Lookalike nodes' command lines (`up` and `start` run them)
  local dir="$1" i
  load_env "$dir"
  # The binary is resolved on every `up` (a rebuilt or another binary is picked up then).
  local bin="${LOOKALIKE_BIN:-$ROOT/build/lookalike}" ports=($LK_NODE_PORTS)
  [ -x "$bin" ] || die "no lookalike binary at $bin (make build, or set LOOKALIKE_BIN)"
  bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
  for i in 0 1 2; do
    local name="${LK_NODES[$i]}"
    mkdir -p "$dir/nodes/$name"
    echo "'$bin' serve --data '$dir/nodes/$name' --host 127.0.0.1 --port ${ports[$i]}" \
      "--node-name $name --cluster etcd=$LK_ETCD_URL --nats $LK_NATS_URLS ${LK_NODE_ARGS:-}" \
      >"$dir/run/$name.cmd"
  done
}

start_watchdog() { # dir owner_pid: `down` once the owner is gone
  local dir="$1" owner="$2"
  setsid bash -c "while kill -0 $owner 2>/dev/null; do sleep 0.5; done; '$SCRIPT' down '$dir'" \
    >/dev/null 2>&1 </dev/null &
  echo $! >"$dir/run/watchdog.pid"
}

wait_ready() { # dir [names...]: every named process answers
  local dir="$1" name
  shift
  load_env "$dir"
  local monitor=($LK_NATS_MONITOR_PORTS) nodes=($LK_NODE_PORTS)
  for name in "$@"; do
    case "$name" in
      etcd) wait_for "$dir" etcd "$LK_ETCD_URL/health" ;;
      nats[123]) wait_for "$dir" "$name" "http://127.0.0.1:${monitor[${name#nats} - 1]}/healthz" ;;
      # A node answers only once it joined the cluster (it joins before it serves requests).
      n[123]) wait_for "$dir" "$name" "http://127.0.0.1:${nodes[$(node_index "$name")]}/" 120 ;;
    esac
  done
}

health_of() { # url: "status nodes" of _cluster/health, or nothing
  curl -fsS --max-time 2 "$1/_cluster/health" 2>/dev/null |
    python3 -c 'import json,sys; h=json.load(sys.stdin); print(h["status"], h["number_of_nodes"])' \
      2>/dev/null || true
}

wait_green() { # dir: health green with all three nodes, asked on n1
  local dir="$1" deadline=$((SECONDS + 120)) health=""
  load_env "$dir"
  local url="${LK_NODE_URLS%%,*}"
  until [ "$health" = "green 3" ]; do
    [ $SECONDS -lt $deadline ] || die "_cluster/health on $url is '$health', not 'green 3'"
    sleep 0.2
    health="$(health_of "$url")"
  done
}

cmd_up() {
  local dir name
  dir="$(resolve_dir "${1:-}")"
  command -v etcd >/dev/null || die "etcd not found (run scripts/install-deps.sh)"
  command -v nats-server >/dev/null || die "nats-server not found (run scripts/install-deps.sh)"
  mkdir -p "$dir/run" "$dir/logs"
  for name in etcd "${NATS_NODES[@]}" "${LK_NODES[@]}"; do
    [ -z "$(pid_of "$dir" "$name")" ] || die "$name already running in $dir (cluster.sh down first)"
  done
  [ -f "$dir/cluster.env" ] || write_ports "$dir"
  add_node_ports "$dir"
  write_node_commands "$dir"
  local ports=($LK_NODE_PORTS) i
  for i in 0 1 2; do
    port_free "${ports[$i]}" || die "port ${ports[$i]} (${LK_NODES[$i]}) is in use; stop what" \
      "holds it or use another DIR with LK_NODE_BASE_PORT=0 (free ports)"
  done
  for name in etcd "${NATS_NODES[@]}"; do launch "$dir" "$name"; done
  if [ -n "${LK_CLUSTER_OWNER_PID:-}" ]; then start_watchdog "$dir" "$LK_CLUSTER_OWNER_PID"; fi
  # Subshells: a failed wait exits only them, so `down` still cleans up.
  if ! (wait_ready "$dir" etcd "${NATS_NODES[@]}"); then
    cmd_down "$dir"
    exit 1
  fi
  for name in "${LK_NODES[@]}"; do launch "$dir" "$name"; done
  if ! (wait_ready "$dir" "${LK_NODES[@]}" && wait_green "$dir"); then
    cmd_down "$dir"
    exit 1
  fi
  cmd_env "$dir"
}

stop_pid() { # pid signal seconds: signal, then wait up to SECONDS for it to be gone
  local pid="$1" deadline=$((SECONDS + $3))
  kill "-$2" "$pid" 2>/dev/null || return 0
  while alive "$pid"; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.05
  done
}

cmd_down() {
  local dir name pid
  dir="$(resolve_dir "${1:-}")"
  [ -d "$dir/run" ] || return 0
  # Lookalike nodes first and gracefully (they persist their engines and leave the cluster at
  # once), while etcd and NATS still answer; kill -9 whatever does not stop in time.
  local stopping=()
  for name in "${LK_NODES[@]}"; do
    pid="$(pid_of "$dir" "$name")"
    if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null && stopping+=("$pid"); fi
  done
  for pid in "${stopping[@]}"; do stop_pid "$pid" 0 20 || stop_pid "$pid" KILL 5 || true; done
  for file in "$dir"/run/*.pid; do
    [ -e "$file" ] || continue
    name="$(basename "$file" .pid)"
    pid="$(pid_of "$dir" "$name")"
    # The watchdog runs this very function; it must not kill itself first.
    if [ -n "$pid" ] && [ "$pid" != "$$" ] && [ "$name" != watchdog ]; then
      stop_pid "$pid" KILL 5 || true
    fi
    [ "$name" = watchdog ] || rm -f "$file"
  done
  # Watchdog last: it may be this very process (its bash execs `down`), so the pid file goes
  # first.
  local watchdog
  watchdog="$(cat "$dir/run/watchdog.pid" 2>/dev/null || true)"
  rm -f "$dir/run/watchdog.pid"
  if [ -n "$watchdog" ] && [ "$watchdog" != "$$" ]; then kill -9 "$watchdog" 2>/dev/null || true; fi
}

cmd_status() {
  local dir name pid
  dir="$(resolve_dir "${1:-}")"
  load_env "$dir"
  local urls=("$LK_ETCD_URL" ${LK_NATS_URLS//,/ } ${LK_NODE_URLS//,/ })
  local i=0
  for name in etcd "${NATS_NODES[@]}" "${LK_NODES[@]}"; do
    pid="$(pid_of "$dir" "$name")"
    if [ -n "$pid" ]; then
      echo "$name running pid $pid ${urls[$i]:-}"
    else
      echo "$name stopped ${urls[$i]:-}"
    fi
    i=$((i + 1))
  done
}

check_node() {
  case "$1" in
    etcd | nats1 | nats2 | nats3 | n1 | n2 | n3) ;;
    *) die "unknown node '$1' (etcd, nats1, nats2, nats3, n1, n2, n3)" ;;
  esac
}

cmd_kill() {
  check_node "$1"
  local dir pid
  dir="$(resolve_dir "${2:-}")"
  pid="$(pid_of "$dir" "$1")"
  [ -n "$pid" ] || die "$1 is not running"
  stop_pid "$pid" KILL 10 || die "$1 (pid $pid) did not die"
  rm -f "$dir/run/$1.pid"
}

cmd_start() {
  check_node "$1"
  local dir
  dir="$(resolve_dir "${2:-}")"
  [ -f "$dir/run/$1.cmd" ] || die "no cluster in $dir (cluster.sh up first)"
  [ -z "$(pid_of "$dir" "$1")" ] || die "$1 is already running"
  launch "$dir" "$1"
  if [[ "$1" == nats[123] ]]; then
    # Serving is enough: /healthz stays failing while the server's copies of streams and
    # consumers catch up (over 30 s seen on a loaded machine, for a consumer's Raft group).
    load_env "$dir"
    local monitor=($LK_NATS_MONITOR_PORTS)
    wait_for "$dir" "$1" "http://127.0.0.1:${monitor[${1#nats} - 1]}/varz"
  else
    wait_ready "$dir" "$1"
  fi
}

cmd_env() {
  local dir
  dir="$(resolve_dir "${1:-}")"
  load_env "$dir"
  grep -E '^LK_(ETCD_URL|NATS_URLS|NODE_URLS)=' "$dir/cluster.env"
}

[ $# -ge 1 ] || usage
command="$1"
shift
case "$command" in
  up) cmd_up "$@" ;;
  down) cmd_down "$@" ;;
  status) cmd_status "$@" ;;
  kill) [ $# -ge 1 ] || usage; cmd_kill "$@" ;;
  start) [ $# -ge 1 ] || usage; cmd_start "$@" ;;
  env) cmd_env "$@" ;;
  *) usage ;;
esac
