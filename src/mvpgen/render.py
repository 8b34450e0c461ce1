"""Render a validated spec into a project folder, atomically.

A stack is a list of layers, each a copier template under `templates/`: the project layer once,
the resource layer once per resource (Rails-style: `mvpgen add resource` renders it again), and
the migration layer once per schema change after the first (the manifest's history). The
project's `mvpgen.toml` is written last. Everything is rendered into a temporary folder beside
the target and moved into place only when every layer rendered and the code was formatted, so
a failure or Ctrl-C leaves nothing behind and never touches existing files.
"""

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from mvpgen import manifest, migrations
from mvpgen.errors import RenderError, TargetError
from mvpgen.manifest import Manifest, Migration
from mvpgen.model import ProjectSpec, Stack
from mvpgen.shipped import templates_root

# The last tree mvpgen rendered, kept out of the user's branches: the base of the next merge.
RENDER_REF = "refs/mvpgen/render"


class Layer(NamedTuple):
    """One copier render: a template folder, the extra answers it gets, where it lands."""

    template: str
    answers: dict[str, Any]
    # A folder inside the project ("" is its root): the hybrid stack renders the FastAPI and
    # Go projects into api/ and core/, where the hybrid overlay replaces their seams (copier.yml).
    subdir: str = ""


def stack_layers(stack: str, spec: ProjectSpec, subdir: str = "") -> Iterator[Layer]:
    """A stack's project layer, then its resource layer once per resource."""
    yield Layer(f"{stack}/project", {}, subdir)
    for resource in spec.resources:
        yield Layer(f"{stack}/resource", {"resource": resource.model_dump(mode="json")}, subdir)


def migration_layers(stack: str, history: Sequence[Migration], subdir: str = "") -> Iterator[Layer]:
    """One layer per migration after the initial one (which the project layer renders)."""
    for migration in history[1:]:
        yield Layer(f"{stack}/migration", {"migration": migrations.answers(migration)}, subdir)


def layers(spec: ProjectSpec, history: Sequence[Migration] = ()) -> Iterator[Layer]:
    """The copier layers of a stack, in order; a later one may overwrite an earlier one's files."""
    if spec.stack is Stack.HYBRID:
        yield from stack_layers(Stack.FASTAPI, spec, "api")
        yield from migration_layers(Stack.FASTAPI, history, "api")
        # The Go service keeps no migrations of its own here: Alembic, in api/, owns the schema.
        yield from stack_layers(Stack.GO, spec, "core")
        # The root overlay: the Makefile and compose file over both, and the Go service's
        # hybrid-only code (ingest) written into core/.
        yield from stack_layers(Stack.HYBRID, spec)
        return
    yield from stack_layers(spec.stack, spec)
    yield from migration_layers(spec.stack, history)


def check_target(target: Path, *, force: bool) -> None:
    """Refuse a target that is a file, or a non-empty folder without --force."""
    if target.exists() and not target.is_dir():
        raise TargetError(f"target {str(target)!r} exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise TargetError(
            f"target {str(target)!r} exists and is not empty; pick another name or --output, "
            "or pass --force to write over it"
        )


def render_tree(spec: ProjectSpec | Manifest, dest: Path) -> None:
    """Render every layer of the project into `dest` (an empty folder), and its manifest.

    A bare spec is a new project; a manifest brings the schema's history, whose migrations
    after the first are rendered as files of their own.
    """
    import copier  # heavy: imported only when rendering, so `mvpgen --help` stays fast

    record = spec if isinstance(spec, Manifest) else manifest.initial(spec)
    root = templates_root()
    spec_data = record.spec.model_dump(mode="json")
    schema = migrations.schema_answers(record.migrations)
    for layer in layers(record.spec, record.migrations):
        copier.run_copy(
            str(root),
            str(dest / layer.subdir),
            data={"layer": layer.template, "spec": spec_data, "schema": schema, **layer.answers},
            defaults=True,
            overwrite=True,
            quiet=True,
            unsafe=False,
        )
    format_python(dest)
    format_go(dest)
    manifest.write(record, dest)


def format_python(dest: Path) -> None:
    """Format the rendered Python with ruff, as the project's own `make fmt` would.

    Line breaks depend on the length of the user's names, so templates cannot get them right
    for every spec; ruff can, and the project's `make lint` then checks the same style.
    """
    if not any(dest.rglob("*.py")):
        return
    from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]

    ruff = os.fsdecode(find_ruff_bin())
    for args in (["check", "--fix-only", "--select", "I,F401", "--quiet"], ["format", "--quiet"]):
        result = subprocess.run(
            [ruff, *args, "--no-cache", "."], cwd=dest, capture_output=True, text=True
        )
        if result.returncode != 0:
            raise RenderError(f"ruff {args[0]} failed on the rendered project: {result.stderr}")


def format_go(dest: Path) -> None:
    """Run gofmt over the rendered Go, as the project's own `make fmt` would.

    Struct fields and comments align on the longest name, which only gofmt knows; without
    gofmt on PATH the templates' own layout stands and the project's `make fmt` fixes it.
    """
    gofmt = shutil.which("gofmt")
    if gofmt is None or not any(dest.rglob("*.go")):
        return
    result = subprocess.run([gofmt, "-w", "."], cwd=dest, capture_output=True, text=True)
    if result.returncode != 0:
        raise RenderError(f"gofmt failed on the rendered project: {result.stderr}")


def generate(spec: ProjectSpec, target: Path, *, force: bool = False, git: bool = True) -> Path:
    """Render `spec` into `target` atomically, then `git init` and commit it unless told not to."""
    target = target.resolve()
    check_target(target, force=force)
    # The parent folders this call creates, innermost first: a failure removes them too.
    made = [folder for folder in target.parents if not folder.exists()]
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.mvpgen-", dir=target.parent))
    try:
        render_tree(spec, staging)
        if git and not (target / ".git").exists():
            init_git(staging)
        move_into_place(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        for folder in made:
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    return target


def move_into_place(staging: Path, target: Path) -> None:
    """Make the staged tree the target: one rename when the target is new or empty."""
    if target.is_dir() and not any(target.iterdir()):
        target.rmdir()
    if not target.exists():
        staging.rename(target)
        return
    # --force over a non-empty folder: the rendered files win, other files stay.
    shutil.copytree(staging, target, dirs_exist_ok=True)
    shutil.rmtree(staging)


def init_git(path: Path) -> None:
    """`git init` and a first commit; a missing git or identity is not the user's problem."""
    if shutil.which("git") is None:
        return
    identity: list[str] = []
    probe = subprocess.run(["git", "config", "user.email"], capture_output=True, cwd=path)
    if probe.returncode != 0:
        identity = ["-c", "user.name=mvpgen", "-c", "user.email=mvpgen@localhost"]
    for args in (
        ["init", "--quiet", "--initial-branch=main"],
        ["add", "--all"],
        [*identity, "commit", "--quiet", "--no-verify", "-m", "Initial commit from mvpgen"],
        # The first commit is mvpgen's render: `mvpgen add` and `update` merge from it.
        ["update-ref", RENDER_REF, "HEAD"],
    ):
        result = subprocess.run(["git", *args], cwd=path, capture_output=True, text=True)
        if result.returncode != 0:
            raise RenderError(f"git {' '.join(args)} failed: {result.stderr.strip()}")
