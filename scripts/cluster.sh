#!/usr/bin/env bash
# A whole local Lookalike cluster on one machine (issue 9, item 7): one etcd and three
# nats-server in a JetStream cluster, on free local ports, everything under one folder.
#
#   scripts/cluster.sh up [DIR]          start etcd + nats1..nats3 (DIR default data/cluster);
#                                        returns once all answer and JetStream has a meta leader
#   scripts/cluster.sh down [DIR]        kill -9 everything started by `up` (pid files) and
#                                        remove the pid files; data and logs stay
#   scripts/cluster.sh status [DIR]      one line per service: running / stopped, pid, URL
#   scripts/cluster.sh kill NODE [DIR]   kill -9 one service: etcd, nats1, nats2, nats3
#   scripts/cluster.sh start NODE [DIR]  restart one service on its data with its old ports
#   scripts/cluster.sh env [DIR]         print LK_ETCD_URL and LK_NATS_URLS (shell syntax)
#
# Not yet: the three Lookalike nodes n1..n3 on 9201..9203 (they join once `serve --cluster`
# exists); `up` starts the external services only.
#
# Layout of DIR: cluster.env (ports and URLs, sourced by the other commands), run/NAME.pid,
# run/NAME.cmd (the command line `start` repeats), logs/NAME.log, etcd/ and nats/NAME/ (data).
# If LK_CLUSTER_OWNER_PID is set when `up` runs, a watchdog runs `down` as soon as that process
# is gone, so a test that dies cannot leave servers behind.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SCRIPT="$ROOT/scripts/cluster.sh"
NATS_NODES=(nats1 nats2 nats3)

usage() {
  sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
}

die() { echo "cluster.sh: $*" >&2; exit 1; }

resolve_dir() { # DIR argument or the default, as an absolute path
  local dir="${1:-$ROOT/data/cluster}"
  mkdir -p "$dir"
  (cd "$dir" && pwd)
}

free_ports() { # N distinct free TCP ports on 127.0.0.1
  python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

alive() { # pid: running and not a zombie waiting to be reaped
  kill -0 "$1" 2>/dev/null || return 1
  [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

pid_of() { # running pid of service $2 in dir $1, or nothing
  local file="$1/run/$2.pid"
  [ -f "$file" ] || return 0
  local pid
  pid="$(cat "$file")"
  if [ -n "$pid" ] && alive "$pid"; then echo "$pid"; fi
}

launch() { # dir name: runs run/NAME.cmd in the background, records the pid
  local dir="$1" name="$2"
  [ -z "$(pid_of "$dir" "$name")" ] || die "$name is already running"
  # setsid: the service must not die with the shell that started it (and ctest's group).
  setsid bash -c "exec $(cat "$dir/run/$name.cmd")" >>"$dir/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$dir/run/$name.pid"
}

http_ok() { curl -fsS --max-time 1 "$1" >/dev/null 2>&1; }

wait_for() { # description url [seconds]
  local deadline=$((SECONDS + ${3:-30}))
  until http_ok "$2"; do
    [ $SECONDS -lt $deadline ] || die "$1 did not become ready ($2); see its log"
    sleep 0.1
  done
}

write_commands() { # dir: picks ports, writes cluster.env and the command lines
  local dir="$1"
  read -r etcd_client etcd_peer n1 n2 n3 r1 r2 r3 m1 m2 m3 <<<"$(free_ports 11)"
  local client=("$n1" "$n2" "$n3") route=("$r1" "$r2" "$r3") monitor=("$m1" "$m2" "$m3")
  local routes="nats://127.0.0.1:$r1,nats://127.0.0.1:$r2,nats://127.0.0.1:$r3"
  cat >"$dir/cluster.env" <<EOF
LK_ETCD_URL=http://127.0.0.1:$etcd_client
LK_NATS_URLS=nats://127.0.0.1:$n1,nats://127.0.0.1:$n2,nats://127.0.0.1:$n3
LK_NATS_MONITOR_PORTS="$m1 $m2 $m3"
EOF
  echo "etcd --name etcd1 --data-dir '$dir/etcd'" \
    "--listen-client-urls http://127.0.0.1:$etcd_client" \
    "--advertise-client-urls http://127.0.0.1:$etcd_client" \
    "--listen-peer-urls http://127.0.0.1:$etcd_peer" \
    "--initial-advertise-peer-urls http://127.0.0.1:$etcd_peer" \
    "--initial-cluster etcd1=http://127.0.0.1:$etcd_peer --log-level warn" >"$dir/run/etcd.cmd"
  for i in 0 1 2; do
    local name="${NATS_NODES[$i]}"
    mkdir -p "$dir/nats/$name"
    echo "nats-server -js -sd '$dir/nats/$name' -n $name -a 127.0.0.1 -p ${client[$i]}" \
      "-m ${monitor[$i]} --cluster_name lookalike" \
      "--cluster nats://127.0.0.1:${route[$i]} --routes $routes" >"$dir/run/$name.cmd"
  done
}

start_watchdog() { # dir owner_pid: `down` once the owner is gone
  local dir="$1" owner="$2"
  setsid bash -c "while kill -0 $owner 2>/dev/null; do sleep 0.5; done; '$SCRIPT' down '$dir'" \
    >/dev/null 2>&1 </dev/null &
  echo $! >"$dir/run/watchdog.pid"
}

wait_ready() { # dir [names...]: every named service answers
  local dir="$1"
  shift
  # shellcheck disable=SC1091
  source "$dir/cluster.env"
  local ports=($LK_NATS_MONITOR_PORTS)
  for name in "$@"; do
    case "$name" in
      etcd) wait_for etcd "$LK_ETCD_URL/health" ;;
      nats1) wait_for nats1 "http://127.0.0.1:${ports[0]}/healthz" ;;
      nats2) wait_for nats2 "http://127.0.0.1:${ports[1]}/healthz" ;;
      nats3) wait_for nats3 "http://127.0.0.1:${ports[2]}/healthz" ;;
    esac
  done
}

