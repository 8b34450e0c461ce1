"""Helpers shared by the unit tests (plain functions, no fixtures)."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Mapping
from pathlib import Path

from mvpgen.spec import ProjectSpec, build_project

# A spec that uses every field type, `?`, defaults of every kind and an irregular plural.
EVERY_TYPE_RESOURCES = [
    "product name:str price:float stock:int=0",
    "person/people nickname:str? bio:text born_on:date? last_seen:datetime? "
    "token:uuid=12345678-1234-5678-1234-567812345678 active:bool=true score:float=1.5 "
    "joined:date=2024-02-29 wake_at:datetime=2024-01-31T09:00:00+02:00 motto:str='carpe diem'",
]
# Names users really pick, which are reserved somewhere and must still work.
TRICKY_RESOURCES = [
    "order status:str key:str value:int default:bool=false",
    "user type:str date:date group:str? select:text? range:int? json:text? metadata:text?",
    "group name:str",
    "type/types key:str",
]

HAS_GIT = shutil.which("git") is not None


def build_tree(root: Path, spec: Mapping[str, str | bytes], *, dedent: bool = True) -> Path:
    """Create files under `root` from `{"relative/path": content}`; return `root`.

    A path ending in `/` makes an empty folder. Text is dedented, so a test can write it inline.
    """
    root.mkdir(parents=True, exist_ok=True)
    for relative, content in spec.items():
        path = root / relative
        if relative.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content) if dedent else content)
    return root


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every path under `root` (relative, posix) mapped to its bytes, or None for a folder."""
    return {
        path.relative_to(root).as_posix(): None if path.is_dir() else path.read_bytes()
        for path in sorted(root.rglob("*"))
    }


def leftovers(parent: Path, name: str) -> list[str]:
    """Staging folders `generate` left beside a target called `name`."""
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(f".{name}.mvpgen-"))


def project(name: str = "shop", resources: list[str] | None = None, **kwargs: str) -> ProjectSpec:
    """A validated fastapi/sqlite spec."""
    return build_project(name, resources=resources, **kwargs)


# Words reserved somewhere (SQL, Go, Python builtins or soft keywords, pydantic) that users
# really pick as names: each must work.
TRICKY_WORDS = [
    "order",
    "user",
    "group",
    "type",
    "key",
    "value",
    "date",
    "status",
    "default",
    "select",
    "range",
    "json",
    "metadata",
    "match",
    "case",
    "table",
    "index",
    "limit",
    "offset",
    "count",
    "name",
    "id_card",
    "string",
    "error",
    "time",
    "list",
    "item",
]
