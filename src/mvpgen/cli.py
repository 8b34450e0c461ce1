"""The `mvpgen` command: flags to a spec, errors to exit codes. The work happens in the library."""

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mvpgen import __version__
from mvpgen.errors import MvpgenError

if TYPE_CHECKING:
    from mvpgen.evolve import Outcome

app = typer.Typer(
    help="Generate ready-to-run MVP backends — FastAPI, Go, or both — from one resource spec.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Help texts are plain text: as rich markup, 'NAME[/PLURAL]' is a stray closing tag and
    # `new --help` crashed.
    rich_markup_mode=None,
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"mvpgen {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Generate ready-to-run MVP backends — FastAPI, Go, or both — from one resource spec."""


@app.command()
def new(
    name: Annotated[
        str,
        typer.Argument(
            help="Project name: letters, digits, '-' and '_', starting with a letter. It names "
            "the folder, the Python package (my-app -> my_app) and the Go module.",
            show_default=False,
        ),
    ],
    stack: Annotated[
        str | None,
        typer.Option(help="fastapi, go or hybrid. [default: fastapi]", show_default=False),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            help="sqlite (an embedded file, nothing to install) or postgres (DATABASE_URL). "
            "[default: sqlite]",
            show_default=False,
        ),
    ] = None,
    resource: Annotated[
        list[str] | None,
        typer.Option(
            "--resource",
            "-r",
            help="A resource, repeatable: 'NAME[/PLURAL] field:type[?][=default] ...', "
            "e.g. 'product name:str price:float stock:int=0'. Types: str, text, int, float, "
            "bool, date, datetime, uuid; '?' makes a field optional. Without any, a sample "
            "'note' resource is generated.",
            show_default=False,
        ),
    ] = None,
    auth: Annotated[
        bool,
        typer.Option(
            "--auth",
            help="Add users (sign-up, login, logout, password reset) and bearer tokens: every "
            "resource endpoint then needs a token, and each user sees only their own rows.",
        ),
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option(help="Folder to create. [default: ./NAME]", show_default=False),
    ] = None,
    module: Annotated[
        str | None,
        typer.Option(
            help="Go module path, e.g. github.com/acme/my-app. [default: NAME]",
            show_default=False,
        ),
    ] = None,
    no_input: Annotated[
        bool, typer.Option("--no-input", help="Never prompt: use defaults for what is missing.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Write into a non-empty target folder.")
    ] = False,
    no_git: Annotated[
        bool, typer.Option("--no-git", help="Skip `git init` and the first commit.")
    ] = False,
) -> None:
    """Create a new project in ./NAME (or --output)."""
    from mvpgen import render, spec

    interactive = not no_input and sys.stdin.isatty()
    if interactive:
        stack = stack or typer.prompt("Stack (fastapi, go, hybrid)", default="fastapi")
        db = db or typer.prompt("Database (sqlite, postgres)", default="sqlite")
        resource = resource or _prompt_resources()
    with _reported("nothing was written"):
        project = spec.build_project(
            name,
            stack=stack or spec.Stack.FASTAPI,
            db=db or spec.Database.SQLITE,
            module=module or "",
            resources=resource or None,
            auth=auth,
        )
        target = render.generate(project, output or Path(name), force=force, git=not no_git)

    where = _relative(target)
    extras = ", auth" if project.auth else ""
    typer.echo(
        f"Created {project.title} ({project.stack.value}, {project.db.value}{extras}) in {where}"
    )
    typer.echo("Next:")
    typer.echo(f"  cd {where} && make run")
    typer.echo("  open http://127.0.0.1:8000/docs")


@app.command()
def bench(
    resource: Annotated[
        list[str] | None,
        typer.Option(
            "--resource",
            "-r",
            help="A resource, repeatable, as for `new`; the first one's endpoints are loaded. "
            "[default: the sample 'note' resource]",
            show_default=False,
        ),
    ] = None,
    db: Annotated[
        str,
        typer.Option(
            help="sqlite or postgres; postgres needs DATABASE_URL, an admin URL: each stack "
            "gets a throwaway database on that server."
        ),
    ] = "sqlite",
    duration: Annotated[float, typer.Option(help="Seconds of load per endpoint and stack.")] = 5.0,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the figures as JSON instead of a table.")
    ] = False,
) -> None:
    """Render the spec in the FastAPI and Go stacks, serve both, and measure them side by side.

    Each stack is installed and built in a temporary folder, served on 127.0.0.1 with its
    worker off, seeded, and given the same load: GET by id, list, POST (requests/s, p50, p99);
    then its worker drains the queued jobs. Also: cold start to ready, memory idle and under
    load, the Go binary's size. Progress goes to stderr; nothing is left behind.
    """
    import json
    import time

    from mvpgen import bench as benchmark

    started = time.monotonic()

    def progress(message: str) -> None:
        typer.echo(f"[{time.monotonic() - started:5.1f}s] {message}", err=True)

    with _reported("every process stopped, nothing left behind"):
        data = benchmark.run_bench(resource or [], db, duration, progress)
    typer.echo(json.dumps(data, indent=2) if as_json else benchmark.table(data))


