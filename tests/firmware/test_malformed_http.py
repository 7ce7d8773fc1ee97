#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Malformed and hostile HTTP over real TLS (docs/protocol.md sections 5.1 and 8).

Every case must get a 4xx answer (or the 501 the protocol names for unknown methods) or a closed
connection; the answers the protocol names are checked exactly; after each case the device must
still serve a fresh client; clients that stall mid-request are closed within 10 s while others
are served; and the simulator's memory (VmRSS) must not grow over 1,000 repetitions of the fast
cases."""

import os
import socket
import ssl
import threading
import time

from iotscp_testlib import (Client, ConnectionClosed, Failures, HttpReader, Identity, Simulator,
                            TempDir, connect, log, recv_some, run_main, simulator_path)

# The protocol's limits (section 8).
MAX_HEAD = 2048
MAX_TARGET = 256
MAX_BODY = 2048
REQUEST_DEADLINE = 10.0
# A stalled client must be gone this long after its first byte (deadline plus scheduling slack).
STALL_TOLERANCE = 1.5
# Memory may settle during warm-up; after it, 1,000 repetitions may add at most this much.
WARMUP_REPETITIONS = 150
REPETITIONS = 1000
# Growth is measured from repetition MEASURE_FROM on (allocator pools and mbedTLS's first
# contexts settle before it) to the end: 64 KiB over 800 requests is 80 bytes per request, so a
# leak of 100 bytes or more per request fails.
MEASURE_FROM = 200
STALL_SOURCE = "127.0.0.5"
RSS_GROWTH_LIMIT_KIB = 64
# Answers after which the device must close, because the request's framing cannot be trusted
# (docs/protocol.md 5.1): these statuses, and 400 bad-request for malformed HTTP. A 400 for
# invalid JSON or for malformed subscription headers leaves a well-framed request behind, so
# that connection stays usable.
CLOSING = {408, 411, 413, 414, 431}


def must_close(request, status, code):
    if status in CLOSING:
        return True
    return status == 400 and code == "bad-request" and not request.startswith(b"SUBSCRIBE ")


def raw(request_line, headers=(), body=b"", host=True):
    """Builds request bytes exactly as given: nothing is added but Host (unless host=False)."""
    if isinstance(request_line, str):
        request_line = request_line.encode()
    lines = [request_line]
    if host:
        lines.append(b"Host: 127.0.0.1")
    for header in headers:
        lines.append(header.encode() if isinstance(header, str) else header)
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def put(body, headers=None, target="/properties/brightness"):
    if headers is None:
        headers = ["Content-Type: application/json", "Content-Length: %d" % len(body)]
    return raw("PUT %s HTTP/1.1" % target, headers, body)


def chunked(chunks_bytes, target="/properties/brightness"):
    return raw("PUT %s HTTP/1.1" % target,
               ["Content-Type: application/json", "Transfer-Encoding: chunked"], chunks_bytes)


ANY_4XX = "4xx"
# (name, request bytes, allowed answers). An allowed answer is a status, ANY_4XX, or "close".
CASES = [
    # --- sizes ---
    ("header over 2,048 bytes", raw("GET /.well-known/iotscp HTTP/1.1",
                                    ["X-Filler: " + "a" * 3000]), {431}),
    ("request line over 2,048 bytes", raw("GET /" + "a" * 3000 + " HTTP/1.1"), {414, 431}),
    ("40 headers", raw("GET /.well-known/iotscp HTTP/1.1",
                       ["X-H%d: v" % i for i in range(40)]), {431}),
    ("request target over 256 bytes", raw("GET /properties/" + "b" * 300 + " HTTP/1.1"), {414}),
    ("Content-Length over 2,048", put(b'{"value":1}' + b" " * 4096), {413}),
    ("Content-Length 10^12 without the body", put(b"", ["Content-Type: application/json",
                                                        "Content-Length: 1000000000000"]),
     {413, 400}),
    ("chunked body over 2,048", chunked(b"".join(b"400\r\n" + b" " * 1024 + b"\r\n"
                                                  for _ in range(3)) + b"0\r\n\r\n"), {413}),
    ("CALLBACK value over 256 bytes", raw("SUBSCRIBE /events HTTP/1.1",
                                          ["CALLBACK: <https://127.0.0.1:1/" + "c" * 300 + ">",
                                           "NT: iotscp:event", "Content-Length: 0"]), {431}),
    ("chunk size with 20 hex digits", chunked(b"00000000000000000005\r\n12345\r\n0\r\n\r\n"),
     {400, 413}),
    # --- chunking ---
    ("chunk size not hex", chunked(b"zz\r\n{}\r\n0\r\n\r\n"), {400}),
    ("negative chunk size", chunked(b"-5\r\n12345\r\n0\r\n\r\n"), {400}),
    ("chunk size overflowing 64 bits", chunked(b"ffffffffffffffffff\r\nx\r\n0\r\n\r\n"),
     {400, 413}),
    ("chunk data longer than its size", chunked(b"2\r\n{\"value\":1}\r\n0\r\n\r\n"), {400}),
    ("chunk without CRLF after data", chunked(b"b\r\n{\"value\":1}XX0\r\n\r\n"), {400}),
    ("chunk size line without digits", chunked(b"\r\n\r\n0\r\n\r\n"), {400}),
    ("chunk size with a space inside", chunked(b"1 1\r\n{\"value\":1}\r\n0\r\n\r\n"), {400}),
    # --- framing conflicts ---
    ("Content-Length and Transfer-Encoding", raw(
        "PUT /properties/brightness HTTP/1.1",
        ["Content-Type: application/json", "Content-Length: 11", "Transfer-Encoding: chunked"],
        b'{"value":1}'), {400}),
    ("two different Content-Lengths", raw(
        "PUT /properties/brightness HTTP/1.1",
        ["Content-Type: application/json", "Content-Length: 11", "Content-Length: 12"],
        b'{"value":1} '), {400}),
    ("Content-Length not a number", put(b'{"value":1}', ["Content-Type: application/json",
                                                         "Content-Length: eleven"]), {400}),
    ("negative Content-Length", put(b'{"value":1}', ["Content-Type: application/json",
                                                     "Content-Length: -11"]), {400}),
    ("Content-Length with a plus sign", put(b'{"value":1}', ["Content-Type: application/json",
                                                             "Content-Length: +11"]), {400}),
    ("Transfer-Encoding gzip", raw("PUT /properties/brightness HTTP/1.1",
                                   ["Content-Type: application/json", "Transfer-Encoding: gzip"],
                                   b'{"value":1}'), {400}),
    ("Transfer-Encoding chunked twice", raw(
        "PUT /properties/brightness HTTP/1.1",
        ["Content-Type: application/json", "Transfer-Encoding: chunked, chunked"],
        b"b\r\n{\"value\":1}\r\n0\r\n\r\n"), {400}),
    ("PUT without any length", raw("PUT /properties/brightness HTTP/1.1",
                                   ["Content-Type: application/json"]), {411}),
    # --- NUL bytes and control characters ---
    ("NUL in the request line", raw(b"GET /.well-known/\x00iotscp HTTP/1.1"), {400}),
    ("NUL in a header value", raw("GET /.well-known/iotscp HTTP/1.1", [b"X-A: a\x00b"]), {400}),
    ("NUL in a header name", raw("GET /.well-known/iotscp HTTP/1.1", [b"X\x00A: b"]), {400}),
    ("NUL in the JSON body", put(b'{"value":\x001}'), {400}),
    ("NUL inside a JSON string", put(b'{"value":"a\x00b"}'), {400, 422}),
    ("bare LF line ends", b"GET /.well-known/iotscp HTTP/1.1\nHost: x\n\n", {400}),
    ("bare CR in a header", raw("GET /.well-known/iotscp HTTP/1.1", [b"X-A: a\rb"]), {400}),
    ("obsolete header line folding", raw("GET /.well-known/iotscp HTTP/1.1",
                                         ["X-A: a", " folded"]), {400}),
    ("header line without a colon", raw("GET /.well-known/iotscp HTTP/1.1", ["NoColonHere"]),
     {400}),
    ("space before the colon", raw("GET /.well-known/iotscp HTTP/1.1", ["Host : x"],
                                   host=False), {400}),
    ("invalid character in a header name", raw("GET /.well-known/iotscp HTTP/1.1",
                                               ["X(A): b"]), {400}),
    ("no Host header", raw("GET /.well-known/iotscp HTTP/1.1", host=False), {400}),
    ("two Host headers", raw("GET /.well-known/iotscp HTTP/1.1", ["Host: 127.0.0.1"]), {400}),
    ("two Content-Type headers", put(b'{"value":1}', ["Content-Type: application/json",
                                                      "Content-Type: application/json",
                                                      "Content-Length: 11"]), {400}),
    ("nine path segments", raw("GET /a/b/c/d/e/f/g/h/i HTTP/1.1"), {414}),
    ("space in the request target", raw("GET /properties/a b HTTP/1.1"), {400}),
    # --- request line ---
    ("HTTP/1.0", raw("GET /.well-known/iotscp HTTP/1.0"), {400}),
    ("unknown HTTP version", raw("GET /.well-known/iotscp HTTP/9.9"), {400}),
    ("request line without a version", raw("GET /.well-known/iotscp"), {400}),
    ("double spaces in the request line", raw("GET  /.well-known/iotscp  HTTP/1.1"), {400}),
    ("absolute-form target", raw("GET https://127.0.0.1/.well-known/iotscp HTTP/1.1"), {400}),
    ("fragment in the target", raw("GET /properties/brightness#x HTTP/1.1"), {400}),
    ("target without a slash", raw("GET properties HTTP/1.1"), {400}),
    ("unknown method", raw("BREW /properties HTTP/1.1"), {501}),
    ("lower-case method", raw("get /.well-known/iotscp HTTP/1.1"), {400, 501}),
    ("control byte in the method", raw(b"GE\x01T /.well-known/iotscp HTTP/1.1"), {400, 501}),
    ("binary garbage", b"\x16\x03\x01\xff\xfe\x00\x01garbage\r\n\r\n", {400, 501}),
    # --- paths ---
    ("bad percent-encoding", raw("GET /properties/%zz HTTP/1.1"), {400}),
    ("truncated percent-encoding", raw("GET /properties/bright%4 HTTP/1.1"), {400}),
    ("percent-encoded NUL", raw("GET /properties/%00 HTTP/1.1"), {400}),
    ("percent-encoded invalid UTF-8", raw("GET /properties/%C3%28 HTTP/1.1"), {400}),
    ("percent-encoded overlong UTF-8", raw("GET /properties/%C0%AF HTTP/1.1"), {400}),
    ("raw byte 0xff in the path", raw(b"GET /properties/\xff HTTP/1.1"), {400}),
    ("percent-encoded slash in a name", raw("GET /properties/on%2Foff HTTP/1.1"), {404}),
    # --- bodies ---
    ("invalid UTF-8 in the body", put(b'{"value":"\xc3\x28"}'), {400}),
    ("UTF-8 surrogate in the body", put(b'{"value":"\xed\xa0\x80"}'), {400}),
    ("truncated JSON", put(b'{"value":'), {400}),
    ("JSON with trailing garbage", put(b'{"value":1}x'), {400}),
    ("JSON nested 20 deep", put(b'{"value":' + b"[" * 20 + b"1" + b"]" * 20 + b"}"), {400}),
    ("JSON with 200 tokens", put(b'{"value":[' + b",".join(b"1" for _ in range(200)) + b"]}"),
     {400}),
    ("JSON single quotes", put(b"{'value':1}"), {400}),
    ("JSON with a duplicate key", put(b'{"value":1,"value":2}'), {400}),
    ("JSON duplicate key spelled with an escape", put(b'{"value":1,"\\u0076alue":2}'), {400}),
    ("JSON NaN", put(b'{"value":NaN}'), {400}),
    ("JSON number overflowing", put(b'{"value":1e999}'), {400, 422}),
    ("bad escape in a JSON string", put(b'{"value":"\\x41"}'), {400}),
    ("lone surrogate escape", put(b'{"value":"\\ud800"}'), {400, 422}),
    ("body that is not JSON at all", put(b"brightness=5"), {400}),
    ("body with text/plain", put(b'{"value":1}', ["Content-Type: text/plain",
                                                  "Content-Length: 11"]), {415}),
    ("value of the wrong type", put(b'{"value":"high"}'), {422}),
    ("value out of range", put(b'{"value":1000}'), {422}),
    ("integer given with a fraction", put(b'{"value":50.5}'), {422}),
    ("body without the value member", put(b'{"val":1}'), {422}),
    ("body that is an array", put(b"[1]"), {422}),
    # --- subscription headers ---
    ("SUBSCRIBE with a bad TIMEOUT", raw("SUBSCRIBE /events HTTP/1.1",
                                         ["CALLBACK: <https://127.0.0.1:1/x>",
                                          "NT: iotscp:event", "TIMEOUT: Second-abc",
                                          "Content-Length: 0"]), {400}),
    ("SUBSCRIBE with SID and CALLBACK", raw("SUBSCRIBE /events HTTP/1.1",
                                            ["SID: uuid:00000000-0000-4000-8000-000000000000",
                                             "CALLBACK: <https://127.0.0.1:1/x>",
                                             "NT: iotscp:event", "Content-Length: 0"]), {400}),
    ("SUBSCRIBE without CALLBACK or SID", raw("SUBSCRIBE /events HTTP/1.1",
                                              ["NT: iotscp:event", "Content-Length: 0"]),
     {400, 412}),
    ("CALLBACK with a space in the path", raw("SUBSCRIBE /events HTTP/1.1",
                                              ["CALLBACK: <https://127.0.0.1:1/a b>",
                                               "NT: iotscp:event", "Content-Length: 0"]),
     {400, 412}),
]


class Outcome:
    def __init__(self, status=None, closed=None, error_code=None, closed_after=None):
        self.status = status
        self.closed = closed
        self.error_code = error_code
        self.closed_after = closed_after

    def __repr__(self):
        if self.status is not None:
            return "%d %s%s" % (self.status, self.error_code or "",
                                " then closed" if self.closed_after else "")
        return "closed (%s)" % self.closed


def run_case(port, identity, request, read_timeout=12.0, check_close=True):
    """Sends one request on a new TLS connection and reports what the device did."""
    try:
        sock = connect(port, identity, timeout=read_timeout)
    except (OSError, ssl.SSLError) as error:
        return Outcome(closed="connect failed: %s" % error)
    try:
        try:
            sock.sendall(request)
        except (OSError, ssl.SSLError):
            pass  # The device may answer and close before it has read everything.
        reader = HttpReader(sock)
        try:
            response = reader.read_response()
        except (ConnectionClosed, ssl.SSLError, OSError) as error:
            return Outcome(closed=str(error) or type(error).__name__)
        except ValueError as error:
            return Outcome(closed="unparsable answer: %s" % error)
        outcome = Outcome(status=response.status, error_code=response.error_code())
        if check_close and must_close(request, response.status, outcome.error_code):
            sock.settimeout(3.0)
            try:
                while True:
                    recv_some(sock)
            except (ConnectionClosed, ssl.SSLError, OSError) as error:
                outcome.closed_after = not isinstance(error, socket.timeout)
        return outcome
    finally:
        sock.close()


def allowed(outcome, expect):
    if outcome.status is None:
        return True  # A closed connection is always an acceptable way to refuse.
    return outcome.status in expect or (ANY_4XX in expect and 400 <= outcome.status < 500)


def serves(port):
    try:
        with Client(port, timeout=5) as client:
            return client.get("/.well-known/iotscp").status == 200
    except (OSError, ssl.SSLError, ConnectionClosed, ValueError):
        return False


def stall(port, identity, first, rest, result, plain=False, source=None):
    """Sends `first`, then `rest` one byte per 0.5 s (or nothing), and records how long after
    the first byte the device closed the connection."""
    # From other hosts than the clients that check the device still serves, one per staller:
    # an address may hold only 2 unauthenticated connections (protocol.md section 5.1).
    source = source or STALL_SOURCE
    try:
        if plain:
            sock = socket.create_connection(("127.0.0.1", port), timeout=30,
                                            source_address=(source, 0))
        else:
            sock = connect(port, identity, timeout=30, source=source)
    except (OSError, ssl.SSLError) as error:
        result["error"] = str(error)
        return
    started = time.monotonic()
    status = None
    try:
        if first:
            sock.sendall(first)
        sock.settimeout(0.5)
        data = b""
        for index in range(60):
            try:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                data += chunk
            except (socket.timeout, ssl.SSLWantReadError):
                pass
            except (OSError, ssl.SSLError):
                break
            if index < len(rest):
                try:
                    sock.sendall(rest[index : index + 1])
                except (OSError, ssl.SSLError):
                    break
            if time.monotonic() - started > 25:
                break
        if data.startswith(b"HTTP/1.1 "):
            status = int(data[9:12])
    finally:
        result["closed_after"] = time.monotonic() - started
        result["status"] = status
        sock.close()


def main():
    exe = simulator_path()
    failures = Failures()
    log("%d fast cases, 5 stalling cases" % len(CASES))
    failures.check(len(CASES) + 5 >= 40, "at least 40 malformed-HTTP cases")
    with TempDir() as tmp:
        admin = Identity(tmp.path, "admin")
        with Simulator(exe, tmp.sub("state"), ["--profile", "light"], allow=[admin.fp]) as sim:
            port = sim.device.port
            with Client(port, admin) as client:
                before = client.get("/properties").json()

            # --- every case once, with a health check after each ---
            for name, request, expect in CASES:
                outcome = run_case(port, admin, request)
                failures.check(allowed(outcome, expect), "%s: %r (allowed: %s)"
                               % (name, outcome, sorted(map(str, expect))))
                if must_close(request, outcome.status, outcome.error_code):
                    failures.check(outcome.closed_after is True, "%s: the connection is closed "
                                   "after %d" % (name, outcome.status))
                if outcome.status is not None and outcome.status >= 400:
                    failures.check(outcome.error_code is not None, "%s: the %d answer has a JSON "
                                   "error body" % (name, outcome.status))
                if not failures.check(serves(port), "%s: the device still serves a new client"
                                      % name):
                    log(sim.tail())
                    if not sim.alive():
                        failures.fail("the simulator died (exit %s)" % sim.proc.returncode)
                        failures.finish()
            with Client(port, admin) as client:
                after = client.get("/properties").json()
            failures.check(after == before, "no malformed request changed a property (%r → %r)"
                           % (before, after))

            # --- stalling clients: closed within 10 s while others are served ---
            partial_line = b"GET /properties/bri"
            partial_body = put(b'{"value":1}')[:-5]
            dribble = raw("GET /.well-known/iotscp HTTP/1.1", ["X-Slow: " + "s" * 200])
            partial_hello = b"\x16\x03\x01\x00\xc8\x01\x00\x00\xc4\x03\x03" + b"\x00" * 20
            groups = [
                [("stall inside the request line", partial_line, b"", False),
                 ("stall inside the body", partial_body, b"", False),
                 ("one header byte every 0.5 s", dribble[:10], dribble[10:], False)],
                [("TCP connection that never starts TLS", b"", b"", True),
                 ("TLS ClientHello cut short", partial_hello, b"", True)],
            ]
            for group in groups:
                results = [dict() for _ in group]
                threads = [threading.Thread(target=stall, args=(port, admin, first, rest,
                                                                results[i], plain,
                                                                "127.0.0.%d" % (5 + i)))
                           for i, (_, first, rest, plain) in enumerate(group)]
                for thread in threads:
                    thread.start()
                time.sleep(1.0)
                healthy = [serves(port) for _ in range(3)]
                for thread in threads:
                    thread.join(timeout=40)
                for (name, _, _, _), result in zip(group, results):
                    closed_after = result.get("closed_after", 99)
                    failures.check("error" not in result and
                                   closed_after <= REQUEST_DEADLINE + STALL_TOLERANCE,
                                   "%s: closed %.1f s after the first byte (status %s) %s"
                                   % (name, closed_after, result.get("status"),
                                      result.get("error", "")))
                    if result.get("status") is not None:
                        failures.check(result["status"] in (400, 408),
                                       "%s: answered 408 or 400 before closing (%s)"
                                       % (name, result["status"]))
                failures.check(all(healthy), "the device serves others while %d clients stall "
                               "(%r)" % (len(group), healthy))
            failures.check(serves(port), "the device serves after the stalling clients")

            # (Connection slots and who makes room for a newcomer: test_admission.py.)

            # --- memory over 1,000 repetitions ---
            fast = [case for case in CASES]
            for index in range(WARMUP_REPETITIONS):
                run_case(port, admin, fast[index % len(fast)][1], check_close=False)
            rss_start = sim.rss_kib()
            fds_start = len(os.listdir("/proc/%d/fd" % sim.proc.pid))
            started = time.monotonic()
            peak = rss_start
            rss_mid = None
            for index in range(REPETITIONS):
                run_case(port, admin, fast[index % len(fast)][1], check_close=False)
                if index == MEASURE_FROM - 1:
                    time.sleep(0.2)
                    rss_mid = sim.rss_kib()
                    fds_mid = len(os.listdir("/proc/%d/fd" % sim.proc.pid))
                if index % 100 == 99:
                    peak = max(peak, sim.rss_kib())
                    if not serves(port):
                        failures.fail("the device stopped serving after %d repetitions"
                                      % (index + 1))
                        break
            elapsed = time.monotonic() - started
            time.sleep(0.5)
            rss_end = sim.rss_kib()
            fds_end = len(os.listdir("/proc/%d/fd" % sim.proc.pid))
            log("VmRSS after %d warm-up cases: %d KiB; after %d more: %d KiB; after %d: %d KiB "
                "(peak %d KiB); %.1f ms per case" % (
                    WARMUP_REPETITIONS, rss_start, MEASURE_FROM, rss_mid, REPETITIONS, rss_end,
                    peak, 1000 * elapsed / REPETITIONS))
            with open("/proc/%d/maps" % sim.proc.pid) as maps:
                sanitized = "libasan" in maps.read()
            if sanitized:
                # AddressSanitizer's quarantine and shadow memory make RSS meaningless here
                # (hundreds of MiB, moving by more than the bound); its LeakSanitizer checks
                # leaks at exit instead.
                log("AddressSanitizer build: the RSS bound is not checked")
            failures.check(sanitized or
                           rss_mid is not None and rss_end - rss_mid <= RSS_GROWTH_LIMIT_KIB,
                           "VmRSS grows by at most %d KiB from malformed request %d to %d (%+d KiB)"
                           % (RSS_GROWTH_LIMIT_KIB, MEASURE_FROM, REPETITIONS,
                              rss_end - (rss_mid or 0)))
            failures.check(fds_end <= fds_start and fds_end <= fds_mid,
                           "no file descriptor leaks over %d malformed requests (%d open before, "
                           "%d at request %d, %d after)" % (REPETITIONS, fds_start, fds_mid,
                                                             MEASURE_FROM, fds_end))
            failures.check(sim.alive() and serves(port), "the simulator is alive and serving at "
                           "the end")
    failures.finish()


if __name__ == "__main__":
    run_main(main)
