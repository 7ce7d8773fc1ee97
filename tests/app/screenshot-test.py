#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs `hearth --screenshot FILE` and checks that it wrote a PNG of the main window at its
default size. This exercises the real application start-up (GApplication, resources, CSS,
settings) and the in-process renderer that produces docs/screenshots/."""

import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

DEFAULT_SIZE = (1024, 640)


def read_png(path):
    with open(path, "rb") as handle:
        data = handle.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    offset = 8
    width = height = None
    idat = b""
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset:offset + 4])
        kind = data[offset + 4:offset + 8]
        body = data[offset + 8:offset + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        offset += 12 + length
    return width, height, zlib.decompress(idat)


def main():
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        print("1..0 # SKIP no display: set DISPLAY (build-aux/dev test starts Xvfb)")
        return 77
    hearth, output = sys.argv[1], sys.argv[2]
    if os.path.exists(output):
        os.unlink(output)

    command = [hearth, "--screenshot", output]
    # GApplication wants a session bus; give it a private one rather than the user's.
    runner = shutil.which("dbus-run-session")
    if runner:
        command = [runner, "--"] + command
    # The hub the application starts keeps its key in a temporary directory, never in the
    # user's, and sends no multicast.
    with tempfile.TemporaryDirectory(prefix="hearth-screenshot-") as data_dir:
        env = dict(os.environ, HEARTH_DATA_DIR=os.path.join(data_dir, "hub"),
                   HEARTH_NO_DISCOVERY="1")
        result = subprocess.run(command, capture_output=True, text=True, timeout=45, env=env)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    if result.returncode != 0:
        print(f"hearth --screenshot exited with {result.returncode}")
        return 1
    if "CRITICAL" in result.stderr or "WARNING" in result.stderr:
        print("hearth printed warnings while starting")
        return 1

    width, height, pixels = read_png(output)
    print(f"{output}: {width}×{height}, {len(pixels)} bytes of pixel data")
    # Client-side decorations take a few pixels of the default size.
    if not all(expected - 32 <= got <= expected for got, expected in zip((width, height),
                                                                          DEFAULT_SIZE)):
        print(f"expected about the default window size {DEFAULT_SIZE}")
        return 1
    # A blank or single-colour image means nothing was drawn.
    if len(set(pixels[i:i + 4] for i in range(1, len(pixels), 4 * 97))) < 8:
        print("the screenshot is nearly uniform: the window drew nothing")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
