#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Subscriptions (docs/protocol.md section 7): SUBSCRIBE, NOTIFY with SEQ 0,1,2,…, batching,
heartbeats when idle, renew, UNSUBSCRIBE, lease expiry, CALLBACKs that point elsewhere, a
callback server with the wrong key, a subscriber answering 412, slots, and a new boot id after a
restart."""

import re
import time

from iotscp_testlib import (Client, Failures, Identity, NotifyServer, Simulator, TempDir, connect,
                            load_json, log, run_main, simulator_path)

SID_RE = re.compile(r"uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
BOOTID_RE = re.compile(r"[0-9a-f]{32}")


def check_sequence(failures, notes, label):
    seqs = [note.seq for note in notes]
    failures.check(seqs == list(range(len(seqs))),
                   "%s: SEQ counts 0,1,2,… without gaps, heartbeats included (%r)" % (label, seqs))


def check_headers(failures, notes, sid, bootid, device_fp, label):
    bad = []
    for note in notes:
        problems = []
        if note.method != "NOTIFY":
            problems.append("method %s" % note.method)
        if note.header("SID") != sid:
            problems.append("SID %r" % note.header("SID"))
        if note.header("BOOTID") != bootid:
            problems.append("BOOTID %r" % note.header("BOOTID"))
        if note.header("NT") != "iotscp:event":
            problems.append("NT %r" % note.header("NT"))
        if note.nts not in ("iotscp:update", "iotscp:heartbeat"):
            problems.append("NTS %r" % note.nts)
        if (note.header("Content-Type") or "").split(";")[0] != "application/json":
            problems.append("Content-Type %r" % note.header("Content-Type"))
        if note.peer_fp is not None and note.peer_fp != device_fp:
            problems.append("client key %s is not the device's" % note.peer_fp)
        try:
            events = note.events()
            if note.nts == "iotscp:heartbeat" and events != []:
                problems.append("heartbeat body %r" % note.body)
            if note.nts == "iotscp:update" and not events:
                problems.append("empty update")
            if len(events) > 16 or len(note.body) > 2048:
                problems.append("batch of %d entries, %d bytes" % (len(events), len(note.body)))
        except (ValueError, KeyError) as error:
            problems.append("body %r: %s" % (note.body, error))
        if problems:
            bad.append((note.seq if note.header("SEQ") else None, problems))
    failures.check(not bad, "%s: every NOTIFY has the right method, SID, BOOTID, NT, NTS, "
                   "Content-Type, body and client key %r" % (label, bad[:3]))
    peer = [note.peer_fp for note in notes if note.peer_fp]
    failures.check(bool(peer) or not notes, "%s: the device presents its certificate when it "
                   "sends NOTIFY" % label)


def subscribe_ok(failures, client, url, label, timeout=300, heartbeat=None):
    answer = client.subscribe(url, timeout=timeout, heartbeat=heartbeat)
    sid = answer.header("SID") or ""
    ok = (answer.status == 200 and SID_RE.fullmatch(sid) is not None
          and BOOTID_RE.fullmatch(answer.header("BOOTID") or "") is not None)
    failures.check(ok, "%s: SUBSCRIBE answers 200 with SID uuid:…, BOOTID (%r %r)"
                   % (label, answer, answer.headers))
    return answer, sid


def keypad_events(failures, exe, tmp, hub):
    import jsonschema

    description = load_json("descriptions", "keypad.json")
    data_schema = description["events"]["key"]["data"]
    with Simulator(exe, tmp.sub("keypad"), ["--profile", "keypad"], allow=[hub.fp]) as sim, \
            Client(sim.device.port, hub) as client, NotifyServer(hub) as server:
        answer, sid = subscribe_ok(failures, client, server.url(), "keypad", 60, 60)
        answer = client.action("press", {"key": 40, "velocity": 90})
        failures.check(answer.status == 200 and answer.json() == {"output": None},
                       "POST /actions/press answers {\"output\": null} (%r)" % answer)
        up = server.wait_for_update(lambda e: e.get("kind") == "event" and
                                    e.get("data", {}).get("state") == "up", 10)
        failures.check(up is not None, "the key-up event arrives")
        server.wait_for_update(lambda e: e.get("name") == "pressed" and e.get("value") == 0, 3)
        entries = [e for note in server.snapshot() if note.nts == "iotscp:update"
                   for e in note.events()]
        keys = [e for e in entries if e.get("kind") == "event" and e.get("name") == "key"]
        states = [e["data"].get("state") for e in keys if isinstance(e.get("data"), dict)]
        failures.check(states == ["down", "up"], "one key event down, then up (%r)" % keys)
        failures.check(all(e["data"].get("key") == 40 for e in keys), "the events carry key 40")
        failures.check(keys[:1] and keys[0]["data"].get("velocity") == 90,
                       "the down event carries velocity 90 (%r)" % keys[:1])
        validator = jsonschema.Draft202012Validator(data_schema)
        invalid = [e for e in keys if not validator.is_valid(e["data"])]
        failures.check(not invalid, "event data fits the described data schema (%r)" % invalid)
        failures.check(all(isinstance(e.get("t"), int) for e in keys) and
                       [e["t"] for e in keys] == sorted(e["t"] for e in keys),
                       "event times t are integers in order")
        pressed = [e.get("value") for e in entries if e.get("name") == "pressed"]
        failures.check(pressed == [1, 0], "pressed goes 1 then 0 (%r)" % pressed)
        answer = client.action("press", {"key": 89})
        failures.check(answer.status == 422, "key 89 is out of range: 422 (%r)" % answer)
        answer = client.action("press", {})
        failures.check(answer.status == 422, "a press without the required key is 422 (%r)"
                       % answer)
        check_sequence(failures, server.snapshot(), "keypad")
        client.unsubscribe(sid)


def main():
    exe = simulator_path()
    failures = Failures()
    with TempDir() as tmp:
        hub = Identity(tmp.path, "hub")
        stranger = Identity(tmp.path, "stranger")
        sim = Simulator(exe, tmp.sub("state"), ["--profile", "light"], allow=[hub.fp])
        try:
            device = sim.device
            probe = connect(device.port)
            device_der = probe.getpeercert(binary_form=True)
            probe.close()
            with Client(device.port, hub) as client, \
                    NotifyServer(hub, [device_der]) as server:
                # --- SUBSCRIBE, updates, SEQ, heartbeats ---
                answer, sid = subscribe_ok(failures, client, server.url(), "basic", 300, 2)
                bootid = answer.header("BOOTID")
                failures.check(answer.header("TIMEOUT") == "Second-300" and
                               answer.header("HEARTBEAT") == "Second-2",
                               "the granted TIMEOUT and HEARTBEAT are the requested ones (%r)"
                               % answer.headers)
                for value in (11, 12, 13):
                    put = client.put("brightness", value)
                    failures.check(put.status == 200, "PUT brightness %d (%r)" % (value, put))
                    note = server.wait_for_update(
                        lambda e, v=value: e.get("name") == "brightness" and e.get("value") == v,
                        10)
                    failures.check(note is not None, "NOTIFY arrives for brightness %d" % value)
                idle_from = time.monotonic()
                time.sleep(5.5)
                notes = server.snapshot()
                check_sequence(failures, notes, "basic")
                check_headers(failures, notes, sid, bootid, device.fp, "basic")
                beats = [n for n in notes if n.nts == "iotscp:heartbeat"
                         and n.received_at > idle_from]
                failures.check(len(beats) >= 2, "heartbeats arrive while idle (%d in 5.5 s with "
                               "HEARTBEAT Second-2)" % len(beats))
                gaps = [b.received_at - a.received_at for a, b in zip(notes, notes[1:])
                        if a.received_at > idle_from]
                failures.check(all(gap < 3.5 for gap in gaps), "no silence longer than the "
                               "heartbeat interval plus 1.5 s while idle (%s)"
                               % ["%.2f" % gap for gap in gaps])

                # --- batching: keep a NOTIFY in flight, changes pile up behind it ---
                server.delay = 0.6
                before = len(server.snapshot())
                for value in range(20, 30):
                    client.put("brightness", value)
                last = server.wait_for_update(
                    lambda e: e.get("name") == "brightness" and e.get("value") == 29, 15)
                server.delay = 0.0
                notes = server.snapshot()
                burst = [n for n in notes[before:] if n.nts == "iotscp:update"]
                values = [e.get("value") for n in burst for e in n.events()
                          if e.get("name") == "brightness"]
                seqs = [n.seq for n in notes]
                gap = seqs != list(range(len(seqs)))
                failures.check(last is not None, "the last of 10 quick writes is reported")
                failures.check(len(burst) < 10, "10 writes while a NOTIFY is in flight are "
                               "batched into fewer NOTIFYs (%d)" % len(burst))
                failures.check(values == sorted(values) and (gap or values[-1:] == [29]),
                               "batched entries are in order (%r)" % values)
                check_sequence(failures, notes, "batching")
                check_headers(failures, notes, sid, bootid, device.fp, "batching")

                # --- failed NOTIFYs: SEQ still advances, so the subscriber sees a gap ---
                # A renewal may change the heartbeat interval: 1 s makes failures come quickly.
                client.request("SUBSCRIBE", "/events", [("SID", sid), ("TIMEOUT", "Second-300"),
                                                        ("HEARTBEAT", "Second-1")])
                server.wait_for(len(server.snapshot()) + 1, 3)
                last_before = server.snapshot()[-1].seq
                server.dropping = True
                client.put("brightness", 40)
                time.sleep(3.5)
                server.dropping = False
                client.put("brightness", 41)
                note = server.wait_for_update(
                    lambda e: e.get("name") == "brightness" and e.get("value") == 41, 10)
                failures.check(note is not None, "NOTIFY resumes after the subscriber was "
                               "unreachable for 3.5 s (the subscription survives failures)")
                after = [n.seq for n in server.snapshot() if n.seq > last_before]
                failures.check(bool(after) and after[0] > last_before + 1,
                               "the NOTIFYs that failed still took their SEQ: the subscriber "
                               "sees a gap (last before %d, first after %s)"
                               % (last_before, after[:1]))
                lost = [n for n in server.snapshot() if n.seq > last_before and any(
                    e.get("value") == 40 for e in n.events())]
                failures.check(not lost, "the change made while the subscriber was unreachable "
                               "is not delivered late out of its SEQ (%r)" % lost[:1])
                notes = server.snapshot()
                seqs = [n.seq for n in notes]
                failures.check(seqs == sorted(set(seqs)), "SEQ only increases (%r)" % seqs[-8:])

                # --- renew and UNSUBSCRIBE ---
                answer = client.renew(sid, 600)
                failures.check(answer.status == 200 and answer.header("SID") == sid and
                               answer.header("TIMEOUT") == "Second-600",
                               "renew answers 200 with the same SID and the new TIMEOUT (%r %r)"
                               % (answer, answer.headers))
                answer = client.unsubscribe(sid)
                failures.check(answer.status == 200, "UNSUBSCRIBE answers 200 (%r)" % answer)
                count = len(server.snapshot())
                client.put("brightness", 31)
                time.sleep(3)
                failures.check(len(server.snapshot()) == count,
                               "no NOTIFY after UNSUBSCRIBE (%r)" % server.snapshot()[count:])
                answer = client.renew(sid, 60)
                failures.check(answer.status == 412 and
                               answer.error_code() == "precondition-failed",
                               "renewing an ended subscription is 412 (%r)" % answer)
                answer = client.unsubscribe(sid)
                failures.check(answer.status == 412, "UNSUBSCRIBE of an ended SID is 412 (%r)"
                               % answer)

            # --- lease expiry, with and without renewal ---
            with Client(device.port, hub) as client, \
                    NotifyServer(hub, [device_der]) as server:
                kept, kept_sid = subscribe_ok(failures, client, server.url("/kept"), "kept", 10, 1)
                lapsed, lapsed_sid = subscribe_ok(failures, client, server.url("/lapsed"),
                                                  "lapsed", 1, 1)
                granted_at = time.monotonic()
                failures.check(kept.header("TIMEOUT") == "Second-10", "TIMEOUT Second-10 is "
                               "granted as 10 (%r)" % kept.headers.get("timeout"))
                failures.check(lapsed.header("TIMEOUT") == "Second-10", "TIMEOUT Second-1 is "
                               "clamped to Second-10 (%r)" % lapsed.headers.get("timeout"))
                time.sleep(6)
                answer = client.renew(kept_sid, 10)
                failures.check(answer.status == 200, "renew within the lease (%r)" % answer)
                time.sleep(8)  # 14 s after subscribing: the unrenewed lease ended at 10 s.
                answer = client.renew(lapsed_sid, 10)
                failures.check(answer.status == 412, "renewing an expired lease is 412 (%r)"
                               % answer)
                notes = server.snapshot()
                lapsed_notes = [n for n in notes if n.target == "/lapsed"]
                kept_notes = [n for n in notes if n.target == "/kept"]
                late = [n.received_at - granted_at for n in lapsed_notes
                        if n.received_at - granted_at > 10.5]
                failures.check(len(lapsed_notes) >= 5 and not late,
                               "an expired lease stops NOTIFY: %d heartbeats before, none after "
                               "10.5 s (late ones at %s s)"
                               % (len(lapsed_notes), ["%.1f" % t for t in late]))
                failures.check(any(n.received_at - granted_at > 11.5 for n in kept_notes),
                               "a renewed lease keeps NOTIFY coming after the first 10 s")
                check_sequence(failures, kept_notes, "kept")
                check_sequence(failures, lapsed_notes, "lapsed")
                client.unsubscribe(kept_sid)

            # --- callbacks that point elsewhere ---
            with Client(device.port, hub) as client:
                for label, callback, nt in (
                        ("another address", "https://127.0.0.2:4300/x", "iotscp:event"),
                        ("a host name", "https://localhost:4300/x", "iotscp:event"),
                        ("plain http", "http://127.0.0.1:4300/x", "iotscp:event"),
                        ("a public address", "https://203.0.113.7/collect", "iotscp:event"),
                        ("a wrong NT", "https://127.0.0.1:4300/x", "upnp:event")):
                    answer = client.request("SUBSCRIBE", "/events",
                                            [("CALLBACK", "<%s>" % callback), ("NT", nt),
                                             ("TIMEOUT", "Second-60")])
                    failures.check(answer.status == 412 and
                                   answer.error_code() == "precondition-failed",
                                   "SUBSCRIBE with %s (%s, NT %s) is 412 (%r)"
                                   % (label, callback, nt, answer))

            # --- a callback server with another key gets nothing ---
            with Client(device.port, hub) as client, NotifyServer(stranger) as impostor:
                answer, sid = subscribe_ok(failures, client, impostor.url(), "impostor", 60, 1)
                client.put("brightness", 55)
                time.sleep(3)
                failures.check(not impostor.snapshot(), "a callback server whose key is not the "
                               "subscriber's receives no NOTIFY (%r)" % impostor.snapshot()[:2])
                client.unsubscribe(sid)

            # --- a subscriber answering 412 ends the subscription ---
            with Client(device.port, hub) as client, \
                    NotifyServer(hub, [device_der], status=412) as refusing:
                answer, sid = subscribe_ok(failures, client, refusing.url(), "refused", 60, 1)
                client.put("brightness", 56)
                first = refusing.wait_for(1, 5)
                time.sleep(3)
                failures.check(len(first) >= 1 and len(refusing.snapshot()) == 1,
                               "after a 412 answer the device sends no further NOTIFY (%d)"
                               % len(refusing.snapshot()))
                answer = client.renew(sid, 60)
                failures.check(answer.status == 412, "the SID ended by a 412 cannot be renewed "
                               "(%r)" % answer)

            # --- a restart makes a new boot id and ends all subscriptions ---
            with Client(device.port, hub) as client:
                before, old_sid = subscribe_ok(failures, client, "https://127.0.0.1:9/x",
                                               "before restart", 600)
            sim.restart()
            device = sim.device
            with Client(device.port, hub) as client, \
                    NotifyServer(hub, [device_der]) as server:
                answer = client.renew(old_sid, 60)
                failures.check(answer.status == 412, "a subscription does not survive a restart "
                               "(%r)" % answer)
                after, sid = subscribe_ok(failures, client, server.url(), "after restart", 60, 1)
                failures.check(after.header("BOOTID") != before.header("BOOTID"),
                               "a restarted device reports a new BOOTID (%s → %s)"
                               % (before.header("BOOTID"), after.header("BOOTID")))
                notes = server.wait_for(1, 5)
                failures.check(bool(notes) and notes[0].header("BOOTID") ==
                               after.header("BOOTID"), "NOTIFY carries the new BOOTID")
                client.unsubscribe(sid)

                # --- slots: 4 subscriptions, the 5th is 503 busy ---
                sids = []
                for index in range(4):
                    answer = client.subscribe(server.url("/slot%d" % index), timeout=60,
                                              heartbeat=60)
                    failures.check(answer.status == 200, "subscription %d of 4 (%r)"
                                   % (index + 1, answer))
                    sids.append(answer.header("SID"))
                answer = client.subscribe(server.url("/slot4"), timeout=60, heartbeat=60)
                failures.check(answer.status == 503 and answer.error_code() == "busy",
                               "a 5th subscription is 503 busy (%r)" % answer)
                for sid in sids:
                    if sid:
                        client.unsubscribe(sid)
            failures.check(sim.alive(), "the simulator is still running")
        finally:
            code = sim.stop()
            log("simulator exit code after SIGTERM:", code)

        # --- events (kind "event"): the keypad's key presses ---
        keypad_events(failures, exe, tmp, hub)
    failures.finish()


if __name__ == "__main__":
    run_main(main)
