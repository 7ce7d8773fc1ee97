#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""`iotscp-device --description FILE` accepts every valid document protocol.md section 4 allows
and the firmware core can represent, and serves it back semantically equal (the id is the
device's own): the example of protocol.md section 4 (extracted from the text), a minimal
document (only the required members), a full one (every optional member, numeric enums,
absent titles, action input and event data), and every golden description. A data schema
with an object-typed field (allowed by section 4.4, not representable in the core's flat
model) is refused with exit status 2 and a message saying exactly that."""

import json
import os
import re
import subprocess

from iotscp_testlib import (Client, Failures, Simulator, TempDir, description_validator,
                            run_main, simulator_path)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")

MINIMAL = {"iotscp": 2, "id": "x", "name": "Minimal", "properties": {}}

FULL = {
    "iotscp": 2, "id": "x", "name": "Küche ☀", "model": "Full", "manufacturer": "Hearth",
    "firmware": "9.9",
    "ui": {"icon": "generic", "primary": "mode"},
    "properties": {
        "untitled": {"type": "boolean"},
        "mode": {"title": "Mode", "type": "integer", "enum": [1, 2, 5],
                 "ui": {"widget": "dropdown"}},
        "ratio": {"type": "number", "enum": [0.5, 1.25, 3], "minimum": 0, "maximum": 4},
        "level": {"title": "Level", "description": "How loud.", "type": "integer",
                  "minimum": -9007199254740991, "maximum": 9007199254740991, "step": 3,
                  "unit": "dB", "readOnly": True, "ui": {"widget": "readout", "group": "Sound"}},
        "colour": {"type": "string", "enum": ["red", "grün"]},
        "label": {"type": "string"},
    },
    "actions": {
        "plain": {},
        "set": {"title": "Set", "description": "Sets things.",
                "input": {"type": "object",
                          "properties": {"n": {"type": "integer", "enum": [3, 4]},
                                         "s": {"title": "S", "type": "string"}},
                          "required": ["n"]}},
    },
    "events": {
        "ping": {},
        "tick": {"title": "Tick", "data": {"type": "object", "properties": {
            "count": {"type": "integer", "minimum": 0}}}},
    },
}

NESTED = {"iotscp": 2, "id": "x", "name": "Nested", "properties": {},
          "actions": {"a": {"input": {"type": "object", "properties": {
              "inner": {"type": "object", "properties": {"x": {"type": "integer"}}}}}}}}


def protocol_examples():
    """The JSON blocks of protocol.md section 4 that are self-descriptions."""
    text = open(os.path.join(ROOT, "docs", "protocol.md"), encoding="utf-8").read()
    section = text[text.index("## 4. Self-description"):text.index("## 5. Control")]
    examples = []
    for block in re.findall(r"```json\n(.*?)```", section, re.S):
        document = json.loads(block)
        if document.get("iotscp") == 2:
            examples.append(document)
    return examples


def semantic(document):
    """What must survive loading and serving: everything but the id, with the defaults that a
    device may write out (readOnly false) dropped."""
    def clean(value):
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()
                    if not (k == "readOnly" and v is False)}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value
    result = clean(document)
    result.pop("id", None)
    for member in ("actions", "events"):
        if result.get(member) == {}:
            result.pop(member)
    return result


def main():
    exe = simulator_path()
    failures = Failures()
    validator = description_validator()
    documents = [("protocol.md example %d" % n, d) for n, d in enumerate(protocol_examples())]
    failures.check(documents, "protocol.md section 4 has an example description")
    documents += [("minimal", MINIMAL), ("full", FULL)]
    golden_dir = os.path.join(ROOT, "tests", "data", "protocol", "descriptions")
    for name in sorted(os.listdir(golden_dir)):
        if name.endswith(".json"):
            with open(os.path.join(golden_dir, name), encoding="utf-8") as source:
                documents.append(("golden " + name, json.load(source)))
    with TempDir() as tmp:
        for label, document in documents:
            failures.check(not list(validator.iter_errors(document)),
                           "%s: validates against the schema" % label)
            path = os.path.join(tmp.path, "document.json")
            with open(path, "w", encoding="utf-8") as out:
                json.dump(document, out, ensure_ascii=False)
            try:
                with Simulator(exe, tmp.sub(label.replace(" ", "-")),
                               ["--description", path]) as sim:
                    with Client(sim.device.port) as client:
                        served = client.get("/.well-known/iotscp").json()
            except Exception as error:  # the simulator refused it or died
                failures.fail("%s: loads and is served (%s)" % (label, error))
                continue
            equal = semantic(served) == semantic(document)
            failures.check(equal, "%s: served back semantically equal%s" % (
                label, "" if equal else "\n  sent   %s\n  served %s" % (
                    json.dumps(semantic(document), sort_keys=True),
                    json.dumps(semantic(served), sort_keys=True))))
        path = os.path.join(tmp.path, "nested.json")
        with open(path, "w", encoding="utf-8") as out:
            json.dump(NESTED, out)
        result = subprocess.run([exe, "--description", path, "--port", "0", "--state-dir",
                                 tmp.sub("nested")], capture_output=True, timeout=10,
                                stdin=subprocess.DEVNULL)
        failures.check(result.returncode == 2 and
                       b"nested objects are not supported by this device" in result.stderr,
                       "an object-typed field is refused as a device-side limit (%d, %r)"
                       % (result.returncode, result.stderr[:200]))
    failures.finish()


if __name__ == "__main__":
    run_main(main)
