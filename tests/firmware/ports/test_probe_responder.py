#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The multicast probe responder of the device core (docs/protocol.md section 3), black-box.

Runs the real iotscp-device simulator and talks to it with real UDP multicast on loopback, in a
network namespace of its own (made with `unshare --net` when the test runs as root, as CI does),
so that no other simulator on the machine answers and the counts mean what they say. Checks:

- the HELLO announcements at 0 s, 1 s and 3 s, with the device's facts ("Küche ☀" in UTF-8);
- a valid probe gets exactly one unicast HERE from every device, echoing the nonce, never
  larger than the probe (for probe sizes from 400 to 1,200 bytes);
- an id probe is answered only by that device;
- malformed probes (too short, too long, bad verb, nonce, pad or lines) get no answer;
- a flood of 1,000 probes from 100 source addresses is answered at most 20 + 10/s times (token
  bucket) and one source gets at most one answer per 100 ms.

Usage: test_probe_responder.py PATH-TO-iotscp-device
"""

import os
import secrets
import select
import shutil
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import iotscp_testlib as lib  # noqa: E402

GROUP = "239.255.42.99"
PORT = 4299
NETNS_MARK = "IOTSCP_PROBE_TEST_IN_NETNS"


# ---- Isolation -------------------------------------------------------------------------------


def enter_private_network():
    """Re-runs this script inside a new network namespace with only `lo`, routed for multicast."""
    if os.environ.get(NETNS_MARK) == "1":
        return
    if os.geteuid() != 0 or shutil.which("unshare") is None or shutil.which("ip") is None:
        lib.skip("needs root, unshare and ip to make a private network namespace (CI runs as root)")
    if subprocess.run(["unshare", "--net", "true"], stderr=subprocess.DEVNULL).returncode != 0:
        lib.skip("cannot make a network namespace here (unshare --net failed)")
    env = dict(os.environ, **{NETNS_MARK: "1"})
    script = 'ip link set lo up && ip route add 224.0.0.0/4 dev lo && exec "$@"'
    argv = ["unshare", "--net", "sh", "-c", script, "sh", sys.executable,
            os.path.abspath(__file__)] + sys.argv[1:]
    os.execvpe("unshare", argv, env)


# ---- Messages --------------------------------------------------------------------------------


def probe(size=400, nonce=None, device_id=None):
    """A valid probe of exactly `size` bytes and its nonce."""
    nonce = nonce or secrets.token_hex(8)
    head = "IOTSCP/2 PROBE\nnonce=%s\n" % nonce
    if device_id is not None:
        head += "id=%s\n" % device_id
    pad = size - len(head.encode()) - len("pad=\n")
    assert pad >= 0
    return (head + "pad=" + "." * pad + "\n").encode(), nonce


def parse_message(data):
    """Returns (verb, {key: value}) or None when the message breaks the format."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not text.endswith("\n"):
        return None
    lines = text[:-1].split("\n")
    fields = {}
    for line in lines[1:]:
        key, sep, value = line.partition("=")
        if not sep or not key.isalpha() or not key.islower() or key in fields:
            return None
        fields[key] = value
    return lines[0], fields


# ---- Sockets ---------------------------------------------------------------------------------


def sender(source="127.0.0.1"):
    """A UDP socket on `source` that sends to the group through lo and gets unicast answers."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((source, 0))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(source))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
    s.setblocking(False)
    return s


def group_listener():
    """A socket in the group on port 4299, as a hub listens for HELLOs."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind(("0.0.0.0", PORT))
    mreq = struct.pack("4s4s", socket.inet_aton(GROUP), socket.inet_aton("127.0.0.1"))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    s.setblocking(False)
    return s


def collect(sockets, seconds):
    """Every datagram that arrives on `sockets` within `seconds`: (time, socket, data, source)."""
    got = []
    deadline = time.monotonic() + seconds
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return got
        readable, _, _ = select.select(sockets, [], [], remaining)
        for s in readable:
            while True:
                try:
                    data, source = s.recvfrom(4096)
                except BlockingIOError:
                    break
                got.append((time.monotonic(), s, data, source))


def ask(s, message, seconds=0.3):
    s.sendto(message, (GROUP, PORT))
    return [g for g in collect([s], seconds)]


# ---- Checks ----------------------------------------------------------------------------------


def check_here(t, answer, nonce, probe_size, devices, what):
    parsed = parse_message(answer)
    if not t.check(parsed is not None and parsed[0] == "IOTSCP/2 HERE",
                   "%s: the answer is a well-formed IOTSCP/2 HERE" % what):
        return None
    fields = parsed[1]
    t.check(len(answer) <= probe_size,
            "%s: answer of %d bytes is not larger than the %d-byte probe"
            % (what, len(answer), probe_size))
    t.check(fields.get("nonce") == nonce, "%s: the nonce is echoed" % what)
    device = devices.get(fields.get("id"))
    if not t.check(device is not None, "%s: id %r is one of the devices" % (what, fields.get("id"))):
        return fields
    t.check(fields.get("fp") == device.fp, "%s: fp is the device's full fingerprint" % what)
    t.check(fields.get("port") == str(device.port), "%s: port is the device's TLS port" % what)
    t.check(fields.get("path") == "/.well-known/iotscp", "%s: path" % what)
    t.check(fields.get("pair") in ("0", "1") and fields.get("v") == "2", "%s: pair and v" % what)
    return fields


