#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Names are UTF-8 everywhere (the IOTSCP/1 bug was ASCII-only URLs): a device named "Küche ☀"
with a property titled "Helligkeit" and a property named "wärme" round-trips through the
description, percent-encoded paths, NOTIFY and the multicast answer and announcement
(docs/protocol.md sections 3 and 4). mDNS TXT is checked by test_mdns.py."""

import os
import time

from iotscp_probe_client import GroupListener, ProbeSocket, make_probe, new_nonce, parse_message
from iotscp_testlib import (PROTOCOL_DATA, Client, Failures, Identity, NotifyServer, Simulator,
                            TempDir, description_validator, load_json, log, run_main,
                            simulator_path)

NAME = "Küche ☀"


def probe_for(failures, sock, device, label, attempts=1, **kwargs):
    """Sends a probe and returns the answers that came from `device` (by id). With attempts > 1
    a probe that got no answer is repeated (with a new nonce): other tests running at the same
    time may have used up the device's token bucket for a moment."""
    for _ in range(attempts):
        nonce = new_nonce()
        datagram = make_probe(nonce, **kwargs)
        sock.send(datagram)
        answers = []
        for data, source in sock.collect(1.5):
            parsed = parse_message(data)
            if parsed and parsed[1].get("id") == device.id:
                answers.append((data, parsed, nonce, datagram))
        if answers:
            break
    return answers


def check_here(failures, answers, device, name, label):
    if not failures.check(len(answers) == 1, "%s: exactly one answer from the device (%d)"
                          % (label, len(answers))):
        return
    data, (verb, fields), nonce, probe = answers[0]
    failures.check(verb == "IOTSCP/2 HERE", "%s: verb line IOTSCP/2 HERE (%r)" % (label, verb))
    failures.check(fields.get("nonce") == nonce, "%s: the nonce is echoed" % label)
    failures.check(fields.get("name") == name, "%s: name=%r round-trips (%r)"
                   % (label, name, fields.get("name")))
    failures.check(fields.get("port") == str(device.port), "%s: port=%s (%r)"
                   % (label, device.port, fields.get("port")))
    failures.check(fields.get("fp") == device.fp, "%s: fp is the full fingerprint" % label)
    failures.check(fields.get("path") == "/.well-known/iotscp", "%s: path" % label)
    failures.check(fields.get("pair") in ("0", "1"), "%s: pair is 0 or 1" % label)
    failures.check(fields.get("v") == "2", "%s: v=2" % label)
    failures.check(len(data) <= len(probe), "%s: the answer (%d bytes) is not larger than the "
                   "probe (%d bytes)" % (label, len(data), len(probe)))


