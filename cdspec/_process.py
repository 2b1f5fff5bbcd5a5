"""Process machinery for :func:`cdspec.evaluate.serve`: a supervisor per server, its descendants, its port.

This file is two things. Run as a script (``python -I -S _process.py``), it
is the *supervisor* of one server: it makes itself a child subreaper (Linux
``prctl(PR_SET_CHILD_SUBREAPER)``), so every process the server starts stays
its descendant even after ``setsid`` or a double fork; it starts the server
in a session of its own; and when told to stop (its stdin closes or says
``stop``, or it gets SIGTERM) it terminates every descendant, kills what is
left after a grace period until nothing is left, removes the server's
scratch folder and exits. Since stdin closes when cdspec dies, however it
dies, the server never outlives cdspec by more than the grace period.

Imported (stdlib only, no I/O at import), it gives cdspec what the parent
side needs: the descendants of a process, the sockets listening on a port
and who holds them, and port reservations that no two servers of one
process share.

The protocol: cdspec writes one JSON line to the supervisor's stdin
(``{"command", "cwd", "env", "log", "scratch", "grace"}``; the environment
goes through the pipe, never the command line, which other users can read)
and keeps stdin open. The supervisor writes lines to stdout: ``started PID``
or ``error MESSAGE``, ``exited CODE`` when the server's own process ends,
``empty`` when no descendant is left, ``stopped`` at the end.
"""

from __future__ import annotations

import collections
import ipaddress
import json
import os
import select
import shutil
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterable

__all__ = ["command_line", "descendants", "listening_inodes", "release_port", "reserve_port", "socket_holders"]

SUBREAPER_UNAVAILABLE = "cdspec: not a child subreaper ({reason}): a process the server detaches may survive it\n"

_PR_SET_CHILD_SUBREAPER = 36


# --------------------------------------------------------------------------- /proc


def _parents() -> dict[int, int] | None:
    """Every visible process and its parent (Linux ``/proc``); ``None`` where there is no ``/proc``."""
    try:
        entries = os.listdir("/proc")
    except OSError:
        return None
    parents = {}
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as file:
                stat = file.read()
        except OSError:  # it ended meanwhile
            continue
        fields = stat.rsplit(b")", 1)[-1].split()  # the command name may hold spaces and parentheses
        if len(fields) > 1:
            parents[int(entry)] = int(fields[1])
    return parents


def descendants(pid: int) -> list[int]:
    """The processes below ``pid`` (children first); empty where ``/proc`` cannot be read."""
    parents = _parents() or {}
    children: dict[int, list[int]] = collections.defaultdict(list)
    for child, parent in parents.items():
        children[parent].append(child)
    found: list[int] = []
    queue = collections.deque([pid])
    while queue:
        for child in children.get(queue.popleft(), ()):
            if child not in found:
                found.append(child)
                queue.append(child)
    return found


def _loopback_rank(hex_address: str) -> int | None:
    """How specifically a socket bound to this ``/proc/net/tcp*`` address matches 127.0.0.1; ``None``: not at all.

    The kernel hands a connection to the most specific listener: one bound
    to 127.0.0.1 (2) before one bound to 0.0.0.0 (1) before one bound to
    ``::`` (0, which may not even take IPv4 when it is IPv6-only).
    """
    try:
        raw = b"".join(
            int(hex_address[i : i + 8], 16).to_bytes(4, sys.byteorder) for i in range(0, len(hex_address), 8)
        )
        address: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(raw)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address == ipaddress.IPv4Address("127.0.0.1"):
        return 2
    if address.is_unspecified:
        return 1 if address.version == 4 else 0
    return None


def listening_inodes(port: int) -> set[int] | None:
    """Inodes of the TCP sockets listening on ``port`` that take a connection to 127.0.0.1.

    Only the most specific ones count (see :func:`_loopback_rank`): another
    program's ``[::]:port`` does not answer where a ``127.0.0.1:port``
    listener exists. ``None`` where ``/proc/net/tcp`` cannot be read (not
    Linux).
    """
    ranked: dict[int, set[int]] = collections.defaultdict(set)
    readable = False
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table, encoding="ascii") as file:
                lines = file.read().splitlines()[1:]
        except OSError:
            continue
        readable = True
        for line in lines:
            fields = line.split()
            if len(fields) < 10 or fields[3] != "0A":  # 0A: LISTEN
                continue
            address, _, hex_port = fields[1].partition(":")
            rank = _loopback_rank(address) if int(hex_port, 16) == port else None
            if rank is not None:
                ranked[rank].add(int(fields[9]))
    if not readable:
        return None
    return ranked[max(ranked)] if ranked else set()


def socket_holders(inodes: Iterable[int], pids: Iterable[int]) -> dict[int, set[int]]:
    """For each process of ``pids``, which of the socket ``inodes`` it has open (processes holding none left out)."""
    wanted = {f"socket:[{inode}]": inode for inode in inodes}
    holders: dict[int, set[int]] = {}
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target in wanted:
                holders.setdefault(pid, set()).add(wanted[target])
    return holders