def test_announcements(t, exe, tmp):
    listener = group_listener()
    with lib.Simulator(exe, tmp.sub("hello"), args=["--profile", "light", "--name", "Küche ☀"]) \
            as sim:
        started = sim.started_at
        hellos = [g for g in collect([listener], 4.5)
                  if g[2].startswith(b"IOTSCP/2 HELLO\n")]
        device = sim.device
    listener.close()
    mine = []
    for when, _s, data, _source in hellos:
        parsed = parse_message(data)
        if parsed and parsed[1].get("id") == device.id:
            mine.append((when, parsed[1]))
    t.check(len(mine) == 3, "3 HELLO announcements in the first 4.5 s (got %d)" % len(mine))
    if mine:
        fields = mine[0][1]
        t.check(fields.get("name") == "Küche ☀", "HELLO carries the UTF-8 name: %r"
                % fields.get("name"))
        t.check(fields.get("fp") == device.fp and fields.get("port") == str(device.port)
                and fields.get("v") == "2" and "nonce" not in fields,
                "HELLO carries fp, port, v=2 and no nonce")
        t.check(mine[0][0] - started < 3.0, "the first HELLO comes at start (%.2f s after "
                "launch)" % (mine[0][0] - started))
    if len(mine) == 3:
        gap1 = mine[1][0] - mine[0][0]
        gap2 = mine[2][0] - mine[1][0]
        t.check(0.7 <= gap1 <= 1.5 and 1.6 <= gap2 <= 2.6,
                "HELLOs at 0 s, 1 s and 3 s (gaps %.2f s and %.2f s)" % (gap1, gap2))


def test_answers(t, exe, tmp):
    with lib.Simulator(exe, tmp.sub("answers"), count=3,
                       args=["--profile", "light", "--name", "Küche ☀"]) as sim:
        devices = {d.id: d for d in sim.devices}
        time.sleep(0.3)
        s = sender()

        # Every device answers a valid probe once, at every allowed size. The pause between
        # probes keeps within one answer per source per 100 ms.
        for size in (400, 401, 800, 1200):
            message, nonce = probe(size)
            got = ask(s, message)
            answers = [g[2] for g in got]
            t.check(len(answers) == 3, "a %d-byte probe gets one answer from each of the 3 "
                    "devices (got %d)" % (size, len(answers)))
            ids = set()
            for answer in answers:
                fields = check_here(t, answer, nonce, size, devices, "%d-byte probe" % size)
                if fields:
                    ids.add(fields.get("id"))
                    # With --count the simulator numbers the names ("Küche ☀ 2").
                    t.check(fields.get("name", "").startswith("Küche ☀"),
                            "the answer carries the UTF-8 name (%r)" % fields.get("name"))
            t.check(ids == set(devices), "the answers come from all three devices")
            for g in got:
                t.check(g[3][1] == PORT, "the answer is sent from port 4299")
            time.sleep(0.15)

        # A probe naming one device is answered by that device only.
        target = sim.devices[1]
        message, nonce = probe(400, device_id=target.id)
        answers = [g[2] for g in ask(s, message)]
        t.check(len(answers) == 1, "an id probe gets exactly one answer (got %d)" % len(answers))
        if answers:
            fields = check_here(t, answers[0], nonce, 400, devices, "id probe")
            t.check(fields is not None and fields.get("id") == target.id,
                    "the id probe is answered by the named device")
        time.sleep(0.15)
        message, _ = probe(400, device_id="no-such-device")
        t.check(len(ask(s, message)) == 0, "a probe for an unknown id gets no answer")
        time.sleep(0.15)

        test_malformed(t, s)
        s.close()


