"""Regenerate templates/go/project/go.sum.jinja from real `go mod tidy` runs.

go.sum must be exactly what `go mod tidy` writes (the projects' `make lint` checks it with
`go mod tidy -diff`). It depends on the project only through go.mod.jinja, whose requirements
vary with the database (its driver), the stack (goose, absent from the hybrid's Go service,
which runs no migrations) and --auth (x/crypto), so this renders one project per combination,
tidies each, and merges their sums: a line only some combinations have sits in an `{% if %}`
naming them. Run it after changing go.mod.jinja (it stops if tidy would change a go.mod):

    python maintainer/resum_go.py
"""

import difflib
import heapq
import itertools
import subprocess
import sys
import tempfile
from pathlib import Path

from mvpgen import render, spec

ROOT = Path(__file__).resolve().parents[1]
SUM_TEMPLATE = ROOT / "templates" / "go" / "project" / "go.sum.jinja"
NAME = "sumproject"

# What go.mod depends on: the database, then the stack and --auth.
DBS = ("postgres", "sqlite")
Combo = tuple[str, bool]  # (stack, auth) of one database
COMBOS: list[Combo] = [(stack, auth) for stack in ("go", "hybrid") for auth in (False, True)]
HEADER = (
    "{# Written by maintainer/resum_go.py from `go mod tidy` in a project of each combination:\n"
    "   change go.mod.jinja, then run it rather than editing this. #}\n"
)


def tidy(db: str, combo: Combo, workdir: Path) -> list[str]:
    """The lines of go.sum after `go mod tidy` in a fresh project of the combination."""
    stack, auth = combo
    project = spec.build_project(NAME, stack=stack, db=db, auth=auth)
    target = render.generate(project, workdir / f"{stack}-{db}-{auth}", git=False)
    module = target / "core" if stack == "hybrid" else target
    go_mod = (module / "go.mod").read_text()
    subprocess.run(["go", "mod", "tidy"], cwd=module, check=True)
    tidied = (module / "go.mod").read_text()
    if tidied != go_mod:
        diff = difflib.unified_diff(go_mod.splitlines(True), tidied.splitlines(True))
        sys.exit(f"go mod tidy changes go.mod of {stack} {db} auth={auth}:\n{''.join(diff)}")
    return (module / "go.sum").read_text().splitlines(keepends=True)


def merged_order(sums: dict[Combo, list[str]]) -> list[str]:
    """Every line of the sums, in an order that keeps each sum's own (go sorts them all
    alike, so their orders agree); ties go alphabetically."""
    after: dict[str, set[str]] = {line: set() for lines in sums.values() for line in lines}
    waiting = dict.fromkeys(after, 0)
    for lines in sums.values():
        for first, second in itertools.pairwise(lines):
            if second not in after[first]:
                after[first].add(second)
                waiting[second] += 1
    ready = [line for line, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        line = heapq.heappop(ready)
        order.append(line)
        for following in after[line]:
            waiting[following] -= 1
            if waiting[following] == 0:
                heapq.heappush(ready, following)
    if len(order) != len(after):
        sys.exit("the go.sum files disagree on the order of their lines; cannot merge")
    return order


def condition(combos: frozenset[Combo]) -> str | None:
    """A template condition true for exactly these combinations (None: for all of them)."""
    if combos == frozenset(COMBOS):
        return None
    # Each term fixes the stack, --auth, both or neither: take the fewest terms that cover
    # the combinations and no other.
    terms: list[tuple[frozenset[Combo], str]] = []
    for stack in (None, "go", "hybrid"):
        for auth in (None, True, False):
            cube = frozenset((s, a) for s, a in COMBOS if stack in (None, s) and auth in (None, a))
            words = [f'spec.stack == "{stack}"'] if stack else []
            words += [] if auth is None else ["spec.auth" if auth else "not spec.auth"]
            if words and cube <= combos:
                terms.append((cube, " and ".join(words)))
    for size in range(1, len(terms) + 1):
        for chosen in itertools.combinations(terms, size):
            if frozenset().union(*(cube for cube, _ in chosen)) == combos:
                if size == 1:
                    return chosen[0][1]
                return " or ".join(
                    f"({words})" if " and " in words else words for _, words in chosen
                )
    raise AssertionError(f"no condition selects {sorted(combos)}")


def merge(sums: dict[Combo, list[str]]) -> str:
    """The sums of one database as one template: runs of lines the same combinations have
    share one `{% if %}`."""
    out = []
    having = [
        (line, frozenset(c for c in COMBOS if line in sums[c])) for line in merged_order(sums)
    ]
    for combos, run in itertools.groupby(having, key=lambda pair: pair[1]):
        lines = "".join(line for line, _ in run)
        test = condition(combos)
        out.append(lines if test is None else "{% if " + test + " %}\n" + lines + "{% endif %}\n")
    return "".join(out)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        parts = {db: merge({c: tidy(db, c, workdir) for c in COMBOS}) for db in DBS}
    text = (
        HEADER
        + '{% if spec.db == "postgres" %}\n'
        + parts["postgres"]
        + "{% else %}\n"
        + parts["sqlite"]
        + "{% endif %}\n"
    )
    SUM_TEMPLATE.write_text(text)
    print(f"wrote {SUM_TEMPLATE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
