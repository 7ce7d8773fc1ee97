#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Discovery while avahi-daemon is stopped with SIGSTOP (src/core/hearth-mdns-browser.c runs
Avahi on a thread of its own, so a daemon that does not answer must never stall the main loop).

Two network namespaces a and b with their own system bus and avahi-daemon
(build-aux/netns_pair.py); never the machine's own avahi-daemon. A simulator runs in a; hubs
(discovery-watch with a 50 ms main loop timer) run in b.

1. Hub 1 finds device 1 through mDNS.
2. b's avahi-daemon gets SIGSTOP. Hub 2 starts now: its Avahi client's D-Bus calls to the
   stopped daemon wait for their 25 s timeout. Device 2 starts in a. Both hubs find device 2
   through the multicast probe (its HELLO), and both main loops keep ticking: the longest gap
   between two 50 ms ticks stays under MAX_GAP_MS. Hub 2 is told to quit while its Avahi thread
   is still blocked: it must exit, cleanly, within the shutdown deadline (2 s) plus slack.
3. SIGCONT: hub 1 finds device 2 through mDNS too (mDNS recovered), device 1 keeps its mDNS
   source, and hub 1 quits cleanly.

Before Avahi had its own thread, hub 2's main loop stopped for 25 s in step 2.
Needs root (CI runs as root); otherwise exits 77 with the reason.
Usage: test_discovery_stalled_avahi.py DISCOVERY-WATCH IOTSCP-DEVICE"""

import os
import signal
import sys
import tempfile
import time

import discovery_testlib as lib
from netns_pair import NetnsPair

TICK_MS = 50
# Far above a 50 ms tick on a loaded machine, far below the 25 000 ms D-Bus timeout.
MAX_GAP_MS = 500
STOPPED_SECONDS = 8
QUIT_LIMIT_SECONDS = 4.0


def daemon_pid(host):
    """The pid of the host's avahi-daemon: `ip netns exec` and `sh -c "… exec avahi-daemon"`
    both exec, so it is the pid of the process netns_pair started; checked through /proc."""
    pid = host.avahi.pid
    with open("/proc/%d/comm" % pid) as f:
        comm = f.read().strip()
    if comm != "avahi-daemon":
        raise RuntimeError("pid %d is %s, not avahi-daemon" % (pid, comm))
    return pid


def ticks(watcher):
    """(count, longest gap in ms) since the last call, from discovery-watch --tick-ms."""
    position = watcher.mark()
    watcher.send("ticks")
    _, line = watcher.wait_for(lambda l: l.startswith("ticks "), 5, position)
    if line is None:
        return None, None
    fields = dict(part.split("=", 1) for part in line.split()[1:])
    return int(fields["count"]), int(fields["longest-gap-ms"])


def main():
    watch_exe, device_exe = sys.argv[1:3]
    reason = NetnsPair.check()
    if reason:
        lib.skip(reason)

    failures = lib.Failures()
    with NetnsPair() as pair, tempfile.TemporaryDirectory() as state_dir:
        pair.a.start_avahi()
        pair.b.start_avahi()
        os.makedirs(os.path.join(state_dir, "1"))
        os.makedirs(os.path.join(state_dir, "2"))
        device1, facts1 = lib.start_simulator(
            [device_exe, "--profile", "light", "--port", "0", "--state-dir",
             os.path.join(state_dir, "1")], popen=pair.a.popen)
        device2 = None
        watch_argv = [watch_exe, "--tick-ms", str(TICK_MS), "--interface", pair.b.interface]
        hub1 = lib.Watcher(watch_argv, popen=pair.b.popen)
        hub2 = None
        avahi_pid = None
        try:
            # 1. mDNS works.
            _, found = hub1.wait_for_sighting(facts1["id"], lambda s: "mdns" in s["sources"], 15)
            failures.check(found is not None, "hub 1 finds device 1 through mDNS")

            # 2. The daemon stops answering.
            avahi_pid = daemon_pid(pair.b)
            ticks(hub1)
            os.kill(avahi_pid, signal.SIGSTOP)
            stopped_at = time.monotonic()
            print("avahi-daemon %d in b stopped (SIGSTOP)" % avahi_pid, flush=True)
            hub2 = lib.Watcher(watch_argv, popen=pair.b.popen)
            _, started = hub2.wait_for(lambda l: l == "started", 5)
            failures.check(started is not None, "hub 2 starts while avahi-daemon is stopped")
            position1 = hub1.mark()
            device2, facts2 = lib.start_simulator(
                [device_exe, "--profile", "light", "--port", "0", "--state-dir",
                 os.path.join(state_dir, "2")], popen=pair.a.popen)
            device2_started = time.monotonic()
            for name, hub, since in (("hub 1", hub1, position1), ("hub 2", hub2, 0)):
                stamp, sighting = hub.wait_for_sighting(facts2["id"],
                                                        lambda s: "probe" in s["sources"], 5,
                                                        since)
                failures.check(sighting is not None,
                               "%s finds device 2 through the multicast probe while "
                               "avahi-daemon is stopped (%.3f s after it started)"
                               % (name, (stamp or device2_started) - device2_started))
            _, old = hub2.wait_for_sighting(facts1["id"], lambda s: "probe" in s["sources"], 5)
            failures.check(old is not None, "hub 2 finds device 1 through the multicast probe")
            remaining = STOPPED_SECONDS - (time.monotonic() - stopped_at)
            if remaining > 0:
                time.sleep(remaining)
            for name, hub in (("hub 1", hub1), ("hub 2", hub2)):
                count, gap = ticks(hub)
                expected = STOPPED_SECONDS * 1000 // TICK_MS
                failures.check(count is not None and gap < MAX_GAP_MS and count > expected // 2,
                               "%s: the main loop keeps ticking while avahi-daemon is stopped "
                               "(%s ticks of %d ms, longest gap %s ms, limit %d ms)"
                               % (name, count, TICK_MS, gap, MAX_GAP_MS))
            rows = [r for r in hub2.report() if r["name"] == pair.b.interface]
            row = rows[0] if rows else {}
            failures.check(row.get("mdns") == "0" and row.get("probe4") == "1",
                           "hub 2's interface report: probe on, mDNS not yet (%s)" % row)

            # Hub 2 quits while its Avahi thread still waits for the stopped daemon.
            quit_started = time.monotonic()
            hub2.send("quit")
            try:
                code = hub2.process.wait(timeout=10)
            except lib.subprocess.TimeoutExpired:
                code = None
            quit_seconds = time.monotonic() - quit_started
            failures.check(code == 0 and quit_seconds <= QUIT_LIMIT_SECONDS,
                           "hub 2 quits while avahi-daemon is stopped: exit code %s after %.3f s "
                           "(limit %.1f s)" % (code, quit_seconds, QUIT_LIMIT_SECONDS))

            # 3. The daemon continues: mDNS recovers.
            position1 = hub1.mark()
            os.kill(avahi_pid, signal.SIGCONT)
            continued_at = time.monotonic()
            avahi_pid = None
            stamp, sighting = hub1.wait_for_sighting(facts2["id"],
                                                     lambda s: "mdns" in s["sources"], 15,
                                                     position1)
            failures.check(sighting is not None,
                           "after SIGCONT hub 1 finds device 2 through mDNS (%.3f s)"
                           % ((stamp or continued_at) - continued_at))
            last = None
            for _, line in hub1.history:
                if line.startswith("sighting id=%s " % facts1["id"]):
                    last = lib.parse_sighting(line)
            failures.check(last is not None and "mdns" in last["sources"],
                           "device 1 keeps its mDNS source in hub 1")
            count, gap = ticks(hub1)
            failures.check(count is not None and gap < MAX_GAP_MS,
                           "hub 1: the main loop kept ticking after SIGCONT (longest gap %s ms)"
                           % gap)
        finally:
            if avahi_pid is not None:
                os.kill(avahi_pid, signal.SIGCONT)
            quit_started = time.monotonic()
            failures.check(hub1.close() == 0, "hub 1 exits cleanly (%.3f s)"
                           % (time.monotonic() - quit_started))
            if hub2 is not None and hub2.process.poll() is None:
                hub2.close()
            for device in (device1, device2):
                if device is not None:
                    device.terminate()
                    device.wait()

    print("%d failure(s)" % failures.count)
    return 1 if failures.count else 0


if __name__ == "__main__":
    sys.exit(main())