def test_malformed(t, s):
    nonce = "5a0c3e9d71b24f86"

    def padded(head, size=400, pad_char="."):
        body = head + "pad="
        return (body + pad_char * (size - len(body.encode()) - 1) + "\n").encode()

    good, _ = probe(400, nonce=nonce)
    cases = {
        "399 bytes (too short)": padded("IOTSCP/2 PROBE\nnonce=%s\n" % nonce, 399),
        "1,201 bytes (too long)": padded("IOTSCP/2 PROBE\nnonce=%s\n" % nonce, 1201),
        "empty datagram": b"",
        "wrong verb": padded("IOTSCP/2 PROB\nnonce=%s\n" % nonce),
        "HELLO verb": padded("IOTSCP/2 HELLO\nnonce=%s\n" % nonce),
        "old protocol version": padded("IOTSCP/1 PROBE\nnonce=%s\n" % nonce),
        "missing nonce": padded("IOTSCP/2 PROBE\n"),
        "15-digit nonce": padded("IOTSCP/2 PROBE\nnonce=%s\n" % nonce[:15]),
        "17-digit nonce": padded("IOTSCP/2 PROBE\nnonce=%s0\n" % nonce),
        "non-hex nonce": padded("IOTSCP/2 PROBE\nnonce=5a0c3e9d71b24fzz\n"),
        "duplicate nonce": padded("IOTSCP/2 PROBE\nnonce=%s\nnonce=%s\n" % (nonce, nonce)),
        "missing pad": ("IOTSCP/2 PROBE\nnonce=%s\nx=%s\n"
                        % (nonce, "." * 370)).encode(),
        "pad of spaces": padded("IOTSCP/2 PROBE\nnonce=%s\n" % nonce, pad_char=" "),
        "CRLF line ends": padded("IOTSCP/2 PROBE\r\nnonce=%s\r\n" % nonce),
        "no final newline": good[:-1] + b".",
        "line without =": padded("IOTSCP/2 PROBE\nnonce=%s\nbogus\n" % nonce),
        "uppercase key": padded("IOTSCP/2 PROBE\nnonce=%s\nID=x\n" % nonce),
        "invalid UTF-8": padded("IOTSCP/2 PROBE\nnonce=%s\n" % nonce)[:-3] + b"\xff.\n",
        "NUL byte": padded("IOTSCP/2 PROBE\nnonce=%s\nx=a\x00b\n" % nonce),
        "binary garbage": bytes(range(256)) * 2,
        "bad id characters": padded("IOTSCP/2 PROBE\nnonce=%s\nid=Not An Id\n" % nonce),
    }
    for what, message in cases.items():
        answers = ask(s, message, seconds=0.15)
        t.check(len(answers) == 0, "malformed probe (%s, %d bytes) gets no answer"
                % (what, len(message)))
    time.sleep(0.15)
    answers = ask(s, good)
    t.check(len(answers) == 3, "after the malformed probes a valid one is answered again "
            "(got %d)" % len(answers))


def test_flood(t, exe, tmp):
    with lib.Simulator(exe, tmp.sub("flood"), args=["--profile", "switch"]) as sim:
        devices = {sim.device.id: sim.device}
        time.sleep(0.3)

        # 1,000 probes over about a second, from 100 source addresses: the per-source limit
        # does not apply, so the token bucket (burst 20, 10 per second) is all that limits, and
        # the refill during the flood is counted as well.
        sources = [sender("127.0.0.%d" % (10 + i)) for i in range(100)]
        answers = []
        sizes = {}
        first = time.monotonic()
        for i in range(1000):
            message, nonce = probe(400 + (i % 5) * 100)
            sizes[nonce] = len(message)
            sources[i % len(sources)].sendto(message, (GROUP, PORT))
            if i % 10 == 9:
                time.sleep(0.01)
        sent = time.monotonic()
        answers = collect(sources, 0.5)
        # (Answers sent during the flood wait in the sockets; collect reads them all.)
        # Answers may be sent until the last probe is read; count the whole span generously.
        span = (answers[-1][0] if answers else sent) - first
        limit = 20 + 10 * span + 1
        t.check(len(answers) <= limit, "1,000 probes in %.2f s from 100 sources get at most "
                "20 + 10/s answers: %d <= %.0f" % (sent - first, len(answers), limit))
        t.check(len(answers) >= 20, "the flood is answered up to the bucket and its refill "
                "(%d answers)" % len(answers))
        oversized = 0
        for _when, _s, data, _src in answers:
            parsed = parse_message(data)
            nonce = parsed[1].get("nonce") if parsed else None
            if nonce not in sizes or len(data) > sizes[nonce]:
                oversized += 1
        t.check(oversized == 0, "no flood answer is larger than its probe or unmatched "
                "(%d bad)" % oversized)
        for s in sources:
            s.close()

        # Let the bucket fill again (2 s from empty), then one source probes every 20 ms for
        # 1 s: at most one answer per 100 ms.
        time.sleep(2.5)
        s = sender("127.0.0.5")
        start = time.monotonic()
        got = []
        while time.monotonic() - start < 1.0:
            message, _ = probe(400)
            s.sendto(message, (GROUP, PORT))
            got += collect([s], 0.02)
        got += collect([s], 0.2)
        duration = time.monotonic() - start
        t.check(len(got) <= duration / 0.1 + 1,
                "one source probing every 20 ms for %.1f s gets at most one answer per 100 ms "
                "(%d answers)" % (duration, len(got)))
        t.check(len(got) >= 5, "and is still answered about every 100 ms (%d answers)"
                % len(got))
        times = [g[0] for g in got]
        gaps = [b - a for a, b in zip(times, times[1:])]
        t.check(all(gap >= 0.08 for gap in gaps),
                "answers to one source are at least 100 ms apart (smallest gap %.3f s)"
                % (min(gaps) if gaps else 0))
        s.close()
        t.check(sim.alive(), "the simulator survived the flood")


def main():
    enter_private_network()
    exe = lib.simulator_path()
    t = lib.Failures()
    with lib.TempDir() as tmp:
        test_announcements(t, exe, tmp)
        test_answers(t, exe, tmp)
        test_flood(t, exe, tmp)
    t.finish()


if __name__ == "__main__":
    lib.run_main(main)
