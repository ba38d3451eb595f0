"""Reading typification trees: nesting, leaves, the digest frozen at exit approval, and the
rows of an import file checked one by one (pure: no writes)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from brief.contacts.reader import normalize_header

from .choices import CHILD_LEVEL, DEFAULT_TREE, FLAG_COLUMNS, FLAGS, MAX_RETRY_HOURS, Level
from .models import TypificationNode

CODE = re.compile(r"^[A-Za-z0-9_.\-]{1,30}$")
TRUE = frozenset({"si", "sí", "s", "x", "1", "true", "verdadero", "yes"})
FALSE = frozenset({"", "no", "n", "0", "false", "falso"})
# Import columns (normalized header → field); the flags take their Spanish labels too.
COLUMNS: dict[str, str] = {
    "categoria": "category",
    "resultado": "result",
    "detalle": "detail",
    "codigo": "code",
    "reintentar horas": "retry_after_hours",
    "reintentar despues horas": "retry_after_hours",
    "retry after hours": "retry_after_hours",
    **{synonym: name for name, synonyms in FLAG_COLUMNS.items() for synonym in synonyms},
    **{name.replace("_", " "): name for name in FLAGS},
}


@dataclass
class Node:
    """A node of a tree as plain data (the default tree, an import, or the stored one)."""

    label: str
    level: str
    code: str = ""
    flags: dict = field(default_factory=dict)
    children: list[Node] = field(default_factory=list)
    pk: int | None = None
    frozen: bool = False

    def walk(self) -> Iterable[Node]:
        yield self
        for child in self.children:
            yield from child.walk()


def default_tree() -> list[Node]:
    """The default tree (``choices.DEFAULT_TREE``) with the flags passed down to the leaves."""

    def build(spec, level: str, inherited: dict) -> Node:
        code, label, flags, children = spec
        merged = {**inherited, **flags}
        child_level = str(CHILD_LEVEL.get(Level(level), ""))
        return Node(
            label=label,
            level=level,
            code=code,
            flags=merged,
            children=[build(c, child_level, merged) for c in children],
        )

    return [build(spec, Level.CATEGORY, {}) for spec in DEFAULT_TREE]


def stored_tree(brief) -> list[Node]:
    """The brief's stored tree, nested and ordered."""
    nodes = {
        n.pk: Node(
            label=n.label,
            level=n.level,
            code=n.code,
            flags=n.flags(),
            pk=n.pk,
            frozen=n.frozen_at is not None,
        )
        for n in TypificationNode.objects.filter(brief=brief)
    }
    roots: list[Node] = []
    for row in TypificationNode.objects.filter(brief=brief).values("pk", "parent_id"):
        node = nodes[row["pk"]]
        (nodes[row["parent_id"]].children if row["parent_id"] else roots).append(node)
    return roots


def leaves(roots: list[Node]) -> list[tuple[str, Node]]:
    """Every leaf with its path «Categoría › Resultado › Detalle» (what an advisor picks)."""
    out: list[tuple[str, Node]] = []

    def visit(node: Node, prefix: str) -> None:
        path = f"{prefix} › {node.label}" if prefix else node.label
        if not node.children:
            out.append((path, node))
        for child in node.children:
            visit(child, path)

    for root in roots:
        visit(root, "")
    return out


def digest(roots: list[Node]) -> str:
    """SHA-256 of the tree's labels, codes and flags in order (kept at exit approval)."""

    def plain(node: Node) -> dict:
        return {
            "label": node.label,
            "code": node.code,
            "flags": node.flags,
            "children": [plain(c) for c in node.children],
        }

    text = json.dumps([plain(r) for r in roots], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


# --- import ------------------------------------------------------------------------------


def parse_flag(value: str) -> bool | None:
    """«sí», «x», «1»… → True; «», «no», «0» → False; anything else → None (an error)."""
    text = (value or "").strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    return None


def parse_rows(
    headers: list[str], rows: Iterable[tuple[int, list[str]]]
) -> tuple[list[Node], list[str]]:
    """Build a tree from an import file's rows; returns ``(roots, errors)``.

    Each row names a path (categoría, resultado, detalle — the last two optional) and the
    flags of its deepest node; missing ancestors are created. ``errors`` are Spanish, one per
    problem, prefixed with the file's row number; the tree is only usable when it is empty.
    """
    names = [COLUMNS.get(normalize_header(h), "") for h in headers]
    errors: list[str] = []
    if "category" not in names:
        return [], [
            "El archivo necesita la columna «categoria» (y si quiere «resultado», «detalle», "
            "«codigo» y las marcas)."
        ]
    roots: list[Node] = []
    codes: dict[str, int] = {}
    count = 0
    for number, values in rows:
        row = {n: (v or "").strip() for n, v in zip(names, values, strict=False) if n}
        path = [row.get("category", ""), row.get("result", ""), row.get("detail", "")]
        if not any(path) and not any(row.values()):
            continue
        count += 1
        problems = []
        if not path[0]:
            problems.append("falta la categoría")
        if path[2] and not path[1]:
            problems.append("hay detalle sin resultado")
        if any(len(p) > 120 for p in path):
            problems.append("un nombre supera 120 caracteres")
        flags: dict = {}
        for name, label in FLAGS.items():
            parsed = parse_flag(row.get(name, ""))
            if parsed is None:
                problems.append(f"«{label}» debe ser sí o no (trae «{row[name]}»)")
            flags[name] = bool(parsed)
        retry = row.get("retry_after_hours", "")
        flags["retry_after_hours"] = None
        if retry:
            if retry.isdigit() and 1 <= int(retry) <= MAX_RETRY_HOURS:
                flags["retry_after_hours"] = int(retry)
            else:
                problems.append(
                    f"las horas para reintentar van de 1 a {MAX_RETRY_HOURS} (trae «{retry}»)"
                )
        code = row.get("code", "")
        if code and not CODE.match(code):
            problems.append(
                f"el código «{code}» solo admite letras, números, punto y guiones (máx. 30)"
            )
        elif code and code in codes:
            problems.append(f"el código «{code}» ya está en la fila {codes[code]}")
        if problems:
            errors.append(f"Fila {number}: {'; '.join(problems)}.")
            continue
        if code:
            codes[code] = number
        siblings, node = roots, None
        depth = 2 if path[2] else 1 if path[1] else 0
        for i, name in enumerate(path[: depth + 1]):
            node = next((n for n in siblings if n.label == name), None)
            if node is None:
                node = Node(label=name, level=list(Level)[i].value)
                siblings.append(node)
            elif i == depth and node.flags:
                errors.append(f"Fila {number}: «{' › '.join(path[: depth + 1])}» está repetida.")
            siblings = node.children
        assert node is not None
        node.code = code or node.code
        node.flags = flags
    if not count and not errors:
        errors.append("El archivo no trae filas de tipificación.")
    return roots, errors
