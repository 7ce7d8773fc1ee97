# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared helpers of the black-box tests of the iotscp-device simulator.

Everything here talks to the real simulator over real TLS on loopback: it starts the binary,
makes controller keys with openssl, speaks raw HTTP/1.1 (so malformed requests can be sent byte
for byte) and runs a small HTTPS server that receives NOTIFY requests.

Only the Python standard library and python3-jsonschema are used, so the tests run with Debian's
/usr/bin/python3. The simulator binary comes from argv[1] or $IOTSCP_DEVICE.
"""

import hashlib
import json
import os
import queue
import re
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import traceback

SKIP = 77
SOURCE_DIR = os.environ.get(
    "HEARTH_SOURCE_DIR",
    os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")),
)
PROTOCOL_DATA = os.path.join(SOURCE_DIR, "tests", "data", "protocol")
DESCRIPTION_SCHEMA = os.path.join(SOURCE_DIR, "docs", "iotscp-description.schema.json")
PROFILES = ["light", "switch", "keypad", "thermometer", "motion", "lock"]


# ---- Reporting --------------------------------------------------------------------------------


def log(*args):
    print(*args, flush=True)


class Failures:
    """Collects failed checks so one run reports all of them, then exits non-zero."""

    def __init__(self):
        self.items = []

    def check(self, condition, what):
        if condition:
            log("ok   ", what)
        else:
            log("FAIL ", what)
            self.items.append(what)
        return condition

    def fail(self, what):
        self.check(False, what)

    def finish(self):
        if self.items:
            log("\n%d check(s) failed:" % len(self.items))
            for item in self.items:
                log("  -", item)
            sys.exit(1)
        log("\nall checks passed")
        sys.exit(0)


def skip(reason):
    log("SKIP:", reason)
    sys.exit(SKIP)


def run_main(main):
    """Runs a test's main(), turning an uncaught exception into a failure with a traceback."""
    try:
        main()
    except SystemExit:
        raise
    except BaseException:
        traceback.print_exc()
        log("FAIL: the test raised an exception")
        sys.exit(1)


def simulator_path():
    path = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("IOTSCP_DEVICE", "")
    if not path:
        log("usage: %s PATH-TO-iotscp-device (or set IOTSCP_DEVICE)" % sys.argv[0])
        sys.exit(2)
    if not os.access(path, os.X_OK):
        log("FAIL: simulator %r is not an executable" % path)
        sys.exit(1)
    return path


def load_json(*parts):
    with open(os.path.join(PROTOCOL_DATA, *parts), "rb") as f:
        return json.loads(f.read().decode("utf-8"))


def description_validator():
    import jsonschema

    with open(DESCRIPTION_SCHEMA, "rb") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


# ---- Keys and fingerprints --------------------------------------------------------------------


def _der_read(data, offset):
    """Reads one DER TLV at offset; returns (tag, start of content, end of content)."""
    tag = data[offset]
    length = data[offset + 1]
    offset += 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(data[offset : offset + count], "big")
        offset += count
    return tag, offset, offset + length


def spki_of_certificate(der):
    """The DER SubjectPublicKeyInfo of a DER X.509 certificate."""
    _, cert_start, _ = _der_read(der, 0)
    _, tbs_start, tbs_end = _der_read(der, cert_start)
    position = tbs_start
    fields = []
    while position < tbs_end:
        tag, start, end = _der_read(der, position)
        fields.append((tag, position, end))
        position = end
    if fields[0][0] == 0xA0:  # [0] version
        fields = fields[1:]
    # serial, signature algorithm, issuer, validity, subject, subjectPublicKeyInfo
    _, spki_start, spki_end = fields[5]
    return der[spki_start:spki_end]


def fingerprint_of_certificate(der):
    return hashlib.sha256(spki_of_certificate(der)).hexdigest()


class Identity:
    """An ECDSA P-256 key and self-signed certificate made with openssl, as a controller uses."""

    def __init__(self, directory, name):
        self.name = name
        self.key = os.path.join(directory, name + ".key.pem")
        self.cert = os.path.join(directory, name + ".crt.pem")
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-nodes", "-days", "3650", "-subj", "/CN=" + name, "-keyout", self.key,
             "-out", self.cert],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        with open(self.cert) as f:
            self.der = ssl.PEM_cert_to_DER_cert(f.read())
        self.fp = fingerprint_of_certificate(self.der)


