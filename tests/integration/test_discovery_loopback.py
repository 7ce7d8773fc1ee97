#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""HearthDiscovery finds a simulator on this host through the IPv4 multicast probe on the
loopback interface (mDNS off, so only the probe can find it), and add-by-address reads the
device's description over HTTPS and takes the key fingerprint from the TLS handshake.

Runs in the current network namespace and needs no root. Usage:
test_discovery_loopback.py DISCOVERY-WATCH IOTSCP-DEVICE"""

import subprocess
import sys
import tempfile

import discovery_testlib as lib


def main():
    watch_exe, device_exe = sys.argv[1:3]
    failures = lib.Failures()
    with tempfile.TemporaryDirectory() as state_dir:
        device, facts = lib.start_simulator([device_exe, "--profile", "light", "--port", "0",
                                             "--state-dir", state_dir])
        # Short lifetimes so the test can watch a sighting go stale and leave: probes every
        # second, so the probe source lapses 3 s after the last answer, and stale sightings
        # leave 2 s later.
        watcher = lib.Watcher([watch_exe, "--no-mdns", "--interface", "lo", "--probe-interval", "1",
                               "--stale-timeout", "2", "--add-address",
                               "127.0.0.1:" + facts["port"]])
        try:
            _, sighting = watcher.wait_for_sighting(
                facts["id"], lambda s: any(a[0] == "127.0.0.1" and "probe" in a[2]
                                           for a in s["addresses"]), 10)
            if failures.check(sighting is not None, "the probe finds the simulator on 127.0.0.1"):
                failures.check(sighting["fp"] == facts["fingerprint"],
                               "the probe answer carries the full fingerprint")
                failures.check(sighting["port"] == facts["port"], "and the device's TLS port")
                failures.check(sighting["name"] == "Light", "and its name")
            _, line = watcher.wait_for(lambda l: l.startswith("added-address ")
                                       or l.startswith("add-address-failed "), 15)
            failures.check(line == "added-address id=%s fp=%s" % (facts["id"],
                                                                  facts["fingerprint"]),
                           "add-by-address reads the id and the TLS key fingerprint (%s)" % line)
            _, sighting = watcher.wait_for_sighting(facts["id"], lambda s: "manual" in s["sources"],
                                                    5)
            failures.check(sighting is not None, "the sighting lists the manual source")
            rows = watcher.report()
            lo = [row for row in rows if row["name"] == "lo"]
            failures.check(bool(lo) and lo[0]["probe4"] == "1" and facts["id"] in lo[0]["devices"],
                           "the interface report says the IPv4 probe runs on lo and sees the "
                           "device (%s)" % lo)
            # A device that stops is not removed at once: the probe source lapses after three
            # probe intervals, the sighting is then stale, and leaves after the stale timeout.
            # (Its manual address never lapses, so this uses another simulator.)
            position = watcher.mark()
            with tempfile.TemporaryDirectory() as other_dir:
                other, other_facts = lib.start_simulator([device_exe, "--profile", "switch",
                                                          "--port", "0", "--state-dir",
                                                          other_dir])
                seen, _ = watcher.wait_for_sighting(other_facts["id"], lambda s: True, 10,
                                                    position)
                # Only a stale report after the stop counts: on a loaded machine a running
                # device can miss three probe answers and go stale (and come back) before it.
                at_stop = watcher.mark()
                other.terminate()
                other.wait()
                stopped = lib.time.monotonic()
                stale, _ = watcher.wait_for_sighting(other_facts["id"],
                                                     lambda s: s["stale"] == "1", 10, at_stop)
                _, removed = watcher.wait_for(lambda l: l == "removed id=" + other_facts["id"],
                                              10, position)
                failures.check(seen is not None and stale is not None
                               and 2.0 <= stale - stopped <= 6.0,
                               "a stopped device goes stale after three probe intervals (%s s)"
                               % (None if stale is None else round(stale - stopped, 2)))
                failures.check(removed is not None, "and leaves the model after the stale timeout")
            device.terminate()
            device.wait()
        finally:
            failures.check(watcher.close() == 0, "discovery-watch exits cleanly")
            if device.poll() is None:
                device.kill()
    print("%d failure(s)" % failures.count)
    return 1 if failures.count else 0


if __name__ == "__main__":
    sys.exit(main())
