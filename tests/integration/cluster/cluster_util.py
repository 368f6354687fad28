"""What the cluster integration tests share: free ports and driving scripts/cluster.sh."""
import os
import socket
import subprocess

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
SCRIPT = os.path.join(ROOT, "scripts", "cluster.sh")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def script(*args, cluster_dir, check=True):
    """Runs `scripts/cluster.sh ARGS DIR`; the services die with this process (owner pid)."""
    env = dict(os.environ, LK_CLUSTER_OWNER_PID=str(os.getpid()))
    result = subprocess.run(["bash", SCRIPT, *args, cluster_dir], capture_output=True,
                            text=True, env=env, timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"cluster.sh {' '.join(args)} failed: {result.stderr}")
    return result
