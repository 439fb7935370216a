"""Storage faults through the real ``newsrag`` command: a damaged index, a read-only data dir
and a full disk each give one line naming the fix, and ``newsrag doctor`` gets back to a
working index.

The read-only and full-disk runs are real, not simulated: a read-only bind mount and a tiny
tmpfs inside a user namespace (``unshare -rm``, no privileges needed; skipped where the
kernel does not allow it). Root ignores file modes, so ``chmod`` could not test this.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rag.api import SAMPLES_DIR
from tests.conftest import REPO
from tests.rag.test_cli import newsrag, one_line_error

pytestmark = pytest.mark.slow

QUESTION = "How long is the proposed truce between Israel and Hezbollah?"


def test_damaged_index_then_doctor_rebuild(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert newsrag("ingest", "--samples", data_dir=data).returncode == 0
    (data / "chroma" / "chroma.sqlite3").write_bytes(b"\x00garbage" * 50_000)

    one_line_error(newsrag("ask", QUESTION, data_dir=data), "newsrag doctor")
    check = newsrag("doctor", data_dir=data)
    assert check.returncode == 1 and "Traceback" not in check.stderr
    assert re.search(r"^problem: the index at .* cannot be read \(.*file is not a database\)", check.stdout, re.M)
    assert "`newsrag doctor --rebuild`" in check.stdout and check.stdout.splitlines()[-1].startswith("problems remain")

    refused = newsrag("doctor", "--rebuild", data_dir=data)  # the old file list is unreadable
    assert refused.returncode == 1 and "nothing to re-ingest" in refused.stdout

    rebuilt = newsrag("doctor", "--rebuild", str(SAMPLES_DIR), data_dir=data)
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert rebuilt.stdout.count(": recovered (") == 3 and rebuilt.stdout.rstrip().endswith("healthy now")
    assert len(list(data.glob("chroma.broken-*/chroma.sqlite3"))) == 1  # moved aside, not deleted

    answer = newsrag("ask", "--json", QUESTION, data_dir=data)
    assert answer.returncode == 0, answer.stderr
    assert json.loads(answer.stdout)["citations"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [(["--prune"], "--prune only goes with --repair"), (["some/folder"], "paths only go with --rebuild")],
)
def test_doctor_option_mistakes(args: list[str], needle: str, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from rag.cli import app

    result = CliRunner().invoke(app, ["doctor", *args, "--data-dir", str(tmp_path)])
    assert result.exit_code == 1 and needle in result.output


UNSHARE = shutil.which("unshare")


def _namespaces_work() -> bool:
    if not UNSHARE:
        return False
    probe = subprocess.run([UNSHARE, "-rm", "sh", "-c", "mount -t tmpfs tmpfs /mnt"], capture_output=True, check=False)
    return probe.returncode == 0


SCRIPT = r"""
set -u
run() { echo "== $1"; shift; "$PY" -m rag.cli "$@" 2>&1; echo "rc=$?"; }
mount --bind "$RO" "$RO" && mount -o remount,bind,ro "$RO" || exit 90
run ro-ask ask "$Q" --data-dir "$RO"
run ro-ingest ingest --samples --data-dir "$RO"
run ro-doctor doctor --data-dir "$RO"
mount -t tmpfs -o size=2m tmpfs "$FULL" || exit 91
run full-ingest ingest --samples --data-dir "$FULL/d"
run full-doctor doctor --data-dir "$FULL/d"
mount -o remount,size=64m tmpfs "$FULL" || exit 92
run roomy-ingest ingest --samples --data-dir "$FULL/d"
run roomy-doctor doctor --data-dir "$FULL/d"
run roomy-ask ask "$Q" --data-dir "$FULL/d"
"""


def _sections(output: str) -> dict[str, tuple[str, int]]:
    found = {}
    for block in output.split("== ")[1:]:
        name, _, rest = block.partition("\n")
        body, _, rc = rest.rpartition("rc=")
        found[name.strip()] = (body, int(rc.split()[0]))
    return found


@pytest.mark.skipif(not _namespaces_work(), reason="unprivileged user namespaces (unshare -rm) are not available")
def test_read_only_data_dir_and_full_disk_for_real(tmp_path: Path) -> None:
    ro, full = tmp_path / "ro", tmp_path / "full"
    full.mkdir()
    assert newsrag("ingest", "--samples", data_dir=ro).returncode == 0
    env = {"PY": sys.executable, "RO": str(ro), "FULL": str(full), "Q": QUESTION}
    result = subprocess.run(
        [UNSHARE or "unshare", "-rm", "bash", "-c", SCRIPT],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "NEWSRAG_BACKEND": "extractive", "COLUMNS": "200", **env},
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    runs = _sections(result.stdout)

    for name in ("ro-ask", "ro-ingest"):
        body, rc = runs[name]
        errors = [line for line in body.splitlines() if line.startswith("error:")]
        assert rc == 1 and "Traceback" not in body and len(errors) == 1, body
        assert "cannot write to" in errors[0] and "NEWSRAG_DATA_DIR" in errors[0]
    body, rc = runs["ro-doctor"]
    assert rc == 1 and f"problem: cannot write to {ro} (Read-only file system)" in body
    assert "ok: the index's database is readable and lists 3 files" in body  # nothing lost, nothing written

    body, rc = runs["full-ingest"]
    assert rc == 1 and "Traceback" not in body
    assert body.count("disk full writing the index") == 1 and body.count("skipped after the failed write") == 2
    assert "0 new" in body and "3 failed" in body
    body, rc = runs["full-doctor"]
    assert "warning: only" in body and "free on the disk" in body

    body, rc = runs["roomy-ingest"]
    assert rc == 0 and "3 new" in body, body
    assert runs["roomy-doctor"][1] == 0
    body, rc = runs["roomy-ask"]
    assert rc == 0 and "60-day truce" in body, body
