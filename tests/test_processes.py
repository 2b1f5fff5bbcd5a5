"""Servers cdspec starts, and cdspec itself stopped by signals: nothing survives, nothing leaks, nothing is lost.

The servers are small Python scripts: one whose child leaves a grandchild
that calls ``setsid``, one that daemonizes (double fork, its own process
exits at once), one that trickles its answer, one that dumps its
environment. Each records its pids, port and ``{tmp}`` folder in a file,
so the tests can check by pid that every process is gone, the port free
and the folder removed. cdspec is run as a real process for the signals.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cdspec
from cdspec import _process
from cdspec.cases import generate_cases
from cdspec.evaluate import Interrupted, Job, ServerError, evaluate, evaluate_many, serve
from cdspec.load import parse_task

from .notes import NOTES_TASK
from .servers import gone

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the process tree is Linux's /proc")

# An HTTP server answering 200 {} to everything, GET /health at once and the rest after DELAY seconds.
SERVE = """
import http.server, os, time
class Handler(http.server.BaseHTTPRequestHandler):
    def answer(self):
        if self.path != "/health":
            if "RECORD" in os.environ:
                with open(os.environ["RECORD"], "a") as file:
                    file.write("busy\\n")
            time.sleep(float(os.environ.get("DELAY", "0")))
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")
    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = answer
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
"""

RECORD = """
import os, sys
def record(*words):
    with open(os.environ["RECORD"], "a") as file:
        file.write(" ".join(map(str, words)) + "\\n")
record("tmp", os.environ["SCRATCH"])
record("port", os.environ["PORT"])
"""

# The server's child starts a grandchild that calls setsid, then exits: the grandchild is an orphan in a session
# of its own, which a process-group kill never reaches.
SETSID_GRANDCHILD = (
    RECORD
    + """
import subprocess
child = subprocess.Popen([sys.executable, "-c", '''
import os, subprocess, sys
grandchild = subprocess.Popen([sys.executable, "-c", "import os, time; os.setsid(); time.sleep(600)"])
with open(os.environ["RECORD"], "a") as file:
    file.write(f"pid {grandchild.pid}\\\\n")
'''])
child.wait()
record("pid", os.getpid())
"""
    + SERVE
)

# Daemonizes: forks, the first child calls setsid and forks again, the server's own process exits at once.
DAEMON = (
    RECORD
    + """
if os.fork():
    os._exit(0)
os.setsid()
if os.fork():
    os._exit(0)
record("pid", os.getpid())
"""
    + SERVE
)


def _task(tmp_path: Path, script: str, **server: object) -> cdspec.Task:
    """The notes task whose server runs ``script`` (written into the project), recording into ``record``."""
    (tmp_path / "server.py").write_text(script, encoding="utf-8")
    task = parse_task(NOTES_TASK)
    section = {
        "command": ["{python}", "server.py"],
        "env": {"RECORD": str(tmp_path / "record"), "SCRATCH": "{tmp}"},
        "health": "/health",
        "timeout": 20,
        **server,
    }
    return attrs.evolve(task, server=section)


def _records(path: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            key, _, value = line.partition(" ")
            found.setdefault(key, []).append(value)
    return found


def _port_free(port: int) -> bool:
    """Nothing listens on the loopback port."""
    inodes = _process.listening_inodes(port)
    return inodes is not None and not inodes


def _assert_nothing_left(record: Path, pids: int, *, ports: bool = True) -> None:
    found = _records(record)
    assert len(found["pid"]) == pids, found
    for pid in found["pid"]:
        assert gone(int(pid)), f"process {pid} survived"
    for port in found["port"] if ports else ():
        assert _port_free(int(port))
    for folder in found["tmp"]:
        assert not Path(folder).exists()


# --------------------------------------------------------------------------- serve(): the whole tree goes


@pytest.mark.parametrize(("script", "pids"), [(SETSID_GRANDCHILD, 2), (DAEMON, 1)], ids=["setsid", "daemon"])
def test_serve_stops_processes_that_left_the_servers_session(tmp_path: Path, script: str, pids: int) -> None:
    """A grandchild that called setsid, and a daemon whose starter exited, are stopped with the server."""
    task = _task(tmp_path, script)
    with serve(task, tmp_path) as server:
        found = _records(tmp_path / "record")
        assert len(found["pid"]) == pids
        assert all(not gone(int(pid)) for pid in found["pid"])
        assert server.base_url.endswith(":" + found["port"][0])
    _assert_nothing_left(tmp_path / "record", pids)


def test_a_server_that_trickles_its_answer_does_not_hold_the_health_check(tmp_path: Path) -> None:
    """One byte at a time (each well within a read timeout) never makes a status line in time: an error, no hang."""
    script = (
        RECORD
        + """
