"""What the templates ship: where they are, and the Python packages a generated project installs.

A project's own package must not share a name with anything its lock installs (`psycopg`
would shadow the driver, and uv cannot lock a project named like one of its dependencies), so
the taken names are read from the shipped lock and pyproject template, never copied by hand.
"""

import functools
import re
import sys
from pathlib import Path

# Templates whose dependency lists a generated FastAPI project (and the hybrid's api/) installs.
LOCK = Path("fastapi/project/uv.lock.jinja")
PYPROJECT = Path("fastapi/project/pyproject.toml.jinja")
# Distributions whose modules are not named after them (import name = normalised name otherwise).
OTHER_MODULES = {
    "mypy": ("mypyc",),
    "opentelemetry-api": ("opentelemetry",),
    "pytest": ("_pytest", "py"),
    "python-dotenv": ("dotenv",),
    "pyyaml": ("yaml", "_yaml"),
}
# Top-level names of the generated project itself (its folders, and the app module `uvicorn`
# and Alembic are pointed at).
PROJECT_NAMES = frozenset({"app", "migrations", "tests"})

_LOCKED_NAME_RE = re.compile(r'^name = "([A-Za-z0-9._-]+)"$', re.MULTILINE)
# A quoted requirement with a version: `"psycopg[binary]>=3.2"`, `"uv_build>=0.8,<0.14"`.
_REQUIREMENT_RE = re.compile(r'"([A-Za-z0-9._-]+)\s*(?:\[[^\]]*\])?\s*[<>=!~]')


def templates_root() -> Path:
    """The `templates/` folder: inside the wheel, or at the top of a source checkout."""
    packaged = Path(__file__).parent / "templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "templates"


def normalise(distribution: str) -> str:
    """A distribution name as a module name: `typing-extensions` -> `typing_extensions`."""
    return re.sub(r"[-_.]+", "_", distribution).lower()


def distributions(lock: str, pyproject: str) -> set[str]:
    """Every package the lock installs (under any database) and every requirement the pyproject
    names, build backend included. The lock's own root (a template expression) is skipped."""
    names = set(_LOCKED_NAME_RE.findall(lock)) | set(_REQUIREMENT_RE.findall(pyproject))
    return {re.sub(r"[-_.]+", "-", name).lower() for name in names}


def modules(dists: set[str]) -> frozenset[str]:
    """The import names `dists` install: their normalised names, and the exceptions."""
    names = {normalise(dist) for dist in dists}
    for dist in dists:
        names.update(OTHER_MODULES.get(dist, ()))
    return frozenset(names)


@functools.cache
def taken_packages(root: Path | None = None) -> frozenset[str]:
    """Names a generated project's package may not take: what it installs or imports, the
    standard library, and its own top-level names."""
    root = root or templates_root()
    dists = distributions((root / LOCK).read_text(), (root / PYPROJECT).read_text())
    return modules(dists) | PROJECT_NAMES | frozenset(sys.stdlib_module_names)
