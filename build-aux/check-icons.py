#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks Hearth's application icons: well-formed SVG, the sizes the hicolor theme expects
(128 px for the scalable icon, 16 px for the symbolic one), nothing fetched from outside the
file, and a symbolic icon drawn only in the one grey that GTK recolours."""

import sys
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
SYMBOLIC_GREY = "#2e3436"


def check(path):
    problems = []
    root = ET.parse(path).getroot()
    if root.tag != SVG + "svg":
        return [f"{path}: the root element is {root.tag}, not svg"]

    symbolic = path.endswith("-symbolic.svg")
    size = "16" if symbolic else "128"
    for attribute in ("width", "height"):
        if root.get(attribute) != size:
            problems.append(f"{path}: {attribute} is {root.get(attribute)!r}, expected {size!r}")
    if root.get("viewBox") != f"0 0 {size} {size}":
        problems.append(f"{path}: viewBox is {root.get('viewBox')!r}")

    for element in root.iter():
        for key in ("href", XLINK_HREF):
            reference = element.get(key)
            if reference is not None and not reference.startswith("#"):
                problems.append(f"{path}: external reference {reference!r}")
        if element.tag in (SVG + "image", SVG + "script", SVG + "foreignObject"):
            problems.append(f"{path}: {element.tag} is not allowed in an icon")
        if symbolic:
            for key in ("fill", "stroke"):
                colour = element.get(key)
                if colour not in (None, "none", SYMBOLIC_GREY):
                    problems.append(f"{path}: symbolic icon uses {key}={colour!r}")
    if not any(element.tag == SVG + "path" for element in root.iter()):
        problems.append(f"{path}: draws nothing")
    return problems


def main(paths):
    if not paths:
        print("usage: check-icons.py ICON.svg...", file=sys.stderr)
        return 2
    problems = [problem for path in paths for problem in check(path)]
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{len(paths)} icons checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
