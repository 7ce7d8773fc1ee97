#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""`hearth --kiosk` under the cage kiosk compositor (docs/kiosk.md), headless: the window must
cover the whole output from its first frame, and so must Settings, a window of its own over it
(run a second time with HEARTH_SCREENSHOT_SETTINGS=trust).

cage 0.1.4 (Debian 12) answers the full-screen request with a configure of size 0x0, which
leaves the size to the window, and maximizes it to the output only after it was shown; GTK's
default size (1024x640) used to be the first frame on a 1280x720 output. The test reads the
client's Wayland protocol log (WAYLAND_DEBUG=client): every window geometry Hearth sets must be
the output's mode, and the screenshot Hearth takes of itself must have that size.

The command is the ExecStart of data/hearth-kiosk.service, with the hearth just built for
/usr/bin/hearth and --screenshot added, so that the test runs what the unit runs.

cage runs with wlroots' headless backend and the pixman renderer: no GPU, no input devices.
cage refuses to run as root, so as root the test runs it as the user "nobody" (setpriv).
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

NOBODY = 65534


def skip(reason):
    print(f"1..0 # SKIP {reason}")
    return 77


def main():
    hearth = os.path.abspath(sys.argv[1])
    unit = sys.argv[2]
    cage = shutil.which("cage")
    if cage is None:
        return skip("cage is not installed (Debian package: cage)")
    with open(unit) as unit_file:
        exec_start = [line.split("=", 1)[1].split() for line in unit_file
                      if line.startswith("ExecStart=")][0]
    assert exec_start[0] == "/usr/bin/cage" and "/usr/bin/hearth" in exec_start, exec_start
    unit_command = [cage] + [hearth if word == "/usr/bin/hearth" else word
                             for word in exec_start[1:]]
    # Debian's cage 0.1.4 is built with Xwayland support and does not start without it.
    if shutil.which("Xwayland") is None:
        return skip("Xwayland is not installed (Debian package: xwayland), cage needs it")

    prefix = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            return skip("running as root and setpriv (util-linux) is missing; cage refuses root")
        prefix = [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--"]
        probe = subprocess.run(prefix + ["test", "-x", hearth])
        if probe.returncode != 0:
            return skip(f"user nobody cannot run {hearth} (build directory not readable)")

    # The main window, then Settings opened over it (on the panel: Settings → Trust).
    for settings_page, name in ((None, "kiosk-cage.png"), ("trust", "kiosk-cage-settings.png")):
        status = run_under_cage(prefix + unit_command, settings_page, name)
        if status != 0:
            return status
    return 0


def run_under_cage(unit_command, settings_page, name):
    """Runs the unit's command once, with a screenshot of the main window or, with
    settings_page, of Settings on that page; every frame of every Hearth window must cover the
    output."""
    what = "the kiosk window" if settings_page is None else f"Settings → {settings_page}"
    with tempfile.TemporaryDirectory(prefix="hearth-kiosk-cage-") as runtime_dir:
        if os.geteuid() == 0:
            os.chown(runtime_dir, NOBODY, NOBODY)
        os.chmod(runtime_dir, 0o700)
        screenshot = os.path.join(runtime_dir, name)
        env = {key: value for key, value in os.environ.items()
               if key not in ("DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS")}
        env.update({
            "XDG_RUNTIME_DIR": runtime_dir,
            "XDG_CACHE_HOME": os.path.join(runtime_dir, "cache"),
            "XDG_CONFIG_HOME": os.path.join(runtime_dir, "config"),
            "XDG_DATA_HOME": os.path.join(runtime_dir, "data"),
            "HOME": runtime_dir,
            "WLR_BACKENDS": "headless",
            "WLR_LIBINPUT_NO_DEVICES": "1",
            "WLR_RENDERER": "pixman",
            "GDK_BACKEND": "wayland",
            "WAYLAND_DEBUG": "client",
            "HEARTH_DATA_DIR": os.path.join(runtime_dir, "hub"),
            "HEARTH_NO_DISCOVERY": "1",
        })
        if settings_page is not None:
            env["HEARTH_SCREENSHOT_SETTINGS"] = settings_page
        command = unit_command + ["--screenshot", screenshot]
        print("running:", " ".join(command))
        try:
            result = subprocess.run(command, env=env, capture_output=True, text=True,
                                    timeout=90, cwd=runtime_dir)
        except subprocess.TimeoutExpired as timeout:
            print(f"cage did not end: {timeout.stdout}\n{timeout.stderr}")
            return 1
        log = result.stderr
        print(result.stdout)

        modes = re.findall(r"wl_output@\d+\.mode\(\d+, (\d+), (\d+), \d+\)", log)
        geometries = re.findall(r"-> xdg_surface@\d+\.set_window_geometry\(0, 0, (\d+), (\d+)\)",
                                log)
        wrote = re.search(r"hearth: wrote .* \((\d+)×(\d+)\)", result.stdout)
        if not modes or not geometries or wrote is None:
            print(log[-4000:])
            print("no output mode, window geometry or screenshot line: did Hearth start?")
            return 1
        output = tuple(int(v) for v in modes[0])
        sizes = [tuple(int(v) for v in g) for g in geometries]
        surfaces = len(set(re.findall(r"-> xdg_surface@(\d+)\.set_window_geometry", log)))
        print(f"{what}: output {output[0]}x{output[1]}; window geometries {sizes} of "
              f"{surfaces} surface(s); screenshot {wrote.group(1)}x{wrote.group(2)}")
        if settings_page is not None and surfaces < 2:
            print("FAIL: Settings did not open as a window of its own")
            return 1
        if any(size != output for size in sizes):
            print("FAIL: a frame of a Hearth window did not cover the output")
            return 1
        if (int(wrote.group(1)), int(wrote.group(2))) != output:
            print(f"FAIL: {what} is not the size of the output")
            return 1
        if "CRITICAL" in log or "WARNING" in log:
            print(log[-4000:])
            print("FAIL: GTK warned")
            return 1
        if os.environ.get("HEARTH_BUILD_DIR"):
            shutil.copy(screenshot, os.path.join(os.environ["HEARTH_BUILD_DIR"], "tests", "app",
                                                 name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