import socket, time
listener = socket.create_server(("127.0.0.1", int(os.environ["PORT"])))
record("pid", os.getpid())
while True:
    connection, _ = listener.accept()
    for byte in b"HTTP/1.1 200 OK\\r\\n":
        connection.sendall(bytes([byte]))
        time.sleep(0.4)
    connection.close()
"""
    )
    task = _task(tmp_path, script, timeout=1)
    with pytest.raises(ServerError, match=r"did not answer GET /health on port \d+ within 1 s"), serve(task, tmp_path):
        pass  # pragma: no cover - never reached
    _assert_nothing_left(tmp_path / "record", 1)


# --------------------------------------------------------------------------- ports


def test_reserved_ports_are_never_handed_out_twice() -> None:
    """Ports held at once are distinct, and a released port is not handed out again soon after."""
    first = [_process.reserve_port() for _ in range(60)]
    ports = [sock.getsockname()[1] for sock in first]
    assert len(set(ports)) == len(ports)
    for sock, port in zip(first, ports, strict=True):
        sock.close()
        _process.release_port(port)
    second = [_process.reserve_port() for _ in range(60)]
    again = [sock.getsockname()[1] for sock in second]
    assert not set(again) & set(ports)
    for sock, port in zip(second, again, strict=True):
        sock.close()
        _process.release_port(port)


@pytest.mark.skipif(sys.byteorder != "little", reason="the addresses are written as x86 shows them")
@given(st.sampled_from(["0100007F", "00000000", "0200007F", "0101A8C0", "0000000000000000FFFF00000100007F"]))
def test_the_most_specific_listener_is_the_one_that_answers_127_0_0_1(address: str) -> None:
    """/proc/net/tcp addresses: 127.0.0.1 before 0.0.0.0 before ::; other addresses never answer there."""
    expected = {"0100007F": 2, "0000000000000000FFFF00000100007F": 2, "00000000": 1}.get(address)
    assert _process._loopback_rank(address) == expected
    assert _process._loopback_rank("00000000000000000000000000000000") == 0  # ::


def test_a_wildcard_listener_of_another_program_does_not_count_where_the_server_binds_127_0_0_1() -> None:
    """A [::] listener on the port (another program, IPv6-only) is not who answers 127.0.0.1: the server is."""
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as wildcard:
        wildcard.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        wildcard.bind(("::", 0))
        wildcard.listen()
        port = wildcard.getsockname()[1]
        assert len(_process.listening_inodes(port) or ()) == 1
        with socket.create_server(("127.0.0.1", port)) as loopback:
            inodes = _process.listening_inodes(port) or set()
            assert _process.socket_holders(inodes, [os.getpid()]) == {os.getpid(): inodes}
            assert len(inodes) == 1
            fd_inode = os.fstat(loopback.fileno()).st_ino
            assert inodes == {fd_inode}


class _Foreign(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def foreign_listener(tmp_path: Path) -> Iterator[Path]:
    """Once the server has written its port, another program (this test) takes it and answers there."""
    port_file = tmp_path / "record"
    servers: list[ThreadingHTTPServer] = []

    def take() -> None:
        for _ in range(400):
            found = _records(port_file).get("port")
            if found:
                server = ThreadingHTTPServer(("127.0.0.1", int(found[0])), _Foreign)
                servers.append(server)
                server.serve_forever()
                return
            time.sleep(0.05)

    thread = threading.Thread(target=take, daemon=True)
    thread.start()
    yield port_file
    for server in servers:
        server.shutdown()
        server.server_close()


def test_a_port_answered_by_another_program_fails_the_start(tmp_path: Path, foreign_listener: Path) -> None:
    """The server never binds; a foreign process answers the health check: the start fails, naming that process."""
    script = RECORD + "import time\nrecord('pid', os.getpid())\ntime.sleep(600)\n"
    task = _task(tmp_path, script)
    evaluation = evaluate(task, tmp_path, start=True, cases=())
    assert evaluation.error is not None
    assert f"pid {os.getpid()} (" in evaluation.error
    assert "not by the server's processes" in evaluation.error
    assert evaluation.assertions_total is None
    _assert_nothing_left(tmp_path / "record", 1, ports=False)  # the port is the foreign listener's


# --------------------------------------------------------------------------- environment and secrets


ENV_DUMP = RECORD + "import json\nrecord('pid', os.getpid())\nrecord('env', json.dumps(dict(os.environ)))\n"


def test_the_server_gets_a_minimal_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """PATH, HOME, LANG, LC_*, TMPDIR, the task's env, pass_env and the port: nothing else of cdspec's."""
    monkeypatch.setenv("CDSPEC_TEST_TOKEN", "token-of-the-evaluator")
    monkeypatch.setenv("CDSPEC_TEST_PASSED", "passed-on-purpose")
    monkeypatch.setenv("LC_TIME", "C.UTF-8")
    task = _task(tmp_path, ENV_DUMP + "import sys\nsys.exit(1)\n", pass_env=["CDSPEC_TEST_PASSED"])
    with pytest.raises(ServerError, match="exited with status 1"), serve(task, tmp_path):
        pass  # pragma: no cover - never reached
    env = json.loads(_records(tmp_path / "record")["env"][0])
    assert "CDSPEC_TEST_TOKEN" not in env
    assert env["CDSPEC_TEST_PASSED"] == "passed-on-purpose"
    assert env["LC_TIME"] == "C.UTF-8"
    assert env["PATH"] == os.environ["PATH"]
    allowed = {"PATH", "HOME", "LANG", "TMPDIR", "PORT", "RECORD", "SCRATCH", "CDSPEC_TEST_PASSED"}
    assert {name for name in env if not name.startswith("LC_")} <= allowed


def test_a_failed_starts_log_quotes_no_environment_value_or_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Values inherited from cdspec's environment and those the task marks secret are redacted from the error."""
    monkeypatch.setenv("CDSPEC_TEST_PASSED", "inherited-value-1234")
    script = (
        "import os, sys\n"
        "print('password', os.environ['LIBRARIAN_PASSWORD'], 'home', os.environ['HOME'])\n"
        "print('passed', os.environ['CDSPEC_TEST_PASSED'], 'path', os.environ['PATH'])\n"
        "sys.exit(2)\n"
    )
    task = _task(
        tmp_path,
        script,
        env={"LIBRARIAN_PASSWORD": "shelve-it-123", "RECORD": str(tmp_path / "record"), "SCRATCH": "{tmp}"},
        pass_env=["CDSPEC_TEST_PASSED"],
        secrets=["LIBRARIAN_PASSWORD"],
    )
    evaluation = evaluate(task, tmp_path, start=True, cases=())
    assert evaluation.error is not None
    assert "exited with status 2" in evaluation.error
    assert "password <LIBRARIAN_PASSWORD> home <HOME>" in evaluation.error
    assert "passed <CDSPEC_TEST_PASSED> path <PATH>" in evaluation.error
    line = json.dumps(evaluation.to_data())
    for value in ("shelve-it-123", "inherited-value-1234", os.environ["PATH"], os.environ["HOME"]):
        assert value not in line


