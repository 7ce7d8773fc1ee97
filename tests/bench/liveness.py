#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Liveness: a paired simulated device is killed (SIGKILL) and restarted on the same port, RUNS
times. Measured through the hub's control socket: kill -> offline (the hub hears no heartbeat
for 2.5 intervals), restart -> online again (resubscribed and state re-read; the proxy retries
with backoff up to 5 s, or at once when discovery hears the device's HELLO). Prints p50, p95
and max; never fails on them.

Usage: liveness.py HEARTH HEARTHCTL IOTSCP-DEVICE [RUNS] [HEARTBEAT-SECONDS]"""

import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import hearthctl_testlib as lib  # noqa: E402


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def wait_state(client, device_id, state, timeout):
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if client.call("GET", f"/v1/devices/{device_id}")["state"] == state:
            return time.monotonic()
        time.sleep(0.01)
    raise RuntimeError(f"{device_id} not {state} within {timeout} s")


def main():
    hearth, hearthctl, device_exe = sys.argv[1:4]
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 20
    heartbeat = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    with tempfile.TemporaryDirectory(prefix="hearth-liveness-") as tmp:
        hub = lib.Hub(hearth, hearthctl, os.path.join(tmp, "hub"),
                      extra_args=["--heartbeat", str(heartbeat)])
        sim = lib.Simulator(device_exe, os.path.join(tmp, "light"), hub.fingerprint)
        client = lib.ControlClient(hub.socket)
        offline, online = [], []
        try:
            client.adopt({"id": sim.id, "port": sim.port, "fingerprint": sim.fingerprint})
            wait_state(client, sim.id, "online", 20)
            for _ in range(runs):
                killed = time.monotonic()
                sim.kill()
                offline.append(wait_state(client, sim.id, "offline", 60) - killed)
                restarted = time.monotonic()
                sim.start(port=sim.port)
                online.append(wait_state(client, sim.id, "online", 60) - restarted)
            device = client.call("GET", f"/v1/devices/{sim.id}")
        finally:
            sim.kill()
            hub.stop()
    print(f"heartbeat {heartbeat} s, {runs} runs, no discovery (the hub finds the device again by "
          f"retrying its address)")
    print(f"kill -> offline: p50 {percentile(offline, 0.5):.2f} s, p95 "
          f"{percentile(offline, 0.95):.2f} s, max {max(offline):.2f} s "
          f"(bound: 2.5 heartbeats = {2.5 * heartbeat:.1f} s)")
    print(f"restart -> online (resubscribed, state read): p50 {percentile(online, 0.5):.2f} s, "
          f"p95 {percentile(online, 0.95):.2f} s, max {max(online):.2f} s (target: within 2 s); "
          f"resubscriptions counted by the hub: {device['resubscribes']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