def openssl_fingerprint(cert_path):
    """The fingerprint computed the way docs/protocol.md shows, to cross-check ours."""
    pub = subprocess.run(["openssl", "x509", "-in", cert_path, "-pubkey", "-noout"],
                         check=True, capture_output=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pub,
                         check=True, capture_output=True).stdout
    return hashlib.sha256(der).hexdigest()


# ---- The simulator ----------------------------------------------------------------------------

READY_RE = re.compile(r"ready id=(\S+) port=(\d+) fingerprint=([0-9a-f]{64})")


class Device:
    def __init__(self, device_id, port, fp):
        self.id = device_id
        self.port = port
        self.fp = fp

    def __repr__(self):
        return "Device(%s port=%d fp=%s…)" % (self.id, self.port, self.fp[:16])


class Simulator:
    """One iotscp-device process. Output (both streams) is copied to a log and scanned for the
    `ready id=… port=… fingerprint=…` lines, one per hosted device."""

    def __init__(self, exe, state_dir, args=(), allow=(), count=1, timeout=30.0, env=None):
        self.exe = exe
        self.state_dir = state_dir
        self.args = list(args)
        self.allow = list(allow)
        self.count = count
        self.timeout = timeout
        self.env = env
        self.proc = None
        self.devices = []
        self.output = []
        self.start()

    def command(self):
        cmd = [self.exe, "--state-dir", self.state_dir, "--port", "0"]
        if self.count != 1:
            cmd += ["--count", str(self.count)]
        for fp in self.allow:
            cmd += ["--allow-controller", fp]
        return cmd + self.args

    def start(self):
        self.devices = []
        self.output = []
        ready = queue.Queue()
        cmd = self.command()
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=self.env)

        def pump(stream, label):
            for raw in iter(stream.readline, b""):
                line = raw.decode("utf-8", "replace").rstrip("\n")
                self.output.append(label + line)
                match = READY_RE.search(line)
                if match:
                    ready.put(Device(match.group(1), int(match.group(2)), match.group(3)))
            ready.put(None)

        self.pumps = [
            threading.Thread(target=pump, args=(self.proc.stdout, ""), daemon=True),
            threading.Thread(target=pump, args=(self.proc.stderr, "[stderr] "), daemon=True),
        ]
        for pump_thread in self.pumps:
            pump_thread.start()
        deadline = time.monotonic() + self.timeout
        ended_streams = 0
        while len(self.devices) < self.count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.stop()
                raise RuntimeError("simulator did not report %d ready line(s) within %.0f s; "
                                   "command %s; output:\n%s"
                                   % (self.count, self.timeout, cmd, self.tail()))
            try:
                item = ready.get(timeout=remaining)
            except queue.Empty:
                continue
            if item is None:
                ended_streams += 1
                if ended_streams == 2:
                    code = self.proc.wait()
                    raise RuntimeError("simulator exited with %s before it was ready; command "
                                       "%s; output:\n%s" % (code, cmd, self.tail()))
                continue
            self.devices.append(item)
        self.ready_seconds = time.monotonic() - self.started_at
        return self.devices

    @property
    def device(self):
        return self.devices[0]

    def tail(self, lines=40):
        return "\n".join(self.output[-lines:])

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def rss_kib(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        code = self.proc.returncode
        for pump_thread in self.pumps:
            pump_thread.join(timeout=2)
        return code

    def restart(self):
        self.stop()
        return self.start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class TempDir:
    def __init__(self, prefix="iotscp-test-"):
        self.path = tempfile.mkdtemp(prefix=prefix)

    def sub(self, name):
        path = os.path.join(self.path, name)
        os.makedirs(path, exist_ok=True)
        return path

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.path, ignore_errors=True)


# ---- TLS and raw HTTP -------------------------------------------------------------------------


def client_context(identity=None):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    # Devices are not checked against a CA or a name: the test pins their fingerprint instead.
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    if identity is not None:
        context.load_cert_chain(identity.cert, identity.key)
    return context


def connect(port, identity=None, host="127.0.0.1", timeout=10.0, source=None):
    raw = socket.create_connection((host, port), timeout=timeout,
                                   source_address=(source, 0) if source else None)
    try:
        tls = client_context(identity).wrap_socket(raw)
    except BaseException:
        raw.close()
        raise
    tls.settimeout(timeout)
    return tls


def peer_fingerprint(tls):
    return fingerprint_of_certificate(tls.getpeercert(binary_form=True))


