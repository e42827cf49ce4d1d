"""The embedded store under real processes: concurrent loads, reads during a load, files
that are not ours, damaged or read-only stores. Every case runs the ``dealgraph`` CLI in
subprocesses on real SQLite files and checks the exit status, the one error line and the
bytes left on disk."""

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dealgraph.load import shipped_dataset_dir
from dealgraph.stores.sqlite_store import SQLiteStore

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from synthetic import write_synthetic  # noqa: E402

SHIPPED = shipped_dataset_dir()


def dealgraph(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cli(*args), capture_output=True, text=True, timeout=300, **kwargs)


def cli(*args) -> list[str]:
    return [sys.executable, "-c", "from dealgraph.cli import main; main()", *map(str, args)]


def one_clear_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def counts(db: Path) -> tuple[int, int]:
    with SQLiteStore(db, create=False) as store:
        return len(store.entities()), len(store.relationships())


def write_locked(db: Path) -> bool:
    """Whether some process holds the store's write lock right now (tried without waiting)."""
    conn = sqlite3.connect(db, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc)
        return True
    finally:
        conn.close()


@pytest.fixture(scope="module")
def synthetic_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("synthetic")
    write_synthetic(out, 1_000, 10_000, seed=3)
    return out


@pytest.fixture(scope="module")
def shipped_counts(tmp_path_factory):
    db = tmp_path_factory.mktemp("shipped") / "s.db"
    assert dealgraph("load", SHIPPED, "--db", db).returncode == 0
    return counts(db)


# --------------------------------------------------------------------------- concurrency


