"""README "Layers": no app imports another app's private name (``from brief.x.y import _name``).

The layer order itself is import-linter's contract (``lint-imports`` in ``make test``).
"""

import ast
from pathlib import Path

import brief

ROOT = Path(brief.__file__).parent


def _app(module: str) -> str:
    """``brief.contacts.actions`` → ``contacts``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def cross_app_private_imports(source: str, own_app: str) -> list[str]:
    """``module:name`` of each private name ``source`` imports from another app of brief."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules, names = [node.module], [alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            modules, names = [alias.name for alias in node.names], []
        else:
            continue
        for module in modules:
            if not module.startswith("brief.") or _app(module) == own_app:
                continue
            private = [p for p in module.split(".") if p.startswith("_")]
            private += [n for n in names if n.startswith("_") and n != "*"]
            found.extend(f"{module}:{name}" for name in private)
    return found


def test_the_check_sees_a_private_import_across_apps():
    source = "from brief.campaigns.actions import _check_actor, can_view\n"
    assert cross_app_private_imports(source, "contacts") == ["brief.campaigns.actions:_check_actor"]
    assert cross_app_private_imports(source, "campaigns") == []
    assert cross_app_private_imports("from . import _x\nimport brief.core._y\n", "dispatch") == [
        "brief.core._y:_y"
    ]


def test_no_app_imports_another_apps_private_name():
    offences = []
    for path in sorted(ROOT.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        own = path.relative_to(ROOT).parts[0]
        for found in cross_app_private_imports(path.read_text(encoding="utf-8"), own):
            offences.append(f"{path.relative_to(ROOT.parent)}: {found}")
    assert offences == []
