#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""`hearth [--data-dir DIR] [--port N] [--heartbeat S] [--no-discovery] [--kiosk]` with a window
(docs/cli.md): the options reach the hub the window runs, and uniqueness behaves as documented.

- With --data-dir, Hearth runs as its own instance: its hub uses DIR and the given port (read
  back with hearthctl), and it does not take the session's application name.
- A second Hearth on the same DIR is refused by the hub, with a message naming the socket.
- Without --data-dir, Hearth is unique: `hearth` again exits 0 (the running window is shown);
  `hearth --kiosk` or `--port N` again is refused with exit status 1 and a message, instead of
  being silently ignored; `hearth --data-dir OTHER` runs beside it.
- Bad values are refused with exit status 2 before any window opens.
"""

import json
import os
import socket
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


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, process, what, seconds=20):
    deadline = time.monotonic() + seconds
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"hearth exited early ({what}): {process.communicate()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def stop(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
    return process.returncode


def hub_status(hearthctl, data_dir, env):
    result = subprocess.run([hearthctl, "--data-dir", data_dir, "--json", "status"],
                            capture_output=True, text=True, env=env, timeout=20)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def check_data_dir_and_port(hearth, hearthctl, env, root):
    data_dir = os.path.join(root, "own-hub")
    port = free_port()
    first = subprocess.Popen([hearth, "--data-dir", data_dir, "--port", str(port),
                              "--heartbeat", "5", "--no-discovery"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    second = None
    try:
        socket_path = os.path.join(data_dir, "control.sock")
        wait_for(lambda: os.path.exists(socket_path), first, "the --data-dir hub's socket")
        status = hub_status(hearthctl, data_dir, env)
        print(f"[--data-dir] status: {status}")
        assert status["data_dir"] == data_dir, status
        assert status["event_port"] == port, status
        # A separate instance: it does not own the session's application name.
        assert not name_has_owner(env, APP_ID)

        # A second Hearth on the same directory: the hub refuses, naming the socket; the
        # window shows the message until closed (here: SIGTERM), and the exit status is 1.
        second_log = os.path.join(root, "second.log")
        with open(second_log, "w") as log:
            second = subprocess.Popen([hearth, "--data-dir", data_dir], stdout=subprocess.DEVNULL,
                                      stderr=log, env=env)

        def second_complained():
            with open(second_log) as log:
                return "cannot start the hub" in log.read()

        wait_for(second_complained, second, "the second hub's complaint")
        status_code = stop(second)
        with open(second_log) as log:
            message = log.read()
        print(f"[same --data-dir] exit {status_code}: {message.strip()}")
        assert status_code == 1, status_code
        assert socket_path in message, message
        assert first.poll() is None, "the first Hearth must keep running"
    finally:
        code = stop(first)
        if second is not None:
            stop(second)
    assert code == 0, f"--data-dir Hearth exit status {code}: {first.stderr.read()}"
    assert not os.path.exists(os.path.join(data_dir, "control.sock"))
    assert os.path.exists(os.path.join(data_dir, "hub-identity.pem"))


def check_unique(hearth, hearthctl, env, root):
    primary_env = dict(env, HEARTH_DATA_DIR=os.path.join(root, "primary-hub"))
    primary = subprocess.Popen([hearth], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=primary_env)
    beside = None
    try:
        socket_path = os.path.join(root, "primary-hub", "control.sock")
        wait_for(lambda: name_has_owner(env, APP_ID) and os.path.exists(socket_path), primary,
                 "the unique Hearth")

        again = subprocess.run([hearth], capture_output=True, text=True, env=primary_env,
                               timeout=30)
        print(f"[hearth again] exit {again.returncode} {again.stderr.strip()}")
        assert again.returncode == 0, again.stderr

        for options in (["--kiosk"], ["--port", "0"], ["--no-discovery"], ["--heartbeat", "3"]):
            refused = subprocess.run([hearth] + options, capture_output=True, text=True,
                                     env=primary_env, timeout=30)
            print(f"[hearth {' '.join(options)} again] exit {refused.returncode}: "
                  f"{refused.stderr.strip()}")
            assert refused.returncode == 1, refused
            assert "already running" in refused.stderr, refused.stderr
            assert "--data-dir" in refused.stderr, refused.stderr

        # Another data directory runs beside the unique one, with its own hub.
        other_dir = os.path.join(root, "beside-hub")
        beside = subprocess.Popen([hearth, "--data-dir", other_dir, "--port", "0",
                                   "--no-discovery"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        wait_for(lambda: os.path.exists(os.path.join(other_dir, "control.sock")), beside,
                 "the second hub beside the unique Hearth")
        assert hub_status(hearthctl, other_dir, env)["event_port"] > 0
        assert primary.poll() is None
    finally:
        if beside is not None:
            assert stop(beside) == 0
        code = stop(primary)
    assert code == 0, f"primary exit status {code}: {primary.stderr.read()}"


def check_bad_values(hearth, env):
    for options in (["--port", "70000"], ["--heartbeat", "61"], ["--port", "-5"]):
        result = subprocess.run([hearth] + options, capture_output=True, text=True, env=env,
                                timeout=30)
        print(f"[hearth {' '.join(options)}] exit {result.returncode}: {result.stderr.strip()}")
        assert result.returncode == 2, result


def main():
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        print("1..0 # SKIP no display: set DISPLAY (build-aux/dev test starts Xvfb)")
        return 77
    hearth, hearthctl = sys.argv[1], sys.argv[2]
    # A private session bus, so that the test never talks to (or replaces) a running Hearth.
    bus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        address = bus.stdout.readline().strip()
        with tempfile.TemporaryDirectory(prefix="hearth-window-options-") as root:
            env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=address, HEARTH_NO_DISCOVERY="1")
            env.pop("HEARTH_DATA_DIR", None)
            check_bad_values(hearth, env)
            check_data_dir_and_port(hearth, hearthctl, env, root)
            check_unique(hearth, hearthctl, env, root)
    finally:
        bus.terminate()
        bus.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
