#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Two test hosts on one machine: network namespaces joined by a veth pair, each with its own
system D-Bus and its own avahi-daemon (docs: DESIGN.md section 4, "Platform facts").

Each host gets
- a network namespace `hearth-<pid>-<name>` with `lo` up and one veth end named `veth-<name>`
  (IPv4 10.77.0.N/24, IPv6 link-local; duplicate address detection is off so the link-local
  address is usable at once);
- a system bus: `dbus-daemon --system --address=unix:path=DIR/<name>/bus` (a path socket is
  reachable from every namespace; the host's processes find it through
  DBUS_SYSTEM_BUS_ADDRESS, which libdbus and so Avahi honour);
- an avahi-daemon started with `ip netns exec`, which gives it a mount namespace of its own, in
  which a tmpfs is mounted on /run so its pid file and socket do not clash with another
  daemon's; its configuration sets `allow-interfaces=veth-<name>` and a host name of its own.

Used by tests/integration/test_discovery_netns.py and tests/bench/discovery_latency.py, and by
hand for debugging:

    sudo build-aux/netns_pair.py shell      # makes the pair, starts the daemons, opens a shell
                                            # in host b; everything goes when the shell exits

Needs root, ip (iproute2), dbus-daemon and avahi-daemon. `NetnsPair.check()` returns the reason
when something is missing, so tests can exit 77 with it.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

AVAHI_CONF = """[server]
host-name={host_name}
use-ipv4=yes
use-ipv6=yes
allow-interfaces={interface}
enable-dbus=yes
ratelimit-interval-usec=1000000
ratelimit-burst=1000

[wide-area]
enable-wide-area=no

[publish]
publish-hinfo=no
publish-workstation=no

[reflector]

[rlimits]
"""


