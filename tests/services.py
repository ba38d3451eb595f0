"""Real service peers for tests, started from installed binaries on loopback."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from brief.core.bench import PG_BIN, PostgresCluster, free_port, postgres_cluster, wait_port
from tests.helpers import IN_CI, require_binary


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """A throwaway PostgreSQL 15 cluster; yields a ``DATABASE_URL`` (skips without the binaries)."""
    require_binary(f"{PG_BIN}/initdb")
    with postgres_cluster() as url:
        yield url


@contextlib.contextmanager
def postgres_restartable() -> Iterator[PostgresCluster]:
    """A throwaway PostgreSQL cluster that a fault test can restart (skips without binaries)."""
    require_binary(f"{PG_BIN}/initdb")
    cluster = PostgresCluster()
    try:
        yield cluster.init()
    finally:
        cluster.close()


class RedisServer:
    """A throwaway Redis on a free loopback port without persistence: a restart loses every
    queued task, the harshest restart a broker can have."""

    def __init__(self) -> None:
        self.binary = require_binary("redis-server")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> RedisServer:
        self.proc = subprocess.Popen(
            [self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_port(self.port)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def restart(self, *, down_seconds: float = 0.0) -> None:
        self.stop()
        time.sleep(down_seconds)  # the outage a restart makes (clients meet refused connections)
        self.start()


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """A throwaway Redis on a free loopback port, no persistence; yields its URL."""
    server = RedisServer().start()
    try:
        yield server.url
    finally:
        server.stop()


class SinkHandler:
    """aiosmtpd handler that keeps every message (envelope and parsed headers)."""

    def __init__(self):
        import threading

        self.messages: list = []
        self.senders: list[str] = []  # envelope MAIL FROM (the Return-Path), in order
        self.options: list[tuple[list[str], list[str]]] = []  # (MAIL FROM, RCPT TO) parameters
        self.lock = threading.Lock()
        self.busy = 0  # the next ``busy`` messages are answered 421 (service not available)

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes
        from email.policy import default

        with self.lock:
            if self.busy > 0:
                self.busy -= 1
                return "421 4.3.2 Service not available, closing transmission channel"

        message = message_from_bytes(envelope.content, policy=default)
        with self.lock:
            self.messages.append(message)
            self.senders.append(envelope.mail_from)
            self.options.append((list(envelope.mail_options), list(envelope.rcpt_options)))
        return "250 OK"


class DSNSinkHandler(SinkHandler):
    """A sink that offers the DSN extension (RFC 3461) in its EHLO answer."""

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        return [*responses[:-1], "250-DSN", responses[-1]]


def _dsn_server_class():
    from aiosmtpd.smtp import SMTP

    class DSNServer(SMTP):
        """aiosmtpd accepting RFC 3461's MAIL/RCPT parameters (kept in the envelope's
        ``mail_options`` / ``rcpt_options``, upper-cased as aiosmtpd keeps them)."""

        def _getparams(self, params):
            result = super()._getparams(params)
            if result is not None:
                for name in ("RET", "ENVID", "NOTIFY", "ORCPT"):
                    result.pop(name, None)
            return result

    return DSNServer


@contextlib.contextmanager
def smtp_sink(*, dsn: bool = False) -> Iterator[tuple[int, SinkHandler]]:
    """A real SMTP server (aiosmtpd) on a free loopback port; with ``dsn`` it offers the DSN
    extension and takes its parameters."""
    from aiosmtpd.controller import Controller

    handler = DSNSinkHandler() if dsn else SinkHandler()
    port = free_port()
    if dsn:
        server_class = _dsn_server_class()

        class DSNController(Controller):
            def factory(self):
                return server_class(self.handler, **self.SMTP_kwargs)

        controller: Controller = DSNController(handler, hostname="127.0.0.1", port=port)
    else:
        controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, handler
    finally:
        controller.stop()


def run_script_on_postgres(
    script: Path,
    tmp_path: Path,
    *args: str,
    timeout: int = 240,
    redis: bool = False,
    env: dict[str, str] | None = None,
) -> Any:
    """Run a test script against a fresh PostgreSQL (and a Redis broker, with ``redis``); the
    JSON on its last output line."""
    with postgres_server() as url, contextlib.ExitStack() as stack:
        script_env = {
            **os.environ,
            "DATABASE_URL": url,
            "BRIEF_VAR_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "brief.test_settings",
            **(env or {}),
        }
        if redis:
            server = RedisServer().start()
            stack.callback(server.stop)
            script_env["CELERY_BROKER_URL"] = server.url
        done = subprocess.run(
            [sys.executable, str(script), *args],
            env=script_env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


DOVECOT_PASSWORD = "clave-buzon"


@contextlib.contextmanager
def imap_server() -> Iterator[tuple[int, str]]:
    """A real IMAP server (Debian's dovecot) on a free loopback port, from a temp folder.

    Any login name works with the password :data:`DOVECOT_PASSWORD`; each gets its own
    maildir. Yields ``(port, password)``.
    """
    binary = require_binary("/usr/sbin/dovecot")
    folder = tempfile.mkdtemp(prefix="brief-imap-")
    os.chmod(folder, 0o755)
    port = free_port()
    mail = os.path.join(folder, "mail")
    os.makedirs(mail)
    config = os.path.join(folder, "dovecot.conf")
    with open(config, "w", encoding="utf-8") as f:
        f.write(
            f"""protocols = imap
listen = 127.0.0.1
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
ssl = no
disable_plaintext_auth = no
mail_location = maildir:{mail}/%u
first_valid_uid = 100
default_login_user = dovenull
default_internal_user = dovecot
passdb {{
  driver = static
  args = password={DOVECOT_PASSWORD}
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={mail}/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {port}
  }}
}}
service anvil {{
  chroot =
}}
"""
        )
    if os.geteuid() == 0:
        shutil.chown(mail, "dovecot", "dovecot")
    proc = subprocess.Popen(
        [binary, "-F", "-c", config], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_port(port)
        yield port, DOVECOT_PASSWORD
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


# --- a small real disk (tmpfs) that can be made full or read-only -----------------------


def _need_mount() -> None:
    reason = "mounting a small tmpfs needs root (it stands in for a full or read-only disk)"
    if os.geteuid() != 0:
        if IN_CI:
            pytest.fail(f"CI=true and {reason}")
        pytest.skip(reason)


@contextlib.contextmanager
def small_disk(size: str = "256k"):
    """A real file system of ``size`` bytes (tmpfs), unmounted afterwards."""
    _need_mount()
    folder = Path(tempfile.mkdtemp(prefix="brief-disk-"))
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], check=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)
        folder.rmdir()


def fill(folder: Path) -> None:
    """Write a filler file until the file system refuses one more byte."""
    fd = os.open(folder / "relleno.bin", os.O_WRONLY | os.O_CREAT)
    try:
        with contextlib.suppress(OSError):
            while True:
                os.write(fd, b"\0" * 4096)
    finally:
        os.close(fd)


def read_only(folder: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)


def files_in(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
