"""Starting a project's server for a test: a free loopback port, a readiness poll, always stopped."""

from __future__ import annotations

import contextlib
import os
import socket
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serving(
    cwd: Path, env: Mapping[str, str], log: Path, ready: Callable[[], object], *, timeout: float = 30
) -> Iterator[None]:
    """Run ``python -m app`` in ``cwd`` until the block ends; never left running.

    ``ready()`` is called until it stops raising ``OSError``; its output goes to
    ``log``, which failures quote.
    """
    with log.open("ab") as out:
        process = subprocess.Popen([sys.executable, "-m", "app"], cwd=cwd, env=dict(env), stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + timeout
        while True:
            assert process.poll() is None, f"the server exited with {process.returncode}:\n{log.read_text()}"
            try:
                ready()
                break
            except OSError:
                assert time.monotonic() < deadline, (
                    f"the server did not answer within {timeout:g} s:\n{log.read_text()}"
                )
                time.sleep(0.1)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def raw_server(handle: Callable[[socket.socket], None]) -> Iterator[str]:
    """A loopback TCP server whose every connection is handled by ``handle``; yields its URL."""

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            with contextlib.suppress(OSError):  # the client hung up: nothing to tell it
                handle(self.request)

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    with Server(("127.0.0.1", 0), Handler) as srv:
        thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{srv.server_address[1]}"
        finally:
            srv.shutdown()


def read_request(conn: socket.socket, *, timeout: float = 2) -> bytes:
    """The request line and headers of an HTTP request on ``conn`` (less if the client hangs up)."""
    conn.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def gone(pid: int) -> bool:
    """True when ``pid`` names no process (or only a zombie nobody has reaped yet)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return True