cmd_up() {
  local dir
  dir="$(resolve_dir "${1:-}")"
  command -v etcd >/dev/null || die "etcd not found (run scripts/install-deps.sh)"
  command -v nats-server >/dev/null || die "nats-server not found (run scripts/install-deps.sh)"
  mkdir -p "$dir/run" "$dir/logs"
  for name in etcd "${NATS_NODES[@]}"; do
    [ -z "$(pid_of "$dir" "$name")" ] || die "$name already running in $dir (cluster.sh down first)"
  done
  [ -f "$dir/cluster.env" ] || write_commands "$dir"
  for name in etcd "${NATS_NODES[@]}"; do launch "$dir" "$name"; done
  if [ -n "${LK_CLUSTER_OWNER_PID:-}" ]; then start_watchdog "$dir" "$LK_CLUSTER_OWNER_PID"; fi
  if ! wait_ready "$dir" etcd "${NATS_NODES[@]}"; then
    cmd_down "$dir"
    exit 1
  fi
  cat "$dir/cluster.env"
}

cmd_down() {
  local dir
  dir="$(resolve_dir "${1:-}")"
  [ -d "$dir/run" ] || return 0
  for file in "$dir"/run/*.pid; do
    [ -e "$file" ] || continue
    local name pid
    name="$(basename "$file" .pid)"
    pid="$(pid_of "$dir" "$name")"
    # The watchdog runs this very function; it must not kill itself first.
    if [ -n "$pid" ] && [ "$pid" != "$$" ] && [ "$name" != watchdog ]; then
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$file"
  done
  # Watchdog last (it may be the caller).
  [ -f "$dir/run/watchdog.pid" ] && kill -9 "$(cat "$dir/run/watchdog.pid")" 2>/dev/null || true
  rm -f "$dir/run/watchdog.pid"
}

cmd_status() {
  local dir
  dir="$(resolve_dir "${1:-}")"
  [ -f "$dir/cluster.env" ] || die "no cluster in $dir (cluster.sh up first)"
  # shellcheck disable=SC1091
  source "$dir/cluster.env"
  local urls=("$LK_ETCD_URL" ${LK_NATS_URLS//,/ })
  local i=0
  for name in etcd "${NATS_NODES[@]}"; do
    local pid
    pid="$(pid_of "$dir" "$name")"
    if [ -n "$pid" ]; then
      echo "$name running pid $pid ${urls[$i]}"
    else
      echo "$name stopped ${urls[$i]}"
    fi
    i=$((i + 1))
  done
}

check_node() {
  case "$1" in
    etcd | nats1 | nats2 | nats3) ;;
    n1 | n2 | n3) die "Lookalike nodes are not part of the local cluster yet" ;;
    *) die "unknown node '$1' (etcd, nats1, nats2, nats3)" ;;
  esac
}

cmd_kill() {
  check_node "$1"
  local dir pid
  dir="$(resolve_dir "${2:-}")"
  pid="$(pid_of "$dir" "$1")"
  [ -n "$pid" ] || die "$1 is not running"
  kill -9 "$pid"
  while alive "$pid"; do sleep 0.05; done
  rm -f "$dir/run/$1.pid"
}

cmd_start() {
  check_node "$1"
  local dir
  dir="$(resolve_dir "${2:-}")"
  [ -f "$dir/run/$1.cmd" ] || die "no cluster in $dir (cluster.sh up first)"
  launch "$dir" "$1"
  wait_ready "$dir" "$1"
}

cmd_env() {
  local dir
  dir="$(resolve_dir "${1:-}")"
  [ -f "$dir/cluster.env" ] || die "no cluster in $dir (cluster.sh up first)"
  grep -E '^LK_(ETCD_URL|NATS_URLS)=' "$dir/cluster.env"
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
