import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import copier
import pytest

from helpers import (
    EVERY_TYPE_RESOURCES,
    HAS_GIT,
    TRICKY_RESOURCES,
    build_tree,
    leftovers,
    project,
    snapshot,
)
from mvpgen import render
from mvpgen.errors import RenderError, SpecError, TargetError
from mvpgen.spec import ProjectSpec

needs_git = pytest.mark.skipif(not HAS_GIT, reason="git is not installed")

TOP_LEVEL_FILES = [
    "pyproject.toml",
    "uv.lock",
    "Makefile",
    "README.md",
    ".env.example",
    ".gitignore",
    "Dockerfile",
    "compose.yaml",
    "alembic.ini",
    ".github/workflows/ci.yml",
]
RESOURCE_MODULES = ["__init__.py", "router.py", "schemas.py", "models.py", "service.py"]
# Jinja syntax; GitHub Actions' own `${{ ... }}` expressions are not template leftovers.
LEFTOVER_RE = re.compile(r"\{\{|\{%|\{#|%\}|#\}")
GITHUB_EXPRESSION_RE = re.compile(r"\$\{\{.*?\}\}")

SPECS = {
    "default": [],
    "every-type": EVERY_TYPE_RESOURCES,
    "tricky": TRICKY_RESOURCES,
}


def files_of(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and ".git" not in p.parts)


@pytest.fixture(scope="module", params=list(SPECS))
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """A project rendered once per spec of SPECS (no git), shared by the read-only tests."""
    spec = project("shop", SPECS[request.param] or None)
    target = tmp_path_factory.mktemp(request.param) / "shop"
    assert render.generate(spec, target, git=False) == target.resolve()
    return spec, target


def test_top_level_files(rendered: tuple[ProjectSpec, Path]) -> None:
    _, root = rendered
    for name in TOP_LEVEL_FILES:
        assert (root / name).is_file(), name


def test_a_package_and_a_test_file_per_resource(rendered: tuple[ProjectSpec, Path]) -> None:
    spec, root = rendered
    package = root / "src" / spec.package
    assert (package / "__init__.py").is_file()
    assert (package / "main.py").is_file()
    for resource in spec.resources:
        for module in RESOURCE_MODULES:
            assert (package / resource.py_package / module).is_file(), (resource.name, module)
        assert (root / "tests" / f"test_{resource.plural}.py").is_file()
    # and nothing for resources the spec does not have
    assert {p.name for p in package.iterdir() if (p / "router.py").is_file()} == {
        "jobs",
        *(r.py_package for r in spec.resources),
    }


def test_no_template_syntax_is_left(rendered: tuple[ProjectSpec, Path]) -> None:
    _, root = rendered
    for path in files_of(root):
        text = path.read_text(errors="replace")
        if ".github" in path.parts:
            text = GITHUB_EXPRESSION_RE.sub("", text)
        match = LEFTOVER_RE.search(text)
        assert match is None, f"{path.relative_to(root)}: {text[match.start() - 40 :][:80]!r}"


def test_no_template_files_or_names_are_left(rendered: tuple[ProjectSpec, Path]) -> None:
    _, root = rendered
    for path in root.rglob("*"):
        relative = path.relative_to(root).as_posix()
        assert not path.name.endswith(".jinja"), relative
        assert "{" not in relative, relative
        assert path.name != "copier.yml", relative
        assert not path.name.startswith(".copier-answers"), relative


def test_python_files_compile(rendered: tuple[ProjectSpec, Path]) -> None:
    _, root = rendered
    for path in files_of(root):
        if path.suffix == ".py":
            compile(path.read_text(), str(path), "exec")


def test_rendered_python_is_lint_clean(rendered: tuple[ProjectSpec, Path]) -> None:
    # The project's own ruff settings: `make lint` starts with exactly these two commands.
    _, root = rendered
    for args in (["check"], ["format", "--check"]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *args, "--no-cache", "."],
            cwd=root,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_names_come_from_the_spec(rendered: tuple[ProjectSpec, Path]) -> None:
    spec, root = rendered
    pyproject = (root / "pyproject.toml").read_text()
    assert re.search(r'^name = "shop"$', pyproject, re.MULTILINE)
    models = (root / "src" / spec.package / "models.py").read_text()
    migration = "".join(
        p.read_text() for p in (root / "src" / spec.package / "migrations/versions").glob("*.py")
    )
    for resource in spec.resources:
        assert f"import {resource.py_class}" in models
        assert f'"{resource.table}"' in migration
        for field in resource.fields:
            # The column keeps the user's name, even where Python renames the attribute.
            assert f'"{field.name}"' in migration