def main():
    exe = simulator_path()
    failures = Failures()
    validator = description_validator()
    golden = load_json("descriptions", "kueche.json")
    with TempDir() as tmp:
        admin = Identity(tmp.path, "admin")
        description_file = os.path.join(PROTOCOL_DATA, "descriptions", "kueche.json")

        # --- a device described by a file with UTF-8 names and titles ---
        with Simulator(exe, tmp.sub("kueche"), ["--description", description_file],
                       allow=[admin.fp]) as sim:
            device = sim.device
            try:
                listener = GroupListener()
            except OSError as error:
                listener = None
                failures.fail("could not listen for HELLO on port 4299 next to the device: %s"
                              % error)
            with Client(device.port) as client:
                response = client.get("/.well-known/iotscp")
                document = response.json() if response.status == 200 else {}
            failures.check(document.get("name") == NAME, "description name %r (%r)"
                           % (NAME, document.get("name")))
            properties = document.get("properties", {})
            failures.check(properties.get("helligkeit", {}).get("title") == "Helligkeit",
                           "property title Helligkeit round-trips")
            failures.check(properties.get("wärme", {}).get("title") == "Lichtfarbe ☀",
                           "the property named wärme with title 'Lichtfarbe ☀' round-trips")
            failures.check(properties.get("wärme", {}).get("enum") ==
                           ["warmweiß", "neutralweiß", "kaltweiß"], "UTF-8 enum values")
            failures.check(not list(validator.iter_errors(document)), "the description validates")
            expected = dict(golden, id=device.id)
            failures.check(document == expected, "the served description equals "
                           "tests/data/protocol/descriptions/kueche.json (except id)")

            with Client(device.port, admin) as client, NotifyServer(admin) as server:
                answer = client.subscribe(server.url("/k%C3%BCche/ereignisse"), 60, 5)
                failures.check(answer.status == 200, "SUBSCRIBE with a percent-encoded UTF-8 "
                               "callback path (%r)" % answer)
                answer = client.put("wärme", "kaltweiß")
                failures.check(answer.status == 200 and answer.json() == {"value": "kaltweiß"},
                               "PUT /properties/w%%C3%%A4rme sets a UTF-8 value (%r)" % answer)
                answer = client.get("/properties/w%C3%A4rme")
                failures.check(answer.status == 200 and answer.json() == {"value": "kaltweiß"},
                               "GET /properties/w%%C3%%A4rme reads it back (%r)" % answer)
                answer = client.get("/properties/W%C3%A4rme")
                failures.check(answer.status == 404, "names are case-sensitive (%r)" % answer)
                answer = client.put("wärme", "ultraviolett")
                failures.check(answer.status == 422, "a value outside the enum is 422 (%r)"
                               % answer)
                note = server.wait_for_update(lambda e: e.get("name") == "wärme"
                                              and e.get("value") == "kaltweiß", 10)
                failures.check(note is not None, "NOTIFY names the property wärme and carries "
                               "the UTF-8 value")
                failures.check(note is None or note.target == "/k%C3%BCche/ereignisse",
                               "NOTIFY goes to the callback path as given (%r)"
                               % (note.target if note else None))
                answer = client.put("helligkeit", 64)
                failures.check(answer.status == 200, "PUT helligkeit (%r)" % answer)

            # --- the announcement (HELLO at 0, 1 and 3 s) ---
            if listener is not None:
                seen = listener.collect(max(0.5, 4.0 - sim.ready_seconds))
                listener.close()
                hellos = [parse_message(data) for data, _ in seen]
                hellos = [m for m in hellos if m and m[1].get("id") == device.id]
                failures.check(len(hellos) >= 1 and all(m[0] == "IOTSCP/2 HELLO" and
                                                        m[1].get("name") == NAME and
                                                        "nonce" not in m[1] for m in hellos),
                               "HELLO announcements in the group carry name=%r (%d seen)"
                               % (NAME, len(hellos)))

            # --- the multicast answer ---
            sock = ProbeSocket()
            try:
                time.sleep(0.2)
                answers = probe_for(failures, sock, device, "probe for this id",
                                    attempts=3, device_id=device.id)
                check_here(failures, answers, device, NAME, "probe for this id")
                time.sleep(0.2)
                answers = probe_for(failures, sock, device, "probe for everyone", attempts=3)
                check_here(failures, answers, device, NAME, "probe for everyone")
                time.sleep(0.2)
                answers = probe_for(failures, sock, device, "1,200-byte probe", attempts=3,
                                    size=1200)
                check_here(failures, answers, device, NAME, "1,200-byte probe")
                time.sleep(0.2)
                answers = probe_for(failures, sock, device, "probe with an unknown key",
                                    attempts=3, extra=["future=yes"])
                check_here(failures, answers, device, NAME, "a probe with an unknown key "
                           "(ignored, not an error)")
                for label, kwargs in (("a 399-byte probe", {"size": 399}),
                                      ("a 1,201-byte probe", {"size": 1201}),
                                      ("a probe for another id",
                                       {"device_id": "sim-ffffffffffffffff"})):
                    time.sleep(0.2)
                    answers = probe_for(failures, sock, device, label, **kwargs)
                    failures.check(not answers, "%s gets no answer" % label)
                bad = [
                    ("a probe without nonce", b"IOTSCP/2 PROBE\npad=" + b"." * 400 + b"\n"),
                    ("a probe with a short nonce", make_probe("abc")),
                    ("a probe with a duplicate key", make_probe(new_nonce(), extra=["nonce=" +
                                                                                    new_nonce()])),
                    ("a probe of version 1", make_probe(new_nonce()).replace(b"IOTSCP/2",
                                                                             b"IOTSCP/1")),
                    ("a probe without final newline", make_probe(new_nonce())[:-1] + b"."),
                    ("a probe with invalid UTF-8",
                     make_probe(new_nonce())[:-10] + b"\xff\xfe.......\n"),
                ]
                for label, datagram in bad:
                    time.sleep(0.2)
                    sock.send(datagram)
                    got = [d for d, _ in sock.collect(1.0)
                           if (parse_message(d) or ("", {}))[1].get("id") == device.id]
                    failures.check(not got, "%s gets no answer (%r)" % (label, got[:1]))

                # One answer per source address per 100 ms: 5 probes at once get at most 2.
                time.sleep(0.3)
                nonces = [new_nonce() for _ in range(5)]
                for nonce in nonces:
                    sock.send(make_probe(nonce, device_id=device.id))
                got = [parse_message(d) for d, _ in sock.collect(1.0)]
                got = [m for m in got if m and m[1].get("id") == device.id]
                failures.check(1 <= len(got) <= 2, "5 probes within a few ms from one address "
                               "get 1 or 2 answers, not 5 (%d)" % len(got))
            finally:
                sock.close()

        # --- --name with a built-in profile ---
        with Simulator(exe, tmp.sub("named"), ["--profile", "light", "--name", NAME],
                       allow=[admin.fp]) as sim:
            device = sim.device
            with Client(device.port) as client:
                document = client.get("/.well-known/iotscp").json()
            failures.check(document.get("name") == NAME, "--name %r sets the description name "
                           "(%r)" % (NAME, document.get("name")))
            sock = ProbeSocket()
            try:
                answers = probe_for(failures, sock, device, "--name probe", attempts=3,
                                    device_id=device.id)
                check_here(failures, answers, device, NAME, "--name probe")
            finally:
                sock.close()
    failures.finish()


if __name__ == "__main__":
    run_main(main)