def test_show_displays_the_server_section_without_values(tmp_path: Path) -> None:
    """`cdspec show` prints the command to be run and the variables' names, never their values."""
    import io

    from cdspec.cli import main

    path = tmp_path / "task.yaml"
    server = (
        'server:\n  command: ["{python}", "-m", "app", "--workers", "2"]\n'
        "  env: {API_TOKEN: do-not-print-me, HOST: 127.0.0.1}\n"
        "  pass_env: [HTTP_PROXY]\n  secrets: [API_TOKEN]\n  health: /up\n  timeout: 12\n"
    )
    path.write_text(NOTES_TASK + server, encoding="utf-8")
    out = io.StringIO()
    assert main(["show", str(path)], out=out, err=io.StringIO()) == 0
    text = out.getvalue()
    assert "runs this command on your machine: read it first" in text
    assert 'command: ["{python}", "-m", "app", "--workers", "2"]' in text
    assert "env: API_TOKEN, HOST; the port in PORT" in text
    assert "from your environment: PATH, HOME, LANG, LC_*, TMPDIR, HTTP_PROXY" in text
    assert "secrets (redacted from logs and results): API_TOKEN" in text
    assert "health: GET /up within 12 s" in text
    assert "do-not-print-me" not in text


# --------------------------------------------------------------------------- cdspec stopped by a signal


