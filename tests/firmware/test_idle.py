#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The idle limit (docs/protocol.md section 8): a kept-alive connection with no request for 60 s
is closed by the device, whether it made a request before or only finished the handshake, and
not much earlier. Takes about a minute, so it is a test of its own that runs beside the others."""

import ssl
import threading
import time

from iotscp_testlib import (Client, ConnectionClosed, Failures, Identity, Simulator, TempDir,
                            run_main, simulator_path)

IDLE_LIMIT = 60.0
SLACK = 2.5


def watch(sock, since, result):
    """Records how long after `since` the device closed the connection."""
    sock.settimeout(IDLE_LIMIT + 20)
    try:
        data = sock.recv(4096)
        result["data"] = data
    except (ConnectionClosed, ssl.SSLError, OSError) as error:
        result["error"] = str(error)
    result["closed_after"] = time.monotonic() - since


def main():
    exe = simulator_path()
    failures = Failures()
    with TempDir() as tmp:
        admin = Identity(tmp.path, "admin")
        with Simulator(exe, tmp.sub("state"), ["--profile", "light"], allow=[admin.fp]) as sim:
            used = Client(sim.device.port, admin)
            answer = used.get("/properties")
            used_since = time.monotonic()
            failures.check(answer.status == 200, "a first request on the kept-alive connection")
            fresh = Client(sim.device.port, admin)
            fresh_since = time.monotonic()
            results = [{}, {}]
            threads = [threading.Thread(target=watch, args=(used.sock, used_since, results[0])),
                       threading.Thread(target=watch, args=(fresh.sock, fresh_since, results[1]))]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(IDLE_LIMIT + 30)
            for label, result in (("after a request", results[0]),
                                  ("right after the handshake", results[1])):
                closed_after = result.get("closed_after", -1)
                failures.check(IDLE_LIMIT - 0.5 <= closed_after <= IDLE_LIMIT + SLACK and
                               not result.get("data"),
                               "an idle connection %s is closed after 60 s (%.1f s, %r)"
                               % (label, closed_after, result))
            used.close()
            fresh.close()
            with Client(sim.device.port, admin) as client:
                failures.check(client.get("/properties").status == 200,
                               "a new connection is served afterwards")
    failures.finish()


if __name__ == "__main__":
    run_main(main)
