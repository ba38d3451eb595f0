"""Processes of the multi-process dispatch scripts (workers, a web server): start, read, stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path


def spawn(workdir: str, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
    """Start ``argv`` in its own session, its output in ``workdir/name.log``."""
    return subprocess.Popen(
        argv,
        env={**env, "PYTHONPATH": os.getcwd()},
        stdout=open(os.path.join(workdir, f"{name}.log"), "wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def brief_worker(workdir: str, name: str, env: dict[str, str], *options: str) -> subprocess.Popen:
    """A ``brief worker`` named ``name``."""
    argv = [sys.executable, "-m", "brief.cli", "worker", "-n", f"{name}@%h", *options]
    return spawn(workdir, name, argv, env)


def log_of(workdir: str, name: str) -> str:
    return Path(workdir, f"{name}.log").read_text(errors="replace")


def stop_all(procs: list[subprocess.Popen], grace: float = 30) -> None:
    """SIGTERM each process group; SIGKILL what is still there after ``grace`` seconds."""
    for proc in procs:
        os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def up(url: str) -> bool:
    """Whether ``url`` answers 200 now (a web process whose workers imported the project)."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False
