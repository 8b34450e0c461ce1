"""How fast is mvpgen next to copier itself? Median wall time of N runs, side by side.

    python benchmarks/bench_cli.py [--runs 7] [--resource SPEC]...

Times, each as a fresh subprocess so interpreter start-up and imports count the same way:

- `mvpgen --help`                         (must not import copier)
- `python -c "import copier"`             (the floor of any command that renders)
- `mvpgen new bench --no-git --no-input`  (render every layer, format, move into place)
- plain copier: `copier.run_copy` of the same template layers with the same answers, as
  `mvpgen.render.render_tree` calls it, without mvpgen's checks, formatting and atomic move.
- `mvpgen new` of a 5-resource project (with git, as a user runs it), and
  `mvpgen add field` on a fresh copy of that project (the copy is made before the clock starts).

Goals (the issues'): `--help` well under the copier import; `new` no slower than copier on the
same work; `add field` at most twice `new` of the same project. Runs are interleaved (one of
each per round) after one warm-up round, so drift in the machine's load affects every command
alike.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mvpgen.manifest import initial
from mvpgen.migrations import schema_answers
from mvpgen.render import layers, templates_root
from mvpgen.spec import build_project

COPIER_SCRIPT = """
import json, os, sys
import copier

job = json.load(open(sys.argv[1]))
for template, answers, subdir in job["layers"]:
    copier.run_copy(
        job["root"],
        os.path.join(sys.argv[2], subdir),
        data={"layer": template, "spec": job["spec"], "schema": job["schema"], **answers},
        defaults=True,
        overwrite=True,
        quiet=True,
        unsafe=False,
    )
"""


# The project `add field` is timed on: five resources, as a growing MVP might have.
FIVE_RESOURCES = [
    "note title:str body:text? done:bool=false",
    "product name:str price:float stock:int=0",
    "person/people name:str born:date? active:bool=true",
    "order code:str total:float=0 placed:datetime?",
    "tag label:str",
]


def mvpgen_command() -> list[str]:
    """The `mvpgen` console script beside this interpreter, else `python -m mvpgen`."""
    script = Path(sys.executable).parent / "mvpgen"
    if script.exists():
        return [str(script)]
    found = shutil.which("mvpgen")
    return [found] if found else [sys.executable, "-m", "mvpgen"]


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(
            f"benchmark command failed ({result.returncode}): {' '.join(command)}\n"
            f"{result.stdout}{result.stderr}"
        )
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per command (default 7)")
    parser.add_argument(
        "--resource", action="append", default=None, help="resource spec(s); default: the sample"
    )
    args = parser.parse_args()

    spec = build_project("bench", resources=args.resource)
    mvpgen = mvpgen_command()
    resource_flags = [flag for r in (args.resource or []) for flag in ("--resource", r)]

    with tempfile.TemporaryDirectory(prefix="mvpgen-bench-") as scratch:
        work = Path(scratch)
        job = work / "copier-job.json"
        job.write_text(
            json.dumps(
                {
                    "root": str(templates_root()),
                    "spec": spec.model_dump(mode="json"),
                    "schema": schema_answers(initial(spec).migrations),
                    "layers": [list(layer) for layer in layers(spec)],
                }
            )
        )
        script = work / "copier_copy.py"
        script.write_text(COPIER_SCRIPT)
        counter = iter(range(10**6))

        def fresh(prefix: str) -> str:
            return str(work / f"{prefix}-{next(counter)}")

        five_flags = [flag for r in FIVE_RESOURCES for flag in ("--resource", r)]
        five = work / "five"
        subprocess.run(
            [*mvpgen, "new", "five", "--no-input", "--output", str(five), *five_flags],
            check=True,
            capture_output=True,
        )

        def add_field() -> list[str]:
            copy = fresh("add")
            shutil.copytree(five, copy, symlinks=True)
            return [*mvpgen, "add", "field", "product", "rating:int=0", "--project", copy]

        commands = {
            "mvpgen --help": lambda: [*mvpgen, "--help"],
            'python -c "import copier"': lambda: [sys.executable, "-c", "import copier"],
            "mvpgen new bench --no-git": lambda: [
                *mvpgen, "new", "bench", "--no-git", "--no-input",
                "--output", fresh("new"), *resource_flags,
            ],
            "copier copy (same layers, answers)": lambda: [
                sys.executable, str(script), str(job), fresh("copier"),
            ],
            "mvpgen new (5 resources, git)": lambda: [
                *mvpgen, "new", "five", "--no-input", "--output", fresh("five"), *five_flags,
            ],
            "mvpgen add field (5 resources)": add_field,
        }  # fmt: skip
        times: dict[str, list[float]] = {name: [] for name in commands}
        for round_ in range(args.runs + 1):
            for name, command in commands.items():
                seconds = timed(command(), work)
                if round_ > 0:  # round 0 warms the file cache and .pyc files
                    times[name].append(seconds)

    print(f"mvpgen CLI benchmark: median of {args.runs} runs (after a warm-up), wall time")
    print(f"python {sys.version.split()[0]}, templates {templates_root()}")
    print(f"{'command':<38} {'median':>8} {'min':>8} {'max':>8}")
    for name, values in times.items():
        print(
            f"{name:<38} {statistics.median(values):>7.3f}s "
            f"{min(values):>7.3f}s {max(values):>7.3f}s"
        )
    median = {name: statistics.median(values) for name, values in times.items()}
    names = list(commands)
    help_ratio = median[names[0]] / median[names[1]]
    new_ratio = median[names[2]] / median[names[3]]
    add_ratio = median[names[5]] / median[names[4]]
    print()
    print(f"--help / import copier : {help_ratio:.2f}x  (goal: well under 1)")
    print(f"new    / copier copy   : {new_ratio:.2f}x  (goal: at most 1)")
    print(f"add field / new        : {add_ratio:.2f}x  (goal: at most 2)")


if __name__ == "__main__":
    main()
