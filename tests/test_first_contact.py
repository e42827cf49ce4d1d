"""What a user sees first: the demo's next commands survive a `cd`, `load` keeps logs clean,
`stats` lines its counts up."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

from click.testing import CliRunner

from dealgraph.cli import main
from dealgraph.load import shipped_dataset_dir

DEALGRAPH = [sys.executable, "-m", "dealgraph.cli"]


def test_the_demo_prints_an_absolute_store_path_that_works_after_cd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DEALGRAPH_DB", raising=False)
    monkeypatch.delenv("NEO4J_URI", raising=False)
    result = CliRunner().invoke(main, ["demo", "--out", "here/demo"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    db = tmp_path / "here" / "demo" / "dealgraph.db"
    exports = [line.strip() for line in result.output.splitlines() if "export DEALGRAPH_DB=" in line]
    assert exports == [f"export DEALGRAPH_DB={db}"]
    assert f"(or add --db {db} to each command instead of the export)" in result.output
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    value = exports[0].split("=", 1)[1]
    after_cd = CliRunner().invoke(main, ["stats"], env={"DEALGRAPH_DB": value})
    assert after_cd.exit_code == 0, after_cd.output
    assert after_cd.output.startswith("entities: 116\n")


def test_load_writes_no_progress_when_stderr_is_not_a_terminal(tmp_path):
    db = tmp_path / "s.db"
    done = subprocess.run([*DEALGRAPH, "load", str(shipped_dataset_dir()), "--db", str(db)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout == "loaded 116 entities, 224 relationships and 129 figures\n"


def test_load_shows_progress_on_a_terminal(tmp_path):
    db = tmp_path / "s.db"
    leader, follower = pty.openpty()
    try:
        done = subprocess.run([*DEALGRAPH, "load", str(shipped_dataset_dir()), "--db", str(db)],
                              stdout=subprocess.PIPE, stderr=follower, text=True, timeout=120)
        os.close(follower)
        follower = -1
        seen = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal's other end is closed: all read
                break
            if not chunk:
                break
            seen += chunk
    finally:
        if follower != -1:
            os.close(follower)
        os.close(leader)
    assert done.returncode == 0
    assert b"loading" in seen
    assert done.stdout.startswith("loaded ")


def test_stats_aligns_every_count_in_one_column(tmp_path):
    db = tmp_path / "s.db"
    assert CliRunner().invoke(main, ["load", str(shipped_dataset_dir()), "--db", str(db)]).exit_code == 0
    result = CliRunner().invoke(main, ["stats", "--db", str(db)])
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if line.startswith("  ")]
    assert any(row.split()[0] == "lease_obligations" for row in rows)
    # The counts end in one column, right-aligned (units under units), and start after
    # the longest kind: one-digit and two-digit counts line up.
    assert len({len(row) for row in rows}) == 1, result.output
    width = max(len(row.split()[0]) for row in rows)
    assert all(row[2 + width:2 + width + 2] == "  " for row in rows), result.output
    assert {len(row.split()[1]) for row in rows} >= {1, 2}, result.output
    # The kind and its count never run together.
    assert all(len(row.split()) == 2 for row in rows)


def test_stats_counts_every_kind_on_the_shipped_data(tmp_path):
    """Every kind of the shipped data is listed with its count as the data files have it:
    member_of and subsidiary_of among the deals, cash among the figures."""
    from collections import Counter

    from dealgraph.loaders import read_dataset

    dataset = read_dataset([shipped_dataset_dir()])
    db = tmp_path / "s.db"
    assert CliRunner().invoke(main, ["load", str(shipped_dataset_dir()), "--db", str(db)]).exit_code == 0
    result = CliRunner().invoke(main, ["stats", "--db", str(db)])
    assert result.exit_code == 0, result.output
    sections, section = {}, None
    for line in result.output.splitlines():
        if not line.startswith("  "):
            section, total = line.split(": ")
            sections[section] = {"": int(total)}
        else:
            kind, n = line.split()
            sections[section][kind] = int(n)
    expected = {
        "entities": Counter(e.kind for e in dataset.entities),
        "relationships": Counter(r.kind for r in dataset.relationships),
        "figures": Counter(f.kind for f in dataset.figures),
    }
    for name, counts in expected.items():
        assert sections[name] == {"": sum(counts.values()), **counts}, name
    assert sections["relationships"]["member_of"] > 0 and sections["relationships"]["subsidiary_of"] > 0
    assert sections["figures"]["cash"] > 0
