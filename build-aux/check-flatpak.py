#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks the promises the Flatpak manifest makes (docs and DESIGN.md rely on them): it parses,
its id matches the desktop files, it reaches Avahi only through the system bus, it never gets
the host file system, and it does not build the firmware."""

import json
import sys


def main(path, app_id):
    with open(path, encoding="utf-8") as handle:
        manifest = json.load(handle)
    problems = []
    args = manifest.get("finish-args", [])

    if manifest.get("id") != app_id:
        problems.append(f"id is {manifest.get('id')!r}, expected {app_id!r}")
    if manifest.get("runtime") != "org.gnome.Platform":
        problems.append("the runtime must be the GNOME runtime")
    if manifest.get("command") != "hearth":
        problems.append("the command must be hearth")
    for required in ("--share=network", "--system-talk-name=org.freedesktop.Avahi",
                     "--socket=wayland", "--socket=fallback-x11"):
        if required not in args:
            problems.append(f"finish-args lacks {required}")
    for arg in args:
        if arg.startswith(("--filesystem", "--socket=system-bus", "--socket=session-bus")):
            problems.append(f"finish-args must not grant {arg}")
        if arg == "--socket=x11":
            problems.append("use --socket=fallback-x11, not --socket=x11")

    modules = {module.get("name"): module for module in manifest.get("modules", [])}
    hearth = modules.get("hearth")
    if hearth is None:
        problems.append("no hearth module")
    elif "-Dfirmware=false" not in hearth.get("config-opts", []):
        problems.append("the hearth module must build with -Dfirmware=false")
    for name, module in modules.items():
        for source in module.get("sources", []):
            if source.get("type") in ("archive", "file") and not source.get("sha256"):
                problems.append(f"module {name}: source {source.get('url')} has no sha256")

    for problem in problems:
        print(f"{path}: {problem}", file=sys.stderr)
    print(f"{len(modules)} modules, {len(args)} finish-args, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