def command_line(pid: int) -> str:
    """The command line of ``pid`` as text (``?`` when it cannot be read)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as file:
            return file.read().replace(b"\0", b" ").decode("utf-8", "replace").strip() or "?"
    except OSError:
        return "?"


# --------------------------------------------------------------------------- ports


class _Ports:
    """Ports handed to servers by this process: never one that another server holds or held lately."""

    def __init__(self, remember: int = 4096) -> None:
        self.lock = threading.Lock()
        self.held: set[int] = set()
        self.recent: collections.deque[int] = collections.deque(maxlen=remember)

    def reserve(self) -> socket.socket:
        """A socket bound to a free loopback port that is this process's alone until released."""
        refused: list[socket.socket] = []
        try:
            while True:
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                try:
                    sock.bind(("127.0.0.1", 0))
                except OSError:
                    sock.close()
                    raise
                port = int(sock.getsockname()[1])
                with self.lock:
                    if port not in self.held and port not in self.recent:
                        self.held.add(port)
                        return sock
                refused.append(sock)  # kept bound, so the next bind cannot pick it again
                if len(refused) >= 256:
                    raise OSError("no free loopback port that no other server of this process holds")
        finally:
            for other in refused:
                other.close()

    def release(self, port: int) -> None:
        with self.lock:
            self.held.discard(port)
            self.recent.append(port)


_PORTS = _Ports()


def reserve_port() -> socket.socket:
    """A loopback socket bound to a port no other server of this process holds (or held among the last 4096).

    Keep it open until just before the server starts (so no other program
    binds the port meanwhile), then close it; :func:`release_port` when the
    server has stopped.
    """
    return _PORTS.reserve()


def release_port(port: int) -> None:
    """The server of ``port`` has stopped."""
    _PORTS.release(port)


# --------------------------------------------------------------------------- the supervisor (run as a script)


def _subreaper() -> str | None:
    """Become a child subreaper; the reason when that cannot be done."""
    if not sys.platform.startswith("linux"):
        return f"{sys.platform} has no PR_SET_CHILD_SUBREAPER"
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
            return f"prctl failed: {os.strerror(ctypes.get_errno())}"
    except (OSError, AttributeError) as exc:
        return f"prctl is not available: {exc}"
    return None


class _Supervisor:
    def __init__(self, spec: dict[str, object]) -> None:
        self.spec = spec
        self.server = 0
        self.stop = False
        self.reported_empty = False

    def say(self, line: str) -> None:
        with _suppressed():  # cdspec is gone: keep stopping the server all the same
            os.write(1, (line + "\n").encode("utf-8", "replace"))

    def reap(self) -> bool:
        """Reap what has ended; False when no child is left."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return False
            if pid == 0:
                return True
            if pid == self.server:
                self.say(f"exited {os.waitstatus_to_exitcode(status)}")

    def signal_all(self, signum: int) -> None:
        if self.server:
            with _suppressed():
                os.killpg(self.server, signum)  # the server's session, also where /proc cannot be read
        for pid in descendants(os.getpid()):
            with _suppressed():
                os.kill(pid, signum)

    def terminate(self, grace: float) -> None:
        self.signal_all(signal.SIGTERM)
        deadline = time.monotonic() + grace
        while self.reap() and time.monotonic() < deadline:
            time.sleep(0.02)
        while self.reap():  # whatever is left (and whatever it forks meanwhile) until nothing is
            self.signal_all(signal.SIGKILL)
            time.sleep(0.01)

    def run(self) -> int:
        spec = self.spec
        log = os.open(str(spec["log"]), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        reason = _subreaper()
        if reason is not None:
            os.write(log, SUBREAPER_UNAVAILABLE.format(reason=reason).encode())
        import subprocess

        reservation = spec.get("reservation")
        if isinstance(reservation, int):  # cdspec held the port until now: free it for the server
            with _suppressed():
                os.close(reservation)
        try:
            process = subprocess.Popen(
                list(spec["command"]),  # type: ignore[call-overload]
                cwd=str(spec["cwd"]),
                env=dict(spec["env"]),  # type: ignore[call-overload]
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        except (OSError, ValueError) as exc:
            self.say(f"error {getattr(exc, 'strerror', None) or exc}")
            return 0
        finally:
            os.close(log)
        self.server = process.pid
        self.say(f"started {process.pid}")
        while not self.stop:
            try:
                ready, _, _ = select.select([0], [], [], 0.05)
            except InterruptedError:  # pragma: no cover - PEP 475 retries select
                ready = []
            if ready:
                data = os.read(0, 4096)
                if not data or b"stop" in data:
                    break
            if not self.reap() and not self.reported_empty:
                self.reported_empty = True
                self.say("empty")
        self.terminate(float(spec.get("grace", 5.0)))  # type: ignore[arg-type]
        scratch = spec.get("scratch")
        if scratch:
            shutil.rmtree(str(scratch), ignore_errors=True)
        self.say("stopped")
        return 0


class _suppressed:
    """``contextlib.suppress(OSError)`` without importing contextlib in the supervisor."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, value: object, traceback: object) -> bool:
        return isinstance(value, OSError)


def _main() -> int:
    line = b""
    while not line.endswith(b"\n"):
        chunk = os.read(0, 65536)
        if not chunk:
            return 1
        line += chunk
    supervisor = _Supervisor(json.loads(line))

    def stop(signum: int, frame: object) -> None:
        supervisor.stop = True

    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(signum, stop)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    return supervisor.run()


if __name__ == "__main__":
    sys.exit(_main())