def test_rendering_is_deterministic(tmp_path: Path) -> None:
    spec = project("shop", EVERY_TYPE_RESOURCES)
    render.generate(spec, tmp_path / "a", git=False)
    render.generate(spec, tmp_path / "b", git=False)
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")


def test_project_name_with_a_dash(tmp_path: Path) -> None:
    spec = project("my-app")
    root = render.generate(spec, tmp_path / "my-app", git=False)
    assert (root / "src" / "my_app" / "main.py").is_file()
    assert not (root / "src" / "my-app").exists()


# --- the target folder ------------------------------------------------------------------------


def test_new_target_in_a_new_parent(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "er" / "shop"
    render.generate(project(), target, git=False)
    assert (target / "pyproject.toml").is_file()
    assert leftovers(target.parent, "shop") == []


def test_existing_empty_target_is_used(tmp_path: Path) -> None:
    (tmp_path / "shop").mkdir()
    render.generate(project(), tmp_path / "shop", git=False)
    assert (tmp_path / "shop" / "pyproject.toml").is_file()
    assert leftovers(tmp_path, "shop") == []


def test_non_empty_target_is_refused(tmp_path: Path) -> None:
    build_tree(tmp_path / "shop", {"notes.txt": "mine", "README.md": "my readme"})
    before = snapshot(tmp_path)
    with pytest.raises(TargetError, match="not empty"):
        render.generate(project(), tmp_path / "shop", git=False)
    assert snapshot(tmp_path) == before


def test_force_writes_over_a_non_empty_folder_keeping_unrelated_files(tmp_path: Path) -> None:
    target = build_tree(
        tmp_path / "shop",
        {"notes.txt": "mine", "docs/plan.md": "# plan", "README.md": "old readme", "empty/": ""},
    )
    render.generate(project(), target, force=True, git=False)
    assert (target / "notes.txt").read_text() == "mine"
    assert (target / "docs" / "plan.md").read_text() == "# plan"
    assert (target / "empty").is_dir()
    # Rendered files win over what was there.
    assert (target / "README.md").read_text() != "old readme"
    assert (target / "pyproject.toml").is_file()
    assert leftovers(tmp_path, "shop") == []


def test_a_file_as_target_is_refused_even_with_force(tmp_path: Path) -> None:
    build_tree(tmp_path, {"shop": "a file"})
    with pytest.raises(TargetError, match="not a folder"):
        render.generate(project(), tmp_path / "shop", force=True, git=False)
    assert (tmp_path / "shop").read_text() == "a file"
    assert leftovers(tmp_path, "shop") == []


# --- atomicity --------------------------------------------------------------------------------


def fail_on_layer(monkeypatch: pytest.MonkeyPatch, number: int, error: BaseException) -> None:
    """Make copier raise `error` when asked for its `number`-th layer (1-based)."""
    real_run_copy = copier.run_copy
    calls = []

    def run_copy(*args: object, **kwargs: object) -> object:
        calls.append(args)
        if len(calls) == number:
            raise error
        return real_run_copy(*args, **kwargs)

    monkeypatch.setattr(copier, "run_copy", run_copy)


@pytest.mark.parametrize(
    "error", [RuntimeError("boom"), KeyboardInterrupt()], ids=["error", "ctrl-c"]
)
def test_failure_mid_render_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: BaseException
) -> None:
    # Layer 1 is the project, 2 the first resource: fail once files were written.
    fail_on_layer(monkeypatch, 3, error)
    with pytest.raises(type(error)):
        render.generate(project("shop", EVERY_TYPE_RESOURCES), tmp_path / "shop", git=False)
    assert list(tmp_path.iterdir()) == []


def test_failure_leaves_no_parent_folders_it_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fail_on_layer(monkeypatch, 2, RuntimeError("boom"))
    with pytest.raises(RuntimeError):
        render.generate(project(), tmp_path / "new" / "parent" / "shop", git=False)
    assert list(tmp_path.iterdir()) == []


def test_failure_in_formatting_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(dest: Path) -> None:
        raise RenderError("ruff format failed on the rendered project")

    monkeypatch.setattr(render, "format_python", broken)
    with pytest.raises(RenderError):
        render.generate(project(), tmp_path / "shop", git=False)
    assert list(tmp_path.iterdir()) == []


