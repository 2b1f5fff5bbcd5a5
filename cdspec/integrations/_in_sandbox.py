"""The helper cdspec runs inside an Inspect sandbox (standard library only; never imported by cdspec).

:mod:`cdspec.integrations.inspect_ai` runs this file's text with the
sandbox's Python (``python -I -c TEXT ACTION``), with a JSON object on
standard input, and reads one JSON object from standard output. Actions:

- ``prepare``: a free loopback port, a fresh temporary directory and the
  absolute path of ``project``;
- ``launch``: start ``command`` in ``cwd`` with ``env`` added, in a new
  session, output to ``log``; its process id;
- ``request``: one HTTP request to ``127.0.0.1:port`` (body in base64):
  the status, headers and body, or the error;
- ``alive``: whether the process ``pid`` still runs (a zombie does not);
- ``stop``: terminate the process group of ``pid`` (then kill what
  lingers), remove ``tmp``, and return the end of ``log``.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any

MAX_BODY = 8 * 1024 * 1024 + 1
LOG_TAIL = 4000


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _tail(path: str) -> str:
    try:
        with open(path, "rb") as log:
            data = log.read()
    except OSError:
        return "(no log)"
    text = data[-LOG_TAIL:].decode("utf-8", "replace").strip()
    return ("..." if len(data) > LOG_TAIL else "") + text if text else "(the log is empty)"


def prepare(args: dict[str, Any]) -> dict[str, Any]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return {"port": port, "tmp": tempfile.mkdtemp(prefix="cdspec-server-"), "project": os.path.abspath(args["project"])}


def launch(args: dict[str, Any]) -> dict[str, Any]:
    with open(args["log"], "wb") as out:
        try:
            process = subprocess.Popen(
                args["command"],
                cwd=args["cwd"],
                env={**os.environ, **args["env"]},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            return {"error": f"cannot run {args['command'][0]!r} in {args['cwd']}: {exc.strerror or exc}"}
    return {"pid": process.pid}


def request(args: dict[str, Any]) -> dict[str, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", args["port"], timeout=args["timeout"])
    try:
        body = base64.b64decode(args["body"]) if args["body"] is not None else None
        connection.request(args["method"], args["target"], body=body, headers=args["headers"])
        response = connection.getresponse()
        data = response.read(MAX_BODY)
        return {
            "status": response.status,
            "reason": response.reason,
            "headers": response.getheaders(),
            "body": base64.b64encode(data).decode("ascii"),
        }
    except (OSError, http.client.HTTPException) as exc:
        return {"error": f"{type(exc).__name__}: {getattr(exc, 'strerror', None) or exc}"}
    finally:
        connection.close()


def alive(args: dict[str, Any]) -> dict[str, Any]:
    return {"alive": _alive(args["pid"])}


def stop(args: dict[str, Any]) -> dict[str, Any]:
    pid = args["pid"]
    for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 2.0)):
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            break
        deadline = time.monotonic() + wait
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if not _alive(pid):
            break
    log = _tail(args["log"])
    shutil.rmtree(args["tmp"], ignore_errors=True)
    return {"log": log}


if __name__ == "__main__":
    actions = {"prepare": prepare, "launch": launch, "request": request, "alive": alive, "stop": stop}
    sys.stdout.write(json.dumps(actions[sys.argv[1]](json.load(sys.stdin))))
