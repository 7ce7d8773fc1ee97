#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The simulator is fully non-interactive (the IOTSCP/1 known issue): bad arguments get a clear
message and exit code 2, `get-cert` prints the id and fingerprint and `--force` makes a new key
that the device then serves (a certificate change a hub must notice), and `--count N` hosts N
devices with their own ids, keys and ports."""

import json
import os
import re
import subprocess
import time

from iotscp_testlib import (Client, Failures, Simulator, TempDir, peer_fingerprint, run_main,
                            simulator_path)


def run(exe, *args, timeout=60):
    return subprocess.run([exe, *args], capture_output=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def get_cert(exe, state_dir, *extra):
    result = run(exe, "get-cert", "--state-dir", state_dir, *extra)
    text = result.stdout.decode("utf-8", "replace")
    match_id = re.search(r"^id (\S+)$", text, re.M)
    match_fp = re.search(r"^fingerprint ([0-9a-f]{64})$", text, re.M)
    return result.returncode, match_id and match_id.group(1), match_fp and match_fp.group(1), text


def main():
    exe = simulator_path()
    failures = Failures()
    with TempDir() as tmp:
        bad = [
            ("an unknown option", ["--bogus"]),
            ("an unknown profile", ["--profile", "toaster"]),
            ("a port out of range", ["--port", "70000"]),
            ("a count of 0", ["--count", "0"]),
            ("a malformed --allow-controller", ["--allow-controller", "xyz"]),
            ("a missing option value", ["--name"]),
            ("a description file that does not exist", ["--description",
                                                        tmp.sub("x") + "/missing.json"]),
            ("get-cert without --state-dir", ["get-cert"]),
        ]
        for label, args in bad:
            result = run(exe, "--state-dir", tmp.sub("bad"), *args) if args[0] != "get-cert" \
                else run(exe, *args)
            message = result.stderr.decode("utf-8", "replace").strip()
            failures.check(result.returncode == 2 and message,
                           "%s: exit code 2 and a message (%d, %r)"
                           % (label, result.returncode, message[:120]))

        state = tmp.sub("cert")
        code, device_id, fp, text = get_cert(exe, state)
        failures.check(code == 0 and device_id and fp, "get-cert on a new state dir prints id and "
                       "fingerprint (%d, %r)" % (code, text))
        code, device_id_again, fp_again, _ = get_cert(exe, state)
        failures.check((device_id_again, fp_again) == (device_id, fp), "get-cert again prints "
                       "the same id and fingerprint")
        with Simulator(exe, state, ["--profile", "light"]) as sim:
            failures.check((sim.device.id, sim.device.fp) == (device_id, fp),
                           "the device uses the identity get-cert made")
        code, device_id_forced, fp_forced, text = get_cert(exe, state, "--force")
        failures.check(code == 0 and device_id_forced == device_id and fp_forced and
                       fp_forced != fp, "get-cert --force keeps the id and makes a new key (%r)"
                       % text)
        with Simulator(exe, state, ["--profile", "light"]) as sim:
            with Client(sim.device.port) as client:
                failures.check(peer_fingerprint(client.sock) == fp_forced != fp,
                               "after --force the device presents the new key: a certificate "
                               "change under the same id")

        with Simulator(exe, tmp.sub("many"), ["--profile", "switch"], count=3) as sim:
            ids = {device.id for device in sim.devices}
            ports = {device.port for device in sim.devices}
            fps = {device.fp for device in sim.devices}
            failures.check(len(ids) == len(ports) == len(fps) == 3,
                           "--count 3 hosts 3 devices with their own ids, ports and keys")
            for device in sim.devices:
                with Client(device.port) as client:
                    document = client.get("/.well-known/iotscp").json()
                    failures.check(document.get("id") == device.id and
                                   peer_fingerprint(client.sock) == device.fp,
                                   "device %s serves its own description and key" % device.id)

        # --help and -h: the usage on stdout, status 0; every option of the usage is in it and
        # in docs/firmware.md's option table.
        for flag in ("--help", "-h"):
            result = run(exe, flag)
            text = result.stdout.decode("utf-8", "replace")
            failures.check(result.returncode == 0 and text.startswith("usage: iotscp-device")
                           and not result.stderr,
                           "%s prints the usage on stdout and exits 0 (%d, %r)"
                           % (flag, result.returncode, result.stderr[:80]))
        options = set(re.findall(r"--[a-z-]+", run(exe, "--help").stdout.decode()))
        table = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs",
                                  "firmware.md"), encoding="utf-8").read()
        table = table[table.index("### 4.1"):table.index("### 4.2")]
        documented = set(re.findall(r"--[a-z-]+", "\n".join(
            line for line in table.splitlines() if line.startswith("| `"))))
        failures.check(options == documented, "the options of --help are those of "
                       "docs/firmware.md's table (only in --help: %s; only in the table: %s)"
                       % (sorted(options - documented), sorted(documented - options)))

        # Integer ranges wider than 2^32 with --emit-rate (a 32-bit modulus was zero: SIGFPE).
        wide = {"iotscp": 2, "id": "x", "name": "n", "properties": {
            "t": {"type": "integer", "minimum": 0, "maximum": 4294967295},
            "u": {"type": "integer", "minimum": -9007199254740991, "maximum": 9007199254740991},
            "v": {"type": "integer", "minimum": -4294967296}}}
        path = os.path.join(tmp.path, "wide.json")
        with open(path, "w", encoding="utf-8") as out:
            json.dump(wide, out)
        with Simulator(exe, tmp.sub("wide"), ["--description", path, "--emit-rate", "200"]) as sim:
            time.sleep(1.5)
            with Client(sim.device.port) as client:
                failures.check(client.get("/.well-known/iotscp").status == 200,
                               "a wide integer range with --emit-rate 200 is served")
            failures.check(sim.alive(), "the simulator survives wide integer ranges at 200 Hz")

        # Bounds the loader must refuse (protocol.md section 4.3), each with exit status 2.
        bad_schemas = {
            "fractional integer minimum": {"type": "integer", "minimum": 0.5},
            "fractional integer maximum": {"type": "integer", "maximum": 10.25},
            "integer bound beyond 2^53-1": {"type": "integer", "maximum": 9007199254740992},
            "integer bound below -(2^53-1)": {"type": "integer", "minimum": -1e300},
            "minimum above maximum": {"type": "number", "minimum": 5, "maximum": 4},
            "step 0": {"type": "integer", "step": 0},
            "negative step": {"type": "number", "step": -0.5},
        }
        for label, schema in bad_schemas.items():
            with open(path, "w", encoding="utf-8") as out:
                json.dump({"iotscp": 2, "id": "x", "name": "n", "properties": {"p": schema}}, out)
            result = run(exe, "--description", path, "--port", "0", "--state-dir",
                         tmp.sub("bad"), timeout=10)
            failures.check(result.returncode == 2 and b"--description" in result.stderr,
                           "%s is refused with status 2 (%d: %r)"
                           % (label, result.returncode, result.stderr[:120]))
    failures.finish()


if __name__ == "__main__":
    run_main(main)
