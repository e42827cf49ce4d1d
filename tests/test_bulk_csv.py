"""Deals read in bulk (``CsvSource.chunks`` and the column-wise checks of pass 2) against
the careful way (``CsvSource.records``, one record at a time, each deal checked alone).

The bulk path only exists to be faster: for every file here, clean or broken, cut into
chunks of every size (so that chunk boundaries fall everywhere), it must give the same
records and problems, and a load must store the same rows in the same order and report
the same problems, word for word.
"""

import random
from pathlib import Path

import pytest

from dealgraph.load import load_files
from dealgraph.model.errors import ValidationError
from dealgraph.stores.sqlite_store import SQLiteStore
from dealgraph.loaders import csv_source, limits
from dealgraph.loaders.csv_source import CsvSource, RowChunk

ENTITIES = (
    "id,name,kind,aliases\n"
    "nvidia,Nvidia,chipmaker,NVIDIA Corp\ncoreweave,CoreWeave,neocloud,\nopenai,OpenAI,ai_lab,\n"
    "oracle,Oracle,hyperscaler,\n"
)
#: An entity record with a problem: deals naming it are not reported again.
REJECTED_ENTITY = "rejected,,ai_lab,\n"
HEADER = "id,source,kind,target,amount_usd,amount_note,date,summary,evidence_url,evidence_title\n"
PLAIN = [
    "d{n},nvidia,invests_in,coreweave,5000000,reported,2024-05,\"Nvidia, CoreWeave\",https://x.test/{n},Deal {n}\n",
    "d{n},openai,customer_of,oracle,,,2025,OpenAI buys compute,,\n",
    ",oracle,supplies,openai,1e9,,2025-01-31,no id: a hash id,,\n",
    "d{n},coreweave,lends_to,openai,0,,,,,\n",
    "d{n},openai,customer_of,coreweave,12.5,\"said \"\"maybe\"\"\",2023-02-28,,,\n",
]
ODD = [  # valid, but not as plain: surrounding spaces, names, other number forms, CRLF, blanks
    " d{n} , NVIDIA Corp ,invests_in, coreweave ,  7 ,  note  , 2024 ,,,\n",
    "d{n},Oracle,supplies,OpenAI,1.5B,,,,,\n",
    "d{n},nvidia,invests_in,oracle,\"$1,000\",,,,,\n",
    "d{n},nvidia,invests_in,oracle, $2.5K ,,,,,\n",
    "d{n},nvidia,lends_to,oracle,,,,\u00a0spaced\u2003,,\n",
    "d{n},openai,customer_of,nvidia,3,,,\"two\nlines\",,\n",
    "d{n},openai,customer_of,nvidia,3,,,\"two\r\nlines\",,\r\n",
    "d{n},openai,customer_of,nvidia,4,,,\"lone\rreturn\",,\n",
    "\n",
    ",,,,,,,,,\n",
    "  ,  ,,,,,,,,\r\n",
    "d{n},nvidia,invests_in,coreweave,5,,,caf\u00e9 \ufeff,,\n",
    "d{n},nvidia,invests_in,coreweave,5,,,a\ttab and a C1 \u0085 in a summary,,\n",
]
BROKEN = [  # each a problem (or several) the validator or the reader words
    "d{n},Oracle,supplies,OpenAI,+5,,,,,\n",
    "d{n},nvidia,invests_in,oracle,1_000,,,,,\n",
    "d{n},nvidia,invests_in,oracle,-0,,,,,\n",
    "d{n},nvidia,invests_in,oracle,\u0663,,,,,\n",
    "d{n},nvidia,invests_in,nobody,5,,,,,\n",
    "d{n},nvidia,invests_in,nvidia,5,,,,,\n",
    "d{n},nvidia,buys,coreweave,5,,,,,\n",
    "d{n},nvidia,invests_in,coreweave,-5,,,,,\n",
    "d{n},nvidia,invests_in,coreweave,nan,,,,,\n",
    "d{n},nvidia,invests_in,coreweave,1e400,,,,,\n",
    "d{n},nvidia,invests_in,coreweave,lots,,,,,\n",
    "d{n},nvidia,invests_in,coreweave,5,,2024-02-30,,,\n",
    "d{n},nvidia,invests_in,coreweave,5,,24,,,\n",
    "d{n},nvidia,invests_in,coreweave,5,,,,\n",
    "d{n},nvidia,invests_in,coreweave,5,,,,,,extra\n",
    "d{n},rejected,invests_in,coreweave,5,,,,,\n",
    "d{n},,invests_in,coreweave,,,,,,\n",
    "d{n},nvidia,invests_in,coreweave,5,,,a \"stray\" quote,,\n",
    "d{n},nvidia,invests_in,coreweave,5,,,\"unclosed,,\n",
    "d1,openai,customer_of,oracle,99,,,a conflicting repeat,,\n",
    "d{n},nvidia,invests_in,coreweave,5,,,nul\0byte,,\n",
    "d{n},nvidia,invests_in,coreweave,5,,,,x.test/{n},no scheme\n",
    "d{n}\x01,nvidia,invests_in,coreweave,5,,,,,\n",
    "d{n}\u009b,nvidia,invests_in,coreweave,5,,,,,\n",
]
LINEAGE_HEADER = "id,source,kind,target,amount_usd,supersedes,expands\n"
LINEAGE = [
    "d{n},nvidia,invests_in,coreweave,{n},,\n",
    "d{n},nvidia,invests_in,coreweave,{n},d{p},\n",
    "d{n},nvidia,invests_in,coreweave,{n},,d{p}\n",
    ",nvidia,invests_in,coreweave,{n},d{p},\n",
    "d{n},nvidia,invests_in,coreweave,{n},d{n},\n",
    "d{n},nvidia,invests_in,coreweave,{n},,missing{n}\n",
]


