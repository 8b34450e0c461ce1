"""The Go project's own test catches a field its openapi.json does not describe.

A user adds a field to a Go type by hand and forgets the document: `go test` must fail and
name the field. Run with Go itself, on a rendered project (no database is needed).
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import project
from mvpgen import render

pytestmark = pytest.mark.skipif(shutil.which("go") is None, reason="go is not on PATH")


def go_test(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["go", "test", "-count=1", "-run", "OpenAPI", "./internal/httpapi/"],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "CGO_ENABLED": "0"},
        timeout=600,
    )


def test_a_field_missing_from_the_document_fails_go_test_naming_it(tmp_path: Path) -> None:
    root = render.generate(project("shop", stack="go"), tmp_path / "shop", git=False)
    passed = go_test(root)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    queries = root / "internal/store/notes_queries.go"
    text = queries.read_text()
    marker = 'ProcessedAt *time.Time `json:"processed_at"`'
    assert marker in text
    queries.write_text(text.replace(marker, f'{marker}\n\tRating int64 `json:"rating"`', 1))
    failed = go_test(root)
    assert failed.returncode == 1
    assert "openapi.json: NoteRead lacks field Rating of store.Note" in failed.stdout