def run(argv, check=True):
    result = subprocess.run(argv, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise RuntimeError("%s failed: %s" % (" ".join(argv), result.stderr.strip()))
    return result


class Host:
    """One namespace with its bus and avahi-daemon."""

    def __init__(self, pair, name, number):
        self.name = name
        self.netns = "hearth-%d-%s" % (os.getpid(), name)
        self.interface = "veth-" + name
        self.ipv4 = "10.77.0.%d" % number
        self.dir = os.path.join(pair.dir, name)
        os.makedirs(self.dir)
        self.bus_path = os.path.join(self.dir, "bus")
        self.env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS="unix:path=" + self.bus_path)
        self.bus = None
        self.avahi = None
        self.processes = []

    def command(self, argv):
        return ["ip", "netns", "exec", self.netns] + list(argv)

    def popen(self, argv, **kwargs):
        """Starts a process in this host (its namespace and its system bus)."""
        kwargs.setdefault("env", self.env)
        process = subprocess.Popen(self.command(argv), **kwargs)
        self.processes.append(process)
        return process

    def interface_index(self):
        out = run(self.command(["cat", "/sys/class/net/%s/ifindex" % self.interface])).stdout
        return int(out.strip())

    def ipv6_link_local(self):
        out = run(self.command(["ip", "-6", "-o", "addr", "show", "dev", self.interface])).stdout
        for line in out.splitlines():
            if " fe80::" in line and "tentative" not in line:
                return line.split()[3].split("/")[0]
        return None

    def start_bus(self):
        self.bus = subprocess.Popen(["dbus-daemon", "--system", "--nofork", "--nopidfile",
                                     "--address=unix:path=" + self.bus_path],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 5
        while not os.path.exists(self.bus_path):
            if time.monotonic() > deadline or self.bus.poll() is not None:
                raise RuntimeError("dbus-daemon for host %s did not start" % self.name)
            time.sleep(0.02)

    def start_avahi(self):
        """Starts avahi-daemon; returns once it owns its name on the bus."""
        conf = os.path.join(self.dir, "avahi-daemon.conf")
        with open(conf, "w") as f:
            f.write(AVAHI_CONF.format(host_name="hearth-test-" + self.name,
                                      interface=self.interface))
        script = ("mount -t tmpfs tmpfs /run && mkdir -p /run/avahi-daemon && exec avahi-daemon "
                  "--no-drop-root --no-chroot --no-rlimits --no-proc-title -f " + conf)
        self.avahi = subprocess.Popen(self.command(["sh", "-c", script]), env=self.env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.avahi.poll() is not None:
                raise RuntimeError("avahi-daemon for host %s exited with %s"
                                   % (self.name, self.avahi.returncode))
            result = subprocess.run(["dbus-send", "--system", "--print-reply",
                                     "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
                                     "org.freedesktop.DBus.NameHasOwner",
                                     "string:org.freedesktop.Avahi"],
                                    env=self.env, capture_output=True, text=True)
            if "boolean true" in result.stdout:
                return self.avahi
            time.sleep(0.02)
        raise RuntimeError("avahi-daemon for host %s did not come up in 10 s" % self.name)

    def kill_avahi(self):
        if self.avahi is not None and self.avahi.poll() is None:
            self.avahi.send_signal(signal.SIGKILL)
            self.avahi.wait()
        self.avahi = None

    def close(self):
        self.kill_avahi()
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        if self.bus is not None and self.bus.poll() is None:
            self.bus.kill()
            self.bus.wait()


class NetnsPair:
    """Hosts `a` and `b`, joined by a veth pair. Use as a context manager."""

    @staticmethod
    def check():
        """None when namespace tests can run here, else the reason they cannot."""
        if os.geteuid() != 0:
            return "needs root to make network namespaces (CI runs as root)"
        for program in ("ip", "dbus-daemon", "dbus-send", "avahi-daemon"):
            if shutil.which(program) is None:
                return "%s is not installed" % program
        probe = "hearth-check-%d" % os.getpid()
        if run(["ip", "netns", "add", probe], check=False).returncode != 0:
            return "cannot make a network namespace here (ip netns add failed)"
        run(["ip", "netns", "del", probe], check=False)
        return None

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="hearth-netns-")
        os.chmod(self.dir, 0o755)
        self.a = Host(self, "a", 1)
        self.b = Host(self, "b", 2)

    def __enter__(self):
        try:
            self.setup()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def setup(self):
        for host in (self.a, self.b):
            run(["ip", "netns", "add", host.netns])
        # Both ends are made inside their namespaces, never in the root one, so two tests that
        # run at once (each with its own veth-a and veth-b) cannot collide on the names.
        run(["ip", "link", "add", self.a.interface, "netns", self.a.netns, "type", "veth",
             "peer", "name", self.b.interface, "netns", self.b.netns])
        for host in (self.a, self.b):
            for key in ("all", "default", host.interface):
                run(host.command(["sysctl", "-qw", "net.ipv6.conf.%s.accept_dad=0" % key]),
                    check=False)
            run(host.command(["ip", "link", "set", "lo", "up"]))
            run(host.command(["ip", "addr", "add", host.ipv4 + "/24", "dev", host.interface]))
            run(host.command(["ip", "link", "set", host.interface, "up"]))
        deadline = time.monotonic() + 10
        while not (self.a.ipv6_link_local() and self.b.ipv6_link_local()):
            if time.monotonic() > deadline:
                raise RuntimeError("no IPv6 link-local address on the veth pair after 10 s")
            time.sleep(0.05)
        for host in (self.a, self.b):
            host.start_bus()

    def close(self):
        for host in (self.a, self.b):
            host.close()
            run(["ip", "netns", "del", host.netns], check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


def main():
    if len(sys.argv) != 2 or sys.argv[1] != "shell":
        sys.exit("usage: netns_pair.py shell")
    reason = NetnsPair.check()
    if reason:
        sys.exit(reason)
    with NetnsPair() as pair:
        pair.a.start_avahi()
        pair.b.start_avahi()
        print("host a: netns %s, %s %s; host b: netns %s, %s %s; bus of b in the shell's "
              "DBUS_SYSTEM_BUS_ADDRESS" % (pair.a.netns, pair.a.interface, pair.a.ipv4,
                                           pair.b.netns, pair.b.interface, pair.b.ipv4))
        subprocess.run(pair.b.command([os.environ.get("SHELL", "/bin/sh")]), env=pair.b.env)


if __name__ == "__main__":
    main()
