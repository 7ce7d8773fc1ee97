#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Who may do what (docs/protocol.md section 6): control without a client certificate, with an
unknown one and with a removed controller's is refused and applies nothing; an allowed
controller's writes are applied and reach a subscriber; the controller list survives a restart."""

import time

from iotscp_testlib import (Client, Failures, Identity, NotifyServer, Simulator, TempDir,
                            peer_fingerprint, run_main, simulator_path)

NOTIFY_WAIT = 10.0


def forbidden_attempts(admin_fp):
    """Requests that must all be refused to a non-controller; none may change anything."""
    return [
        ("GET", "/properties", None),
        ("GET", "/properties/brightness", None),
        ("PUT", "/properties/brightness", {"value": 7}),
        ("PUT", "/properties/on", {"value": True}),
        ("PUT", "/properties/colour-temperature", {"value": 6500}),
        ("POST", "/actions/blink", {"input": {"times": 2}}),
        ("GET", "/controllers", None),
        ("POST", "/controllers", {"fp": "ab" * 32, "name": "intruder"}),
        ("DELETE", "/controllers/" + admin_fp, None),
        ("GET", "/no-such-path", None),
    ]


def main():
    exe = simulator_path()
    failures = Failures()
    with TempDir() as tmp:
        admin = Identity(tmp.path, "admin")
        second = Identity(tmp.path, "second")
        stranger = Identity(tmp.path, "stranger")
        third = Identity(tmp.path, "third")
        sim = Simulator(exe, tmp.sub("state"), ["--profile", "light"], allow=[admin.fp])
        try:
            port = sim.device.port
            with NotifyServer(admin) as events, Client(port, admin) as boss:
                before = boss.get("/properties")
                failures.check(before.status == 200, "allowed controller reads the properties "
                               "(%r)" % before)
                before = before.json()
                sub = boss.subscribe(events.url(), timeout=300, heartbeat=60)
                failures.check(sub.status == 200 and (sub.header("SID") or "").startswith(
                    "uuid:"), "allowed controller subscribes (%r)" % sub)

                # Nobody else may do anything but read the description.
                for label, identity in (("no client certificate", None),
                                        ("an unknown certificate", stranger)):
                    with Client(port, identity) as client:
                        for method, target, body in forbidden_attempts(admin.fp):
                            answer = client.request(method, target, body=body)
                            failures.check(answer.status == 403 and
                                           answer.error_code() == "forbidden",
                                           "%s: %s %s is 403 forbidden (%r)"
                                           % (label, method, target, answer))
                        answer = client.subscribe(events.url(), timeout=60)
                        failures.check(answer.status == 403, "%s: SUBSCRIBE is 403 (%r)"
                                       % (label, answer))
                        answer = client.get("/.well-known/iotscp")
                        failures.check(answer.status == 200, "%s: the description stays open "
                                       "(%r)" % (label, answer))

                # The allowed controller adds a second one, which may then write.
                answer = boss.request("POST", "/controllers",
                                      body={"fp": second.fp, "name": "Zweiter Schlüssel ☀"})
                failures.check(answer.status == 201, "POST /controllers adds a controller: 201 "
                               "(%r)" % answer)
                answer = boss.request("POST", "/controllers",
                                      body={"fp": second.fp, "name": "Zweiter Schlüssel ☀"})
                failures.check(answer.status == 200, "adding it again answers 200 (%r)" % answer)
                listing = boss.get("/controllers")
                entries = listing.json().get("controllers", []) if listing.status == 200 else []
                fps = {entry.get("fp") for entry in entries}
                failures.check({admin.fp, second.fp} <= fps and stranger.fp not in fps,
                               "GET /controllers lists both controllers and not the stranger "
                               "(%r)" % listing)
                failures.check(any(entry.get("name") == "Zweiter Schlüssel ☀"
                                   for entry in entries),
                               "a controller's UTF-8 name is kept")

                second_events = NotifyServer(second)
                with Client(port, second) as other:
                    answer = other.subscribe(second_events.url(), timeout=300, heartbeat=60)
                    failures.check(answer.status == 200, "the added controller subscribes (%r)"
                                   % answer)
                    answer = other.put("colour-temperature", 3000)
                    failures.check(answer.status == 200 and answer.json() == {"value": 3000},
                                   "the added controller writes colour-temperature (%r)"
                                   % answer)
                    note = events.wait_for_update(
                        lambda e: e.get("kind") == "property"
                        and e.get("name") == "colour-temperature" and e.get("value") == 3000,
                        NOTIFY_WAIT)
                    failures.check(note is not None, "the subscriber is notified of the added "
                                   "controller's write")

                    # Removing it takes effect on its next request, even on this connection.
                    failures.check(second_events.wait_for_update(
                        lambda e: e.get("name") == "colour-temperature", NOTIFY_WAIT) is not None,
                        "the added controller's own subscription is notified")
                    answer = boss.request("DELETE", "/controllers/" + second.fp)
                    failures.check(answer.status == 204, "DELETE /controllers/{fp} is 204 (%r)"
                                   % answer)
                    # Everything the removed controller's server receives from now on is late.
                    seen_before_removal = len(second_events.snapshot())
                    answer = other.put("brightness", 3)
                    failures.check(answer.status == 403, "a removed controller is refused on its "
                                   "kept-alive connection (%r)" % answer)
                with Client(port, second) as other:
                    for method, target, body in forbidden_attempts(admin.fp):
                        answer = other.request(method, target, body=body)
                        failures.check(answer.status == 403, "removed controller: %s %s is 403 "
                                       "(%r)" % (method, target, answer))

                answer = boss.request("DELETE", "/controllers/" + admin.fp)
                failures.check(answer.status == 409 and answer.error_code() == "refused",
                               "a controller cannot remove its own key: 409 refused (%r)"
                               % answer)
                answer = boss.request("DELETE", "/controllers/" + stranger.fp)
                failures.check(answer.status == 404, "removing an unknown key is 404 (%r)"
                               % answer)
                answer = boss.request("POST", "/controllers", body={"fp": "xyz", "name": "bad"})
                failures.check(answer.status == 422, "a malformed fingerprint is 422 (%r)"
                               % answer)

                # Zero refused writes were applied.
                after = boss.get("/properties").json()
                expected = dict(before, **{"colour-temperature": 3000})
                failures.check(after == expected, "only the allowed write changed the state: "
                               "before %r, after %r" % (before, after))
                refused_values = [note for note in events.snapshot() for entry in
                                  (note.events() if note.body else [])
                                  if entry.get("value") in (7, 6500) or
                                  (entry.get("name") == "on" and entry.get("value") is True)]
                failures.check(not refused_values, "no NOTIFY reports a refused write %r"
                               % refused_values[:2])

                # The allowed controller's own writes, validation and device logic.
                answer = boss.put("brightness", 42)
                failures.check(answer.status == 200 and answer.json() == {"value": 42},
                               "PUT brightness 42 answers {\"value\": 42} (%r)" % answer)
                answer = boss.get("/properties/brightness")
                failures.check(answer.status == 200 and answer.json() == {"value": 42},
                               "GET /properties/brightness reads 42 back (%r)" % answer)
                note = events.wait_for_update(
                    lambda e: e.get("name") == "brightness" and e.get("value") == 42, NOTIFY_WAIT)
                failures.check(note is not None and note.header("NTS") == "iotscp:update",
                               "the subscriber gets NOTIFY brightness 42 (%r)" % note)
                if note is not None:
                    entry = [e for e in note.events() if e.get("name") == "brightness"][0]
                    failures.check(entry.get("kind") == "property" and isinstance(
                        entry.get("t"), int), "the entry has kind property and integer t (%r)"
                        % entry)
                answer = boss.put("brightness", 140)
                failures.check(answer.status == 422 and answer.error_code() == "invalid-value",
                               "brightness 140 (above maximum) is 422 invalid-value (%r)"
                               % answer)
                answer = boss.put("brightness", "bright")
                failures.check(answer.status == 422, "a string for an integer is 422 (%r)"
                               % answer)
                answer = boss.put("on", 1)
                failures.check(answer.status == 422, "a number for a boolean is 422 (%r)"
                               % answer)
                answer = boss.put("dimmer", 1)
                failures.check(answer.status == 404 and answer.error_code() == "not-found",
                               "an unknown property is 404 not-found (%r)" % answer)
                answer = boss.action("explode", None)
                failures.check(answer.status == 404, "an unknown action is 404 (%r)" % answer)
                answer = boss.action("blink", {"times": 2})
                failures.check(answer.status == 409 and answer.error_code() == "refused",
                               "blink while the light is off is 409 refused (%r)" % answer)
                answer = boss.put("on", True)
                failures.check(answer.status == 200, "PUT on true (%r)" % answer)
                answer = boss.action("blink", {"times": 11})
                failures.check(answer.status == 422, "blink 11 times (above maximum) is 422 (%r)"
                               % answer)
                answer = boss.action("blink", {"times": 2})
                failures.check(answer.status == 200 and answer.json() == {"output": None},
                               "blink while on answers {\"output\": null} (%r)" % answer)
                answer = boss.request("PUT", "/properties/brightness", body={"value": 5, "x": 1})
                failures.check(answer.status == 200 and answer.json() == {"value": 5},
                               "an unknown body member is ignored (%r)" % answer)
                answer = boss.action("blink", {"times": 1, "colour": "red"})
                failures.check(answer.status == 422, "an undeclared action input field is 422 "
                               "(%r)" % answer)

                # The removed controller's subscription ended with its removal (protocol.md
                # section 6): none of the writes since then reached it.
                time.sleep(1.0)
                late = second_events.snapshot()[seen_before_removal:]
                second_events.close()
                failures.check(not late, "a removed controller gets no NOTIFY after its removal "
                               "(%d arrived: %r)" % (len(late), late[:2]))

                # Add a third controller, restart, and check the list was kept.
                answer = boss.request("POST", "/controllers", body={"fp": third.fp, "name": "3"})
                failures.check(answer.status == 201, "third controller added (%r)" % answer)
            old_fp = sim.device.fp
            old_id = sim.device.id
            sim.restart()
            port = sim.device.port
            failures.check(sim.device.fp == old_fp and sim.device.id == old_id,
                           "a restart keeps the device id and key")
            with Client(port, third) as client:
                answer = client.get("/properties")
                failures.check(answer.status == 200, "a controller added over HTTP is still "
                               "allowed after a restart (%r)" % answer)
                failures.check(peer_fingerprint(client.sock) == old_fp, "same key after restart")
            with Client(port, second) as client:
                answer = client.get("/properties")
                failures.check(answer.status == 403, "a removed controller stays removed after a "
                               "restart (%r)" % answer)
        finally:
            sim.stop()
    failures.finish()


if __name__ == "__main__":
    run_main(main)