def deals_file(seed: int, pieces: list[list[str]], rows: int = 300, header: str = HEADER) -> bytes:
    rng = random.Random(seed)
    lines = [header]
    for n in range(rows):
        line = rng.choice(rng.choice(pieces)) if n else pieces[0][0]
        lines.append(line.format(n=n, p=n - 1))
    return "".join(lines).encode()


FILES = {
    "clean": lambda: deals_file(1, [PLAIN]),
    "clean, no line end at the end": lambda: deals_file(2, [PLAIN]).rstrip(b"\n"),
    "clean, CRLF": lambda: deals_file(3, [PLAIN]).replace(b"\n", b"\r\n"),
    "clean, byte-order mark": lambda: b"\xef\xbb\xbf" + deals_file(4, [PLAIN]),
    "odd but valid": lambda: deals_file(5, [PLAIN, PLAIN, ODD]),
    "broken here and there": lambda: deals_file(6, [PLAIN] * 8 + [ODD, BROKEN]),
    "mostly broken": lambda: deals_file(7, [PLAIN, ODD, BROKEN, BROKEN]),
    "not UTF-8 half way": lambda: deals_file(8, [PLAIN], 100) + b"d999,nvidia,invests_in,coreweave,5,,,caf\xe9,,\n"
                                  + deals_file(9, [PLAIN], 100)[len(HEADER):],
    "not UTF-8 across lines": lambda: deals_file(10, [PLAIN], 50) + b"d999,nvidia,invests_in,coreweave,5,,,\"\xc3\n\xa9\",,\n"
                                      + deals_file(11, [PLAIN], 50)[len(HEADER):],
    "quote left open to the end": lambda: deals_file(12, [PLAIN], 80) + b"d999,nvidia,invests_in,coreweave,5,,,\"open\n"
                                          + deals_file(13, [PLAIN], 80)[len(HEADER):],
    "lineage": lambda: deals_file(14, [LINEAGE[:3]], header=LINEAGE_HEADER).replace(b"d-1", b""),
    "lineage, broken": lambda: deals_file(15, [LINEAGE], header=LINEAGE_HEADER),
    "columns in another order, some missing": lambda: b"target,kind,source,amount_usd\n" + b"".join(
        f"coreweave,invests_in,nvidia,{n}\noracle,supplies,openai,\n".encode() for n in range(150)),
    "broken: an unknown column": lambda: b"target,colour,kind,source,amount_usd\n" + b"".join(
        f"coreweave,red,invests_in,nvidia,{n}\noracle,,supplies,openai,\n".encode() for n in range(150)),
    "header only": lambda: HEADER.encode(),
    "header spans two lines": lambda: b'id,"source",kind,"tar\nget"\n' + deals_file(16, [PLAIN], 20)[len(HEADER):],
}

UNREADABLE = {"not UTF-8 half way", "not UTF-8 across lines", "quote left open to the end", "header only",
              "header spans two lines"}
CHUNK_SIZES = [1, 2, 5, 16, 61, 100, 257, 1000, 4096, None]


def expanded(items) -> list:
    """Chunks turned into the records ``records()`` gives for their rows."""
    out = []
    for item in items:
        if isinstance(item, RowChunk):
            for line, row in enumerate(item.rows, item.first_line):
                record = item.layout.record(line, row)
                if record is not None:
                    out.append(record)
        else:
            out.append(item)
    return out


@pytest.fixture(params=[None, 160], ids=["default limits", "record limit 160 bytes"])
def record_limit(request, monkeypatch):
    if request.param:
        monkeypatch.setattr(limits, "MAX_RECORD_BYTES", request.param)
    return request.param


