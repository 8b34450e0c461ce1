"""Regenerate templates/fastapi/project/uv.lock.jinja from real `uv lock` runs.

The lock ships with the template so a project generated today installs the same versions next
month. It depends on the project only through the root package (its name, psycopg when the
project uses PostgreSQL, argon2-cffi with --auth), so this renders one project per database
and --auth, locks each, and merges them: packages only some need sit in
`{% if spec.db == "postgres" %}` or `{% if spec.auth %}` blocks, and the root package is named
by the template. Run it after changing the template's dependencies:

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


# Every combination of what the lock depends on: the database, and whether --auth is on.
Combo = tuple[str, bool]
COMBOS: list[Combo] = [(db, auth) for db in ("sqlite", "postgres") for auth in (False, True)]


def lock(combo: Combo, workdir: Path, upgrade: bool) -> str:
    db, auth = combo
    project = spec.build_project(NAME, stack="fastapi", db=db, auth=auth)
    target = workdir / f"{db}-{'auth' if auth else 'plain'}"
    render.generate(project, target, git=False)
    args = ["uv", "lock", "--quiet", *(["--upgrade"] if upgrade else [])]
    subprocess.run(args, cwd=target, check=True)
    return (target / "uv.lock").read_text()


def condition(combos: set[Combo]) -> str | None:
    """The template condition true for exactly these combinations (None: for all of them)."""
    dbs = {db for db, _ in combos}
    auths = {auth for _, auth in combos}
    if combos != {(db, auth) for db in dbs for auth in auths}:
        sys.exit(f"no template condition selects exactly {sorted(combos)}; cannot merge")
    tests = []
    if len(dbs) == 1:
        tests.append(f'spec.db == "{dbs.pop()}"')
    if len(auths) == 1:
        tests.append("spec.auth" if auths.pop() else "not spec.auth")
    return " and ".join(tests) or None


def guarded(text: str, combos: set[Combo], blank: str = "") -> str:
    test = condition(combos)
    return text if test is None else "{% if " + test + " %}\n" + blank + text + "{% endif %}\n"


def variants(texts: dict[Combo, str]) -> list[tuple[str, set[Combo]]]:
    """Each distinct text and the combinations that have it, in the order of COMBOS."""
    found: dict[str, set[Combo]] = {}
    for combo in COMBOS:
        if combo in texts:
            found.setdefault(texts[combo], set()).add(combo)
    return list(found.items())


def split(lock_text: str) -> tuple[str, dict[str, str]]:
    head, *blocks = lock_text.split(SEPARATOR)
    packages = {}
    for block in blocks:
        name = block.split("\n", 1)[0].removeprefix('name = "').removesuffix('"')
        # Drop comments: a lock rendered from the template carries the one above its root.
        lines = [line for line in block.splitlines() if not line.startswith("#")]
        packages[name] = "\n".join(lines).rstrip("\n") + "\n"
    return head.rstrip("\n") + "\n", packages


def merge(locks: dict[Combo, str]) -> str:
    """One template of the locks: each package (and the header) guarded by the combinations
    that have it as it is."""
    heads, packages, roots = {}, {}, {}
    for combo, text in locks.items():
        heads[combo], blocks = split(text)
        roots[combo] = blocks.pop(NAME)
        packages[combo] = blocks
    out = [guarded(head, combos) for head, combos in variants(heads)]
    for name in sorted(set().union(*packages.values())):
        having = {combo: packages[combo][name] for combo in COMBOS if name in packages[combo]}
        for block, combos in variants(having):
            text = SEPARATOR.lstrip("\n") + block
            out.append("\n" + text if condition(combos) is None else guarded(text, combos, "\n"))
    out.append("\n# The project itself, named by mvpgen (uv reads packages in any order).\n")
    out.append(SEPARATOR.lstrip("\n") + template_root(roots))
    return "".join(out)


def template_root(roots: dict[Combo, str]) -> str:
    """The root package, with each dependency line only where its combination needs it."""
    lines = {combo: root.splitlines(keepends=True) for combo, root in roots.items()}
    out = []
    for line in lines[("postgres", True)]:
        out.append(guarded(line, {combo for combo in COMBOS if line in lines[combo]}))
    text = "".join(out)
    return text.replace(f'name = "{NAME}"', 'name = "{{ spec.dist_name }}"', 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--upgrade", action="store_true", help="take the newest versions")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        locks = {combo: lock(combo, workdir, args.upgrade) for combo in COMBOS}
    LOCK_TEMPLATE.write_text(merge(locks))
    print(f"wrote {LOCK_TEMPLATE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
