"""The same code on PostgreSQL and Redis, started from the installed binaries."""

import json
import os
import subprocess
import sys

import pytest

from tests.services import postgres_server, redis_server

pytestmark = pytest.mark.slow


def brief(*args, env):
    return subprocess.run(
        [sys.executable, "-m", "brief.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_migrate_demo_data_and_health_on_postgresql_and_redis(tmp_path):
    with postgres_server() as database_url, redis_server() as redis_url:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": redis_url,
            "DJANGO_SETTINGS_MODULE": "brief.test_settings",
            "BRIEF_VAR_DIR": str(tmp_path),
        }
        # when migrating and loading demo data twice (idempotent)
        for _ in range(2):
            done = brief("migrate", "--no-input", env=env)
            assert done.returncode == 0, done.stderr
            done = brief("demo_data", "--quiet-logins", env=env)
            assert done.returncode == 0, done.stderr
        # then the database is PostgreSQL and the broker Redis, both healthy
        probe = (
            "import json; from django.test import Client; from django.db import connection;"
            "r = Client(HTTP_HOST='127.0.0.1').get('/health/');"
            "print(json.dumps({'vendor': connection.vendor, 'status': r.status_code,"
            " 'body': r.json()}))"
        )
        done = brief("shell", "-c", probe, env=env)
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout.strip().splitlines()[-1])
        assert result["vendor"] == "postgresql"
        assert result["status"] == 200
        assert "redis" in result["body"]["broker"]["transport"].lower()
        counted = brief(
            "shell",
            "-c",
            "from brief.accounts.models import User;print(User.objects.count())",
            env=env,
        )
        assert counted.stdout.strip().splitlines()[-1] == "9"
