"""Regenerate templates/fastapi/project/uv.lock.jinja from real `uv lock` runs.

The lock ships with the template so a project generated today installs the same versions next
month. It depends on the project only through the root package (its name, and psycopg when
the project uses PostgreSQL), so this renders one project per database, locks both, and merges
them: packages only PostgreSQL needs sit in `{% if spec.db == "postgres" %}` blocks, and the
root package is named by the template. Run it after changing the template's dependencies:

    python maintainer/relock_fastapi.py [--upgrade]
"""

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from mvpgen import render, spec

ROOT = Path(__file__).resolve().parents[1]
LOCK_TEMPLATE = ROOT / "templates" / "fastapi" / "project" / "uv.lock.jinja"
NAME = "lockproject"
SEPARATOR = "\n[[package]]\n"


def lock(db: str, workdir: Path, upgrade: bool) -> str:
    project = spec.build_project(NAME, stack="fastapi", db=db)
    target = workdir / db
    render.generate(project, target, git=False)
    args = ["uv", "lock", "--quiet", *(["--upgrade"] if upgrade else [])]
    subprocess.run(args, cwd=target, check=True)
    return (target / "uv.lock").read_text()


def split(lock_text: str) -> tuple[str, dict[str, str]]:
    head, *blocks = lock_text.split(SEPARATOR)
    packages = {}
    for block in blocks:
        name = block.split("\n", 1)[0].removeprefix('name = "').removesuffix('"')
        # Drop comments: a lock rendered from the template carries the one above its root.
        lines = [line for line in block.splitlines() if not line.startswith("#")]
        packages[name] = "\n".join(lines).rstrip("\n") + "\n"
    return head.rstrip("\n") + "\n", packages


def merge(sqlite_lock: str, postgres_lock: str) -> str:
    head, sqlite_packages = split(sqlite_lock)
    postgres_head, postgres_packages = split(postgres_lock)
    if head != postgres_head:
        sys.exit("the two locks differ in their header; relock both with the same uv")
    root_sqlite, root_postgres = sqlite_packages.pop(NAME), postgres_packages.pop(NAME)
    for name, block in sqlite_packages.items():
        if postgres_packages.get(name) != block:
            sys.exit(f"package {name} differs between the two locks; cannot merge")
    out = [head]
    for name in sorted(postgres_packages):
        block = SEPARATOR.lstrip("\n") + postgres_packages[name]
        if name in sqlite_packages:
            out.append("\n" + block)
        else:
            out.append('{% if spec.db == "postgres" %}\n\n' + block + "{% endif %}\n")
    out.append("\n# The project itself, named by mvpgen (uv reads packages in any order).\n")
    out.append(SEPARATOR.lstrip("\n") + template_root(root_sqlite, root_postgres))
    return "".join(out)


def template_root(sqlite_root: str, postgres_root: str) -> str:
    """The root package, with psycopg's lines only for PostgreSQL projects."""
    sqlite_lines = sqlite_root.splitlines(keepends=True)
    lines = []
    for line in postgres_root.splitlines(keepends=True):
        if line in sqlite_lines:
            lines.append(line)
        else:
            lines.append('{% if spec.db == "postgres" %}\n' + line + "{% endif %}\n")
    text = "".join(lines)
    return text.replace(f'name = "{NAME}"', 'name = "{{ spec.dist_name }}"', 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--upgrade", action="store_true", help="take the newest versions")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        sqlite_lock = lock("sqlite", workdir, args.upgrade)
        postgres_lock = lock("postgres", workdir, args.upgrade)
    LOCK_TEMPLATE.write_text(merge(sqlite_lock, postgres_lock))
    print(f"wrote {LOCK_TEMPLATE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
