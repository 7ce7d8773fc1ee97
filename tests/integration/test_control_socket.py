#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The hub's control socket (src/core/hearth-control-server.c) against bad clients.

  malformed   invalid JSON, wrong types, missing members, unknown paths, bad ids, oversized
              and stalled requests, garbage: each gets a 4xx with an error body or a closed
              connection, the hub keeps serving, and its descriptors do not grow.
  other-user  a client running as another uid (nobody) is refused: first by the file system
              (0700 directory, 0600 socket), then, with the modes loosened on purpose, by the
              SO_PEERCRED check (403). Needs root to switch users; skipped otherwise.

Usage: test_control_socket.py MODE HEARTH HEARTHCTL"""

import json
import os
import socket
import sys
import tempfile
import time

import hearthctl_testlib as lib

EXIT_PERMISSION = 7


def exchange(path, data, timeout=15.0):
    """Sends raw bytes; returns (status or None when closed without an answer, body, seconds)."""
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.settimeout(timeout)
    started = time.monotonic()
    client.connect(path)
    answer = b""
    try:
        client.sendall(data)
        while True:
            chunk = client.recv(65536)
            if not chunk:
                break
            answer += chunk
            head, _, body = answer.partition(b"\r\n\r\n")
            if b"\r\n\r\n" in answer and b"content-length:" in head.lower():
                length = int([line.split(b":")[1] for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length:")][0])
                if len(body) >= length:
                    break
    except (ConnectionResetError, BrokenPipeError):
        pass
    finally:
        client.close()
    elapsed = time.monotonic() - started
    if not answer:
        return None, None, elapsed
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1])
    return status, body, elapsed


def request(method, path, body=None, extra=b""):
    data = body.encode() if isinstance(body, str) else (body or b"")
    head = (f"{method} {path} HTTP/1.1\r\nHost: hearth\r\nConnection: close\r\n"
            f"Content-Length: {len(data)}\r\n").encode()
    if data:
        head += b"Content-Type: application/json\r\n"
    return head + extra + b"\r\n" + data


def check_malformed(hub):
    path = hub.socket
    cases = [
        ("invalid JSON", request("POST", "/v1/addresses", "{not json"), 400, "bad-request"),
        ("array body", request("POST", "/v1/addresses", "[1, 2]"), 400, "bad-request"),
        ("wrong type", request("POST", "/v1/addresses", '{"address": 5}'), 400, "bad-request"),
        ("missing member", request("POST", "/v1/addresses", "{}"), 400, "bad-request"),
        ("too deep", request("POST", "/v1/addresses", '{"a":' * 40 + "1" + "}" * 40), 400,
         "bad-request"),
        ("invalid UTF-8", request("POST", "/v1/addresses", b'{"address": "\xff\xfe"}'), 400,
         "bad-request"),
        ("long address", request("POST", "/v1/addresses", json.dumps({"address": "a" * 5000})),
         400, "bad-request"),
        ("PUT without value", request("PUT", "/v1/devices/sim-1/properties/on", "{}"), 400,
         "bad-request"),
        ("bad device id", request("GET", "/v1/devices/NOT_AN_ID"), 400, "bad-request"),
        ("bad property name", request("GET", "/v1/devices/sim-1/properties/%25x"), 400,
         "bad-request"),
        ("unknown device", request("GET", "/v1/devices/sim-unknown"), 404, "not-found"),
        ("unknown path", request("GET", "/nope"), 404, "not-found"),
        ("unknown v1 path", request("GET", "/v1/nope"), 404, "not-found"),
        ("wrong method", request("DELETE", "/v1/status"), 404, "not-found"),
        ("empty segment", request("GET", "/v1/devices//x"), 404, "not-found"),
        ("unknown decision", request("POST", "/v1/trust/sim-1/trust-me"), 404, "not-found"),
        ("bad limit", request("GET", "/v1/events?limit=0"), 400, "bad-request"),
        ("bad limit text", request("GET", "/v1/events?limit=lots"), 400, "bad-request"),
    ]
    for name, data, want_status, want_code in cases:
        status, body, _ = exchange(path, data)
        assert status == want_status, (name, status, body)
        error = json.loads(body)["error"]
        assert error["code"] == want_code and error["message"], (name, error)
        print(f"  {name}: {status} {error['code']}: {error['message']}")

    # Garbage and framing errors: libsoup answers 400 or closes.
    for name, data in [("garbage", b"\x00\x01\x02 hello\r\n\r\n"),
                       ("no version", b"GET /v1/status\r\n\r\n"),
                       ("bad length", b"POST /v1/addresses HTTP/1.1\r\nContent-Length: x\r\n\r\n")]:
        status, _, _ = exchange(path, data)
        assert status is None or 400 <= status < 500, (name, status)
        print(f"  {name}: {status if status else 'closed'}")

    # Oversized: closed before the body is read, whatever the framing.
    status, _, _ = exchange(path, b"POST /v1/addresses HTTP/1.1\r\nHost: h\r\n"
                            b"Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n"
                            + b" " * 70000)
    assert status is None or status == 413, status
    chunk = b" " * 32768
    chunked = b"".join(b"%x\r\n" % len(chunk) + chunk + b"\r\n" for _ in range(4))
    status, _, _ = exchange(path, b"POST /v1/addresses HTTP/1.1\r\nHost: h\r\n"
                            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                            + chunked)
    assert status is None or status == 413, status
    print("  oversized: closed")

    # Stalled: a request that never completes is closed within the deadline (10 s).
    status, _, elapsed = exchange(path, b"GET /v1/status HTTP/1.1\r\nHost: h\r\n", timeout=20)
    assert status is None and elapsed < 13, (status, elapsed)
    print(f"  stalled: closed after {elapsed:.1f} s")

    # Still serving, and no descriptor leak over many bad requests.
    fds_before = len(os.listdir(f"/proc/{hub.process.pid}/fd"))
    for _ in range(200):
        exchange(path, request("POST", "/v1/addresses", "{not json"))
        exchange(path, b"\x00garbage\r\n\r\n")
    time.sleep(0.5)
    fds_after = len(os.listdir(f"/proc/{hub.process.pid}/fd"))
    assert fds_after <= fds_before + 2, (fds_before, fds_after)
    assert hub.ctl_json("status")["fingerprint"] == hub.fingerprint
    print(f"  400 bad requests: descriptors {fds_before} -> {fds_after}; hub still serving")


def check_other_user(hub):
    if os.geteuid() != 0:
        lib.skip("switching to user nobody needs root (the CI runs the suite as root)")
    import shutil

    if shutil.which("setpriv") is None:
        lib.skip("setpriv (util-linux) is not installed")

    result = hub.ctl("status", user="nobody")
    assert result.returncode == EXIT_PERMISSION, result
    assert "another user" in result.stderr, result.stderr
    print(f"  nobody, modes as made: exit {result.returncode}: {result.stderr.strip()}")

    # Loosen the modes on purpose: now only the peer credential check stands in the way.
    os.chmod(hub.data_dir, 0o711)
    os.chmod(hub.socket, 0o666)
    result = hub.ctl("status", user="nobody")
    assert result.returncode == EXIT_PERMISSION, result
    assert "Only the user running the hub" in result.stderr, result.stderr
    print(f"  nobody, socket 0666: exit {result.returncode}: {result.stderr.strip()}")
    result = hub.ctl("events", "--follow", user="nobody")
    assert result.returncode == EXIT_PERMISSION, result
    # The owner still gets in.
    hub.ctl_ok("status")


def main():
    mode, hearth, hearthctl = sys.argv[1:4]
    with tempfile.TemporaryDirectory(prefix="hearth-control-") as tmp:
        os.chmod(tmp, 0o711)
        hub = lib.Hub(hearth, hearthctl, os.path.join(tmp, "hub"))
        try:
            assert oct(os.stat(hub.socket).st_mode & 0o777) == oct(0o600)
            assert oct(os.stat(hub.data_dir).st_mode & 0o777) == oct(0o700)
            if mode == "malformed":
                check_malformed(hub)
            else:
                check_other_user(hub)
        finally:
            status = hub.stop()
        assert status == 0, status
        assert not os.path.exists(hub.socket), "the socket file must go when the hub stops"
    print("passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
