#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Discovery latency: device start → sighting, over 20 runs, between two network namespaces
joined by a veth pair, each with its own avahi-daemon (build-aux/netns_pair.py).

In host b run, for the whole benchmark, HearthDiscovery (discovery-watch, mDNS and probe as in
the hub) and, as the peer measured in the same run, `avahi-browse -rpk _iotscp._tcp` on the same
avahi-daemon. Each run starts a fresh simulator in host a (new state directory, so a new id and
key) and times, from the moment it is started:
- Hearth: the first sighting of its id, from any source (in practice the HELLO at boot);
- Hearth mDNS: the first sighting with the mdns source;
- avahi-browse: the first resolved ("=") line carrying its id.
Prints p50 and p95 of each, and the ratios. Never fails on timing (needs root; skipped
otherwise). Usage: discovery_latency.py DISCOVERY-WATCH IOTSCP-DEVICE [RUNS]"""

import os
import queue
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import discovery_testlib as lib  # noqa: E402
from netns_pair import NetnsPair  # noqa: E402


def follow_avahi_browse(process, found):
    """Records the first time each device id appears in a resolved avahi-browse line."""
    for line in process.stdout:
        if not line.startswith("="):
            continue
        for word in line.split('"'):
            if word.startswith("id=") and word[3:] not in found:
                found[word[3:]] = time.monotonic()


def main():
    watch_exe, device_exe = sys.argv[1:3]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    reason = NetnsPair.check()
    if reason:
        lib.skip(reason)

    hearth, hearth_mdns, avahi = [], [], []
    with NetnsPair() as pair:
        pair.a.start_avahi()
        pair.b.start_avahi()
        watcher = lib.Watcher([watch_exe, "--interface", pair.b.interface], popen=pair.b.popen)
        browse_found = {}
        browse = pair.b.popen(["avahi-browse", "-rpk", "_iotscp._tcp"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
        threading.Thread(target=follow_avahi_browse, args=(browse, browse_found),
                         daemon=True).start()
        time.sleep(1)
        try:
            for run in range(runs):
                with tempfile.TemporaryDirectory() as state_dir:
                    # Make the key beforehand, so that the figures time discovery, not key
                    # generation.
                    subprocess.run([device_exe, "get-cert", "--state-dir", state_dir],
                                   capture_output=True, check=True)
                    position = watcher.mark()
                    started = time.monotonic()
                    device, facts = lib.start_simulator(
                        [device_exe, "--profile", "light", "--port", "0", "--state-dir",
                         state_dir], popen=pair.a.popen)
                    device_id = facts["id"]
                    first, _ = watcher.wait_for_sighting(device_id, lambda s: True, 10, position)
                    via_mdns, _ = watcher.wait_for_sighting(device_id,
                                                            lambda s: "mdns" in s["sources"], 10,
                                                            position)
                    deadline = time.monotonic() + 10
                    while device_id not in browse_found and time.monotonic() < deadline:
                        time.sleep(0.005)
                    device.terminate()
                    device.wait()
                    if first is None or via_mdns is None or device_id not in browse_found:
                        print("run %d: not seen by all within 10 s (hearth %s, mdns %s, avahi %s)"
                              % (run + 1, first, via_mdns, browse_found.get(device_id)))
                        continue
                    hearth.append(first - started)
                    hearth_mdns.append(via_mdns - started)
                    avahi.append(browse_found[device_id] - started)
                    print("run %2d: hearth %.3f s, hearth mdns %.3f s, avahi-browse %.3f s"
                          % (run + 1, hearth[-1], hearth_mdns[-1], avahi[-1]), flush=True)
                    time.sleep(0.5)
        finally:
            watcher.close()
            browse.kill()

    if not hearth:
        print("no complete runs")
        return 1
    p = lib.percentile
    print("discovery latency over %d runs (device start -> sighting):" % len(hearth))
    print("  hearth (any source): p50 %.3f s, p95 %.3f s" % (p(hearth, 0.5), p(hearth, 0.95)))
    print("  hearth (mDNS):       p50 %.3f s, p95 %.3f s" % (p(hearth_mdns, 0.5),
                                                             p(hearth_mdns, 0.95)))
    print("  avahi-browse -r:     p50 %.3f s, p95 %.3f s" % (p(avahi, 0.5), p(avahi, 0.95)))
    print("  ratio hearth/avahi-browse: p50 %.2f, p95 %.2f; hearth mDNS/avahi-browse: p50 %.2f, "
          "p95 %.2f" % (p(hearth, 0.5) / p(avahi, 0.5), p(hearth, 0.95) / p(avahi, 0.95),
                        p(hearth_mdns, 0.5) / p(avahi, 0.5),
                        p(hearth_mdns, 0.95) / p(avahi, 0.95)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
