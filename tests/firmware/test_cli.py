#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The simulator is fully non-interactive (the IOTSCP/1 known issue): bad arguments get a clear
message and exit code 2, `get-cert` prints the id and fingerprint and `--force` makes a new key
that the device then serves (a certificate change a hub must notice), and `--count N` hosts N
devices with their own ids, keys and ports."""

import re
import subprocess

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
    failures.finish()


if __name__ == "__main__":
    run_main(main)
