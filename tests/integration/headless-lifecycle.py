#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""`hearth --headless` must start without a display, say that it runs (with its key
fingerprint, event server port and control socket), and stop with exit status 0 on SIGTERM (how
service managers stop it) and on SIGINT (Ctrl-C), removing its control socket, and never map GTK
or libadwaita. Bad options must exit 2, and `--version` of both programs must print the project
version."""

import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

START_DEADLINE = 10.0
STOP_DEADLINE = 5.0


def environment_without_display():
    env = dict(os.environ)
    for name in ("DISPLAY", "WAYLAND_DISPLAY"):
        env.pop(name, None)
    return env


def read_line(process, deadline):
    """Reads one line of stdout, failing if none arrives before the deadline."""
    line = b""
    while not line.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no complete line before the deadline (got {line!r})")
        ready, _, _ = select.select([process.stdout], [], [], remaining)
        if ready:
            chunk = os.read(process.stdout.fileno(), 1)
            if not chunk:
                raise EOFError(f"stdout closed (got {line!r})")
            line += chunk
    return line.decode()


def check_stops_on(hearth, signal_number):
    name = signal.Signals(signal_number).name
    data_dir = tempfile.mkdtemp(prefix="hearth-headless-")
    # Port 0 and no discovery: the test must not depend on port 8443 being free or on what
    # else announces itself on this machine.
    process = subprocess.Popen([hearth, "--headless", "--data-dir", data_dir, "--port", "0",
                                "--no-discovery"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=environment_without_display())
    try:
        started = time.monotonic()
        status_line = read_line(process, started + START_DEADLINE)
        print(f"[{name}] status line after {time.monotonic() - started:.3f} s: "
              f"{status_line.strip()}")
        assert "running headless" in status_line, status_line
        assert f"pid {process.pid}" in status_line, status_line
        facts = {}
        while True:
            line = read_line(process, started + START_DEADLINE)
            if line.startswith("Use hearthctl"):
                break
            key, _, value = line.strip().partition(":")
            facts[key] = value.strip()
        print(f"[{name}] {facts}")
        assert len(facts["hub key fingerprint"].replace(" ", "")) == 64, facts
        assert int(facts["event server port"]) > 0, facts
        socket_path = facts["control socket"]
        assert socket_path == os.path.join(data_dir, "control.sock"), facts
        assert os.path.exists(socket_path)
        # The headless hub is GTK-free (`hearth --headless` execs `hearth-headless`): GTK,
        # libadwaita and their libraries would cost about 7 MiB of resident memory there.
        with open(f"/proc/{process.pid}/maps") as maps:
            mapped = {line.split()[-1] for line in maps if "/" in line}
        toolkit = sorted(path for path in mapped
                         if os.path.basename(path).startswith(("libgtk-4", "libadwaita-1")))
        assert not toolkit, f"the headless hub maps {toolkit}"
        # It must keep running until told to stop.
        time.sleep(0.3)
        assert process.poll() is None, f"exited early with {process.returncode}"

        sent = time.monotonic()
        process.send_signal(signal_number)
        returncode = process.wait(timeout=STOP_DEADLINE)
        rest = process.stdout.read().decode()
        errors = process.stderr.read().decode()
        print(f"[{name}] exit {returncode} after {time.monotonic() - sent:.3f} s: {rest.strip()}")
        assert returncode == 0, f"exit status {returncode}, stderr: {errors}"
        assert f"{name} received" in rest, rest
        assert errors == "", f"unexpected stderr: {errors}"
        assert not os.path.exists(socket_path), "the control socket must go at exit"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        shutil.rmtree(data_dir, ignore_errors=True)


def check_usage(hearth, hearthctl, version):
    for program in (hearth, hearthctl):
        result = subprocess.run([program, "--version"], capture_output=True, text=True,
                                env=environment_without_display(), timeout=10)
        assert result.returncode == 0, result
        assert result.stdout.strip().endswith(version), result.stdout
        result = subprocess.run([program, "--no-such-option"], capture_output=True, text=True,
                                env=environment_without_display(), timeout=10)
        assert result.returncode == 2, result
        assert result.stderr, "a bad option must be explained on stderr"
    result = subprocess.run([hearth, "--headless", "--kiosk"], capture_output=True, text=True,
                            env=environment_without_display(), timeout=10)
    assert result.returncode == 2, result
    print("usage checks passed")


def main():
    hearth, hearthctl = sys.argv[1], sys.argv[2]
    version = subprocess.run([hearth, "--version"], capture_output=True, text=True,
                             env=environment_without_display(), timeout=10).stdout.split()[-1]
    check_usage(hearth, hearthctl, version)
    check_stops_on(hearth, signal.SIGTERM)
    check_stops_on(hearth, signal.SIGINT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
