#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The windowed `hearth` must quit cleanly (exit 0, nothing on stderr) on SIGTERM, which is how a
service manager stops a kiosk, and on SIGINT (Ctrl-C in a terminal)."""

import os
import signal
import subprocess
import sys
import tempfile
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
        # The application opens the hub's control socket in startup, after it installed the
        # signal handlers, so once the socket exists a signal is handled, however loaded the
        # machine is.
        socket_path = os.path.join(env["HEARTH_DATA_DIR"], "control.sock")
        deadline = time.monotonic() + 20
        while not (name_has_owner(env, APP_ID) and os.path.exists(socket_path)):
            assert process.poll() is None, f"hearth exited early: {process.communicate()}"
            assert time.monotonic() < deadline, "hearth did not register and start its hub"
            time.sleep(0.05)
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
        # The hub the application starts keeps its key in a temporary directory, never in the
        # user's, and sends no multicast.
        with tempfile.TemporaryDirectory(prefix="hearth-gui-lifecycle-") as data_dir:
            env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=address,
                       HEARTH_DATA_DIR=os.path.join(data_dir, "hub"), HEARTH_NO_DISCOVERY="1")
            check_stops_on(hearth, env, signal.SIGTERM)
            check_stops_on(hearth, env, signal.SIGINT)
            # A clean stop removes the control socket the application opened for hearthctl.
            assert not os.path.exists(os.path.join(data_dir, "hub", "control.sock"))
            assert os.path.exists(os.path.join(data_dir, "hub", "hub-identity.pem"))
    finally:
        bus.terminate()
        bus.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
