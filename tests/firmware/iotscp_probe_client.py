# SPDX-License-Identifier: GPL-3.0-or-later
"""Sends IOTSCP/2 multicast probes on loopback and reads answers and announcements
(docs/protocol.md section 3). IPv4 only: IPv6 multicast does not work on the loopback
interface."""

import os
import select
import socket
import struct
import time

GROUP_V4 = "239.255.42.99"
PROBE_PORT = 4299


def make_probe(nonce, device_id=None, size=400, extra=()):
    lines = ["IOTSCP/2 PROBE", "nonce=" + nonce]
    if device_id:
        lines.append("id=" + device_id)
    lines += list(extra)
    head = ("\n".join(lines) + "\npad=").encode("utf-8")
    return head + b"." * max(0, size - len(head) - 1) + b"\n"


def new_nonce():
    return os.urandom(8).hex()


def parse_message(data):
    """Parses a probe-protocol message into (verb, {key: value}), or None if malformed."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not text.endswith("\n"):
        return None
    lines = text[:-1].split("\n")
    fields = {}
    for line in lines[1:]:
        key, sep, value = line.partition("=")
        if not sep or not key.isalpha() or not key.islower() or key in fields:
            return None
        fields[key] = value
    return lines[0], fields


def random_loopback_address():
    """A random address of 127.0.0.0/8 other than 127.0.0.1. Devices answer one probe per source
    address per 100 ms, so tests that probe at the same time from 127.0.0.1 would steal each
    other's answers; every ProbeSocket therefore gets a source address of its own."""
    octets = os.urandom(3)
    return "127.%d.%d.%d" % (octets[0], octets[1], max(2, octets[2]) if octets[2] < 255 else 254)


class ProbeSocket:
    """A UDP socket on a loopback address of its own that sends probes to the IPv4 group
    through the loopback interface."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF,
                             socket.inet_aton("127.0.0.1"))
        self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
        self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
        self.address = random_loopback_address()
        self.sock.bind((self.address, 0))

    def send(self, datagram):
        self.sock.sendto(datagram, (GROUP_V4, PROBE_PORT))

    def collect(self, seconds):
        """Returns every datagram received within `seconds` as (bytes, source address)."""
        out = []
        deadline = time.monotonic() + seconds
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return out
            readable, _, _ = select.select([self.sock], [], [], remaining)
            if readable:
                out.append(self.sock.recvfrom(65536))

    def close(self):
        self.sock.close()


class GroupListener:
    """Listens on port 4299 in the IPv4 group on loopback, as a hub does for HELLO messages.
    Shares the port with devices (SO_REUSEADDR); every member gets a copy of each datagram."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if hasattr(socket, "SO_REUSEPORT"):
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        self.sock.bind(("0.0.0.0", PROBE_PORT))
        membership = struct.pack("4s4s", socket.inet_aton(GROUP_V4),
                                 socket.inet_aton("127.0.0.1"))
        self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)

    collect = ProbeSocket.collect

    def close(self):
        self.sock.close()