class Response:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers  # lower-case name -> value (last one wins)
        self.body = body

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)

    def error_code(self):
        try:
            return self.json()["error"]["code"]
        except Exception:
            return None

    def __repr__(self):
        return "%d %s %s" % (self.status, self.reason, self.body[:200])


class ConnectionClosed(Exception):
    pass


def recv_some(sock, size=65536):
    try:
        data = sock.recv(size)
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError) as error:
        raise ConnectionClosed(str(error))
    if not data:
        raise ConnectionClosed("EOF")
    return data


class HttpReader:
    """Reads HTTP/1.1 messages from a socket, keeping bytes that belong to the next one."""

    def __init__(self, sock):
        self.sock = sock
        self.buffer = b""

    def _fill(self):
        self.buffer += recv_some(self.sock)

    def read_head(self, limit=65536):
        while b"\r\n\r\n" not in self.buffer:
            if len(self.buffer) > limit:
                raise ValueError("head too large")
            self._fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("utf-8", "replace").split("\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return lines[0], headers

    def read_body(self, headers):
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while True:
                while b"\r\n" not in self.buffer:
                    self._fill()
                size_line, self.buffer = self.buffer.split(b"\r\n", 1)
                size = int(size_line.split(b";")[0], 16)
                while len(self.buffer) < size + 2:
                    self._fill()
                body += self.buffer[:size]
                self.buffer = self.buffer[size + 2 :]
                if size == 0:
                    return body
        length = int(headers.get("content-length", "0"))
        while len(self.buffer) < length:
            self._fill()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return body

    def read_response(self):
        status_line, headers = self.read_head()
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
            raise ValueError("bad status line %r" % status_line)
        status = int(parts[1])
        body = b"" if status in (204, 304) else self.read_body(headers)
        return Response(status, parts[2] if len(parts) > 2 else "", headers, body)


def encode_request(method, target, headers=(), body=None, host="127.0.0.1"):
    lines = ["%s %s HTTP/1.1" % (method, target), "Host: %s" % host]
    names = {name.lower() for name, _ in headers}
    for name, value in headers:
        lines.append("%s: %s" % (name, value))
    if body is not None:
        if not isinstance(body, bytes):
            body = json.dumps(body, ensure_ascii=False).encode("utf-8")
        if "content-type" not in names:
            lines.append("Content-Type: application/json")
        if "content-length" not in names and "transfer-encoding" not in names:
            lines.append("Content-Length: %d" % len(body))
    elif method in ("PUT", "POST", "SUBSCRIBE", "UNSUBSCRIBE") and "content-length" not in names:
        lines.append("Content-Length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + (body or b"")


class Client:
    """A kept-alive HTTPS connection to one device, optionally with a client certificate."""

    def __init__(self, port, identity=None, timeout=10.0, source=None):
        self.port = port
        self.identity = identity
        self.timeout = timeout
        self.sock = connect(port, identity, timeout=timeout, source=source)
        self.reader = HttpReader(self.sock)

    def request(self, method, target, headers=(), body=None):
        self.sock.sendall(encode_request(method, target, headers, body))
        return self.reader.read_response()

    def get(self, target):
        return self.request("GET", target)

    def put(self, name, value):
        return self.request("PUT", "/properties/" + quote(name), body={"value": value})

    def action(self, name, value=None, with_input=True):
        if with_input:
            return self.request("POST", "/actions/" + quote(name), body={"input": value})
        return self.request("POST", "/actions/" + quote(name))

    def subscribe(self, callback, timeout=None, heartbeat=None):
        headers = [("CALLBACK", "<%s>" % callback), ("NT", "iotscp:event")]
        if timeout is not None:
            headers.append(("TIMEOUT", "Second-%d" % timeout))
        if heartbeat is not None:
            headers.append(("HEARTBEAT", "Second-%d" % heartbeat))
        return self.request("SUBSCRIBE", "/events", headers)

    def renew(self, sid, timeout=None):
        headers = [("SID", sid)]
        if timeout is not None:
            headers.append(("TIMEOUT", "Second-%d" % timeout))
        return self.request("SUBSCRIBE", "/events", headers)

    def unsubscribe(self, sid):
        return self.request("UNSUBSCRIBE", "/events", [("SID", sid)])

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def quote(name):
    """Percent-encodes a name as one path segment (UTF-8), as docs/protocol.md 4.2 says."""
    safe = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
    return "".join(chr(b) if b in safe else "%%%02X" % b for b in name.encode("utf-8"))


def request_once(port, method, target, identity=None, headers=(), body=None):
    with Client(port, identity) as client:
        return client.request(method, target, headers, body)


def wait_until(predicate, timeout, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


# ---- A NOTIFY receiver ------------------------------------------------------------------------


class Notification:
    def __init__(self, method, target, headers, body, received_at, peer_fp):
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
        self.received_at = received_at
        self.peer_fp = peer_fp

    def header(self, name):
        return self.headers.get(name.lower())

    @property
    def seq(self):
        return int(self.header("SEQ"))

    @property
    def nts(self):
        return self.header("NTS")

    def events(self):
        return json.loads(self.body.decode("utf-8"))["events"]

    def __repr__(self):
        return "NOTIFY SEQ=%s NTS=%s %s" % (self.header("SEQ"), self.nts, self.body[:300])


class NotifyServer:
    """A threaded HTTPS server on 127.0.0.1 that answers every request with `status` and
    records it. It uses the subscriber's own identity, because a device only sends NOTIFY to a
    server whose key is the subscriber's (docs/protocol.md 7.5). When `trusted_device_ders` is
    given, it asks the device for its client certificate and records its fingerprint."""

    def __init__(self, identity, trusted_device_ders=(), status=200, delay=0.0):
        self.identity = identity
        self.status = status
        # Seconds to wait before answering, to keep a NOTIFY in flight so that later changes
        # must be batched.
        self.delay = delay
        # While true the server is "down": it closes new connections at once and closes kept-
        # alive ones when a request arrives, without answering or recording it.
        self.dropping = False
        self.notifications = []
        self.errors = []
        self.condition = threading.Condition()
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(identity.cert, identity.key)
        if trusted_device_ders:
            for der in trusted_device_ders:
                self.context.load_verify_locations(cadata=der)
            self.context.verify_mode = ssl.CERT_OPTIONAL
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.running = True
        self.connections = 0
        self.thread = threading.Thread(target=self._accept_loop, daemon=True)
        self.thread.start()

    def url(self, path="/hearth/events"):
        return "https://127.0.0.1:%d%s" % (self.port, path)

    def _accept_loop(self):
        while self.running:
            try:
                readable, _, _ = select.select([self.listener], [], [], 0.2)
                if not readable:
                    continue
                sock, _ = self.listener.accept()
            except OSError:
                return
            if self.dropping:
                sock.close()
                continue
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock):
        sock.settimeout(120)
        try:
            tls = self.context.wrap_socket(sock, server_side=True)
        except (ssl.SSLError, OSError) as error:
            self.errors.append("handshake: %s" % error)
            sock.close()
            return
        with self.condition:
            self.connections += 1
        peer = tls.getpeercert(binary_form=True)
        peer_fp = fingerprint_of_certificate(peer) if peer else None
        reader = HttpReader(tls)
        try:
            while self.running:
                request_line, headers = reader.read_head()
                body = reader.read_body(headers)
                if self.dropping:
                    break
                method, _, rest = request_line.partition(" ")
                target = rest.rsplit(" ", 1)[0]
                note = Notification(method, target, headers, body, time.monotonic(), peer_fp)
                with self.condition:
                    self.notifications.append(note)
                    self.condition.notify_all()
                status = self.status
                if self.delay:
                    time.sleep(self.delay)
                tls.sendall(("HTTP/1.1 %d %s\r\nContent-Length: 0\r\n\r\n"
                             % (status, "OK" if status == 200 else "Error")).encode())
        except (ConnectionClosed, OSError, ValueError):
            pass
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def wait_for(self, count, timeout):
        """Waits until at least `count` notifications arrived; returns a copy of the list."""
        deadline = time.monotonic() + timeout
        with self.condition:
            while len(self.notifications) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self.condition.wait(remaining)
            return list(self.notifications)

    def wait_for_update(self, predicate, timeout):
        """Waits for a non-heartbeat notification one of whose entries satisfies predicate."""
        deadline = time.monotonic() + timeout
        seen = 0
        with self.condition:
            while True:
                while seen < len(self.notifications):
                    note = self.notifications[seen]
                    seen += 1
                    try:
                        if any(predicate(entry) for entry in note.events()):
                            return note
                    except (ValueError, KeyError, TypeError):
                        pass
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self.condition.wait(remaining)

    def snapshot(self):
        with self.condition:
            return list(self.notifications)

    def close(self):
        self.running = False
        try:
            self.listener.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