def _cdspec(tmp_path: Path, *argv: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "cdspec", *argv],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(predicate: object, what: str, process: subprocess.Popen[str]) -> None:
    for _ in range(1200):
        if predicate():  # type: ignore[operator]
            return
        if process.poll() is not None:
            raise AssertionError(f"cdspec ended before {what}: {process.communicate()}")
        time.sleep(0.05)
    process.kill()
    raise AssertionError(f"never {what}: {process.communicate()}")


@pytest.fixture(scope="module")
def two_projects(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A notes task whose server is slow to answer cases, and two projects: the setsid one and the daemon."""
    folder = tmp_path_factory.mktemp("signals")
    for name, script in (("setsid", SETSID_GRANDCHILD), ("daemon", DAEMON)):
        (folder / name).mkdir()
        (folder / name / "server.py").write_text(script, encoding="utf-8")
    server = (
        'server:\n  command: ["{python}", server.py]\n'
        '  env: {RECORD: "{project}/record", SCRATCH: "{tmp}", DELAY: "2"}\n  health: /health\n  timeout: 20\n'
    )
    (folder / "task.yaml").write_text(NOTES_TASK + server, encoding="utf-8")
    return folder / "task.yaml", folder / "setsid", folder / "daemon"


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_stops_every_server_and_keeps_the_attempts_in_flight(
    tmp_path: Path, two_projects: tuple[Path, Path, Path], signum: int, status: int
) -> None:
    """Both servers up, cases in flight: the signal stops everything, both attempts are recorded as interrupted."""
    task, *projects = two_projects
    for project in projects:
        (project / "record").unlink(missing_ok=True)
    results = tmp_path / "results.jsonl"
    argv = ["evaluate", str(task), *map(str, projects), "--start", "--workers", "2", "--out", str(results)]
    process = _cdspec(tmp_path, *argv)
    _wait_for(lambda: all("busy" in _records(p / "record") for p in projects), "running cases", process)
    process.send_signal(signum)
    out, err = process.communicate(timeout=60)
    assert process.returncode == status, (out, err)
    assert f"interrupted by {signal.Signals(signum).name}" in err
    lines = [json.loads(line) for line in results.read_text().splitlines()]
    assert [line["attempt"] for line in lines] == [1, 2]
    assert all(line["error"].startswith(f"interrupted by {signal.Signals(signum).name}") for line in lines), [
        line["error"] for line in lines
    ]
    assert all(line["assertions"] is None for line in lines)
    for project, pids in zip(projects, (2, 1), strict=True):
        _assert_nothing_left(project / "record", pids)


def test_killing_cdspec_outright_still_stops_its_servers(tmp_path: Path, two_projects: tuple[Path, Path, Path]) -> None:
    """SIGKILL gives cdspec no chance to clean up: each supervisor sees its pipe close and stops its server's tree."""
    task, project, _ = two_projects
    (project / "record").unlink(missing_ok=True)
    process = _cdspec(tmp_path, "evaluate", str(task), str(project), "--start")
    _wait_for(lambda: len(_records(project / "record").get("pid", [])) == 2, "started", process)
    process.kill()
    process.communicate(timeout=60)
    found = _records(project / "record")
    for _ in range(400):  # the supervisor works on its own now: give it its grace period
        if all(gone(int(pid)) for pid in found["pid"]) and not Path(found["tmp"][0]).exists():
            break
        time.sleep(0.05)
    _assert_nothing_left(project / "record", 2)


def test_a_signal_during_a_run_exits_with_its_status(tmp_path: Path) -> None:
    """`cdspec run` against a slow server: SIGTERM ends it at once with 143, no traceback."""
    script = tmp_path / "slow.py"
    script.write_text(SERVE, encoding="utf-8")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, str(script)], env={**os.environ, "PORT": str(port), "DELAY": "30"})
    try:
        cases = tmp_path / "cases.jsonl"
        task = tmp_path / "task.yaml"
        task.write_text(NOTES_TASK, encoding="utf-8")
        subprocess.run(
            [sys.executable, "-m", "cdspec", "cases", str(task), "--out", str(cases)], check=True, cwd=tmp_path
        )
        process = _cdspec(tmp_path, "run", str(cases), "--base-url", f"http://127.0.0.1:{port}")
        _wait_for(
            lambda: _process.socket_holders(_process.listening_inodes(port) or (), [server.pid]), "listening", process
        )
        time.sleep(1)  # into the first request
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
        assert process.returncode == 143
        assert "Traceback" not in err
        assert "interrupted by SIGTERM" in err
    finally:
        server.kill()
        server.wait()


