"""Bring a new render into a project the user has edited: a three-way merge, file by file.

The three sides: *base*, the tree mvpgen rendered last time, kept as a commit under
`refs/mvpgen/render` in the project's own repository (no branch, no tag: out of the user's
way, and gone from nothing a `git clone` needs); *ours*, the user's working tree; *theirs*, the
new render. Only paths mvpgen rendered (in base or theirs) are looked at, so files the user
made are never touched. Per path, like copier's update but with an explicit base:

- unchanged between base and theirs: left alone, whatever the user did to it;
- the user deleted it: it stays deleted;
- new in theirs: written (merged against an empty base if the user made one of that name);
- dropped from theirs: deleted if the user never changed it, else kept;
- otherwise `git merge-file`: the user's edits and mvpgen's both land, and where they touch
  the same lines the file gets standard conflict markers and is reported.

Renders are chained (each render commit's parent is the previous one); mvpgen's own commits
name the render they merged in a trailer, so the base of the next merge is found from HEAD's
history (find_base): a reset, reverted or aborted change leaves the next one a correct base.
"""

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from mvpgen.errors import MvpgenError, SpecError
from mvpgen.manifest import MANIFEST_NAME
from mvpgen.render import RENDER_REF

# The trailer of mvpgen's commits naming the render they merged (see find_base).
TRAILER = "Mvpgen-Render"
# Used only where the user has no identity of their own (as `mvpgen new` does).
FALLBACK_IDENTITY = ["-c", "user.name=mvpgen", "-c", "user.email=mvpgen@localhost"]


class GitError(MvpgenError):
    """A git command mvpgen ran failed."""


@dataclass
class MergeResult:
    """What a merge did, path by path (posix paths relative to the project)."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    # mvpgen changed these, but the user deleted (or changed a file mvpgen dropped): kept as is.
    kept: list[str] = field(default_factory=list)

    @property
    def touched(self) -> list[str]:
        return sorted({*self.added, *self.updated, *self.merged, *self.removed, *self.conflicts})


def git(root: Path, *args: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        ["git", *args],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, **env} if env else None,
    )
    if result.returncode != 0:
        raise GitError(f"git {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def identity(root: Path) -> list[str]:
    probe = subprocess.run(["git", "config", "user.email"], cwd=root, capture_output=True)
    return [] if probe.returncode == 0 else FALLBACK_IDENTITY


def check_repository(root: Path) -> None:
    """The project must be a git repository's top, with a commit, and nothing uncommitted."""
    if shutil.which("git") is None:
        raise SpecError("mvpgen merges its changes with git, which is not installed")
    probe = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"], cwd=root, capture_output=True, text=True
    )
    if probe.returncode != 0 or Path(probe.stdout.strip()).resolve() != root.resolve():
        raise SpecError(
            f"{str(root)!r} is not a git repository (made with --no-git?): mvpgen merges its "
            "changes into your edits with git; run `git init && git add -A && git commit -m "
            "start` there first"
        )
    head = subprocess.run(
        ["git", "rev-parse", "--verify", "-q", "HEAD"], cwd=root, capture_output=True
    )
    if head.returncode != 0:
        raise SpecError(f"the git repository in {str(root)!r} has no commit yet; commit first")
    dirty = git(root, "status", "--porcelain", "--untracked-files=no").splitlines()
    if dirty or (root / ".git" / "MERGE_HEAD").exists():
        paths = ", ".join(line[3:] for line in dirty[:3]) + (", ..." if len(dirty) > 3 else "")
        raise SpecError(
            f"the project has uncommitted changes ({paths or 'a merge in progress'}): commit or "
            "stash them first, so that mvpgen's merge cannot mix with them"
        )


def find_base(root: Path) -> str | None:
    """The render the project at HEAD was last merged with (None: none is recorded here).

    Walking HEAD's history back, the first commit that is a render (`mvpgen new`'s first
    commit) or names one (the `Mvpgen-Render:` trailer of mvpgen's own commits) is it, so a
    reset or reverted change is merged again from where the project really is. A merge whose
    conflicts the user resolved and committed carries no trailer: there, the render whose
    mvpgen.toml is the one at HEAD is it.
    """
    renders = set(git(root, "rev-list", RENDER_REF).split()) if has_ref(root) else set()
    found = None
    log = git(root, "log", "--first-parent", f"--format=%H %(trailers:key={TRAILER},valueonly)")
    for line in log.splitlines():
        commit, _, named = line.partition(" ")
        candidate = commit if commit in renders else named.strip()
        if candidate and blob_id(root, f"{candidate}^{{commit}}"):
            found = candidate
            break
    wanted = blob_id(root, f"HEAD:{MANIFEST_NAME}")
    if found is None or blob_id(root, f"{found}:{MANIFEST_NAME}") == wanted:
        return found
    for render in git(root, "rev-list", "--first-parent", RENDER_REF).split():
        if blob_id(root, f"{render}:{MANIFEST_NAME}") == wanted:
            return render
    return found


