#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks that the translations are current with the sources.

It extracts the translatable strings afresh from the files in po/POTFILES.in with xgettext
(the same keywords as meson's `glib` preset, which the `hearth-pot` target uses) and fails,
listing the strings, when:
- po/hearth.pot, the checked-in template, lacks a string the sources have or keeps one they
  dropped (regenerate it with `meson compile -C BUILDDIR hearth-pot`);
- a language in po/LINGUAS has no .po file, or its .po file lacks a string, leaves one
  untranslated, or marks one fuzzy (update it with `msgmerge --update po/LL.po po/hearth.pot`
  and translate what is new);
- msgfmt --check rejects a .po file (format directives that do not match, bad plural forms).

Usage: check-translations.py SOURCE_ROOT
"""

import ast
import os
import subprocess
import sys
import tempfile

XGETTEXT_ARGS = [
    "--from-code=UTF-8", "--add-comments",
    "--keyword=_", "--keyword=N_", "--keyword=C_:1c,2", "--keyword=NC_:1c,2",
    "--keyword=g_dcgettext:2", "--keyword=g_dngettext:2,3", "--keyword=g_dpgettext2:2c,3",
    "--flag=N_:1:pass-c-format", "--flag=C_:2:pass-c-format", "--flag=NC_:2:pass-c-format",
    "--flag=g_dngettext:2:pass-c-format", "--flag=g_strdup_printf:1:c-format",
    "--flag=g_string_printf:2:c-format", "--flag=g_string_append_printf:2:c-format",
    "--flag=g_error_new:3:c-format", "--flag=g_set_error:4:c-format",
    "--flag=g_markup_printf_escaped:1:c-format", "--flag=g_log:3:c-format",
    "--flag=g_print:1:c-format", "--flag=g_printerr:1:c-format",
    "--flag=g_printf:1:c-format", "--flag=g_fprintf:2:c-format",
    "--flag=g_sprintf:2:c-format", "--flag=g_snprintf:3:c-format",
]


def unquote(text):
    return ast.literal_eval(text)


def parse_po(path):
    """Returns {(context, msgid): (translations, is_fuzzy)} for every entry but the header."""
    entries = {}
    current = None
    field = None

    def finish():
        if current is not None and current["id"] not in (None, ""):
            key = (current["ctxt"], current["id"])
            strings = [current["strs"][i] for i in sorted(current["strs"])]
            entries[key] = (strings, "fuzzy" in current["flags"])

    with open(path, encoding="utf-8") as lines:
        for line in lines:
            line = line.strip()
            if line.startswith("#~"):
                continue
            if not line:
                finish()
                current, field = None, None
                continue
            if current is None:
                current = {"ctxt": None, "id": None, "strs": {}, "flags": []}
            if line.startswith("#,"):
                current["flags"] += [flag.strip() for flag in line[2:].split(",")]
            elif line.startswith("#"):
                continue
            elif line.startswith("msgctxt "):
                field = "ctxt"
                current["ctxt"] = unquote(line[8:])
            elif line.startswith("msgid_plural "):
                field = "plural"
            elif line.startswith("msgid "):
                field = "id"
                current["id"] = unquote(line[6:])
            elif line.startswith("msgstr["):
                index = int(line[7:line.index("]")])
                field = ("strs", index)
                current["strs"][index] = unquote(line[line.index("]") + 2:])
            elif line.startswith("msgstr "):
                field = ("strs", 0)
                current["strs"][0] = unquote(line[7:])
            elif line.startswith('"'):
                if isinstance(field, tuple):
                    current["strs"][field[1]] += unquote(line)
                elif field in ("ctxt", "id"):
                    current[field] += unquote(line)
    finish()
    return entries


def describe(keys):
    return "\n".join(f"    {key[1]!r}" + (f" (context {key[0]!r})" if key[0] else "")
                     for key in sorted(keys, key=lambda key: (key[1], key[0] or "")))


def main():
    root = sys.argv[1]
    po_dir = os.path.join(root, "po")
    problems = []

    with tempfile.TemporaryDirectory() as directory:
        fresh_pot = os.path.join(directory, "hearth.pot")
        subprocess.run(["xgettext", "--package-name=hearth", "-p", directory, "-o", "hearth.pot",
                        "-D", root, "-f", os.path.join(po_dir, "POTFILES.in"), *XGETTEXT_ARGS],
                       check=True, capture_output=True)
        fresh = set(parse_po(fresh_pot))

    print(f"# {len(fresh)} translatable strings in the sources")
    template = set(parse_po(os.path.join(po_dir, "hearth.pot")))
    if fresh - template:
        problems.append("po/hearth.pot lacks strings the sources have (run the hearth-pot "
                        "target):\n" + describe(fresh - template))
    if template - fresh:
        problems.append("po/hearth.pot keeps strings the sources no longer have (run the "
                        "hearth-pot target):\n" + describe(template - fresh))

    with open(os.path.join(po_dir, "LINGUAS"), encoding="utf-8") as linguas:
        languages = [word for line in linguas if not line.startswith("#")
                     for word in line.split()]
    if not languages:
        problems.append("po/LINGUAS lists no language")
    for language in languages:
        po_path = os.path.join(po_dir, language + ".po")
        if not os.path.exists(po_path):
            problems.append(f"po/{language}.po is missing")
            continue
        check = subprocess.run(["msgfmt", "--check", "-o", os.devnull, po_path],
                               capture_output=True, text=True)
        if check.returncode != 0:
            problems.append(f"msgfmt --check po/{language}.po:\n{check.stderr}")
        entries = parse_po(po_path)
        missing = fresh - set(entries)
        untranslated = {key for key in fresh & set(entries)
                        if any(text == "" for text in entries[key][0])}
        fuzzy = {key for key in fresh & set(entries) if entries[key][1]}
        if missing:
            problems.append(f"po/{language}.po lacks these strings:\n" + describe(missing))
        if untranslated:
            problems.append(f"po/{language}.po leaves these untranslated:\n"
                            + describe(untranslated))
        if fuzzy:
            problems.append(f"po/{language}.po marks these fuzzy:\n" + describe(fuzzy))
        print(f"# po/{language}.po: {len(fresh) - len(missing | untranslated | fuzzy)} of "
              f"{len(fresh)} strings translated")

    if problems:
        print("\n\n".join(problems), file=sys.stderr)
        return 1
    print("ok translations are current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