@pytest.mark.parametrize("same", [True, False], ids=["same files", "different files"])
def test_two_loads_at_once_into_a_new_store_both_succeed(tmp_path, synthetic_dir, shipped_counts, same):
    db = tmp_path / "new.db"
    second = synthetic_dir if same else SHIPPED
    procs = [subprocess.Popen(cli("load", d, "--db", db), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
             for d in (synthetic_dir, second)]
    results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    for rc, out, err in results:
        assert rc == 0, err
        assert "Traceback" not in err
        assert out.startswith("loaded ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.db"]  # no temporary files left
    expected = (1_000, 10_000) if same else (1_000 + shipped_counts[0], 10_000 + shipped_counts[1])
    assert counts(db) == expected


def test_two_loads_at_once_into_an_existing_store_both_succeed(tmp_path, synthetic_dir, shipped_counts):
    db = tmp_path / "s.db"
    assert dealgraph("load", SHIPPED, "--db", db).returncode == 0
    procs = [subprocess.Popen(cli("load", synthetic_dir, "--db", db), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for p in procs:
        assert p.wait(timeout=300) == 0, p.communicate()[1]
    assert counts(db) == (1_000 + shipped_counts[0], 10_000 + shipped_counts[1])


def test_reading_while_a_long_load_runs_sees_the_last_committed_state(tmp_path, shipped_counts):
    db = tmp_path / "s.db"
    assert dealgraph("load", SHIPPED, "--db", db).returncode == 0
    before = json.loads(dealgraph("stats", "--db", db, "--format", "json").stdout)
    big = tmp_path / "big"
    write_synthetic(big, 10_000, 200_000, seed=4)
    load = subprocess.Popen(cli("load", big, "--db", db), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not write_locked(db):
            assert load.poll() is None, load.communicate()
            assert time.monotonic() < deadline, "the load never started writing"
            time.sleep(0.05)
        # Held still mid-write (a load is quick, and a busy machine slows the reader), so
        # that the reader surely runs while the write transaction is open.
        load.send_signal(signal.SIGSTOP)
        during = dealgraph("stats", "--db", db, "--format", "json")
        assert during.returncode == 0, during.stderr
        assert json.loads(during.stdout) == before
        assert write_locked(db), "the load ended before stats did: the test proved nothing"
        # Interrupted mid-write, the load leaves the store as it was.
        load.send_signal(signal.SIGINT)
        load.send_signal(signal.SIGCONT)
        assert load.wait(timeout=60) == 130
    finally:
        if load.poll() is None:
            load.kill()
            load.wait()
    assert counts(db) == shipped_counts


def test_reading_while_another_process_holds_a_write_transaction(tmp_path, shipped_counts):
    db = tmp_path / "s.db"
    assert dealgraph("load", SHIPPED, "--db", db).returncode == 0
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("DELETE FROM relationships")  # uncommitted: nobody else may see it
    try:
        result = dealgraph("stats", "--db", db, "--format", "json")
        assert result.returncode == 0, result.stderr
        assert sum(json.loads(result.stdout)["relationships"].values()) == shipped_counts[1]
    finally:
        writer.execute("ROLLBACK")
        writer.close()


# --------------------------------------------------------------------------- files not ours


@pytest.fixture
def foreign_db(tmp_path):
    path = tmp_path / "theirs.db"
    conn = sqlite3.connect(path)
    conn.executescript("CREATE TABLE entities (id INTEGER PRIMARY KEY, label TEXT);"
                       "INSERT INTO entities (label) VALUES ('theirs');")
    conn.commit()
    conn.close()
    return path


@pytest.mark.parametrize("args", [["load", SHIPPED], ["stats"], ["cycles"], ["query", "lender-web"]],
                         ids=["load", "stats", "cycles", "query"])
def test_another_applications_database_is_refused_untouched(foreign_db, args):
    before = foreign_db.read_bytes(), sorted(foreign_db.parent.iterdir())
    line = one_clear_line(dealgraph(*args, "--db", foreign_db))
    assert line == (f"Error: {foreign_db}: not a dealgraph store (a SQLite database of another "
                    "application; tables: entities); left untouched, pick another file with --db")
    assert (foreign_db.read_bytes(), sorted(foreign_db.parent.iterdir())) == before


@pytest.fixture(scope="module")
def damaged_db(tmp_path_factory, synthetic_dir):
    db = tmp_path_factory.mktemp("damaged") / "damaged.db"
    assert dealgraph("load", synthetic_dir, "--db", db).returncode == 0
    data = bytearray(db.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 3 * 4096] = b"\x5a" * (3 * 4096)
    db.write_bytes(bytes(data))
    return db


@pytest.mark.parametrize("args", [["stats"], ["cycles"], ["render", "--view", "cycles"]],
                         ids=["stats", "cycles", "render"])
def test_damaged_store_is_one_clear_line(tmp_path, damaged_db, args):
    line = one_clear_line(dealgraph(*args, "--db", damaged_db, cwd=tmp_path))
    assert line.startswith("Error: ") and f"{damaged_db}: " in line
    assert "damaged" in line or "malformed" in line


def test_failed_first_load_leaves_no_file(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "entities.csv").write_text("id,name\nnvidia,Nvidia\n")
    (data / "deals.csv").write_text("source,kind,target\nnvidia,invests_in,nobody\n")
    store_dir = tmp_path / "store"
    store_dir.mkdir()
    result = dealgraph("load", data, "--db", store_dir / "new.db")
    assert result.returncode == 1
    assert "nothing was written" in result.stderr and "Traceback" not in result.stderr
    assert list(store_dir.iterdir()) == []


# --------------------------------------------------------------------------- read-only stores


@pytest.mark.parametrize("args", [["stats"], ["cycles"], ["query", "lender-web"],
                                  ["render", "--view", "cycles", "--out", "view.html"]],
                         ids=["stats", "cycles", "query", "render"])
def test_reading_commands_work_on_a_read_only_store_and_change_no_byte(tmp_path, args):
    store_dir = tmp_path / "store"
    store_dir.mkdir()
    db = store_dir / "s.db"
    assert dealgraph("load", SHIPPED, "--db", db).returncode == 0
    before = db.read_bytes()
    db.chmod(0o444)
    # SQLite cannot create the -wal file beside the store, as in a read-only directory
    # (a directory holds its name; chmod alone would not stop root, who runs CI).
    (store_dir / "s.db-wal").mkdir()
    result = dealgraph(*args, "--db", db, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert db.read_bytes() == before
    assert sorted(p.name for p in store_dir.iterdir()) == ["s.db", "s.db-wal"]
