"""The embedded store's streaming load (``SQLiteStore.load``) against ``read_dataset``.

The streaming load validates in passes and writes deals batch by batch inside one
transaction; ``read_dataset`` + ``write`` holds everything in memory. For every input
here both must list the same problems (same lines, same order) or store the same data.
"""

import json
import sqlite3
from pathlib import Path

import pytest

from dealgraph.model.errors import ValidationError
from dealgraph.load import load_files, shipped_dataset_dir
from dealgraph.stores.sqlite_store import SQLiteStore
from dealgraph.stores.base import LoadCounts
from dealgraph.loaders import read_dataset

GOOD = Path(__file__).parent / "fixtures" / "loaders" / "good"

ENTITIES = "id,name,kind,aliases\nnvidia,Nvidia,chipmaker,NVIDIA Corp\ncoreweave,CoreWeave,neocloud,\nopenai,OpenAI,ai_lab,\n"


def write_files(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def streamed(tmp_path, paths, *, before=None, batch_size=None, monkeypatch=None):
    """(problems or None, entities, relationships) after a streaming load."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    db = tmp_path / "streamed.db"
    if before:
        with SQLiteStore(db) as store:
            load_files(store, before)
    with SQLiteStore(db) as store:
        try:
            counts = load_files(store, paths)
        except ValidationError as exc:
            return exc.problems, store.entities(), store.relationships(), store.figures()
        return counts, store.entities(), store.relationships(), store.figures()


def in_memory(tmp_path, paths, *, before=None):
    tmp_path.mkdir(parents=True, exist_ok=True)
    db = tmp_path / "in_memory.db"
    with SQLiteStore(db) as store:
        if before:
            d = read_dataset(before)
            store.write(d.entities, d.relationships, figures=d.figures)
        try:
            d = read_dataset(paths, known_entities=store.entities(), known_deals=store.deal_lineage(),
                             stored_deal_endpoints=store.stored_deal_endpoints)
        except ValidationError as exc:
            return exc.problems, store.entities(), store.relationships(), store.figures()
        store.write(d.entities, d.relationships, figures=d.figures)
        counts = LoadCounts(len(d.entities), len(d.relationships), len(d.figures))
        return counts, store.entities(), store.relationships(), store.figures()


CASES = {
    "shipped dataset": lambda tmp: [shipped_dataset_dir()],
    "every good fixture": lambda tmp: sorted(GOOD.iterdir()),
    "deals before entities": lambda tmp: [write_files(tmp / "in", {
        "a-deals.csv": "id,source,kind,target\nd1,NVIDIA Corp,invests_in,coreweave\n",
        "b-entities.csv": ENTITIES})],
    "identical repeats merge": lambda tmp: [write_files(tmp / "in", {
        "entities.csv": ENTITIES,
        "deals.csv": "id,source,kind,target,amount_usd\nd1,nvidia,invests_in,coreweave,5\n"
                     "d1,nvidia,invests_in,coreweave,5\n,openai,customer_of,coreweave,7\n"
                     ",openai,customer_of,coreweave,7\n"})],
    "conflicting repeats across files": lambda tmp: [write_files(tmp / "in", {
        "entities.csv": ENTITIES,
        "deals1.csv": "id,source,kind,target,amount_usd\nd1,nvidia,invests_in,coreweave,5\n"
                      "d2,openai,customer_of,coreweave,1\n",
        "deals2.csv": "id,source,kind,target,amount_usd\nd2,openai,customer_of,coreweave,1\n"
                      "d1,nvidia,invests_in,coreweave,6\nd1,nvidia,lends_to,coreweave,5\n"})],
    "problems in every pass": lambda tmp: [write_files(tmp / "in", {
        "deals.csv": "id,source,kind,target,date\nd1,nvidia,bribes,coreweave,2024\n"
                     "d2,nobody,invests_in,coreweave,2024-13\nd3,ghost,invests_in,coreweave,\n",
        "entities.csv": ENTITIES + "Bad Id,Bad,company,\nghost-co,Ghost,nonsense,ghost\n",
        "mixed.jsonl": '{"id": "amd", "name": "AMD", "kind": "chipmaker"}\n'
                       '{"id": "d4", "source": "amd", "kind": "supplies", "target": "openai", "amount_usd": -1}\n'
                       '{"id": "d5", "source": "amd", "kind": "supplies", "target": "openai"}\n'
                       'not json\n'
                       '{"id": "d5", "source": "amd", "kind": "supplies", "target": "nvidia"}\n'})],
    "values the plain path must leave to the validator": lambda tmp: [write_files(tmp / "in", {
        "entities.csv": ENTITIES,
        "deals.csv": "id,source,kind,target,amount_usd,date,supersedes,expands\n"
                     + "".join(f"v{i},nvidia,invests_in,coreweave,{a},{d},,\n" for i, (a, d) in enumerate([
                         ("1e9", "2024"), (" 5 ", " 2024-02-29 "), ("1_000", "2023-02-29"), ("nan", "2024-1"),
                         ("inf", "２０２４"), ("-1", "2024-00"), ("1e400", ""), ("0.5E+3", "2024-12-31"),
                         ("1.", "2024-12"), ("", "1999-02-28")]))
                     + ",nvidia,invests_in,coreweave,,,,\n, nvidia , invests_in , coreweave ,,,,\n"
                     + "s1,nvidia, invests_in,nvidia,,,,\ns2,NVIDIA Corp,supplies,openai,,,s2,\n"
                     + "s3,openai,customer_of,coreweave,,,,s3\ns4,openai,Customer_Of,coreweave,,,,\n"})],
    "figures beside entities and deals": lambda tmp: [write_files(tmp / "in", {
        "entities.csv": ENTITIES,
        "figures.csv": "entity,kind,amount_usd,period\nnvidia,revenue,5e9,2024\nCoreWeave,revenue,1e9,2024\n"
                       "nobody,revenue,1,2024\n",
        "deals.jsonl": '{"id": "d1", "source": "nvidia", "kind": "invests_in", "target": "coreweave"}\n'
                       '{"entity": "openai", "kind": "revenue", "amount_usd": 3e9, "period": "2024"}\n'}),
        ],
    "figures, all good": lambda tmp: [write_files(tmp / "in", {
        "entities.csv": ENTITIES,
        "figures.csv": "entity,kind,amount_usd,period\nnvidia,revenue,5e9,2024\nCoreWeave,revenue,1e9,2024\n",
        "deals.jsonl": '{"id": "d1", "source": "nvidia", "kind": "invests_in", "target": "coreweave"}\n'
                       '{"entity": "openai", "kind": "revenue", "amount_usd": 3e9, "period": "2024"}\n'})],
    "lineage naming nothing and going round": lambda tmp: [write_files(tmp / "in", {
        "entities.csv": ENTITIES,
        "deals.csv": "id,source,kind,target,supersedes,expands\nd1,nvidia,invests_in,coreweave,d2,\n"
                     "d2,nvidia,invests_in,coreweave,,d1\nd3,openai,customer_of,coreweave,nope,\n"})],
    "a document holding both": lambda tmp: [write_files(tmp / "in", {
        "all.json": json.dumps({"relationships": [
            {"id": "d1", "source": "Nvidia", "kind": "invests_in", "target": "coreweave"},
            {"id": "d2", "source": "coreweave", "kind": "supplies", "target": "nvidia", "date": "x"}],
            "entities": [{"id": "nvidia", "name": "Nvidia"}, {"id": "coreweave", "name": "CoreWeave"},
                         {"id": "bad", "name": 5, "kind": "nope"}]}, indent=1)})],
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_streaming_load_equals_reading_everything_first(tmp_path, case):
    paths = case(tmp_path)
    assert streamed(tmp_path, paths) == in_memory(tmp_path, paths)


def test_streaming_load_onto_a_store_equals_reading_everything_first(tmp_path):
    first = write_files(tmp_path / "first", {
        "entities.csv": ENTITIES,
        "deals.csv": "id,source,kind,target,amount_usd\nd1,nvidia,invests_in,coreweave,5\n"
                     "d2,openai,customer_of,coreweave,1\n"})
    again = write_files(tmp_path / "again", {
        # d1 changes once (an update), d2 twice (a conflict), d3 is new and supersedes d1
        "deals.csv": "id,source,kind,target,amount_usd,supersedes\nd1,nvidia,invests_in,coreweave,9,\n"
                     "d2,openai,customer_of,coreweave,2,\nd2,openai,customer_of,coreweave,3,\n"
                     "d3,Nvidia,invests_in,coreweave,10,d1\n"})
    fixed = write_files(tmp_path / "fixed", {
        "deals.csv": "id,source,kind,target,amount_usd,supersedes\nd1,nvidia,invests_in,coreweave,9,\n"
                     "d2,openai,customer_of,coreweave,2,\nd3,Nvidia,invests_in,coreweave,10,d1\n"})
    for n, paths in enumerate(([again], [fixed])):
        assert (streamed(tmp_path / f"s{n}", paths, before=[first])
                == in_memory(tmp_path / f"m{n}", paths, before=[first]))
    problems, _, stored, _ = streamed(tmp_path / "t", [again], before=[first])
    assert problems == [f"{again / 'deals.csv'}:4: relationship 'd2' conflicts with its definition at "
                        f"{again / 'deals.csv'}:3 (differs in amount_usd)"]
    assert [(r.id, r.amount_usd) for r in stored] == [("d1", 5.0), ("d2", 1.0)]  # rolled back
    counts, _, stored, _ = streamed(tmp_path / "u", [fixed], before=[first])
    assert counts == LoadCounts(0, 3)
    assert [(r.id, r.amount_usd, r.supersedes) for r in stored] == [
        ("d1", 9.0, None), ("d2", 2.0, None), ("d3", 10.0, "d1")]


def test_a_stored_deal_id_given_to_other_entities_is_refused(tmp_path):
    first = write_files(tmp_path / "first", {
        "entities.csv": ENTITIES, "deals.csv": "id,source,kind,target\nd1,nvidia,invests_in,coreweave\n"})
    moved = write_files(tmp_path / "moved", {"deals.csv": "id,source,kind,target\nd1,openai,invests_in,coreweave\n"})
    problems, _, stored, _ = streamed(tmp_path, [moved], before=[first])
    assert problems == [f"{moved / 'deals.csv'}:2: relationship 'd1' is already stored as nvidia invests_in "
                        "coreweave; here it is openai invests_in coreweave (give this deal its own id)"]
    assert [(r.id, r.source) for r in stored] == [("d1", "nvidia")]


def test_deals_are_written_in_batches_inside_one_transaction(tmp_path, monkeypatch):
    """Batches reach SQLite before the input is read to the end, and a problem in the last
    row still rolls every batch back."""
    import dealgraph.stores.sqlite_store as sqlite_store

    monkeypatch.setattr(sqlite_store, "BATCH_SIZE", 10)
    rows = "".join(f"d{i},nvidia,invests_in,coreweave,{i}\n" for i in range(95))
    data = write_files(tmp_path / "in", {
        "entities.csv": ENTITIES,
        "deals.csv": "id,source,kind,target,amount_usd\n" + rows + "d95,nvidia,invests_in,nobody,1\n"})
    db = tmp_path / "s.db"
    seen = []
    with SQLiteStore(db) as store:
        load_files(store, [shipped_dataset_dir()])
        before = store.relationships()
        conn = store._conn
        original = conn.cursor

        class Counting:
            def __init__(self):
                self._cur = original()

            def executemany(self, sql, rows):
                seen.append((sql.split()[2], len(rows)))
                return self._cur.executemany(sql, rows)

            def __getattr__(self, name):
                return getattr(self._cur, name)

        monkeypatch.setattr(store, "_conn", type("C", (), {
            "cursor": lambda self: Counting(), "__getattr__": lambda self, n: getattr(conn, n)})())
        with pytest.raises(ValidationError, match="names no entity"):
            load_files(store, [data])
        monkeypatch.setattr(store, "_conn", conn)
        assert store.relationships() == before
    assert [n for table, n in seen if table == "relationships"] == [10] * 9 + [5]


def test_nothing_is_left_in_the_store_connection_after_a_load(tmp_path):
    with SQLiteStore(tmp_path / "s.db") as store:
        loaded = load_files(store, [shipped_dataset_dir()])
        assert load_files(store, [shipped_dataset_dir()]) == loaded
        temp = store._conn.execute("SELECT name FROM temp.sqlite_schema").fetchall()
        assert temp == []
        assert store._conn.execute("PRAGMA cache_size").fetchone()[0] == -2000  # SQLite's default
    conn = sqlite3.connect(tmp_path / "s.db")
    assert conn.execute("SELECT count(*) FROM relationships").fetchone()[0] == loaded.relationships > 100
    conn.close()
