#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""hearthctl end to end against a headless hub and real simulators over mutual TLS on
loopback: add-address, adopt, devices, show, get, set, call, area (and their exit codes),
events and a live `events --follow`, trust decisions after a certificate change
(`get-cert --force`), and key rotation with a device that is away during the rotation.

Usage: test_hearthctl.py HEARTH HEARTHCTL IOTSCP-DEVICE"""

import json
import os
import subprocess
import sys
import tempfile
import threading
import time

import hearthctl_testlib as lib

EXIT_FAILED, EXIT_USAGE, EXIT_NO_HUB, EXIT_NOT_FOUND, EXIT_REFUSED, EXIT_NOT_TRUSTED = 1, 2, 3, 4, 5, 6


def expect_exit(hub, status, *args):
    result = hub.ctl(*args)
    assert result.returncode == status, (args, result.returncode, result.stdout, result.stderr)
    if status != 0:
        assert result.stderr.startswith("hearthctl: "), result.stderr
    return result


def adopt(hub, sim):
    out = hub.ctl_ok("add-address", f"127.0.0.1:{sim.port}")
    assert sim.id in out and sim.fingerprint in out, out
    # People copy fingerprints in groups and capitals: the hub normalizes them.
    shown = " ".join(sim.fingerprint[i:i + 4] for i in range(0, 64, 4)).upper()
    hub.ctl_ok("adopt", sim.id, shown, "--wait")
    assert hub.device(sim.id)["state"] == "online"


def check_basics(hub, sim, tmp):
    devices = hub.ctl_json("devices")
    assert [d["id"] for d in devices] == [sim.id], devices
    assert devices[0]["fingerprint"] == sim.fingerprint
    table = hub.ctl_ok("devices")
    assert sim.id in table and "online" in table, table

    status = hub.ctl_ok("status")
    assert hub.fingerprint[:4] in status and "1 online" in status, status

    shown = hub.device(sim.id)
    names = [p["name"] for p in shown["properties"]]
    assert names == ["on", "brightness", "colour-temperature"], names
    assert [a["name"] for a in shown["actions"]] == ["blink"]
    text = hub.ctl_ok("show", sim.id)
    assert "brightness" in text and "1…100 %" in text, text

    assert hub.ctl_ok("get", sim.id, "brightness").strip() == "80"
    assert hub.ctl_ok("set", sim.id, "brightness", "42").strip() == "42"
    assert hub.ctl_ok("get", sim.id, "brightness").strip() == "42"
    assert hub.ctl_json("get", sim.id, "brightness") == {"value": 42}

    # Refused by the device (its logic, a value out of range, a wrong type): exit 5 with the
    # device's message.
    result = expect_exit(hub, EXIT_REFUSED, "set", sim.id, "brightness", "400")
    assert "maximum" in result.stderr, result.stderr
    expect_exit(hub, EXIT_REFUSED, "set", sim.id, "on", "maybe")
    result = expect_exit(hub, EXIT_REFUSED, "call", sim.id, "blink", '{"times": 2}')
    assert "off" in result.stderr, result.stderr
    assert hub.ctl_ok("set", sim.id, "on", "true").strip() == "true"
    hub.ctl_ok("call", sim.id, "blink", '{"times": 2}')
    expect_exit(hub, EXIT_REFUSED, "call", sim.id, "blink", '{"times": 99}')

    # Not found: device, property, action.
    expect_exit(hub, EXIT_NOT_FOUND, "show", "no-such-device")
    expect_exit(hub, EXIT_NOT_FOUND, "get", sim.id, "no-such-property")
    expect_exit(hub, EXIT_NOT_FOUND, "call", sim.id, "no-such-action")
    expect_exit(hub, EXIT_NOT_FOUND, "trust", "approve", sim.id)

    # Usage errors.
    expect_exit(hub, EXIT_USAGE, "set", sim.id, "on")
    expect_exit(hub, EXIT_USAGE, "call", sim.id, "blink", "{not json")
    expect_exit(hub, EXIT_USAGE, "frobnicate")
    expect_exit(hub, EXIT_USAGE, "show", "Not_An_Id")
    expect_exit(hub, EXIT_USAGE, "adopt", "sim-1", "1234")
    expect_exit(hub, EXIT_USAGE)

    # No hub at another data directory: exit 3 and how to start one.
    other = os.path.join(tmp, "no-hub")
    os.mkdir(other, 0o700)
    result = subprocess.run([hub.hearthctl, "--data-dir", other, "status"], capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == EXIT_NO_HUB, result
    assert "hearth --headless" in result.stderr, result.stderr

    # add-address of something that is not a device.
    expect_exit(hub, EXIT_FAILED, "add-address", f"127.0.0.1:{hub.port + 0}")

    events = hub.ctl_json("events", "--limit", "100")
    kinds = {(e["kind"], e["name"]) for e in events if e["device"] == sim.id}
    assert ("online", None) in kinds and ("property", "brightness") in kinds, kinds
    print("basics passed")


def check_follow(hub, tmp, exe):
    """A property the device changes by itself (--emit-rate) reaches `events --follow`."""
    sim = lib.Simulator(exe, os.path.join(tmp, "thermo"), hub.fingerprint, profile="thermometer",
                        extra=["--emit-rate", "5"])
    try:
        adopt(hub, sim)
        follow = subprocess.Popen([hub.hearthctl, "--data-dir", hub.data_dir, "events", "--follow",
                                   "--json"], stdout=subprocess.PIPE, text=True)
        seen = []

        def read():
            for line in follow.stdout:
                seen.append(json.loads(line))

        threading.Thread(target=read, daemon=True).start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if any(e["device"] == sim.id and e["kind"] == "property" for e in seen):
                break
            time.sleep(0.05)
        follow.terminate()
        follow.wait(timeout=10)
        changes = [e for e in seen if e["device"] == sim.id and e["kind"] == "property"]
        assert changes, seen
        print(f"follow passed: {len(changes)} property changes streamed, e.g. {changes[0]}")
    finally:
        sim.kill()
    # A paired device that is gone for good would keep the key rotation below from finishing.
    hub.ctl_ok("trust", "forget", sim.id)
    assert hub.device(sim.id)["state"] == "new"


def check_area(hub, sim):
    """`area ID [AREA]`: the user's area for a paired device, in `devices`, `show` and --json;
    refused for an unknown device, a malformed id and a too long area."""
    out = hub.ctl_ok("area", sim.id, "  Küche ")
    assert "Küche" in out, out
    assert hub.device(sim.id)["area"] == "Küche"
    assert [d["area"] for d in hub.ctl_json("devices") if d["id"] == sim.id] == ["Küche"]
    assert [p["area"] for p in hub.ctl_json("trust", "list")["pinned"] if p["id"] == sim.id] \
        == ["Küche"]
    row = [line for line in hub.ctl_ok("devices").splitlines() if line.startswith(sim.id)]
    assert len(row) == 1 and "Küche" in row[0], row
    assert "Area:         Küche" in hub.ctl_ok("show", sim.id)
    assert hub.ctl_json("area", sim.id, "Hallway")["area"] == "Hallway"
    assert "(Hallway)" in hub.ctl_ok("trust", "list")
    hub.ctl_ok("area", sim.id)
    assert hub.device(sim.id)["area"] is None
    assert "Area:         -" in hub.ctl_ok("show", sim.id)

    expect_exit(hub, EXIT_NOT_FOUND, "area", "no-such-device", "Kitchen")
    expect_exit(hub, EXIT_USAGE, "area", "Not_An_Id", "Kitchen")
    expect_exit(hub, EXIT_USAGE, "area", sim.id, "x" * 65)
    expect_exit(hub, EXIT_USAGE, "area")
    assert hub.device(sim.id)["area"] is None
    # Kept for check_trust: the area belongs to the pin and survives a key change.
    hub.ctl_ok("area", sim.id, "Kitchen")
    print("area passed")


def check_trust(hub, sim):
    """A new device key (get-cert --force) quarantines the device; trust list shows both keys;
    approve brings it back online with the new key."""
    old = sim.fingerprint
    sim.kill()
    sim.new_key()
    sim.start(port=sim.port)
    new = sim.fingerprint
    assert new != old
    # The announcement of the restarted device (here: the address given again).
    hub.ctl_ok("add-address", f"127.0.0.1:{sim.port}")
    hub.wait_state(sim.id, "certificate-changed")
    trust = hub.ctl_json("trust", "list")
    pending = [p for p in trust["pending"] if p["id"] == sim.id]
    assert len(pending) == 1, trust
    assert pending[0]["old_fingerprint"] == old and pending[0]["new_fingerprint"] == new, pending
    text = hub.ctl_ok("trust", "list")
    assert " ".join(new[i:i + 4] for i in range(0, 64, 4)) in text, text
    # Nothing is sent to a quarantined device.
    expect_exit(hub, EXIT_NOT_TRUSTED, "get", sim.id, "on")

    hub.ctl_ok("trust", "reject", sim.id)
    hub.wait_state(sim.id, "blocked")
    hub.ctl_ok("trust", "approve", sim.id)
    hub.wait_state(sim.id, "online")
    assert hub.device(sim.id)["fingerprint"] == new
    # The user's area stays with the device through the key change (check_area set it).
    assert hub.device(sim.id)["area"] == "Kitchen"
    assert hub.ctl_json("trust", "list")["pending"] == []
    hub.ctl_ok("get", sim.id, "on")

    hub.ctl_ok("trust", "block", sim.id)
    hub.wait_state(sim.id, "blocked")
    expect_exit(hub, EXIT_NOT_TRUSTED, "get", sim.id, "on")
    hub.ctl_ok("trust", "unblock", sim.id)
    hub.wait_state(sim.id, "online")
    expect_exit(hub, EXIT_NOT_FOUND, "trust", "unblock", sim.id)
    print("trust passed")


def check_rotation(hub, sims):
    """rotate-key: the reachable device lists the new key and not the old one; the device that
    is away is reported and finished when it comes back."""
    present, away = sims
    old = hub.fingerprint
    away.kill()
    result = hub.ctl("--json", "rotate-key")
    assert result.returncode == EXIT_FAILED, result
    rotation = json.loads(result.stdout)
    new = rotation["fingerprint"]
    assert new != old and rotation["previous_fingerprint"] == old, rotation
    states = {d["id"]: d["status"] for d in rotation["devices"]}
    assert states[present.id] == "done" and states[away.id] == "unreachable", states
    status, controllers = lib.device_controllers(hub.data_dir, "127.0.0.1", present.port)
    assert status == 200 and new in controllers and old not in controllers, controllers
    text = hub.ctl_ok("status")
    assert "Needs attention" in text and away.id in text, text
    hub.wait_state(present.id, "online")
    hub.ctl_ok("get", present.id, "on")
    # Events still arrive: the device now sends its NOTIFYs to the hub's new key.
    before = hub.ctl_json("status")["events_accepted"]
    hub.ctl_ok("set", present.id, "on", "true")
    deadline = time.monotonic() + 5
    while hub.ctl_json("status")["events_accepted"] <= before:
        assert time.monotonic() < deadline, "no NOTIFY accepted after the rotation"
        time.sleep(0.05)

    # A second rotate-key while one is under way retries instead of making yet another key.
    away.start(port=away.port)
    hub.ctl_ok("add-address", f"127.0.0.1:{away.port}")
    deadline = time.monotonic() + 20
    while hub.ctl_json("status")["rotating"]:
        assert time.monotonic() < deadline, hub.ctl_ok("status")
        time.sleep(0.1)
    status, controllers = lib.device_controllers(hub.data_dir, "127.0.0.1", away.port)
    assert status == 200 and new in controllers and old not in controllers, controllers
    assert hub.ctl_json("status")["fingerprint"] == new
    assert not os.path.exists(os.path.join(hub.data_dir, "hub-identity-previous.pem"))
    hub.wait_state(away.id, "online")
    print("rotation passed")


def main():
    hearth, hearthctl, device_exe = sys.argv[1:4]
    with tempfile.TemporaryDirectory(prefix="hearthctl-") as tmp:
        hub = lib.Hub(hearth, hearthctl, os.path.join(tmp, "hub"))
        sims = []
        try:
            sims.append(lib.Simulator(device_exe, os.path.join(tmp, "light"), hub.fingerprint))
            adopt(hub, sims[0])
            check_basics(hub, sims[0], tmp)
            check_follow(hub, tmp, device_exe)
            check_area(hub, sims[0])
            check_trust(hub, sims[0])
            sims.append(lib.Simulator(device_exe, os.path.join(tmp, "switch"), hub.fingerprint,
                                      profile="switch"))
            adopt(hub, sims[1])
            check_rotation(hub, sims)
        finally:
            for sim in sims:
                sim.kill()
            status = hub.stop()
        assert status == 0, status
    print("all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