@pytest.mark.parametrize("case", FILES, ids=list(FILES))
def test_chunks_give_what_records_give(tmp_path, case, record_limit):
    path = tmp_path / "deals.csv"
    path.write_bytes(FILES[case]())
    careful = list(CsvSource(path).records())
    for size in CHUNK_SIZES:
        assert expanded(CsvSource(path).chunks(size)) == careful, f"chunks of {size} bytes"


def test_a_clean_file_is_read_in_bulk(tmp_path):
    path = tmp_path / "deals.csv"
    path.write_bytes(FILES["clean"]())
    items = list(CsvSource(path).chunks(4096))
    assert len(items) > 3 and all(isinstance(i, RowChunk) for i in items)
    assert sum(len(i.rows) for i in items) == 300


def test_a_multi_line_cell_is_read_carefully_up_to_the_next_chunk(tmp_path):
    path = tmp_path / "deals.csv"
    text = FILES["clean"]().decode()
    lines = text.splitlines(keepends=True)
    lines[150] = 'd999,nvidia,invests_in,coreweave,5,,,"two\nlines",,\n'
    path.write_text("".join(lines))
    items = list(CsvSource(path).chunks(4096))
    assert any(not isinstance(i, RowChunk) for i in items)  # the chunk holding the cell
    assert isinstance(items[-1], RowChunk)  # and bulk again after it


def load(tmp_path: Path, name: str, files: dict[str, bytes], careful: bool, monkeypatch,
         chunk_bytes: int | None = None):
    """(problems or None, stored rows in rowid order) after loading ``files`` into a new store."""
    folder = tmp_path / name
    folder.mkdir()
    for file, data in files.items():
        (folder / file).write_bytes(data)
    with monkeypatch.context() as patch:
        if careful:
            patch.setattr(CsvSource, "chunks", lambda self, chunk_bytes=None: self.records())
        else:
            patch.setattr(csv_source, "CHUNK_BYTES", chunk_bytes or csv_source.CHUNK_BYTES)
        with SQLiteStore(tmp_path / f"{name}.db") as store:
            try:
                load_files(store, [folder])
                problems = None
            except ValidationError as exc:
                problems = [p.replace(str(folder), "DIR") for p in exc.problems]
    with SQLiteStore(tmp_path / f"{name}.db") as store:
        rows = store._conn.execute("SELECT rowid, * FROM relationships ORDER BY rowid").fetchall() \
            if store._conn is not None else []
    return problems, rows


@pytest.mark.parametrize("case", FILES, ids=list(FILES))
def test_a_load_in_bulk_stores_and_reports_what_a_careful_load_does(tmp_path, case, monkeypatch):
    entities = ENTITIES + (REJECTED_ENTITY if "broken" in case else "")
    files = {"entities.csv": entities.encode(), "deals.csv": FILES[case]()}
    expected = load(tmp_path, "careful", files, True, monkeypatch)
    if "broken" not in case and case not in UNREADABLE:
        assert expected[0] is None and len(expected[1]) > 10  # stored rows are compared
    for size in (7, 300, 1000, None):
        assert load(tmp_path, f"bulk-{size}", files, False, monkeypatch, size) == expected, size


@pytest.mark.parametrize("line", ODD + BROKEN, ids=[repr(x) for x in ODD + BROKEN])
def test_one_odd_or_broken_row_among_plain_ones(tmp_path, line, monkeypatch):
    """The row alone in an otherwise plain chunk: only it goes the careful way."""
    plain = deals_file(17, [PLAIN], 12).decode().splitlines(keepends=True)
    text = "".join(plain[:7] + [line.format(n=99)] + plain[7:])
    entities = ENTITIES + REJECTED_ENTITY * ("rejected" in line)
    files = {"entities.csv": entities.encode(), "deals.csv": text.encode()}
    expected = load(tmp_path, "careful", files, True, monkeypatch)
    for size in (250, 600, None):
        assert load(tmp_path, f"bulk-{size}", files, False, monkeypatch, size) == expected, size


@pytest.mark.parametrize("length", [158, 159, 160, 161, 162])
def test_lines_at_the_record_limit(tmp_path, length, monkeypatch):
    monkeypatch.setattr(limits, "MAX_RECORD_BYTES", 160)
    row = "d{n},nvidia,invests_in,coreweave,5,,,{pad},,\n"
    long = row.format(n=99, pad="x" * (length - len(row.format(n=99, pad=""))))
    assert len(long.encode()) == length
    for end in ("\n", ""):
        text = deals_file(18, [PLAIN], 6).decode() + long[:-1] + end
        path = tmp_path / "deals.csv"
        path.write_text(text)
        for size in CHUNK_SIZES:
            assert expanded(CsvSource(path).chunks(size)) == list(CsvSource(path).records()), size
        path.write_text(text + deals_file(19, [PLAIN], 6).decode()[len(HEADER):] if end else text)
        for size in CHUNK_SIZES:
            assert expanded(CsvSource(path).chunks(size)) == list(CsvSource(path).records()), size


