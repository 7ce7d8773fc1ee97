#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Discovery between two hosts: network namespaces a and b joined by a veth pair, each with its
own system bus and avahi-daemon (build-aux/netns_pair.py). A simulator runs in a; a small
program running HearthDiscovery (discovery-watch) runs in b. Shown:

1. mDNS: b finds the device through the two avahi-daemons (probe off), with the TXT facts, an
   IPv4 and an IPv6 link-local address on b's veth (scope = its interface index).
2. avahi-daemon in b is killed (SIGKILL) and restarted 20 times: each time the mDNS sighting is
   withdrawn, and comes back within 5 s of the restart. The figures are printed.
3. Multicast only: both avahi-daemons stopped, a fresh HearthDiscovery (mDNS on, so it must
   cope with Avahi being absent) finds the device by the IPv4 and by the IPv6 probe (answers,
   not HELLOs: the device booted long before), and the interface report says why mDNS is off.

Needs root (CI runs as root); otherwise exits 77 with the reason.
Usage: test_discovery_netns.py DISCOVERY-WATCH IOTSCP-DEVICE"""

import statistics
import subprocess
import sys
import tempfile
import time

import discovery_testlib as lib
from netns_pair import NetnsPair

RESTARTS = 20
RESTART_LIMIT_SECONDS = 5.0


def main():
    watch_exe, device_exe = sys.argv[1:3]
    reason = NetnsPair.check()
    if reason:
        lib.skip(reason)

    failures = lib.Failures()
    with NetnsPair() as pair, tempfile.TemporaryDirectory() as state_dir:
        pair.a.start_avahi()
        pair.b.start_avahi()
        b_index = pair.b.interface_index()
        device, facts = lib.start_simulator([device_exe, "--profile", "light", "--port", "0",
                                             "--state-dir", state_dir], popen=pair.a.popen)
        device_id = facts["id"]
        print("device %s in host a (%s), port %s" % (device_id, pair.a.ipv4, facts["port"]),
              flush=True)

        # 1. mDNS alone.
        watcher = lib.Watcher([watch_exe, "--no-probe"], popen=pair.b.popen)
        try:
            def both_families(s):
                families = {("v6" if ":" in a[0] else "v4") for a in s["addresses"]
                            if "mdns" in a[2]}
                return families == {"v4", "v6"}

            _, sighting = watcher.wait_for_sighting(device_id, both_families, 15)
            if failures.check(sighting is not None,
                              "mDNS: found through avahi-daemon in both namespaces"):
                failures.check(sighting["fp"] == facts["fingerprint"][:16],
                               "mDNS: the TXT fingerprint hint is the first 16 digits")
                failures.check(sighting["port"] == facts["port"] and sighting["name"] == "Light",
                               "mDNS: port and name from the service")
                addresses = {a[0]: a[1] for a in sighting["addresses"]}
                failures.check(addresses.get(pair.a.ipv4) == b_index,
                               "mDNS: IPv4 address %s on b's veth" % pair.a.ipv4)
                link_local = pair.a.ipv6_link_local()
                failures.check(addresses.get(link_local) == b_index,
                               "mDNS: IPv6 link-local %s with scope %d" % (link_local, b_index))

            # 2. avahi-daemon restarts.
            figures = []
            for attempt in range(RESTARTS):
                position = watcher.mark()
                pair.b.kill_avahi()
                _, gone = watcher.wait_for_sighting(device_id, lambda s: "mdns" not in s["sources"],
                                                    5, position)
                if not failures.check(gone is not None,
                                      "restart %d: the mDNS sighting is withdrawn when the "
                                      "daemon dies" % (attempt + 1)):
                    break
                position = watcher.mark()
                started = time.monotonic()
                pair.b.start_avahi()
                stamp, back = watcher.wait_for_sighting(device_id, lambda s: "mdns" in s["sources"],
                                                        15, position)
                if back is None:
                    failures.check(False, "restart %d: discovery back" % (attempt + 1))
                    continue
                figures.append(stamp - started)
            if figures:
                print("avahi-daemon restarts: %d; discovery back after (s): min %.3f, median %.3f,"
                      " p95 %.3f, max %.3f" % (len(figures), min(figures),
                                                statistics.median(figures),
                                                lib.percentile(figures, 0.95), max(figures)),
                      flush=True)
                print("all figures (s): " + " ".join("%.3f" % f for f in figures), flush=True)
            failures.check(len(figures) == RESTARTS and max(figures) <= RESTART_LIMIT_SECONDS,
                           "%d restarts, discovery back within %.0f s each time"
                           % (RESTARTS, RESTART_LIMIT_SECONDS))
        finally:
            failures.check(watcher.close() == 0, "discovery-watch exits cleanly")

        # 3. Multicast only, Avahi stopped on both sides.
        pair.a.kill_avahi()
        pair.b.kill_avahi()
        time.sleep(4)  # past the device's last HELLO (0, 1 and 3 s after start)
        watcher = lib.Watcher([watch_exe, "--interface", pair.b.interface], popen=pair.b.popen)
        try:
            def probe_family(family):
                def condition(s):
                    return any(("v6" if ":" in a[0] else "v4") == family and "probe" in a[2]
                               and a[1] == b_index for a in s["addresses"])
                return condition

            _, v4 = watcher.wait_for_sighting(device_id, probe_family("v4"), 10)
            failures.check(v4 is not None and any(a[0] == pair.a.ipv4 for a in v4["addresses"]),
                           "probe: found by the IPv4 probe (239.255.42.99) at %s" % pair.a.ipv4)
            _, v6 = watcher.wait_for_sighting(device_id, probe_family("v6"), 10)
            failures.check(v6 is not None and any(a[0].startswith("fe80:")
                                                  for a in v6["addresses"]),
                           "probe: found by the IPv6 probe (ff02::42:99) at a link-local address")
            if v6 is not None:
                failures.check(v6["fp"] == facts["fingerprint"],
                               "probe: the answer carries all 64 digits of the fingerprint")
                failures.check("mdns" not in v6["sources"], "probe: no mDNS source without Avahi")
            rows = [row for row in watcher.report() if row["name"] == pair.b.interface]
            row = rows[0] if rows else {}
            failures.check(row.get("probe4") == "1" and row.get("probe6") == "1"
                           and row.get("mdns") == "0" and device_id in row.get("devices", ""),
                           "interface report for %s: %s" % (pair.b.interface, row))
            failures.check("avahi" in row.get("error", "").lower(),
                           "interface report says why mDNS is off: %s" % row.get("error"))

            # Interfaces coming and going: the prober notices through netlink, without waiting
            # for its periodic rescan (30 s), and probes again when the link is back.
            def veth_row():
                rows = [r for r in watcher.report() if r["name"] == pair.b.interface]
                return rows[0] if rows else {}

            def wait_row(condition, timeout):
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline:
                    row = veth_row()
                    if condition(row):
                        return row
                    time.sleep(0.1)
                return None

            lib.subprocess.run(pair.b.command(["ip", "link", "set", pair.b.interface, "down"]),
                               check=True)
            down = wait_row(lambda r: r.get("up") == "0" and r.get("probe4") == "0", 3)
            failures.check(down is not None, "link down: the report shows the probe off at once")
            position = watcher.mark()
            lib.subprocess.run(pair.b.command(["ip", "link", "set", pair.b.interface, "up"]),
                               check=True)
            up = wait_row(lambda r: r.get("up") == "1" and r.get("probe4") == "1"
                          and r.get("probe6") == "1", 5)
            failures.check(up is not None, "link up: IPv4 and IPv6 probing resume within 5 s")
        finally:
            failures.check(watcher.close() == 0, "discovery-watch exits cleanly")
            device.terminate()
            device.wait()

    print("%d failure(s)" % failures.count)
    return 1 if failures.count else 0


if __name__ == "__main__":
    sys.exit(main())
