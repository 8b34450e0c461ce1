"""mvpgen.toml: written by `new`, read back to the same spec, refused when it is not whole."""

import subprocess
import tomllib
from pathlib import Path

import pytest

import mvpgen
from helpers import EVERY_TYPE_RESOURCES, HAS_GIT, TRICKY_RESOURCES, project
from mvpgen import manifest, render
from mvpgen.errors import SpecError
from mvpgen.manifest import Manifest, Migration
from mvpgen.spec import build_project, parse_resource

needs_git = pytest.mark.skipif(not HAS_GIT, reason="git is not installed")


@pytest.mark.parametrize(
    "text",
    [
        *EVERY_TYPE_RESOURCES,
        *TRICKY_RESOURCES,
        "quote says:str=\"it's\" both:text='say \"hi\"' empty:str= spaced:str='  a  b '",
    ],
)
def test_a_resource_reads_back_as_it_was_written(text: str) -> None:
    resource = parse_resource(text)
    assert parse_resource(manifest.format_resource(resource)) == resource


def test_the_grammar_is_kept_readable() -> None:
    resource = parse_resource(
        "cactus/cacti name:str motto:str='carpe diem' when:datetime=2024-01-31T09:00:00+02:00 "
        "score:float=2 ok:bool=TRUE"
    )
    assert manifest.format_resource(resource) == (
        "cactus/cacti name:str 'motto:str=carpe diem' when:datetime=2024-01-31T07:00:00Z "
        "score:float=2.0 ok:bool=true"
    )
    # A derived plural is not repeated.
    for text in ("category name:str", "person name:str"):
        assert manifest.format_resource(parse_resource(text)) == text


@pytest.mark.parametrize("stack", ["fastapi", "go", "hybrid"])
def test_new_writes_the_manifest(tmp_path: Path, stack: str) -> None:
    spec = build_project(
        "shop", stack=stack, db="postgres", module="example.com/shop", resources=TRICKY_RESOURCES
    )
    root = render.generate(spec, tmp_path / "shop", git=False)
    data = tomllib.loads((root / "mvpgen.toml").read_text())
    assert data["mvpgen"] == mvpgen.__version__
    assert (data["name"], data["stack"], data["db"], data["module"]) == (
        "shop",
        stack,
        "postgres",
        "example.com/shop",
    )
    assert [parse_resource(text) for text in data["resources"]] == list(spec.resources)
    assert data["migrations"] == [{"revision": 1, "create": data["resources"]}]
    assert manifest.read(root) == manifest.initial(spec)


def test_the_manifest_holds_the_schema_history() -> None:
    note = parse_resource("note title:str")
    history = (
        Migration(1, create=(note,)),
        Migration(2, add=(parse_resource("note pinned:bool=false"),)),
    )
    spec = project(resources=["note title:str pinned:bool=false"])
    record = Manifest(spec, history)
    text = manifest.dumps(record)
    assert 'add = ["note pinned:bool=false"]' in text
    assert manifest.loads(tomllib.loads(text)) == record


def write_manifest(root: Path, text: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "mvpgen.toml").write_text(text)
    return root


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name = 'x'\n", "missing key 'migrations'"),
        ("this is not toml", "mvpgen.toml is not valid"),
        (
            manifest.dumps(manifest.initial(project())).replace(
                "resources = [\n", 'resources = [\n    "tag name:str",\n'
            ),
            "its migrations do not build the resources it lists",
        ),
        (
            manifest.dumps(manifest.initial(project())).replace("note title:", "note Title:"),
            "mvpgen.toml: field name 'Title' is not snake_case",
        ),
    ],
)
def test_a_broken_manifest_is_refused(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        manifest.read(write_manifest(tmp_path, text))


def test_no_manifest_is_not_a_project(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"has no mvpgen\.toml"):
        manifest.read(tmp_path)


@needs_git
def test_the_first_commit_is_kept_as_the_last_render(tmp_path: Path) -> None:
    root = render.generate(project(), tmp_path / "shop")
    head, last_render = (
        subprocess.run(
            ["git", "rev-parse", ref], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        for ref in ("HEAD", render.RENDER_REF)
    )
    assert head == last_render
    # Kept out of the user's way: no branch, no tag.
    branches = subprocess.run(
        ["git", "branch", "--all"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.split()
    assert branches == ["*", "main"]