def has_ref(root: Path) -> bool:
    return blob_id(root, RENDER_REF) is not None


def blob_id(root: Path, spec: str) -> str | None:
    probe = subprocess.run(
        ["git", "rev-parse", "--verify", "-q", spec], cwd=root, capture_output=True, text=True
    )
    return probe.stdout.strip() if probe.returncode == 0 else None


def commit_tree(root: Path, tree_dir: Path, parent: str | None, message: str) -> str:
    """A commit in `root`'s repository whose tree is `tree_dir`, as `git add --all` sees it."""
    with tempfile.TemporaryDirectory(prefix="mvpgen-index-") as scratch:
        env = {
            "GIT_INDEX_FILE": str(Path(scratch) / "index"),
            "GIT_WORK_TREE": str(tree_dir),
            "GIT_DIR": git(root, "rev-parse", "--absolute-git-dir").strip(),
        }
        git(tree_dir, "add", "--all", env=env)
        tree = git(tree_dir, "write-tree", env=env).strip()
    parents = ["-p", parent] if parent else []
    return git(root, *identity(root), "commit-tree", tree, *parents, "-m", message).strip()


def tree_entries(root: Path, commit: str) -> dict[str, tuple[str, str]]:
    """Every file of a commit: path -> (mode, blob id)."""
    entries: dict[str, tuple[str, str]] = {}
    for line in git(root, "ls-tree", "-r", "-z", commit).split("\0"):
        if not line:
            continue
        meta, path = line.split("\t", 1)
        mode, _, blob = meta.split()
        entries[path] = (mode, blob)
    return entries


def read_blob(root: Path, blob: str) -> bytes:
    return subprocess.run(
        ["git", "cat-file", "blob", blob], cwd=root, capture_output=True, check=True
    ).stdout


def three_way(root: Path, base: str, theirs: str, labels: tuple[str, str, str]) -> MergeResult:
    """Merge the change from render `base` to render `theirs` into `root`'s working tree."""
    before, after = tree_entries(root, base), tree_entries(root, theirs)
    result = MergeResult()
    with tempfile.TemporaryDirectory(prefix="mvpgen-merge-") as scratch:
        for path in sorted(before.keys() | after.keys()):
            old, new = before.get(path), after.get(path)
            if old == new:
                continue
            target = root / path
            ours = target.read_bytes() if target.is_file() else None
            new_bytes = read_blob(root, new[1]) if new else None
            old_bytes = read_blob(root, old[1]) if old else None
            if new is None:  # mvpgen no longer renders it
                if ours is not None and ours == old_bytes:
                    target.unlink()
                    result.removed.append(path)
                elif ours is not None:
                    result.kept.append(path)
                continue
            assert new_bytes is not None
            if ours is None:
                if old is None:
                    write(target, new_bytes, new[0])
                    result.added.append(path)
                else:  # the user deleted it: it stays deleted
                    result.kept.append(path)
                continue
            if ours == new_bytes:
                continue
            if ours == old_bytes:
                write(target, new_bytes, new[0])
                result.updated.append(path)
                continue
            clean = merge_file(Path(scratch), target, ours, old_bytes or b"", new_bytes, labels)
            (result.merged if clean else result.conflicts).append(path)
    return result


def write(target: Path, content: bytes, mode: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    if mode == "100755":
        target.chmod(0o755)


def merge_file(
    scratch: Path,
    target: Path,
    ours: bytes,
    base: bytes,
    theirs: bytes,
    labels: tuple[str, str, str],
) -> bool:
    """`git merge-file` into `target`; False when conflict markers were left in it."""
    sides = []
    for name, content in (("ours", ours), ("base", base), ("theirs", theirs)):
        path = scratch / name
        path.write_bytes(content)
        sides.append(str(path))
    label_args = [arg for label in labels for arg in ("-L", label)]
    merged = subprocess.run(
        ["git", "merge-file", "--stdout", *label_args, *sides], capture_output=True
    )
    if merged.returncode < 0 or merged.returncode > 127:
        raise GitError(f"git merge-file failed on {target}: {merged.stderr.decode().strip()}")
    target.write_bytes(merged.stdout)
    return merged.returncode == 0


def commit_paths(root: Path, paths: Iterable[str], message: str, render: str) -> None:
    """Commit exactly `paths` (added, changed or deleted), naming the render merged."""
    paths = list(paths)
    message = f"{message}\n\n{TRAILER}: {render}"
    git(root, "add", "--all", "--", *paths)
    git(root, *identity(root), "commit", "--quiet", "--no-verify", "-m", message, "--", *paths)
