#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Connection-slot exhaustion (docs/protocol.md sections 5.1 and 8, docs/firmware.md 4.4).

An attacker on the LAN opens silent TCP connections (no bytes) and half handshakes (a
ClientHello, then nothing) to a device with 4 connection slots, and re-opens every socket the
device closes, as fast as it can. Loopback lets the test bind any 127.x.y.z source address, so
the attacker comes from one address and then from eight. Meanwhile:
- a controller's established kept-alive connection keeps working (same TLS connection, no
  reconnect), and
- a controller connecting anew is served within a bounded time, again and again for ~20 s,
  first contact included (the single-address attack, before the device knows the controller).
Prints the legitimate client's latencies."""

import select
import socket
import ssl
import statistics
import threading
import time

from iotscp_testlib import (Client, ConnectionClosed, Failures, HttpReader, Identity, Simulator,
                            TempDir, client_context, encode_request, log, run_main,
                            simulator_path)

ATTACK_SECONDS = 20.0
LEGIT_BOUND = 3.0  # seconds from the first connect attempt to the answer
CONTROLLER_ADDRESS = "127.0.0.1"


def client_hello():
    """The bytes of a real TLS ClientHello, as a half handshake sends them before stalling."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = client_context().wrap_bio(incoming, outgoing)
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


class Attacker:
    """Keeps `per_address` silent and `per_address` half-handshake sockets open from each source
    address, re-opening each one as soon as the device closes it."""

    def __init__(self, port, addresses, per_address):
        self.port = port
        self.hello = client_hello()
        self.specs = [(address, kind) for address in addresses for kind in ("silent", "hello")
                      for _ in range(per_address)]
        self.socks = {}
        self.opened = 0
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def open(self, index):
        address, kind = self.specs[index]
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind((address, 0))
            sock.settimeout(2.0)
            sock.connect(("127.0.0.1", self.port))
            if kind == "hello":
                sock.sendall(self.hello)
            sock.setblocking(False)
        except OSError:
            sock.close()
            return
        self.socks[sock] = index
        self.opened += 1

    def run(self):
        for index in range(len(self.specs)):
            self.open(index)
        while not self.stop_flag.is_set():
            missing = set(range(len(self.specs))) - set(self.socks.values())
            for index in missing:
                self.open(index)
            if not self.socks:
                time.sleep(0.01)
                continue
            readable, _, _ = select.select(list(self.socks), [], [], 0.05)
            for sock in readable:
                try:
                    data = sock.recv(65536)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:
                    del self.socks[sock]
                    sock.close()

    def __enter__(self):
        self.thread.start()
        time.sleep(1.0)  # let it fill the slots
        return self

    def __exit__(self, *exc):
        self.stop_flag.set()
        self.thread.join(10)
        for sock in list(self.socks):
            sock.close()


def legit_request(port, identity):
    """Connects from the controller's address until served; returns (seconds, attempts) or
    (None, attempts) when not served within LEGIT_BOUND."""
    started = time.monotonic()
    attempts = 0
    while time.monotonic() - started < LEGIT_BOUND:
        attempts += 1
        raw = None
        try:
            raw = socket.create_connection(("127.0.0.1", port), timeout=LEGIT_BOUND,
                                           source_address=(CONTROLLER_ADDRESS, 0))
            tls = client_context(identity).wrap_socket(raw)
            raw = tls
            tls.settimeout(LEGIT_BOUND)
            tls.sendall(encode_request("GET", "/properties"))
            answer = HttpReader(tls).read_response()
            if answer.status == 200:
                return time.monotonic() - started, attempts
        except (ConnectionClosed, OSError, ssl.SSLError, ValueError):
            time.sleep(0.05)
        finally:
            if raw is not None:
                raw.close()
    return None, attempts


def run_phase(failures, label, port, identity, kept_alive, attacker, seconds=ATTACK_SECONDS):
    latencies = []
    kept_alive_ok = 0
    kept_alive_sock = kept_alive.sock if kept_alive is not None else None
    with attacker:
        deadline = time.monotonic() + seconds
        rounds = 0
        while time.monotonic() < deadline:
            rounds += 1
            seconds, attempts = legit_request(port, identity)
            failures.check(seconds is not None, "%s, round %d: a controller is served within "
                           "%.0f s (%d attempts)" % (label, rounds, LEGIT_BOUND, attempts))
            if seconds is not None:
                latencies.append(seconds)
            if kept_alive is not None:
                try:
                    status = kept_alive.get("/properties").status
                except (ConnectionClosed, OSError, ssl.SSLError, ValueError) as error:
                    status = repr(error)
                failures.check(status == 200 and kept_alive.sock is kept_alive_sock,
                               "%s, round %d: the kept-alive controller connection still "
                               "answers (%s)" % (label, rounds, status))
                if status != 200:
                    break
                kept_alive_ok += 1
            time.sleep(0.5)
        opened = attacker.opened
    if latencies:
        log("%s: %d rounds, legit latency median %.1f ms, max %.1f ms; kept-alive answered %d "
            "times; attacker opened %d sockets" % (
                label, rounds, 1000 * statistics.median(latencies), 1000 * max(latencies),
                kept_alive_ok, opened))
    return latencies


def main():
    exe = simulator_path()
    failures = Failures()
    with TempDir() as tmp:
        admin = Identity(tmp.path, "admin")
        # First contact: the device has never seen the controller, one attacking address (with
        # several, first contact is not guaranteed: docs/firmware.md section 4.4).
        with Simulator(exe, tmp.sub("first"), ["--profile", "light"], allow=[admin.fp]) as sim:
            port = sim.device.port
            run_phase(failures, "first contact, attacker from one address", port, admin, None,
                      Attacker(port, ["127.0.0.2"], 6), seconds=8.0)
            failures.check(sim.alive(), "the simulator survives the first attack")

        with Simulator(exe, tmp.sub("state"), ["--profile", "light"], allow=[admin.fp]) as sim:
            port = sim.device.port
            kept_alive = Client(port, admin)
            failures.check(kept_alive.get("/properties").status == 200,
                           "the kept-alive controller connection is served before the attack")
            run_phase(failures, "attacker from one address", port, admin, kept_alive,
                      Attacker(port, ["127.0.0.2"], 6))
            run_phase(failures, "attacker from eight addresses", port, admin, kept_alive,
                      Attacker(port, ["127.0.0.%d" % n for n in range(10, 18)], 2))
            kept_alive.close()
            # Connections the attacker left in the listen queue are accepted and closed now.
            time.sleep(2.0)

            # Without a controller anywhere, four idle connections without a client certificate
            # (a browser reading the description) make room for a newcomer: the oldest goes.
            idle = [Client(port, source="127.0.0.%d" % (21 + n)) for n in range(4)]
            try:
                for client in idle:
                    client.get("/.well-known/iotscp")
                time.sleep(1.2)  # older than the admission grace period
                seconds, _ = legit_request(port, admin)
                failures.check(seconds is not None, "with 4 idle non-controller connections a "
                               "controller is served")
                try:
                    oldest = idle[0].get("/.well-known/iotscp").status
                except (ConnectionClosed, OSError, ssl.SSLError, ValueError):
                    oldest = None
                failures.check(oldest is None, "the oldest non-controller connection made room "
                               "(it answered %r)" % oldest)
            finally:
                for client in idle:
                    client.close()

            # Four idle controller connections are never closed for a newcomer.
            controllers = [Client(port, admin) for _ in range(4)]
            try:
                for client in controllers:
                    client.get("/properties")
                time.sleep(1.2)
                try:
                    with Client(port, timeout=3.0, source="127.0.0.30") as stranger:
                        stranger_status = stranger.get("/.well-known/iotscp").status
                except (ConnectionClosed, OSError, ssl.SSLError, ValueError):
                    stranger_status = None
                failures.check(stranger_status is None, "with 4 controller connections a "
                               "stranger is closed (%r)" % stranger_status)
                statuses = []
                for client in controllers:
                    try:
                        statuses.append(client.get("/properties").status)
                    except (ConnectionClosed, OSError, ssl.SSLError, ValueError):
                        statuses.append(None)
                failures.check(statuses == [200] * 4, "all 4 controller connections still "
                               "answer (%r)" % statuses)
            finally:
                for client in controllers:
                    client.close()
            failures.check(sim.alive(), "the simulator is alive at the end")
    failures.finish()


if __name__ == "__main__":
    run_main(main)