@needs_git
def test_failure_in_git_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(path: Path) -> None:
        assert any(path.iterdir())  # called on the staged tree, before the move
        raise RenderError("git commit failed")

    monkeypatch.setattr(render, "init_git", broken)
    with pytest.raises(RenderError):
        render.generate(project(), tmp_path / "shop", git=True)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "error", [RuntimeError("boom"), KeyboardInterrupt()], ids=["error", "ctrl-c"]
)
def test_failure_with_force_never_touches_existing_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: BaseException
) -> None:
    build_tree(tmp_path / "shop", {"notes.txt": "mine", "README.md": "old readme"})
    before = snapshot(tmp_path)
    fail_on_layer(monkeypatch, 2, error)
    with pytest.raises(type(error)):
        render.generate(project(), tmp_path / "shop", force=True, git=False)
    assert snapshot(tmp_path) == before


def test_staging_folder_is_beside_the_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Beside, so the final move is a rename on the same file system.
    seen: list[Path] = []
    real_render_tree = render.render_tree

    def spy(spec: ProjectSpec, dest: Path) -> None:
        seen.append(dest)
        real_render_tree(spec, dest)

    monkeypatch.setattr(render, "render_tree", spy)
    render.generate(project(), tmp_path / "shop", git=False)
    (staging,) = seen
    assert staging.parent == tmp_path.resolve()
    assert staging.name.startswith(".shop.mvpgen-")
    assert not staging.exists()


# --- git ----------------------------------------------------------------------------------------


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def no_git_identity(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """A machine where git has no user.name/user.email configured."""
    home = tmp_path_factory.mktemp("home")
    empty = home / "gitconfig"
    empty.write_text("")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.delenv("EMAIL", raising=False)


@needs_git
def test_git_init_and_one_commit(tmp_path: Path, no_git_identity: None) -> None:
    root = render.generate(project("shop", EVERY_TYPE_RESOURCES), tmp_path / "shop", git=True)
    assert (root / ".git").is_dir()
    assert git(root, "rev-list", "--count", "HEAD").strip() == "1"
    assert git(root, "branch", "--show-current").strip() == "main"
    assert git(root, "status", "--porcelain", "--untracked-files=all") == ""
    # Every rendered file is committed: the project's .gitignore hides none of them.
    committed = set(git(root, "ls-files").splitlines())
    assert committed == {p.relative_to(root).as_posix() for p in files_of(root)}
    assert "uv.lock" in committed


@needs_git
def test_git_uses_the_users_identity_when_there_is_one(
    tmp_path: Path, no_git_identity: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = Path(os.environ["GIT_CONFIG_GLOBAL"])
    config.write_text("[user]\n\tname = Ada\n\temail = ada@example.com\n")
    root = render.generate(project(), tmp_path / "shop", git=True)
    assert git(root, "log", "-1", "--format=%an <%ae>").strip() == "Ada <ada@example.com>"


def test_no_git(tmp_path: Path) -> None:
    root = render.generate(project(), tmp_path / "shop", git=False)
    assert not (root / ".git").exists()


@needs_git
def test_force_into_an_existing_repository_keeps_its_history(
    tmp_path: Path, no_git_identity: None
) -> None:
    target = build_tree(tmp_path / "shop", {"notes.txt": "mine"})
    git(target, "init", "--quiet", "--initial-branch=trunk")
    git(target, "-c", "user.name=A", "-c", "user.email=a@b", "add", "notes.txt")
    git(target, "-c", "user.name=A", "-c", "user.email=a@b", "commit", "-qm", "mine")
    head = git(target, "rev-parse", "HEAD")
    render.generate(project(), target, force=True, git=True)
    assert git(target, "rev-parse", "HEAD") == head
    assert git(target, "branch", "--show-current").strip() == "trunk"
    assert (target / "pyproject.toml").is_file()


def test_git_missing_is_not_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_which = shutil.which
    monkeypatch.setattr(
        render.shutil, "which", lambda cmd, *a, **k: None if cmd == "git" else real_which(cmd)
    )
    root = render.generate(project(), tmp_path / "shop", git=True)
    assert (root / "pyproject.toml").is_file()
    assert not (root / ".git").exists()


# Distributions whose import name is not their normalised name.
IMPORT_NAMES = {"python-dotenv": "dotenv", "pyyaml": "yaml", "opentelemetry-api": "opentelemetry"}


def test_project_names_that_shadow_a_locked_dependency_are_refused(
    rendered: tuple[ProjectSpec, Path],
) -> None:
    spec, root = rendered
    locked = re.findall(r'^name = "([^"]+)"$', (root / "uv.lock").read_text(), re.MULTILINE)
    assert "fastapi" in locked
    for dist in locked:
        if dist.replace("-", "_") == spec.package:  # the project itself
            continue
        module = IMPORT_NAMES.get(dist, dist.replace("-", "_"))
        with pytest.raises(SpecError):
            project(module)