def test_a_load_in_bulk_stores_the_rows_of_a_clean_file(tmp_path, monkeypatch):
    files = {"entities.csv": ENTITIES.encode(), "deals.csv": deals_file(1, [PLAIN, ODD[:6]], 2000)}
    problems, rows = load(tmp_path, "bulk", files, False, monkeypatch, 1000)
    assert problems is None and len(rows) > 1000
    assert load(tmp_path, "careful", files, True, monkeypatch) == (problems, rows)


def test_repeated_ids_in_bulk_onto_a_store(tmp_path, monkeypatch):
    """Ids already stored, repeated identically or not, in the first batch or later."""
    first = {"entities.csv": ENTITIES.encode(), "deals.csv": deals_file(1, [PLAIN], 50)}
    again = deals_file(1, [PLAIN], 50) + deals_file(2, [PLAIN], 400)[len(HEADER):]
    for careful in (True, False):
        name = "careful" if careful else "bulk"
        db = tmp_path / f"{name}.db"
        (tmp_path / name).mkdir()
        for file, data in first.items():
            (tmp_path / name / file).write_bytes(data)
        with monkeypatch.context() as patch:
            if careful:
                patch.setattr(CsvSource, "chunks", lambda self, chunk_bytes=None: self.records())
            else:
                patch.setattr(csv_source, "CHUNK_BYTES", 500)
            with SQLiteStore(db) as store:
                load_files(store, [tmp_path / name])
                (tmp_path / name / "more.csv").write_bytes(again)
                with pytest.raises(ValidationError) as info:
                    load_files(store, [tmp_path / name / "more.csv"])
                (tmp_path / name / "same.csv").write_bytes(deals_file(1, [PLAIN], 50))
                load_files(store, [tmp_path / name / "same.csv"])
                rows = store._conn.execute("SELECT rowid, * FROM relationships ORDER BY rowid").fetchall()
        result = ([p.replace(str(tmp_path / name), "DIR") for p in info.value.problems], rows)
        if careful:
            expected = result
        else:
            assert result == expected


ENTITY_HEADER = "id,name,kind,ticker,country,aliases\n"
ENTITY_ROWS = [
    "e{n},Entity {n},company,T{n},US,E{n};Entity {n} Inc.\n",
    "e{n},Entity {n},,,,\n",
    " e{n} , Entity {n} , ai_lab ,  , GB , a{n} ; ;a{n}; b{n} \n",
    "e{n},\"Entity, {n}\",fund,,,\n\n",
]
BROKEN_ENTITY_ROWS = [
    "E{n},Upper case id,company,,,\n",
    "e{n},,company,,,\n",
    ",Nameless id,company,,,\n",
    "e{n},Entity {n},castle,,,\n",
    "e1,Entity one again but other,company,,,\n",
    "e{n},Entity {n},company,,\n",
    "e{n},Entity \"{n}\",company,,,\n",
    "e{n},Entity\x00{n},company,,,\n",
    "e{n},Entity {n},company,,,ok;bad\x1b{n}\n",
]


@pytest.mark.parametrize("pieces", [[ENTITY_ROWS[:1]], [ENTITY_ROWS], [ENTITY_ROWS] * 6 + [BROKEN_ENTITY_ROWS]],
                         ids=["plain entities", "odd but valid entities", "broken entities"])
def test_entities_in_bulk_are_those_of_a_careful_load(tmp_path, pieces, monkeypatch):
    entities = deals_file(20, pieces, 400, header=ENTITY_HEADER)
    deals = "source,kind,target\n" + "".join(f"e{n},invests_in,e{n + 1}\n" for n in range(0, 398, 7))
    files = {"entities.csv": entities, "deals.csv": deals.encode()}
    expected = load(tmp_path, "careful", files, True, monkeypatch)
    with SQLiteStore(tmp_path / "careful.db") as store:
        expected_entities = store.entities() if store._conn is not None else []
    assert (expected[0] is None) == (pieces[-1] is not BROKEN_ENTITY_ROWS)
    for size in (100, 1000, None):
        assert load(tmp_path, f"bulk-{size}", files, False, monkeypatch, size) == expected, size
        with SQLiteStore(tmp_path / f"bulk-{size}.db") as store:
            assert (store.entities() if store._conn is not None else []) == expected_entities
