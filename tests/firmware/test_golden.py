#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The golden vectors of tests/data/protocol/messages/ against the real simulator: each request
file is sent byte for byte and the answer is compared with its golden answer (status,
Content-Type, subscription headers and parsed JSON body; error bodies by `code`), a real NOTIFY
carries every header of the golden NOTIFY, and the golden probes get the answers (or the
silence) the protocol promises. The client is the example hub identity of
tests/data/protocol/identity/, so the golden controller list matches too."""

import json
import os
import time

from iotscp_probe_client import ProbeSocket, parse_message
from iotscp_testlib import (PROTOCOL_DATA, Client, Failures, HttpReader, NotifyServer, Simulator,
                            TempDir, connect, load_json, run_main, simulator_path)

MESSAGES = os.path.join(PROTOCOL_DATA, "messages")
IDENTITY = os.path.join(PROTOCOL_DATA, "identity")


class ExampleHub:
    cert = os.path.join(IDENTITY, "example-hub.crt.pem")
    key = os.path.join(IDENTITY, "example-hub.key.pem")
    with open(os.path.join(IDENTITY, "example-hub.fingerprint")) as f:
        fp = f.read().strip()


def read(name):
    with open(os.path.join(MESSAGES, name), "rb") as f:
        return f.read()


def parse_golden_response(data):
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("utf-8").split("\r\n")
    headers = {}
    for line in lines[1:]:
        key, _, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()
    return int(lines[0].split(" ")[1]), headers, body


def send_golden(port, identity, name):
    sock = connect(port, identity)
    try:
        sock.sendall(read(name))
        return HttpReader(sock).read_response()
    finally:
        sock.close()


def compare(failures, label, answer, golden_name, ignore_id=False, sub_headers=False):
    status, headers, body = parse_golden_response(read(golden_name))
    failures.check(answer.status == status, "%s: status %d as in %s (%r)"
                   % (label, status, golden_name, answer))
    if answer.status != status:
        return
    if "content-type" in headers:
        failures.check(answer.header("Content-Type", "").split(";")[0] ==
                       headers["content-type"].split(";")[0], "%s: Content-Type %s"
                       % (label, headers["content-type"]))
    if sub_headers:
        for name in ("sid", "timeout", "heartbeat", "bootid"):
            failures.check(answer.header(name) is not None, "%s: answer has %s" % (label, name))
    if not body:
        failures.check(answer.body == b"", "%s: empty body (%r)" % (label, answer.body[:80]))
        return
    expected = json.loads(body.decode("utf-8"))
    actual = answer.json()
    if "error" in expected:
        failures.check(actual.get("error", {}).get("code") == expected["error"]["code"] and
                       isinstance(actual["error"].get("message"), str),
                       "%s: error code %s (%r)" % (label, expected["error"]["code"], actual))
        return
    if ignore_id:
        expected.pop("id", None)
        actual.pop("id", None)
    failures.check(actual == expected, "%s: body equals %s (%r)" % (label, golden_name, actual))


def main():
    exe = simulator_path()
    failures = Failures()
    hub = ExampleHub()
    with TempDir() as tmp:
        with Simulator(exe, tmp.sub("light"), ["--profile", "light"], allow=[hub.fp]) as sim:
            port = sim.device.port
            with Client(port, hub) as client:
                for name, value in (("on", True), ("brightness", 80),
                                    ("colour-temperature", 2700)):
                    client.put(name, value)
            pairs = [
                ("describe.request.http", "describe.response.http", True),
                ("get-properties.request.http", "get-properties.response.http", False),
                ("get-property.request.http", "get-property.response.http", False),
                ("put-property.request.http", "put-property.response.http", False),
                ("put-property-chunked.request.http", "put-property-chunked.response.http",
                 False),
                ("put-property-invalid.request.http", "error-invalid-value.response.http",
                 False),
                ("post-action.request.http", "post-action.response.http", False),
                ("add-controller.request.http", "add-controller.response.http", False),
                ("remove-controller.request.http", "remove-controller.response.http", False),
                ("subscribe-bad-callback.request.http", "subscribe-bad-callback.response.http",
                 False),
                ("renew-expired.request.http", "renew-expired.response.http", False),
                ("unsubscribe.request.http", "renew-expired.response.http", False),
            ]
            for request, response, ignore_id in pairs:
                answer = send_golden(port, hub, request)
                compare(failures, request, answer, response, ignore_id=ignore_id)
            answer = send_golden(port, hub, "get-controllers.request.http")
            _, _, body = parse_golden_response(read("get-controllers.response.http"))
            expected = [entry["fp"] for entry in json.loads(body)["controllers"]]
            actual = [entry.get("fp") for entry in answer.json().get("controllers", [])] \
                if answer.status == 200 else None
            failures.check(actual == expected, "get-controllers: the example hub is the only "
                           "controller (%r)" % actual)
            answer = send_golden(port, None, "get-properties.request.http")
            compare(failures, "no client certificate", answer, "error-forbidden.response.http")

            # A real subscription: its answer and its NOTIFY have the golden shape.
            with NotifyServer(hub) as server, Client(port, hub) as client:
                subscribe = read("subscribe.request.http").replace(
                    b"192.168.1.10:4300", b"127.0.0.1:%d" % server.port)
                subscribe = subscribe.replace(b"Host: 192.168.1.20:4443", b"Host: 127.0.0.1")
                client.sock.sendall(subscribe)
                answer = client.reader.read_response()
                compare(failures, "subscribe (callback moved to 127.0.0.1)", answer,
                        "subscribe.response.http", sub_headers=True)
                sid = answer.header("SID")
                renew = read("renew.request.http").replace(
                    b"uuid:2f1c6a3e-8d4b-4c6f-9a57-0b3e5d7c9e21", (sid or "").encode())
                client.sock.sendall(renew)
                compare(failures, "renew (with the real SID)", client.reader.read_response(),
                        "renew.response.http", sub_headers=True)
                client.put("brightness", 41)
                note = server.wait_for_update(lambda e: e.get("value") == 41, 10)
                golden_head = read("notify.request.http").split(b"\r\n\r\n")[0].decode()
                golden_names = {line.split(":")[0].lower() for line in
                                golden_head.split("\r\n")[1:]}
                if failures.check(note is not None, "a real NOTIFY arrives"):
                    missing = golden_names - set(note.headers)
                    failures.check(not missing, "the real NOTIFY has every header of "
                                   "notify.request.http (missing %s)" % sorted(missing))
                    failures.check(note.target == "/iotscp/events/sim-0123456789abcdef",
                                   "the NOTIFY goes to the golden callback path (%r)"
                                   % note.target)
                unsubscribe = read("unsubscribe.request.http").replace(
                    b"uuid:2f1c6a3e-8d4b-4c6f-9a57-0b3e5d7c9e21", (sid or "").encode())
                client.sock.sendall(unsubscribe)
                compare(failures, "unsubscribe (with the real SID)",
                        client.reader.read_response(), "unsubscribe.response.http")

            # The golden probes.
            sock = ProbeSocket()
            try:
                golden_here = parse_message(read("here.msg"))
                for name, answered in (("probe.msg", True), ("probe-id.msg", False),
                                       ("probe-too-short.msg", False)):
                    # A probe that should be answered is repeated up to 3 times: tests running
                    # at the same time may have used up the device's tokens for a moment.
                    for _ in range(3 if answered else 1):
                        time.sleep(0.2)
                        sock.send(read(name))
                        got = [parse_message(data) for data, _ in sock.collect(1.5)]
                        got = [m for m in got if m and m[1].get("id") == sim.device.id]
                        if got:
                            break
                    if answered:
                        failures.check(len(got) == 1 and got[0][0] == golden_here[0] and
                                       set(got[0][1]) == set(golden_here[1]) and
                                       got[0][1]["nonce"] == golden_here[1]["nonce"],
                                       "%s: one answer with the lines of here.msg (%r)"
                                       % (name, got))
                    else:
                        failures.check(not got, "%s: no answer from this device (%r)"
                                       % (name, got))
            finally:
                sock.close()

        with Simulator(exe, tmp.sub("switch"), ["--profile", "switch"], allow=[hub.fp]) as sim:
            answer = send_golden(sim.device.port, hub, "post-action-no-input.request.http")
            compare(failures, "post-action-no-input.request.http", answer,
                    "post-action-no-input.response.http")

        kueche = os.path.join(PROTOCOL_DATA, "descriptions", "kueche.json")
        with Simulator(exe, tmp.sub("kueche"), ["--description", kueche], allow=[hub.fp]) as sim:
            answer = send_golden(sim.device.port, hub, "put-property-utf8.request.http")
            compare(failures, "put-property-utf8.request.http", answer,
                    "put-property-utf8.response.http")
        failures.check(load_json("descriptions", "light.json")["name"] == "Light",
                       "golden data is readable")
    failures.finish()


if __name__ == "__main__":
    run_main(main)
