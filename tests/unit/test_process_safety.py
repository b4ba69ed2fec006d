"""Process safety of scripts/env.sh and the start scripts: a pid file is trusted only while /proc/PID is the process
the project started (its start time and command line), a stale or foreign pid file is removed and its process never
signalled, a busy port is reported by number with the setting that moves it, and `start` leaves a running server of
ours alone. Every process here is a throwaway (`sleep`, a listening socket) with a temporary RUN_DIR (MKG_RUN_DIR)
and free high ports, so the project's real servers and ports are never touched."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kg_builder.config import PATHS
from tests.ports import free_port

SCRIPTS = PATHS.repo / "scripts"
ENV_SH = SCRIPTS / "env.sh"
PORT_SETTINGS = ("ACTIONS_PORT", "RASA_PORT", "WEB_PORT", "SHELL_PORT", "NEO4J_BOLT_PORT", "NEO4J_HTTP_PORT")

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def alive(pid: int) -> bool:
    """True while pid names a process that has not exited (a zombie counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def wait_gone(pid: int, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.1)
    return not alive(pid)


class Sandbox:
    """A temporary RUN_DIR, free ports for every server setting, and the processes to clean up."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        run_dir.mkdir(parents=True)
        self.env = {
            **os.environ,
            "MKG_RUN_DIR": str(run_dir),
            "NEO4J_URI": "bolt://127.0.0.1:9",  # external: env.sh writes no password file
            "NEO4J_PASSWORD": "unused",
            "NEO4J_MANAGED": "0",
            "BIND_HOST": "127.0.0.1",
            **{setting: str(free_port()) for setting in PORT_SETTINGS},
        }
        self.children: list[subprocess.Popen[bytes]] = []
        self.sockets: list[socket.socket] = []
        self.marker = f"{os.getpid()}{time.monotonic_ns() % 100000:05d}"  # a unique `sleep` argument per test

    def bash(self, script: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
        """Run a snippet with env.sh sourced (as the start scripts do: set -euo pipefail)."""
        return subprocess.run(
            ["bash", "-c", f'set -euo pipefail; source "{ENV_SH}"; {script}'],
            env={**self.env, **extra_env},
            capture_output=True,
            text=True,
            timeout=120,
        )

    def script(self, name: str, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(SCRIPTS / name), *args],
            env={**self.env, **extra_env},
            capture_output=True,
            text=True,
            timeout=120,
        )

    def foreign_sleep(self) -> subprocess.Popen[bytes]:
        """A process the project did not start (the test's own child, not start_bg's)."""
        child = subprocess.Popen(["sleep", self.marker], start_new_session=True)
        self.children.append(child)
        return child

    def listener(self, port: int) -> None:
        """Another program holding a port: a listening socket (the kernel completes connections on its own)."""
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", port))
        server.listen(8)
        self.sockets.append(server)

    def pid_file(self, name: str) -> Path:
        return self.run_dir / f"{name}.pid"

    def pid(self, name: str) -> int:
        return int(self.pid_file(name).read_text().split()[0])

    def cleanup(self) -> None:
        for server in self.sockets:
            server.close()
        for child in self.children:
            if child.poll() is None:
                child.kill()
            child.wait(timeout=10)
        # What start_bg started (setsid: not our children): only processes still running our unique sleep.
        for pid_dir in Path("/proc").iterdir():
            if not pid_dir.name.isdigit():
                continue
            try:
                cmdline = (pid_dir / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if self.marker.encode() in cmdline and cmdline[0].endswith(b"sleep"):
                try:
                    os.kill(int(pid_dir.name), signal.SIGKILL)
                except ProcessLookupError:
                    pass


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    box = Sandbox(tmp_path / "run")
    yield box
    box.cleanup()


def start_time(pid: int) -> str:
    with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
        return stat.read().rsplit(")", 1)[1].split()[19]


def test_our_own_process_is_started_trusted_and_stopped_with_its_group(sandbox: Sandbox) -> None:
    started = sandbox.bash(
        f'start_bg probe "$RUN_DIR/probe.log" bash -c "sleep {sandbox.marker} & echo \\$! > $RUN_DIR/child; wait"'
        '; sleep 0.5; is_running probe && echo "running $OUR_PID"'
    )
    assert started.returncode == 0, started.stderr
    pid = sandbox.pid("probe")
    assert started.stdout.split() == ["running", str(pid)]
    lines = sandbox.pid_file("probe").read_text().splitlines()
    assert lines[0] == str(pid)
    assert lines[1].startswith(f"start={start_time(pid)} argc=3 argv=")
    assert open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")[:2] == [b"bash", b"-c"]  # the command, not nohup
    child = int((sandbox.run_dir / "child").read_text())
    assert alive(pid) and alive(child)

    status = sandbox.bash("is_running probe")
    assert status.returncode == 0 and status.stderr == ""

    stopped = sandbox.bash("stop_bg probe")
    assert stopped.returncode == 0, stopped.stderr
    assert f"stopped probe (pid {pid})" in stopped.stdout
    assert wait_gone(pid) and wait_gone(child), "stop_bg left our process or its group running"
    assert not sandbox.pid_file("probe").exists()
    assert sandbox.bash("is_running probe").returncode == 1


def test_a_hash_bang_script_is_trusted_through_its_interpreter(sandbox: Sandbox, tmp_path: Path) -> None:
    """Like .venv-rasa/bin/rasa: /proc/PID/cmdline is "interpreter script args...", which ends with what we ran."""
    script = tmp_path / "server"
    script.write_text(f"#!/bin/sh\nsleep {sandbox.marker}\n")
    script.chmod(0o755)
    started = sandbox.bash(f'start_bg server "$RUN_DIR/server.log" "{script}" --port 1; is_running server')
    assert started.returncode == 0, started.stderr
    pid = sandbox.pid("server")
    assert open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")[:3] == [b"/bin/sh", str(script).encode(), b"--port"]
    stopped = sandbox.bash("stop_bg server")
    assert f"stopped server (pid {pid})" in stopped.stdout
    assert wait_gone(pid)


def test_an_older_pid_file_is_trusted_only_for_a_process_naming_the_repository(sandbox: Sandbox) -> None:
    ours = subprocess.Popen(
        ["bash", "-c", f'sleep {sandbox.marker} & wait; : "{PATHS.repo}/scripts/actions.sh"'], start_new_session=True
    )
    sandbox.children.append(ours)
    sandbox.pid_file("actions").write_text(f"{ours.pid}\n")
    status = sandbox.script("actions.sh", "status")
    assert status.stdout.strip() == f"action server running (pid {ours.pid})", status.stderr
    stopped = sandbox.script("actions.sh", "stop")
    assert f"stopped actions (pid {ours.pid})" in stopped.stdout
    ours.wait(timeout=10)
    assert not sandbox.pid_file("actions").exists()


def _foreign_pid_file(sandbox: Sandbox, pid: int, kind: str) -> str:
    if kind == "pid only":  # the older format: the pid alone, and the process names nothing inside the repository
        return f"{pid}\n"
    if kind == "other command":  # the right start time, but the pid runs another command line than we started
        return sandbox.bash(f'record_pid x {pid} sleep 999999 && cat "$RUN_DIR/x.pid"').stdout
    if kind == "other start time":  # the command line matches (e.g. a reused pid): the start time does not
        recorded = sandbox.bash(f'record_pid x {pid} sleep {sandbox.marker} && cat "$RUN_DIR/x.pid"').stdout
        assert f"start={start_time(pid)} " in recorded
        return recorded.replace(f"start={start_time(pid)} ", f"start={int(start_time(pid)) + 1} ")
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["pid only", "other command", "other start time"])
def test_a_foreign_process_is_not_trusted_and_survives_stop(sandbox: Sandbox, kind: str) -> None:
    foreign = sandbox.foreign_sleep()
    time.sleep(0.2)  # until Popen's child has exec'd sleep
    sandbox.pid_file("actions").write_text(_foreign_pid_file(sandbox, foreign.pid, kind))

    checked = sandbox.bash("is_running actions")
    assert checked.returncode == 1
    assert f"pid {foreign.pid}" in checked.stderr and "nothing was signalled" in checked.stderr
    assert not sandbox.pid_file("actions").exists(), "the foreign pid file was kept"

    sandbox.pid_file("actions").write_text(_foreign_pid_file(sandbox, foreign.pid, kind))
    stopped = sandbox.script("actions.sh", "stop")
    assert stopped.returncode == 0, stopped.stderr
    assert "stopped" not in stopped.stdout
    assert "removed the stale pid file" in stopped.stderr
    time.sleep(0.5)
    assert foreign.poll() is None, f"make stop signalled a foreign process ({kind})"
    assert not sandbox.pid_file("actions").exists()


def test_a_pid_file_whose_process_is_gone_is_cleaned_up(sandbox: Sandbox) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()
    sandbox.pid_file("rasa").write_text(f"{gone.pid}\nstart=1 argc=1 argv={'0' * 64}\n")
    sandbox.pid_file("web").write_text("not-a-pid\n")
    checked = sandbox.script("web.sh", "status")
    assert checked.returncode == 3
    assert f"process {gone.pid} is gone" in checked.stderr
    assert not sandbox.pid_file("rasa").exists()
    stopped = sandbox.script("web.sh", "stop")
    assert stopped.returncode == 0 and "no valid pid" in stopped.stderr
    assert not sandbox.pid_file("web").exists()


@pytest.mark.parametrize(
    ("script", "args", "setting", "extra"),
    [
        ("actions.sh", ("start",), "ACTIONS_PORT", {}),
        ("web.sh", ("start",), "RASA_PORT", {}),
        ("neo4j.sh", ("start",), "NEO4J_BOLT_PORT", {"NEO4J_MANAGED": "1"}),
        ("shell.sh", ("check",), "SHELL_PORT", {}),
    ],
)
def test_a_busy_port_is_reported_by_number_before_starting(
    sandbox: Sandbox, script: str, args: tuple[str, ...], setting: str, extra: dict[str, str]
) -> None:
    port = int(sandbox.env[setting])
    sandbox.listener(port)
    started = sandbox.script(script, *args, **extra)
    assert started.returncode != 0
    assert f"port {port} is in use by another program" in started.stderr
    assert f"set {setting} to a free port" in started.stderr
    assert not list(sandbox.run_dir.glob("*.pid")), "a server was started on a busy port"


def test_a_busy_port_whose_holder_is_unnamed_is_still_reported(sandbox: Sandbox, tmp_path: Path) -> None:
    """When ss cannot name the holder (another user's program), the message must still come, not a silent exit."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "ss").write_text("#!/bin/sh\necho 'LISTEN 0 5 127.0.0.1:1 0.0.0.0:*'\n")
    (fake / "ss").chmod(0o755)
    port = int(sandbox.env["WEB_PORT"])
    sandbox.listener(port)
    checked = sandbox.bash(f'require_free_port {port} WEB_PORT "chat page server"', PATH=f"{fake}:{os.environ['PATH']}")
    assert checked.returncode == 1
    assert f"port {port} is in use by another program, not by a chat page server" in checked.stderr
    assert "set WEB_PORT to a free port" in checked.stderr
    assert sandbox.bash(f"require_free_port {free_port()} WEB_PORT web").returncode == 0


def test_start_leaves_our_running_server_alone(sandbox: Sandbox) -> None:
    # The pid file of a running "action server" of ours (a sleep started by start_bg), on a port that answers.
    sandbox.listener(int(sandbox.env["ACTIONS_PORT"]))
    assert sandbox.bash(f'start_bg actions "$RUN_DIR/actions.log" sleep {sandbox.marker}').returncode == 0
    pid = sandbox.pid("actions")
    started = sandbox.script("actions.sh", "start")
    assert started.returncode == 0, started.stderr
    assert f"action server already running (pid {pid})" in started.stdout
    assert alive(pid) and sandbox.pid("actions") == pid
    assert sandbox.script("actions.sh", "status").stdout.strip() == f"action server running (pid {pid})"
    stopped = sandbox.script("actions.sh", "stop")
    assert f"stopped actions (pid {pid})" in stopped.stdout
    assert wait_gone(pid)


def test_a_second_make_run_says_the_first_is_running(sandbox: Sandbox) -> None:
    port = sandbox.env["SHELL_PORT"]
    assert sandbox.bash(f'start_bg shell-{port} "$RUN_DIR/shell.log" sleep {sandbox.marker}').returncode == 0
    checked = sandbox.script("shell.sh", "check")
    assert checked.returncode == 1
    assert "make run is running already" in checked.stderr and f"port {port}" in checked.stderr
    assert alive(sandbox.pid(f"shell-{port}"))


def test_changed_since_start_compares_with_the_pid_file(sandbox: Sandbox, tmp_path: Path) -> None:
    source = tmp_path / "code"
    source.mkdir()
    (source / "old.py").write_text("")
    os.utime(source / "old.py", (time.time() - 60, time.time() - 60))
    assert sandbox.bash(f'start_bg code "$RUN_DIR/code.log" sleep {sandbox.marker}').returncode == 0
    assert sandbox.bash(f'changed_since_start code "{source}"').returncode == 1
    (source / "new.py").write_text("")
    os.utime(source / "new.py", (time.time() + 5, time.time() + 5))
    assert sandbox.bash(f'changed_since_start code "{source}"').returncode == 0
    assert sandbox.bash("stop_bg code").returncode == 0


def test_make_run_starts_rather_than_restarts() -> None:
    if not (PATHS.repo / "Makefile").exists() or subprocess.run(["which", "make"], capture_output=True).returncode:
        pytest.skip("no make")
    planned = subprocess.run(
        ["make", "--no-print-directory", "-n", "run"], cwd=PATHS.repo, capture_output=True, text=True, timeout=60
    ).stdout
    assert "scripts/shell.sh check" in planned.splitlines()[0]
    assert "scripts/actions.sh start" in planned and "scripts/web.sh start" in planned
    assert "restart" not in planned
