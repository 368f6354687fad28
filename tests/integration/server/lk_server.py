"""Starts and stops `lookalike serve` for integration tests (free port, temp data dir)."""
import base64
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))


def find_binary(argv):
    """--binary PATH from argv, else $LOOKALIKE_BIN, else build/lookalike."""
    if "--binary" in argv:
        return argv[argv.index("--binary") + 1]
    return os.environ.get("LOOKALIKE_BIN", os.path.join(REPO, "build", "lookalike"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def secure_mode(argv=None):
    """True when the test runs a second time with security on (--secure)."""
    return "--secure" in (sys.argv if argv is None else argv)


def add_user(binary, data_dir, name, password, roles="superuser"):
    """`lookalike users add` on a (stopped or running) server's data directory."""
    subprocess.run([binary, "users", "add", name, "--roles", roles, "--data", data_dir,
                    "--password-stdin"], input=(password + "\n").encode(), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def basic_auth(user, password):
    return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


# The superuser the --secure runs use.
SECURE_USER = ("elastic", "it-secret-pw")


class Server:
    """One server process on a data directory; the directory survives restarts.

    `auth`: an Authorization header value sent with every request of request()/json() and
    the start-up probe (None = none). `secure=True` creates SECURE_USER in the data directory,
    starts with --security and authenticates as that user."""

    def __init__(self, binary, data_dir=None, extra_args=(), auth=None, secure=False):
        self.binary = binary
        self.own_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="lookalike-it-")
        self.extra_args = list(extra_args)
        self.auth = auth
        if secure:
            add_user(binary, self.data_dir, *SECURE_USER)
            self.extra_args.append("--security")
            self.auth = basic_auth(*SECURE_USER)
        self.proc = None
        self.port = None
        self.log_path = os.path.join(self.data_dir + ".log")

    def start(self, timeout=60):
        self.port = free_port()
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--data", self.data_dir, "--port", str(self.port)]
            + self.extra_args, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited with %s; log:\n%s" % (self.proc.returncode, self.log()))
            try:
                status, _ = self.request("GET", "/")
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("server did not start; log:\n" + self.log())

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def request(self, method, path, body=None, headers=None, timeout=60):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            if isinstance(body, (dict, list)):
                body = json.dumps(body)
            hdrs = {"Content-Type": "application/json"}
            if self.auth:
                hdrs["Authorization"] = self.auth
            hdrs.update(headers or {})
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, data
        finally:
            conn.close()

    def json(self, method, path, body=None):
        status, data = self.request(method, path, body)
        return status, (json.loads(data) if data else None)

    def stop(self, timeout=120, sig=signal.SIGTERM):
        """`sig` (SIGTERM or SIGINT: both stop gracefully) and wait; returns the exit code."""
        if self.proc is None:
            return None
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.proc = None
        return rc

    def kill9(self):
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
            self.proc = None

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")[-5000:]
        except OSError:
            return ""

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        """End of a `with Server(...).start() as server:` block. A block that completes must
        leave a server that stops gracefully (SIGTERM, exit 0); a failing one prints the
        server's log. The data directory is removed either way."""
        try:
            if exc_type is None:
                rc = self.stop()
                check(rc in (0, None), "graceful exit code %s" % rc)
            else:
                print(self.log())
        finally:
            self.cleanup()
        return False

    def cleanup(self):
        if self.proc is not None:
            self.kill9()
        if self.own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            try:
                os.remove(self.log_path)
            except OSError:
                pass


def raw_exchange(port, payload, read_timeout=30):
    """Sends raw bytes, half-closes, returns the raw response."""
    s = socket.create_connection(("127.0.0.1", port), timeout=read_timeout)
    try:
        s.sendall(payload)
        s.shutdown(socket.SHUT_WR)
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
        return out
    finally:
        s.close()


def check(cond, message):
    """assert that survives python -O."""
    if not cond:
        raise AssertionError(message)


def run_main(test_fn):
    """Runs test_fn(binary); prints the server log and exits 1 on failure."""
    binary = find_binary(sys.argv)
    try:
        test_fn(binary)
    except Exception:
        import traceback
        traceback.print_exc()
        sys.exit(1)
    print("OK")
