"""Names a project may not take are read from the dependency lists the templates ship."""

from pathlib import Path

import pytest

from helpers import build_tree
from mvpgen import shipped
from mvpgen.errors import SpecError
from mvpgen.spec import build_project

LOCK = """\
version = 1

[[package]]
name = "fastapi"
version = "0.115.0"

{% if spec.db == "postgres" %}
[[package]]
name = "psycopg-binary"
version = "3.2.0"
{% endif %}

[[package]]
name = "PyYAML"
version = "6.0"

[[package]]
name = "{{ spec.dist_name }}"
version = "0.1.0"
"""
PYPROJECT = """\
[project]
name = "{{ spec.dist_name }}"
readme = "README.md"
requires-python = ">=3.11"
dependencies = [
    "psycopg[binary]>=3.2",
]

[build-system]
requires = ["uv_build>=0.8,<0.14"]
"""


def shipped_tree(root: Path, lock: str = LOCK) -> Path:
    return build_tree(root, {str(shipped.LOCK): lock, str(shipped.PYPROJECT): PYPROJECT})


def test_names_come_from_the_lock_and_the_pyproject(tmp_path: Path) -> None:
    taken = shipped.taken_packages(shipped_tree(tmp_path))
    # Every database's packages, requirements with extras, the build backend, import names
    # that differ from the distribution's, the project's own names and the standard library.
    for name in ("fastapi", "psycopg_binary", "psycopg", "uv_build", "pyyaml", "yaml", "app"):
        assert name in taken
    assert "json" in taken
    # Not packages: the root's template expression, the readme, the Python requirement.
    assert not {name for name in taken if "dist_name" in name or name.startswith("readme")}
    assert "left_pad" not in taken


def test_a_package_added_to_the_lock_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    grown = LOCK + '\n[[package]]\nname = "left-pad"\nversion = "1.0"\n'
    # The spec reads the shipped lock; here it reads a copy that gained a package.
    taken = shipped.taken_packages(shipped_tree(tmp_path, grown))
    monkeypatch.setattr(shipped, "taken_packages", lambda: taken)
    with pytest.raises(SpecError, match="'left-pad' would make the Python package 'left_pad'"):
        build_project("left-pad")
    assert build_project("right-pad").package == "right_pad"


def lock_distributions() -> list[str]:
    root = shipped.templates_root()
    return sorted(
        shipped.distributions(
            (root / shipped.LOCK).read_text(), (root / shipped.PYPROJECT).read_text()
        )
    )


@pytest.mark.parametrize("dist", lock_distributions())
@pytest.mark.parametrize("db", ["sqlite", "postgres"])
def test_every_shipped_package_is_refused_on_every_database(dist: str, db: str) -> None:
    with pytest.raises(SpecError, match="shadows a module the project installs or imports"):
        build_project(dist, db=db)


def test_the_shipped_lock_has_the_packages_users_hit() -> None:
    # psycopg (the PostgreSQL driver) and tzdata (its Windows time zones) were once accepted.
    assert {"psycopg", "psycopg-binary", "tzdata", "fastapi", "pyyaml"} <= set(lock_distributions())
