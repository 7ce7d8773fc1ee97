#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The self-description of every simulator profile is served over TLS to anyone, validates
against docs/iotscp-description.schema.json and equals the golden document (ignoring `id`); the
device's TLS key is the one its ready line and its description name."""

import copy
import re
import socket
import ssl

from iotscp_testlib import (PROFILES, Client, Failures, Identity, Simulator, TempDir,
                            description_validator, load_json, openssl_fingerprint,
                            peer_fingerprint, run_main, simulator_path)


def without_id(document):
    document = copy.deepcopy(document)
    document.pop("id", None)
    return document


def differences(expected, actual, path="$"):
    """Lists where two JSON values differ, so a failure says what to fix."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = []
        for key in sorted(set(expected) | set(actual)):
            if key not in actual:
                out.append("%s.%s missing" % (path, key))
            elif key not in expected:
                out.append("%s.%s unexpected (%r)" % (path, key, actual[key]))
            else:
                out += differences(expected[key], actual[key], "%s.%s" % (path, key))
        return out
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        out = []
        for index, (a, b) in enumerate(zip(expected, actual)):
            out += differences(a, b, "%s[%d]" % (path, index))
        return out
    same = expected == actual and isinstance(expected, bool) == isinstance(actual, bool)
    return [] if same else ["%s: expected %r, got %r" % (path, expected, actual)]


def handshake_with(port, cipher):
    """Whether a TLS 1.2 handshake offering only `cipher` (OpenSSL name) succeeds."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(cipher)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            with context.wrap_socket(raw) as tls:
                return tls.cipher()[0] == cipher
    except (ssl.SSLError, OSError):
        return False


def main():
    exe = simulator_path()
    failures = Failures()
    validator = description_validator()
    with TempDir() as tmp:
        controller = Identity(tmp.path, "controller")
        failures.check(controller.fp == openssl_fingerprint(controller.cert),
                       "our SPKI fingerprint code agrees with the openssl pipeline of "
                       "docs/protocol.md 1.3")
        for profile in PROFILES:
            golden = load_json("descriptions", profile + ".json")
            failures.check(not list(validator.iter_errors(golden)),
                           "%s: the golden description validates against the schema" % profile)
            with Simulator(exe, tmp.sub(profile), ["--profile", profile],
                           allow=[controller.fp]) as sim:
                device = sim.device
                failures.check(re.fullmatch(r"sim-[0-9a-f]{16}", device.id) is not None,
                               "%s: device id %r is sim- and 16 hex digits" % (profile, device.id))
                if profile == PROFILES[0]:
                    failures.check(handshake_with(device.port, "ECDHE-ECDSA-AES128-GCM-SHA256"),
                                   "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 is offered "
                                   "(protocol.md 1.1)")
                    for weak in ("ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA384",
                                 "AES128-GCM-SHA256"):
                        failures.check(not handshake_with(device.port, weak),
                                       "%s (no AEAD or no forward secrecy) is refused" % weak)
                # No client certificate: the description is open to everyone.
                with Client(device.port) as client:
                    failures.check(peer_fingerprint(client.sock) == device.fp,
                                   "%s: the TLS key's fingerprint is the one the ready line "
                                   "reports" % profile)
                    failures.check(client.sock.version() in ("TLSv1.2", "TLSv1.3"),
                                   "%s: TLS 1.2 or 1.3 (%s)" % (profile, client.sock.version()))
                    response = client.get("/.well-known/iotscp")
                    failures.check(response.status == 200,
                                   "%s: GET /.well-known/iotscp without a client certificate "
                                   "answers 200 (got %r)" % (profile, response))
                    content_type = response.header("Content-Type", "")
                    failures.check(content_type.split(";")[0].strip() == "application/json",
                                   "%s: Content-Type is application/json (%r)"
                                   % (profile, content_type))
                    try:
                        document = response.json()
                    except ValueError as error:
                        failures.fail("%s: the description is JSON (%s)" % (profile, error))
                        continue
                    errors = [e.message for e in validator.iter_errors(document)]
                    failures.check(not errors, "%s: the served description validates against "
                                   "the schema %s" % (profile, errors[:3]))
                    failures.check(document.get("id") == device.id,
                                   "%s: description id %r is the device id"
                                   % (profile, document.get("id")))
                    diff = differences(without_id(golden), without_id(document))
                    failures.check(not diff, "%s: the description equals "
                                   "tests/data/protocol/descriptions/%s.json %s"
                                   % (profile, profile, diff[:6]))
                    # The same connection stays usable (kept alive) for the HTML page.
                    page = client.get("/")
                    failures.check(page.status == 200 and page.header("Content-Type", "")
                                   .startswith("text/html") and document["name"].encode()
                                   in page.body,
                                   "%s: GET / serves an HTML page with the device name (%r)"
                                   % (profile, page))
                # The controller reads every property, and each value has its declared type.
                with Client(device.port, controller) as client:
                    response = client.get("/properties")
                    ok = response.status == 200
                    values = response.json() if ok else {}
                    failures.check(ok and set(values) == set(golden["properties"]),
                                   "%s: GET /properties lists exactly the described properties "
                                   "(%r)" % (profile, response))
                    types = {"boolean": (bool,), "integer": (int,), "number": (int, float),
                             "string": (str,)}
                    for name, decl in golden["properties"].items():
                        if name not in values:
                            continue
                        value = values[name]
                        good = isinstance(value, types[decl["type"]]) and (
                            decl["type"] == "boolean" or not isinstance(value, bool))
                        if good and decl["type"] in ("integer", "number"):
                            good = (decl.get("minimum", value) <= value
                                    <= decl.get("maximum", value))
                        if good and "enum" in decl:
                            good = value in decl["enum"]
                        failures.check(good, "%s: property %s = %r fits its description"
                                       % (profile, name, value))
    failures.finish()


if __name__ == "__main__":
    run_main(main)
