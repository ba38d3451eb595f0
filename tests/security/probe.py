"""Probing one request as one persona inside a savepoint, with the database and file
fingerprints a refused write must leave as they were."""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.core.signals import request_finished
from django.db import close_old_connections, connection, transaction
from django.test import Client
from django.urls import reverse

from tests.security.world import ANON, World

WRITES = frozenset({"post", "put", "patch", "delete"})
REFUSED = frozenset({401, 403, 404})


def _tables() -> list[str]:
    """The tables of the project's apps plus who holds which role, tokens and devices."""
    names = [
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model.__module__.startswith("brief.")
        or model._meta.db_table
        in ("auth_group", "accounts_user_groups", "authtoken_token", "otp_totp_totpdevice")
    ]
    return sorted(set(names))


class Fingerprint:
    """Row counts of every table of the project's apps and a digest of the briefs' states and
    update times, in one query; the files under ``MEDIA_ROOT``."""

    def __init__(self) -> None:
        tables = _tables()
        counts = ", ".join(f'(SELECT COUNT(*) FROM "{t}")' for t in tables)
        self.tables = tables
        self.sql = (
            f"SELECT {counts}, (SELECT group_concat(id || status || updated_at, ';') "
            'FROM (SELECT id, status, updated_at FROM "campaigns_brief" ORDER BY id))'
        )

    def rows(self) -> tuple:
        with connection.cursor() as cursor:
            cursor.execute(self.sql)
            return cursor.fetchone()

    def diff(self, before: tuple, after: tuple) -> list[str]:
        names = [*self.tables, "brief states"]
        return [f"{n}: {a} → {b}" for n, a, b in zip(names, before, after, strict=True) if a != b]

    @staticmethod
    def files() -> frozenset[tuple[str, int]]:
        found = set()
        for folder, _dirs, names in os.walk(settings.MEDIA_ROOT):
            for name in names:
                path = os.path.join(folder, name)
                found.add((path, os.path.getsize(path)))
        return frozenset(found)


@dataclass
class Outcome:
    status: int
    location: str
    changed: list[str]
    body: str = ""


class Prober:
    """One test client whose session is swapped per persona (sessions made once by
    ``force_login``: no password hashing), each request in a savepoint rolled back."""

    def __init__(self, world: World) -> None:
        self.client = Client(raise_request_exception=False)
        self.sessions: dict[str, str] = {}
        for name, user in world.users.items():
            self.client.force_login(user)
            self.sessions[name] = self.client.cookies[settings.SESSION_COOKIE_NAME].value
            self.client.cookies.clear()
        self.fingerprint = Fingerprint()
        self.login = reverse("accounts:login")
        self.count = 0
        self.seconds = 0.0
        self.costs: dict[str, float] = {}

    def request(
        self, persona: str, method: str, path: str, data=None, *, api=False, check=False
    ) -> Outcome:
        """``method`` ``path`` as ``persona``; with ``check`` the rows and files changed."""
        client = self.client
        client.cookies.clear()
        if persona != ANON:
            client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[persona]
        self.count += 1
        started = time.perf_counter()
        with transaction.atomic():
            before = self.fingerprint.rows() if check else None
            files = self.fingerprint.files() if check else None
            if api and method != "get" and not _multipart(data):
                kwargs = {"data": json.dumps(data), "content_type": "application/json"}
            else:
                kwargs = {"data": data}
            response = getattr(client, method)(path, **kwargs)
            changed: list[str] = []
            if check:
                changed = self.fingerprint.diff(before, self.fingerprint.rows())
                new_files = self.fingerprint.files() - files
                changed += [f"file {p}" for p, _ in sorted(new_files)]
            transaction.set_rollback(True)
        if response.streaming:  # as the test client does for the others
            request_finished.disconnect(close_old_connections)
            try:
                response.close()
            finally:
                request_finished.connect(close_old_connections)
        key = f"{method} {path.split('?')[0]}"
        self.costs[key] = self.costs.get(key, 0.0) + time.perf_counter() - started
        body = "" if response.streaming else response.content.decode(errors="replace")
        return Outcome(response.status_code, response.get("Location", ""), changed, body)

    def to_login(self, outcome: Outcome) -> bool:
        return outcome.status == 302 and urlsplit(outcome.location).path == self.login


def _multipart(data) -> bool:
    return isinstance(data, dict) and any(hasattr(v, "read") for v in data.values())


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:8]
