# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers for the discovery tests and the discovery benchmark: a running discovery-watch
whose output lines are parsed and time-stamped as they arrive, and simulator start-up."""

import os
import queue
import subprocess
import sys
import threading
import time

SOURCE_DIR = os.environ.get("HEARTH_SOURCE_DIR",
                            os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(SOURCE_DIR, "build-aux"))


def skip(reason):
    print("SKIP: " + reason)
    sys.exit(77)


def parse_sighting(line):
    """'sighting id=… sources=a,b … addresses=A%I/a+b,… name=N' → dict (addresses as a list
    of (address, interface index, set of sources))."""
    head, _, name = line.partition(" name=")
    fields = dict(part.split("=", 1) for part in head.split()[1:])
    fields["name"] = name
    addresses = []
    for item in filter(None, fields.get("addresses", "").split(",")):
        address, _, rest = item.partition("%")
        index, _, sources = rest.partition("/")
        addresses.append((address, int(index), set(sources.split("+"))))
    fields["addresses"] = addresses
    fields["sources"] = set(fields["sources"].split(","))
    return fields


class Watcher:
    """discovery-watch in a subprocess; lines are read by a thread and queued with the
    monotonic time they arrived."""

    def __init__(self, argv, popen=subprocess.Popen, **kwargs):
        # HEARTH_TEST_WRAPPER runs the watcher under a tool, for example
        # "valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite".
        wrapper = os.environ.get("HEARTH_TEST_WRAPPER", "").split()
        self.process = popen(wrapper + list(argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                             bufsize=1, **kwargs)
        self.lines = queue.Queue()
        self.history = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.put((time.monotonic(), line.rstrip("\n")))
        self.lines.put((time.monotonic(), None))

    def send(self, command):
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()

    def mark(self):
        """A position in the output; wait_for(..., since=mark) looks only at later lines."""
        self._drain()
        return len(self.history)

    def _drain(self):
        while True:
            try:
                stamp, line = self.lines.get_nowait()
            except queue.Empty:
                return
            if line is not None:
                self.history.append((stamp, line))

    def wait_for(self, predicate, timeout, since=0):
        """Returns (time, line) of the first line at or after position `since` for which
        predicate(line) is true, waiting up to timeout seconds for it; (None, None) if none."""
        deadline = time.monotonic() + timeout
        position = since
        while True:
            self._drain()
            while position < len(self.history):
                stamp, line = self.history[position]
                position += 1
                if predicate(line):
                    return stamp, line
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None, None
            try:
                stamp, line = self.lines.get(timeout=min(remaining, 0.05))
            except queue.Empty:
                continue
            if line is None:
                return None, None
            self.history.append((stamp, line))

    def wait_for_sighting(self, device_id, condition, timeout, since=0):
        def matches(line):
            if not line.startswith("sighting id=%s " % device_id):
                return False
            return condition(parse_sighting(line))
        stamp, line = self.wait_for(matches, timeout, since)
        return stamp, (parse_sighting(line) if line else None)

    def report(self, timeout=5):
        position = self.mark()
        self.send("report")
        _, end = self.wait_for(lambda l: l == "report-end", timeout, position)
        rows = []
        for _, line in self.history[position:]:
            if line == "report-end":
                break
            if not line.startswith("interface "):
                continue
            head, _, error = line.partition(" error=")
            row = dict(part.split("=", 1) for part in head.split()[1:])
            row["error"] = error
            rows.append(row)
        return rows

    def close(self):
        if self.process.poll() is None:
            try:
                self.send("quit")
                self.process.wait(timeout=5)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def start_simulator(argv, popen=subprocess.Popen, **kwargs):
    """Starts iotscp-device and returns (process, {id, port, fingerprint}) from its ready line."""
    process = popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, **kwargs)
    for line in process.stdout:
        if line.startswith("ready "):
            facts = dict(part.split("=", 1) for part in line.split()[1:])
            return process, facts
    raise RuntimeError("the simulator exited before it was ready")


def percentile(values, fraction):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, int(round(fraction * (len(ordered) - 1)))))
    return ordered[index]


class Failures:
    def __init__(self):
        self.count = 0

    def check(self, condition, what):
        print(("ok   " if condition else "FAIL ") + what, flush=True)
        if not condition:
            self.count += 1
        return condition