def test_a_signal_to_the_demo_writes_what_finished_and_leaves_nothing(tmp_path: Path) -> None:
    """`cdspec demo` stopped while its three backends run: exit 143, a results file, no process or {tmp} left."""
    pytest.importorskip("flask")
    out = tmp_path / "demo"
    process = _cdspec(tmp_path, "demo", "--out", str(out), "--n", "40", "--workers", "3")
    below: list[int] = []

    def servers_up() -> bool:
        below[:] = _process.descendants(process.pid)
        return sum(" -m app" in _process.command_line(pid) for pid in below) == 3

    _wait_for(servers_up, "three servers running", process)
    folders = []
    for pid in below:
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        folders += [Path(v.split(b"sqlite:///", 1)[1].decode()).parent for v in environ if b"sqlite:///" in v]
    assert len(folders) == 3
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 143, err
    assert all(gone(pid) for pid in below)
    assert not any(folder.exists() for folder in folders)
    lines = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert len(lines) == 3 * 8  # each attempt, finished or interrupted, at every depth
    assert all(line["error"] is None or line["error"].startswith("interrupted by SIGTERM") for line in lines)


def test_an_attempt_against_a_running_backend_is_recorded_as_interrupted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """interrupt() (what the signal handlers call): the job in flight comes back as interrupted, then Interrupted."""
    module = importlib.import_module("cdspec.evaluate")
    monkeypatch.setattr(module, "WIND_DOWN", 0.5)
    script = tmp_path / "slow.py"
    script.write_text(SERVE, encoding="utf-8")
    reservation = _process.reserve_port()
    port = reservation.getsockname()[1]
    reservation.close()
    record = tmp_path / "record"
    env = {**os.environ, "PORT": str(port), "DELAY": "5", "RECORD": str(record)}
    server = subprocess.Popen([sys.executable, str(script)], env=env)
    try:
        for _ in range(1200):  # listening before the cases start (else they fail at once and nothing is in flight)
            if _process.socket_holders(_process.listening_inodes(port) or (), [server.pid]):
                break
            time.sleep(0.05)
        task = parse_task(NOTES_TASK)
        cases = generate_cases(task, seed=0)
        jobs = [
            Job(task=task, project=tmp_path, base_url=f"http://127.0.0.1:{port}", cases=cases, attempt=i)
            for i in (1, 2)
        ]

        def interrupt_when_busy() -> None:
            while "busy" not in _records(record):
                time.sleep(0.05)
            module.interrupt(signal.SIGTERM)

        threading.Thread(target=interrupt_when_busy, daemon=True).start()
        got = []
        with pytest.raises(Interrupted) as info:  # noqa: PT012
            for evaluation in evaluate_many(jobs, workers=1):
                got.append(evaluation)
        assert info.value.signum == signal.SIGTERM
        assert [(e.attempt, e.error) for e in got] == [(1, "interrupted by SIGTERM before this attempt finished")]
        assert got[0].assertions_total is None
    finally:
        server.kill()
        server.wait()
