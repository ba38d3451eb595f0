"""``brief backup`` / ``brief restore`` end to end: separate processes, separate folders."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]

SEED = """
import django; django.setup()
from brief.core.bench import migrate_fresh
migrate_fresh()
from brief.accounts.actions import set_roles
from brief.accounts.models import Area, User
from brief.campaigns import actions
from tests.helpers import BASE_CSV, brief_data, upload
area = Area.objects.create(code="cred", name="Crédito")
user = User.objects.create_user("ana", password="demo", area=area)
set_roles(user, ["solicitante"])
for name in ("Actualización de datos", "Renovación 2027-1"):
    brief = actions.create_brief(actor=user, data=brief_data(name=name))
    actions.add_attachment(brief, actor=user, kind="base", upload=upload("base.csv", BASE_CSV))
print("SEEDED")
"""

SERVE = """
import django; django.setup()
from django.test import Client
from django.urls import reverse
from brief.accounts.models import User
from brief.campaigns.models import Attachment, Brief
client = Client()
client.force_login(User.objects.get(username="ana"))
out = {}
for brief in Brief.objects.order_by("code"):
    page = client.get(reverse("campaigns:brief_detail", args=[brief.code]))
    out[brief.code] = [page.status_code, brief.name in page.content.decode()]
out["files"] = sorted(a.file.read().decode() for a in Attachment.objects.all())
import json; print(json.dumps(out))
"""


def _run(var: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "brief.settings",
        "BRIEF_VAR_DIR": str(var),
        "PYTHONPATH": str(ROOT),
        "DEBUG": "true",  # static files without a collected manifest
        "ALLOWED_HOSTS": "testserver",
        "CELERY_TASK_ALWAYS_EAGER": "true",
    }
    env.pop("DATABASE_URL", None)
    env.pop("BRIEF_MEDIA_ROOT", None)
    done = subprocess.run(
        [sys.executable, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    if check:
        assert done.returncode == 0, done.stderr[-3000:]
    return done


def _brief(var: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return _run(var, "-m", "brief.cli", *args, check=check)


def test_a_backup_restored_into_a_fresh_folder_serves_the_same_briefs(tmp_path):
    """Backup, restore into an empty folder, serve; an altered copy and a restore over data
    are refused."""
    source, fresh = tmp_path / "origen", tmp_path / "nuevo"
    assert "SEEDED" in _run(source, "-c", SEED).stdout
    before = json.loads(_run(source, "-c", SERVE).stdout)
    assert len(before) == 3
    assert all(v == [200, True] for k, v in before.items() if k != "files")

    # when the source is backed up and restored into an empty folder
    _brief(source, "backup", "--output", str(tmp_path / "copias"))
    [archive] = (tmp_path / "copias").glob("brief-backup-*.tar.gz")
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["migrations"]["campaigns"]
    assert sum(m["name"].startswith("files/") for m in manifest["members"]) >= 2
    _brief(fresh, "restore", str(archive))

    # then the fresh folder serves the same briefs with the same files
    assert json.loads(_run(fresh, "-c", SERVE).stdout) == before

    # and an altered copy (one stored file changed, the manifest kept) is refused before
    # anything is written
    altered = tmp_path / "alterada.tar.gz"
    with tarfile.open(archive) as tar, tarfile.open(altered, "w:gz") as out:
        for member in tar.getmembers():
            data = tar.extractfile(member).read()
            if member.name.startswith("files/"):
                data = data.replace(b"Ana", b"Eva")
            member.size = len(data)
            out.addfile(member, io.BytesIO(data))
    empty = tmp_path / "vacio"
    done = _brief(empty, "restore", str(altered), check=False)
    assert done.returncode != 0
    assert "alterado" in done.stderr
    assert not any((empty / "files").rglob("*"))
    database = empty / "brief.sqlite3"
    assert not database.exists() or database.stat().st_size == 0
    # and a second restore over data is refused unless forced
    again = _brief(fresh, "restore", str(archive), check=False)
    assert again.returncode != 0
    assert "ya tiene datos" in again.stderr
    _brief(fresh, "restore", str(archive), "--force")
