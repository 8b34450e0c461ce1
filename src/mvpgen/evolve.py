"""`mvpgen add resource`, `mvpgen add field`, `mvpgen update`: change a generated project.

Each one reads the project's `mvpgen.toml`, builds the new spec and its migration (checked in
full before anything is written), renders the project again into a temporary folder, and
merges that render into the user's tree (mvpgen.merge). A clean merge is committed; a merge
with conflicts is left in the working tree for the user to resolve and commit.
"""

import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from mvpgen import __version__, manifest, merge, migrations, render
from mvpgen.errors import SpecError
from mvpgen.manifest import MANIFEST_NAME, Manifest, format_resource
from mvpgen.spec import ProjectSpec, ResourceSpec, first_error, parse_resource


@dataclass
class Outcome:
    """What a command did: its commit message, the migration it wrote, the merge."""

    message: str
    migration: str | None
    result: merge.MergeResult | None  # None: the project was already what mvpgen renders


def find_project(start: Path) -> Path:
    """The project holding `start`: the nearest folder upwards with an mvpgen.toml."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / MANIFEST_NAME).is_file():
            return folder
    raise SpecError(
        f"{str(start)!r} is not inside a project mvpgen generated: no {MANIFEST_NAME} there or "
        "above (run this in the project, or pass --project DIR)"
    )


def add_resource(root: Path, text: str) -> Outcome:
    """Add a resource (`SPEC` in the grammar of --resource) to the project at `root`."""
    old = manifest.read(root)
    resource = parse_resource(text)
    for existing in old.spec.resources:
        if resource.name in (existing.name, existing.plural) or resource.plural in (
            existing.name,
            existing.plural,
        ):
            raise SpecError(
                f"resource {resource.name!r} already exists as {existing.name!r}; add fields to "
                f"it with `mvpgen add field {existing.name} NAME:TYPE`"
            )
    spec = with_resources(old.spec, [*old.spec.resources, resource])
    return evolve(root, old, spec, f"mvpgen add resource {format_resource(resource)}")


def add_fields(root: Path, resource_name: str, words: Sequence[str]) -> Outcome:
    """Add fields (`name:type[?][=default]` each) to an existing resource."""
    old = manifest.read(root)
    current = {resource.name: resource for resource in old.spec.resources}
    if resource_name not in current:
        raise SpecError(
            f"unknown resource {resource_name!r} (this project has: {', '.join(current)})"
        )
    if not words:
        raise SpecError(f"no field to add to {resource_name!r}; write it as NAME:TYPE")
    resource = current[resource_name]
    added = parse_resource(f"{resource.name}/{resource.plural} {' '.join(words)}")
    names = {field.name for field in resource.fields}
    for new_field in added.fields:
        if new_field.name in names:
            raise SpecError(f"field {new_field.name!r} already exists in {resource_name!r}")
        migrations.check_addable(resource, new_field)
    try:
        grown = ResourceSpec(
            name=resource.name, plural=resource.plural, fields=[*resource.fields, *added.fields]
        )
    except ValidationError as exc:
        raise SpecError(first_error(exc)) from None
    spec = with_resources(
        old.spec, [grown if r.name == resource_name else r for r in old.spec.resources]
    )
    fields = " ".join(manifest.format_field(field) for field in added.fields)
    return evolve(root, old, spec, f"mvpgen add field {resource_name} {fields}")


def update(root: Path) -> Outcome:
    """Render the project with the installed mvpgen's templates and merge that in."""
    old = manifest.read(root)
    return evolve(root, old, old.spec, f"mvpgen update to {__version__} (from {old.version})")


def with_resources(spec: ProjectSpec, resources: list[ResourceSpec]) -> ProjectSpec:
    """The same project (every answer kept) with these resources, validated again."""
    answers = {name: getattr(spec, name) for name in ProjectSpec.model_fields}
    try:
        return ProjectSpec(**{**answers, "resources": resources})
    except ValidationError as exc:
        raise SpecError(first_error(exc)) from None


def evolve(root: Path, old: Manifest, spec: ProjectSpec, message: str) -> Outcome:
    """Render `spec` (plus the migration it needs) and merge it into the project at `root`."""
    step = migrations.diff(old.migrations, spec)
    history = old.migrations + ((step,) if step else ())
    new = Manifest(spec, history)
    merge.check_repository(root)
    with tempfile.TemporaryDirectory(prefix="mvpgen-render-") as scratch:
        base = merge.find_base(root) or base_from_manifest(root, old, Path(scratch) / "base")
        theirs_dir = Path(scratch) / "theirs"
        theirs_dir.mkdir()
        render.render_tree(new, theirs_dir)
        theirs = merge.commit_tree(root, theirs_dir, base, f"mvpgen {__version__} render")
    migration = migrations.answers(step)["file"] if step else None
    if merge.tree_entries(root, theirs) == merge.tree_entries(root, base):
        return Outcome(message, migration, None)
    result = merge.three_way(root, base, theirs, ("yours", "last render", f"mvpgen {__version__}"))
    merge.git(root, "update-ref", render.RENDER_REF, theirs)
    if not result.conflicts and result.touched:
        merge.commit_paths(root, result.touched, message, theirs)
    return Outcome(message, migration, result)


def base_from_manifest(root: Path, old: Manifest, scratch: Path) -> str:
    """No render recorded (a clone, or git added after --no-git): render the manifest again.

    Exact only with the templates that rendered it, so only when its mvpgen version is this one.
    """
    if old.version != __version__:
        raise SpecError(
            f"the project has no record of mvpgen's last render ({render.RENDER_REF}; a clone "
            f"lacks it) and was made by mvpgen {old.version}, not {__version__}: run the command "
            "where the project was generated, or with that version"
        )
    scratch.mkdir()
    try:
        render.render_tree(old, scratch)
        return merge.commit_tree(root, scratch, None, f"mvpgen {old.version} render")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
