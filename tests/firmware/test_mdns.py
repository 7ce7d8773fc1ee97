#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""DNS-SD (docs/protocol.md section 2): a device named "Küche ☀" is published as _iotscp._tcp
with the TXT keys v, id, name, fp, path and pair, and its UTF-8 name round-trips through the
instance name and the TXT record. Needs a running avahi-daemon and avahi-browse; without them
the test is skipped (exit code 77) and says why. A device started with --no-mdns is not
announced at all."""

import os
import re
import select
import shutil
import subprocess
import time

from iotscp_testlib import (Failures, Identity, Simulator, TempDir, log, run_main, simulator_path,
                            skip)

NAME = "Küche ☀"
BROWSE_TIMEOUT = 20.0


def unescape(text):
    """avahi-browse -p writes bytes outside printable ASCII, '.', '\\' and ';' as \\DDD."""
    out = bytearray()
    index = 0
    raw = text.encode("utf-8", "surrogateescape")
    while index < len(raw):
        if raw[index : index + 1] == b"\\" and re.fullmatch(rb"\d{3}", raw[index + 1 : index + 4]):
            out.append(int(raw[index + 1 : index + 4]))
            index += 4
        elif raw[index : index + 1] == b"\\" and index + 1 < len(raw):
            out.append(raw[index + 1])
            index += 2
        else:
            out.append(raw[index])
            index += 1
    return out.decode("utf-8", "replace")


def parse_txt(field):
    """The TXT field of avahi-browse -p: "k=v" "k=v" … (quoted, escaped)."""
    entries = {}
    for item in re.findall(r'"((?:[^"\\]|\\.)*)"', field):
        key, _, value = unescape(item).partition("=")
        entries[key] = value
    return entries


def browse(device_id, seconds):
    """Browses until the device's service is resolved or @seconds pass. Not `avahi-browse -t`:
    that waits for every service in the daemon's cache to be resolved, and a service whose
    simulator (another test's) has just exited takes its resolver's whole timeout, which made
    this test wait for more than 30 s now and then."""
    process = subprocess.Popen(["avahi-browse", "-rp", "_iotscp._tcp"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    found, lines = [], []
    deadline = time.monotonic() + seconds
    try:
        os.set_blocking(process.stdout.fileno(), False)
        pending = b""
        while time.monotonic() < deadline and not any(
                entry["txt"].get("id") == device_id for entry in found):
            ready, _, _ = select.select([process.stdout], [], [], 0.2)
            if not ready:
                continue
            chunk = process.stdout.read() or b""
            if not chunk and process.poll() is not None:
                break
            pending += chunk
            *complete, pending = pending.split(b"\n")
            for raw in complete:
                line = raw.decode("utf-8", "surrogateescape")
                lines.append(line)
                fields = line.split(";")
                if fields[0] != "=" or len(fields) < 10:
                    continue
                found.append({"interface": fields[1], "protocol": fields[2],
                              "instance": unescape(fields[3]), "port": int(fields[8]),
                              "txt": parse_txt(";".join(fields[9:]))})
    finally:
        process.kill()
        _, stderr = process.communicate()
    return found, "\n".join(lines), stderr.decode(errors="replace")


def main():
    exe = simulator_path()
    if shutil.which("avahi-browse") is None:
        skip("avahi-browse is not installed (Debian package avahi-utils)")
    probe = subprocess.run(["avahi-browse", "-pt", "_iotscp._tcp"], capture_output=True,
                           timeout=30)
    if probe.returncode != 0:
        skip("avahi-daemon is not running or not reachable on the system D-Bus (%s); "
             "build-aux/dev test starts it" % probe.stderr.decode(errors="replace").strip())
    failures = Failures()
    with TempDir() as tmp:
        admin = Identity(tmp.path, "admin")
        with Simulator(exe, tmp.sub("state"), ["--profile", "light", "--name", NAME],
                       allow=[admin.fp]) as sim:
            device = sim.device
            found, output, errors = browse(device.id, BROWSE_TIMEOUT)
            mine = [entry for entry in found if entry["txt"].get("id") == device.id]
            if not failures.check(bool(mine), "avahi-browse finds the device's _iotscp._tcp "
                                  "service within %.0f s" % BROWSE_TIMEOUT):
                log(output, errors)
                log(sim.tail())
                failures.finish()
            entry = mine[0]
            txt = entry["txt"]
            log("found:", entry)
            failures.check(re.fullmatch(re.escape(NAME) + r"( #\d+)?", entry["instance"])
                           is not None, "instance name %r is the UTF-8 device name (maybe with "
                           "a collision suffix)" % entry["instance"])
            failures.check(entry["port"] == device.port, "SRV port %d is the device's TLS port"
                           % entry["port"])
            failures.check(txt.get("v") == "2", "TXT v=2 (%r)" % txt.get("v"))
            failures.check(txt.get("name") == NAME, "TXT name=%r round-trips (%r)"
                           % (NAME, txt.get("name")))
            failures.check(txt.get("fp") == device.fp[:16], "TXT fp is the first 16 hex digits "
                           "of the fingerprint (%r)" % txt.get("fp"))
            failures.check(txt.get("path") == "/.well-known/iotscp", "TXT path (%r)"
                           % txt.get("path"))
            failures.check(txt.get("pair") in ("0", "1"), "TXT pair is 0 or 1 (%r)"
                           % txt.get("pair"))
        # --no-mdns (benchmarks with many devices): nothing is announced. The announced device
        # above shows that the daemon publishes; this one must not appear in as long.
        with Simulator(exe, tmp.sub("hidden"), ["--profile", "light", "--name", "Hidden",
                                                "--no-mdns"], allow=[admin.fp]) as hidden:
            found, output, errors = browse(hidden.device.id, 5.0)
            failures.check(not any(entry["txt"].get("id") == hidden.device.id
                                   for entry in found)
                           and "Hidden" not in output,
                           "--no-mdns: the device is not announced (5 s of browsing)")
    failures.finish()


if __name__ == "__main__":
    run_main(main)
