"""Backups of a SQLite installation: the database and the files folder in one archive.

``brief backup`` copies the live database with SQLite's online backup API (consistent while
the web and the workers keep writing), adds every stored file under ``MEDIA_ROOT`` and a
``manifest.json`` (when, the database, each migration applied per app, every member with its
size and SHA-256). ``brief restore`` checks the manifest before it writes anything, refuses to
overwrite a database that holds data unless told to, writes the database through a temporary
file and renames it, and extracts the files only under ``MEDIA_ROOT``. PostgreSQL is backed up
with ``pg_dump`` (README "Backups").
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext

from .exceptions import Invalid

DB_MEMBER = "database.sqlite3"
MANIFEST = "manifest.json"
FILES = "files"
FORMAT = 1


@dataclass(frozen=True)
class Result:
    path: Path
    files: int
    bytes: int


def _sqlite_path() -> Path:
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.sqlite3":
        raise Invalid(
            gettext(
                "Esta instalación usa PostgreSQL: respáldela con pg_dump y la carpeta de "
                "archivos (README «Backups»)."
            ),
            code="not_sqlite",
        )
    return Path(db["NAME"])


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _migrations(db_path: Path) -> dict[str, str]:
    """The last migration applied per app in the copied database."""
    with sqlite3.connect(db_path) as db:
        rows = db.execute("SELECT app, name FROM django_migrations ORDER BY id").fetchall()
    return dict(rows)


def backup(output_dir: Path) -> Result:
    """Write ``brief-backup-<timestamp>.tar.gz`` into ``output_dir`` and return it."""
    source = _sqlite_path()
    media = Path(settings.MEDIA_ROOT)
    output_dir.mkdir(parents=True, exist_ok=True)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    target = output_dir / f"brief-backup-{stamp}.tar.gz"
    with tempfile.TemporaryDirectory(dir=output_dir) as work:
        copy = Path(work) / DB_MEMBER
        connection.close()  # the copy below uses its own connection
        with sqlite3.connect(source) as live, sqlite3.connect(copy) as out:
            live.backup(out)
        out.close()
        members: list[dict[str, object]] = [
            {"name": DB_MEMBER, "size": copy.stat().st_size, "sha256": _sha256(copy)}
        ]
        total = copy.stat().st_size
        files = sorted(p for p in media.rglob("*") if p.is_file()) if media.exists() else []
        for path in files:
            name = str(PurePosixPath(FILES, *path.relative_to(media).parts))
            members.append({"name": name, "size": path.stat().st_size, "sha256": _sha256(path)})
            total += path.stat().st_size
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "database": "sqlite",
            "migrations": _migrations(copy),
            "members": members,
        }
        manifest_path = Path(work) / MANIFEST
        manifest_path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
        partial = target.with_suffix(".partial")
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(manifest_path, MANIFEST)
            archive.add(copy, DB_MEMBER)
            for path in files:
                archive.add(path, str(PurePosixPath(FILES, *path.relative_to(media).parts)))
        partial.rename(target)
    return Result(target, len(files), total)


def _has_data(db_path: Path) -> bool:
    if not db_path.exists() or db_path.stat().st_size == 0:
        return False
    try:
        with sqlite3.connect(db_path) as db:
            row = db.execute(
                "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='campaigns_brief'"
            ).fetchone()
            return bool(row[0]) and bool(
                db.execute("SELECT 1 FROM campaigns_brief LIMIT 1").fetchone()
            )
    except sqlite3.DatabaseError:
        return True  # unreadable: never overwritten silently


def _safe_name(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise Invalid(
            gettext("La copia contiene una ruta no permitida: %(name)s.") % {"name": name},
            code="unsafe",
        )
    return path


def restore(archive_path: Path, *, force: bool = False) -> Result:
    """Restore ``archive_path`` into this installation's database and ``MEDIA_ROOT``."""
    target_db = _sqlite_path()
    media = Path(settings.MEDIA_ROOT)
    if not archive_path.is_file():
        raise Invalid(gettext("No existe el archivo de copia %(path)s.") % {"path": archive_path})
    if _has_data(target_db) and not force:
        raise Invalid(
            gettext("La base de datos de destino ya tiene datos; use --force para reemplazarla."),
            code="not_empty",
        )
    with tempfile.TemporaryDirectory(dir=target_db.parent) as work:
        try:
            with tarfile.open(archive_path, "r:gz") as archive:
                members = archive.getmembers()
                for member in members:
                    _safe_name(member.name)
                    if not member.isfile():
                        raise Invalid(
                            gettext("La copia contiene algo que no es un archivo: %(name)s.")
                            % {"name": member.name},
                            code="unsafe",
                        )
                archive.extractall(work, filter="data")
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise Invalid(gettext("La copia está dañada o no es una copia de Brief.")) from exc
        root = Path(work)
        try:
            manifest = json.loads((root / MANIFEST).read_text())
        except (OSError, ValueError) as exc:
            raise Invalid(gettext("La copia no trae su manifiesto.")) from exc
        if manifest.get("format") != FORMAT or manifest.get("database") != "sqlite":
            raise Invalid(gettext("Formato de copia no reconocido."))
        listed = {m["name"] for m in manifest["members"]}
        present = {
            str(PurePosixPath(*p.relative_to(root).parts))
            for p in root.rglob("*")
            if p.is_file() and p.name != MANIFEST
        }
        if listed != present:
            raise Invalid(
                gettext("La copia no coincide con su manifiesto (faltan o sobran archivos).")
            )
        for member in manifest["members"]:
            if _sha256(root / member["name"]) != member["sha256"]:
                raise Invalid(
                    gettext("El archivo %(name)s de la copia está alterado (SHA-256 distinto).")
                    % {"name": member["name"]},
                    code="checksum",
                )
        connection.close()
        target_db.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("-wal", "-shm"):  # a stale WAL would be replayed onto the restored file
            Path(f"{target_db}{suffix}").unlink(missing_ok=True)
        os.replace(root / DB_MEMBER, target_db)
        restored = 0
        files_root = root / FILES
        if files_root.exists():
            for path in sorted(p for p in files_root.rglob("*") if p.is_file()):
                destination = media.joinpath(*path.relative_to(files_root).parts)
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(path, destination)
                restored += 1
    return Result(archive_path, restored, sum(m["size"] for m in manifest["members"]))


def describe(result: Result) -> str:
    return f"{result.path} · {result.files} archivos · {result.bytes / 1e6:.1f} MB"


def default_dir() -> Path:
    return Path(settings.VAR_DIR) / "backups"
