"""`mvpgen update`: a newer mvpgen's templates merged into a project the user has edited.

The newer mvpgen is this one with a changed template set: a copy of the templates with edits,
put in place of the installed ones.
"""

import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers import HAS_GIT, project
from mvpgen import render
from mvpgen.cli import app
from mvpgen.shipped import templates_root

pytestmark = pytest.mark.skipif(not HAS_GIT, reason="git is not installed")
runner = CliRunner()
USER = ["-c", "user.name=Ada", "-c", "user.email=ada@example.com"]
NEW_LINE = "Served by the newer templates."


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=True
    ).stdout


def update(root: Path) -> tuple[int, str]:
    result = runner.invoke(app, ["update", "--project", str(root)])
    return result.exit_code, result.output


@pytest.fixture
def edited(tmp_path: Path) -> Path:
    """A project whose README and Makefile the user changed, committed."""
    root = render.generate(project("shop"), tmp_path / "shop")
    readme = root / "README.md"
    readme.write_text(readme.read_text() + "\nAda's own section.\n")
    makefile = root / "Makefile"
    makefile.write_text(makefile.read_text() + "\nada:\n\t@echo Ada's target\n")
    git(root, "add", "--all")
    git(root, *USER, "commit", "--quiet", "-m", "Ada's edits")
    return root


@pytest.fixture
def newer_templates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The installed templates with two changes: a README line, a new file."""
    root = tmp_path / "templates"
    shutil.copytree(templates_root(), root)
    readme = root / "fastapi/project/README.md.jinja"
    text = readme.read_text()
    readme.write_text(
        text.replace("# {{ spec.title }}\n", f"# {{{{ spec.title }}}}\n\n{NEW_LINE}\n", 1)
    )
    (root / "fastapi/project/CHANGELOG.md").write_text("# Changes\n")
    monkeypatch.setattr(render, "templates_root", lambda: root)
    return root


def test_update_without_a_newer_mvpgen_changes_nothing(edited: Path) -> None:
    head = git(edited, "rev-parse", "HEAD")
    refs = git(edited, "for-each-ref")
    code, output = update(edited)
    assert code == 0, output
    assert "Nothing to change" in output
    assert git(edited, "rev-parse", "HEAD") == head
    assert git(edited, "for-each-ref") == refs
    assert git(edited, "status", "--porcelain") == ""


def test_update_merges_template_changes_into_the_users_edits(
    edited: Path, newer_templates: Path
) -> None:
    code, output = update(edited)
    assert code == 0, output
    assert "merged    README.md" in output
    assert "added     CHANGELOG.md" in output
    readme = (edited / "README.md").read_text()
    assert NEW_LINE in readme and "Ada's own section." in readme
    assert "Ada's target" in (edited / "Makefile").read_text()
    assert (edited / "CHANGELOG.md").read_text() == "# Changes\n"
    assert git(edited, "status", "--porcelain") == ""
    assert git(edited, "log", "-1", "--format=%s").startswith("mvpgen update to")
    # Merged once: the same templates again change nothing.
    head = git(edited, "rev-parse", "HEAD")
    code, output = update(edited)
    assert (code, "Nothing to change" in output) == (0, True), output
    assert git(edited, "rev-parse", "HEAD") == head


def test_an_undone_update_is_merged_again_from_the_right_base(
    edited: Path, newer_templates: Path
) -> None:
    assert update(edited)[0] == 0
    git(edited, "reset", "--quiet", "--hard", "HEAD~1")
    # The record of the last render moved on; the project did not. The base is found by the
    # manifest at HEAD, so the change comes in again, once.
    code, output = update(edited)
    assert code == 0, output
    assert (edited / "README.md").read_text().count(NEW_LINE) == 1
    assert (edited / "CHANGELOG.md").is_file()
