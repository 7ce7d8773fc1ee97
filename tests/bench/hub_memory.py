#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Memory: RSS of `hearth --headless` with N paired simulated devices (default 1,000, one
`iotscp-device --count N`), each adopted through the control socket and online (subscribed,
state read). Target: at most 64 MiB. The peer in the same run is the simulator process at the
other end of the same 1,000 mutual-TLS connections (and their 1,000 servers); the ratio is
hub RSS / simulator RSS. Then every device goes offline and comes back, twice
(HEARTH_BENCH_RECONNECT_ROUNDS), and the growth of the hub's RSS is printed after each round.
Prints figures; never fails on them.

Usage: hub_memory.py HEARTH HEARTHCTL IOTSCP-DEVICE [DEVICES]"""

import os
import signal
import sys
import tempfile
import time

# Rounds of every device going offline and coming back (see below).
RECONNECT_ROUNDS = int(os.environ.get("HEARTH_BENCH_RECONNECT_ROUNDS", "2"))

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import hearthctl_testlib as lib  # noqa: E402


def memory_kib(pid):
    facts = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                facts[key] = int(value.split()[0])
    return facts


def main():
    hearth, hearthctl, device_exe = sys.argv[1:4]
    devices = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
    with tempfile.TemporaryDirectory(prefix="hearth-memory-") as tmp:
        hub = lib.Hub(hearth, hearthctl, os.path.join(tmp, "hub"))
        sim = lib.Simulator.__new__(lib.Simulator)
        sim.exe, sim.state_dir, sim.profile = device_exe, os.path.join(tmp, "sims"), "light"
        # Adopted by address; a thousand simulated lights are not announced on the network.
        sim.hub_fingerprint, sim.extra, sim.process = hub.fingerprint, ["--no-mdns"], None
        try:
            idle = memory_kib(hub.process.pid)
            sim.start(count=devices)
            client = lib.ControlClient(hub.socket)
            started = time.monotonic()
            retried = 0
            for device in sim.devices:
                # On a loaded machine a simulator occasionally resets a handshake; a device the
                # hub cannot reach is tried again rather than ending the measurement.
                for attempt in range(3):
                    try:
                        client.adopt(device)
                        break
                    except RuntimeError:
                        if attempt == 2:
                            raise
                        retried += 1
                        time.sleep(1)
            adopted = time.monotonic() - started
            # The wait starts after the last adoption: adopting 1,000 devices takes minutes.
            while client.count_online() < devices and time.monotonic() - started < adopted + 120:
                time.sleep(0.5)
            online = client.count_online()
            print(f"{online} of {devices} devices online {time.monotonic() - started:.1f} s "
                  f"after the first adoption (adopting took {adopted:.1f} s, {retried} "
                  f"adoptions retried)")
            time.sleep(5)
            loaded = memory_kib(hub.process.pid)
            print(f"hearth --headless RSS: {idle['VmRSS'] / 1024:.1f} MiB with no devices; "
                  f"{loaded['VmRSS'] / 1024:.1f} MiB with {online} paired devices online "
                  f"(anonymous {loaded['RssAnon'] / 1024:.1f} MiB, file-backed "
                  f"{loaded['RssFile'] / 1024:.1f} MiB, peak {loaded['VmHWM'] / 1024:.1f} MiB; "
                  f"target <= 64 MiB); "
                  f"{(loaded['VmRSS'] - idle['VmRSS']) / max(online, 1):.1f} KiB per device")
            # The hub closes a connection to a device after 50 s without requests, so the
            # devices adopted last still have one; after a minute only the devices' NOTIFY
            # connections to the event server remain (the steady state of a running hub).
            time.sleep(60)
            steady = memory_kib(hub.process.pid)
            descriptors = len(os.listdir(f"/proc/{hub.process.pid}/fd"))
            with open(f"/proc/{hub.process.pid}/maps") as maps:
                gtk_mapped = any("libgtk-4" in line for line in maps)
            print(f"a minute later: {steady['VmRSS'] / 1024:.1f} MiB (anonymous "
                  f"{steady['RssAnon'] / 1024:.1f} MiB, file-backed "
                  f"{steady['RssFile'] / 1024:.1f} MiB), {descriptors} open descriptors; "
                  f"GTK {'mapped' if gtk_mapped else 'not mapped'}")
            # Churn: every device stops answering for longer than three heartbeats, so the hub
            # marks it offline, and then comes back, so the hub subscribes again over new
            # connections in both directions while the old ones close. A hub that keeps
            # anything of a closed connection grows with every round.
            for round_number in range(1, RECONNECT_ROUNDS + 1):
                sim.process.send_signal(signal.SIGSTOP)
                stop_until = time.monotonic() + 60
                while client.count_online() > 0 and time.monotonic() < stop_until:
                    time.sleep(1)
                offline = devices - client.count_online()
                sim.process.send_signal(signal.SIGCONT)
                back = time.monotonic()
                while client.count_online() < devices and time.monotonic() - back < 240:
                    time.sleep(1)
                back_after = time.monotonic() - back
                # As above: once the hub's own connections idled out.
                time.sleep(60)
                churned = memory_kib(hub.process.pid)
                print(f"reconnect round {round_number}: {offline} devices went offline, "
                      f"{client.count_online()} back online in {back_after:.0f} s; a minute "
                      f"later {churned['VmRSS'] / 1024:.1f} MiB "
                      f"({(churned['VmRSS'] - steady['VmRSS']) / 1024:+.1f} MiB since the first "
                      f"steady state)")
            peer = memory_kib(sim.process.pid)
            print(f"peer: simulator RSS {peer['VmRSS'] / 1024:.1f} MiB for the other end of the "
                  f"same {devices} devices; ratio hub/simulator "
                  f"{loaded['VmRSS'] / max(peer['VmRSS'], 1):.2f}")
        finally:
            sim.kill()
            hub.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
