#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fails when a source, template or data file holds translatable strings but po/POTFILES.in
does not list it, or when POTFILES.in lists a file that does not exist. Without this check a
new string silently never reaches translators."""

import pathlib
import re
import sys

C_MARKER = re.compile(r"(?<![A-Za-z0-9_])(?:N_|_|C_|NC_|Q_|g_dgettext|g_dngettext|ngettext)\s*\(")
UI_MARKER = re.compile(r'translatable\s*=\s*"(?:yes|true|1)"')
SCHEMA_MARKER = re.compile(r"<summary>|<description>")


def has_translatable_strings(path):
    text = path.read_text(encoding="utf-8", errors="replace")
    name = path.name
    if name.endswith((".c", ".h")):
        # Strip comments and preprocessor lines that merely define the macros.
        text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
        text = re.sub(r"^\s*#\s*define.*$", "", text, flags=re.M)
        return C_MARKER.search(text) is not None
    if name.endswith(".ui"):
        return UI_MARKER.search(text) is not None
    if name.endswith(".gschema.xml"):
        return SCHEMA_MARKER.search(text) is not None
    # Desktop entries and metainfo always carry a translatable name and summary.
    return name.endswith((".desktop.in", ".metainfo.xml.in"))


def candidates(root):
    patterns = ["src/**/*.c", "src/**/*.h", "ui/**/*.ui", "data/**/*.desktop.in",
                "data/**/*.metainfo.xml.in", "data/**/*.gschema.xml"]
    for pattern in patterns:
        yield from root.glob(pattern)


def main(argv):
    root = pathlib.Path(argv[1] if len(argv) > 1 else ".").resolve()
    potfiles_path = root / "po" / "POTFILES.in"
    listed = set()
    for line in potfiles_path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            listed.add(line)

    problems = []
    for entry in sorted(listed):
        if not (root / entry).is_file():
            problems.append(f"po/POTFILES.in lists {entry}, which does not exist")

    checked = 0
    for path in sorted(set(candidates(root))):
        checked += 1
        relative = path.relative_to(root).as_posix()
        if has_translatable_strings(path) and relative not in listed:
            problems.append(f"{relative} has translatable strings but is not in po/POTFILES.in")

    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{checked} files checked, {len(listed)} listed, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
