# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers for the hearthctl tests and the hub benchmarks: a headless hub in a temporary data
directory (event server on port 0), hearthctl runs against it, and simulators."""

import json
import os
import select
import signal
import subprocess
import sys
import time


def skip(reason):
    print("SKIP: " + reason)
    sys.exit(77)


def read_line(stream, deadline):
    """One line of a subprocess's stdout (binary pipe), or None at EOF or the deadline."""
    line = b""
    while not line.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        ready, _, _ = select.select([stream], [], [], remaining)
        if not ready:
            return None
        chunk = os.read(stream.fileno(), 1)
        if not chunk:
            return None
        line += chunk
    return line.decode()


class Hub:
    """`hearth --headless` in @data_dir; facts parsed from its status lines."""

    def __init__(self, hearth, hearthctl, data_dir, port=0, discovery=False, extra_env=None,
                 extra_args=()):
        self.hearth = hearth
        self.hearthctl = hearthctl
        self.data_dir = data_dir
        argv = [hearth, "--headless", "--data-dir", data_dir, "--port", str(port)]
        if not discovery:
            argv.append("--no-discovery")
        argv += list(extra_args)
        env = dict(os.environ)
        env.update(extra_env or {})
        # stderr goes to a file: a pipe nobody reads would block the hub once it filled up.
        self.stderr_path = data_dir.rstrip("/") + "-stderr.log"
        with open(self.stderr_path, "wb") as stderr:
            self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=stderr, env=env)
        self.lines = []
        deadline = time.monotonic() + 20
        while True:
            line = read_line(self.process.stdout, deadline)
            if line is None:
                self.process.kill()
                raise RuntimeError("hub did not start: " + "".join(self.lines) + self.stderr())
            self.lines.append(line)
            if line.startswith("Use hearthctl"):
                break
        self.port = int(self._field("event server port:"))
        self.socket = self._field("control socket:")
        self.fingerprint = self.ctl_json("status")["fingerprint"]

    def stderr(self):
        with open(self.stderr_path, errors="replace") as log:
            return log.read()

    def _field(self, prefix):
        for line in self.lines:
            if line.strip().startswith(prefix):
                return line.split(":", 1)[1].strip()
        raise KeyError(prefix)

    def ctl(self, *args, timeout=60, user=None):
        argv = [self.hearthctl, "--data-dir", self.data_dir] + list(args)
        if user is not None:
            import pwd

            entry = pwd.getpwnam(user)
            argv = ["setpriv", "--reuid", str(entry.pw_uid), "--regid", str(entry.pw_gid),
                    "--clear-groups"] + argv
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)

    def ctl_ok(self, *args, **kwargs):
        result = self.ctl(*args, **kwargs)
        assert result.returncode == 0, (args, result.returncode, result.stdout, result.stderr)
        return result.stdout

    def ctl_json(self, *args):
        return json.loads(self.ctl_ok("--json", *args))

    def device(self, device_id):
        return self.ctl_json("show", device_id)

    def wait_state(self, device_id, state, timeout=20.0):
        deadline = time.monotonic() + timeout
        while True:
            current = self.device(device_id)
            if current["state"] == state:
                return current
            if time.monotonic() > deadline:
                raise AssertionError(f"{device_id} is {current['state']}, not {state}, after "
                                     f"{timeout} s: {current.get('problem')}")
            time.sleep(0.05)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


class ControlClient:
    """The control API over one kept-alive connection, for benchmarks that make thousands of
    requests (hearthctl starts a process per request)."""

    def __init__(self, socket_path):
        import http.client
        import socket as socket_module

        class UnixConnection(http.client.HTTPConnection):
            def connect(self):
                self.sock = socket_module.socket(socket_module.AF_UNIX, socket_module.SOCK_STREAM)
                self.sock.connect(socket_path)

        self.connection = UnixConnection("hearth", timeout=60)

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else b""
        headers = {"Content-Type": "application/json"} if body is not None else {}
        self.connection.request(method, path, body=data, headers=headers)
        answer = self.connection.getresponse()
        payload = json.loads(answer.read() or b"{}")
        if answer.status >= 300:
            raise RuntimeError(f"{method} {path}: {answer.status} {payload}")
        return payload

    def adopt(self, device):
        """Adds a simulated device (a 'ready' line's fields) by address and pins it."""
        self.call("POST", "/v1/addresses", {"address": f"127.0.0.1:{device['port']}"})
        self.call("POST", f"/v1/devices/{device['id']}/adopt",
                  {"fingerprint": device["fingerprint"]})

    def count_online(self):
        return self.call("GET", "/v1/status")["devices"]["online"]


class Simulator:
    """`iotscp-device` with one device (or --count N), started and parsed."""

    def __init__(self, exe, state_dir, hub_fingerprint, profile="light", port=0, extra=()):
        self.exe = exe
        self.state_dir = state_dir
        self.profile = profile
        self.hub_fingerprint = hub_fingerprint
        self.extra = list(extra)
        self.process = None
        self.devices = []
        self.start(port)

    def start(self, port=0, count=1):
        argv = [self.exe, "--profile", self.profile, "--port", str(port), "--state-dir",
                self.state_dir, "--allow-controller", self.hub_fingerprint] + self.extra
        if count > 1:
            argv += ["--count", str(count)]
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.devices = []
        deadline = time.monotonic() + 60
        while len(self.devices) < count:
            line = read_line(self.process.stdout, deadline)
            if line is None:
                raise RuntimeError("simulator did not start")
            if line.startswith("ready "):
                self.devices.append(dict(part.split("=", 1) for part in line.split()[1:]))
        first = self.devices[0]
        self.id, self.port, self.fingerprint = first["id"], int(first["port"]), first["fingerprint"]

    def kill(self):
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def new_key(self):
        subprocess.run([self.exe, "get-cert", "--state-dir", self.state_dir, "--force"],
                       check=True, capture_output=True, timeout=30)


def device_controllers(data_dir, host, port, use_previous=False):
    """The device's controller list, read with the hub's own key (GET /controllers)."""
    import http.client
    import ssl

    name = "hub-identity-previous.pem" if use_previous else "hub-identity.pem"
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.load_cert_chain(os.path.join(data_dir, name))
    # A device has a few connection slots and may close a new connection while they are all
    # busy (docs/protocol.md §8): try again a few times.
    for attempt in range(10):
        connection = http.client.HTTPSConnection(host, port, context=context, timeout=10)
        try:
            connection.request("GET", "/controllers")
            answer = connection.getresponse()
            body = answer.read()
            if answer.status != 200:
                return answer.status, None
            return 200, [entry["fp"] for entry in json.loads(body)["controllers"]]
        except (ConnectionResetError, ssl.SSLError):
            if attempt == 9:
                raise
            time.sleep(0.2)
        finally:
            connection.close()