add_app = typer.Typer(
    help="Add a resource or fields to a project mvpgen generated, keeping your edits.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(add_app, name="add")

ProjectOption = Annotated[
    Path | None,
    typer.Option(
        "--project",
        help="The project to change. [default: the one holding the current folder]",
        show_default=False,
    ),
]


@add_app.command("resource")
def add_resource(
    spec: Annotated[
        str,
        typer.Argument(
            help="The new resource, as for `new --resource`: 'NAME[/PLURAL] field:type ...'.",
            show_default=False,
        ),
    ],
    project: ProjectOption = None,
) -> None:
    """Add a resource: its code, tests, API document and a migration creating its table."""
    from mvpgen import evolve

    _evolve(lambda root: evolve.add_resource(root, spec), project)


@add_app.command("field")
def add_field(
    resource: Annotated[str, typer.Argument(help="The resource to extend.", show_default=False)],
    fields: Annotated[
        list[str],
        typer.Argument(
            help="Fields as in a spec: name:type[?][=default]. On an existing table a field "
            "needs a default (=value) or '?', so the rows already there get a value.",
            show_default=False,
        ),
    ],
    project: ProjectOption = None,
) -> None:
    """Add fields to a resource, with a migration adding their columns."""
    from mvpgen import evolve

    _evolve(lambda root: evolve.add_fields(root, resource, fields), project)


@app.command()
def update(project: ProjectOption = None) -> None:
    """Render the project with this mvpgen's templates and merge the changes into yours."""
    from mvpgen import evolve

    _evolve(evolve.update, project)


def _evolve(command: Callable[[Path], "Outcome"], project: Path | None) -> None:
    """Run an add/update command; report what the merge did. Conflicts exit 1."""
    from mvpgen import evolve

    with _reported("the project may be half-merged; `git status` shows what"):
        root = project.resolve() if project else evolve.find_project(Path.cwd())
        if project and not (root / "mvpgen.toml").is_file():
            root = evolve.find_project(root)
        outcome = command(root)
    result = outcome.result
    if result is None:
        typer.echo("Nothing to change: the project is what this mvpgen renders.")
        return
    if outcome.migration:
        typer.echo(f"Migration {outcome.migration}")
    for label, paths in (
        ("added", result.added),
        ("updated", result.updated),
        ("merged", result.merged),
        ("removed", result.removed),
        ("kept", result.kept),
        ("CONFLICT", result.conflicts),
    ):
        for path in paths:
            typer.echo(f"  {label:<9} {path}")
    if result.conflicts:
        typer.echo(
            f"error: {len(result.conflicts)} file(s) have conflict markers (<<<<<<< yours ... "
            f">>>>>>> mvpgen): resolve them, then `git add` and `git commit`",
            err=True,
        )
        raise typer.Exit(1)
    if result.touched:
        typer.echo(f"Committed: {outcome.message}")
    if outcome.migration:
        typer.echo("Next: make migrate (or make run, which migrates on start)")


@contextmanager
def _reported(interrupted: str) -> Iterator[None]:
    """A user's error: its one line and exit code, no traceback. Ctrl-C: `interrupted`, 130."""
    try:
        yield
    except MvpgenError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        typer.echo(f"interrupted: {interrupted}", err=True)
        raise typer.Exit(130) from None


def _prompt_resources() -> list[str]:
    typer.echo("Resources, one per line as 'NAME field:type ...'; an empty line ends the list.")
    specs: list[str] = []
    while line := typer.prompt("Resource", default="", show_default=False).strip():
        specs.append(line)
    return specs


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def main() -> None:
    """Console-script entry point."""
    app()
