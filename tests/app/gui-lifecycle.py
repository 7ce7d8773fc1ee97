#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The windowed `hearth` must quit cleanly (exit 0, nothing on stderr) on SIGTERM, which is how a
service manager stops a kiosk, and on SIGINT (Ctrl-C in a terminal)."""

import os
import signal
import subprocess
import sys
import time

APP_ID = "org.hearth.Hearth"


def name_has_owner(env, name):
    result = subprocess.run(
        ["gdbus", "call", "--session", "--dest", "org.freedesktop.DBus",
         "--object-path", "/org/freedesktop/DBus",
         "--method", "org.freedesktop.DBus.NameHasOwner", name],
        capture_output=True, text=True, env=env, timeout=10)
    return "true" in result.stdout


def check_stops_on(hearth, env, signal_number):
    name = signal.Signals(signal_number).name
    process = subprocess.Popen([hearth], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        # GApplication owns its bus name just before it installs the signal handlers in
        # startup, so once the name is owned the window is moments away.
        deadline = time.monotonic() + 20
        while not name_has_owner(env, APP_ID):
            assert process.poll() is None, f"hearth exited early: {process.communicate()}"
            assert time.monotonic() < deadline, "hearth did not register on the session bus"
            time.sleep(0.05)
        time.sleep(0.5)
        process.send_signal(signal_number)
        stdout, stderr = process.communicate(timeout=10)
        print(f"[{name}] exit status {process.returncode}")
        assert process.returncode == 0, f"exit status {process.returncode}: {stderr.decode()}"
        assert b"WARNING" not in stderr and b"CRITICAL" not in stderr, stderr.decode()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def main():
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        print("1..0 # SKIP no display: set DISPLAY (build-aux/dev test starts Xvfb)")
        return 77
    hearth = sys.argv[1]
    # A private session bus, so the test never talks to (or replaces) a running Hearth.
    bus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        address = bus.stdout.readline().strip()
        env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=address)
        check_stops_on(hearth, env, signal.SIGTERM)
        check_stops_on(hearth, env, signal.SIGINT)
    finally:
        bus.terminate()
        bus.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
