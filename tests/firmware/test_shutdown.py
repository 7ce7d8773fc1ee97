#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""SIGTERM stops `iotscp-device --count 1000` promptly. It used to take 5-7 s on an idle machine
(more on a loaded one): the loop finished its turn over 1,000 devices' probe sockets (about
1.5 s of multicast datagrams the devices send each other) before looking at the signal, and the
Avahi thread withdrew 1,000 services with one synchronous D-Bus call each (about 5 s) although
closing the client withdraws them all at once. Prints the time; the bound (4 s) leaves room
for a loaded CI machine (0.3-0.5 s measured when the Avahi thread is idle, up to 2.6 s at
load 7 while it is still registering: its synchronous D-Bus call in flight must finish)."""

import signal
import time

from iotscp_testlib import Failures, Simulator, TempDir, log, run_main, simulator_path

COUNT = 1000
BOUND = 4.0


def stop_once(exe, state_dir):
    """Starts --count COUNT, waits, sends SIGTERM; returns (seconds to exit, exit status)."""
    # The constructor starts the simulator and waits for all its ready lines.
    sim = Simulator(exe, state_dir, ["--profile", "light"], count=COUNT, timeout=240)
    try:
        time.sleep(5.0)  # past the HELLO schedule, mDNS registration under way or done
        started = time.monotonic()
        sim.proc.send_signal(signal.SIGTERM)
        code = sim.proc.wait(timeout=60)
        return time.monotonic() - started, code
    finally:
        if sim.alive():
            sim.proc.kill()


def main():
    exe = simulator_path()
    failures = Failures()
    with TempDir() as tmp:
        # A second attempt only when the first is over the bound: a burst of load from a test
        # running beside this one can stretch one shutdown, while the old bug made every
        # shutdown slow (5-7 s on an idle machine), so two slow ones in a row still fail.
        attempts = []
        for _ in range(2):
            took, code = stop_once(exe, tmp.sub("many"))
            log("SIGTERM to exit with --count %d: %.2f s (status %d)" % (COUNT, took, code))
            failures.check(code == 0, "the simulator exits with status 0 (%d)" % code)
            attempts.append(took)
            if took <= BOUND:
                break
        failures.check(min(attempts) <= BOUND, "it exits within %.1f s of SIGTERM (%s)"
                       % (BOUND, ", ".join("%.2f s" % t for t in attempts)))
    failures.finish()

if __name__ == "__main__":
    run_main(main)
