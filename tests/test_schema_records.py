"""schema.yaml is the one description of records and kind roles: the typed records, the
stores and every canned Cypher file's hand-written lists are held to it here."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from dealgraph.analyses.cycles import DEAL_KEYS
from dealgraph.model.records import Entity, Figure, Relationship, schema

CYPHER = Path(__file__).resolve().parent.parent / "cypher"
QUERIES = sorted(CYPHER.glob("*.cypher"))


def _types(kinds) -> frozenset[str]:
    return frozenset(schema().relationship_kind(k).neo4j_type for k in kinds)


def _role_sets() -> dict[frozenset[str], str]:
    """Every set of relationship types a canned query may list, named by the role it is."""
    s = schema()
    every = list(s.relationship_kinds)
    return {
        _types(every): "every kind",
        _types(s.kinds_flowing("forward") + s.kinds_flowing("reverse")): "money-moving kinds",
        _types(s.kinds_flowing("forward")): "kinds whose money flows source -> target",
        _types(s.kinds_flowing("reverse")): "kinds whose money flows target -> source",
        _types(s.kinds_with("funding")): "funding kinds",
        _types(s.kinds_with("lending")): "lending kinds",
        _types(s.kinds_with("purchase")): "purchase kinds",
        _types(k for k in s.kinds_with("purchase") if s.relationship_kind(k).buyer == "source"):
            "purchases whose buyer is the source",
        _types(k for k in s.kinds_with("purchase") if s.relationship_kind(k).buyer == "target"):
            "purchases whose buyer is the target",
        frozenset({"HAS_FIGURE"}): "figure link",
        frozenset({"COUNTERPARTY"}): "figure link",
    }


@pytest.mark.parametrize("record, cls", [("entity", Entity), ("relationship", Relationship), ("figure", Figure)])
def test_typed_records_have_the_schema_fields_in_order(record, cls):
    assert tuple(f.name for f in fields(cls)) == schema().field_names(record)


def test_required_fields_come_from_the_schema():
    from dealgraph.loaders.records import REQUIRED_FIELDS

    assert REQUIRED_FIELDS == {"entity": ("id", "name"), "relationship": ("source", "kind", "target"),
                               "figure": ("entity", "kind")}


def test_store_columns_follow_the_schema(tmp_path):
    import sqlite3

    from dealgraph.stores.sqlite_store import SQLiteStore

    store = SQLiteStore(tmp_path / "s.db")
    store.write([Entity("a", "A")], [])
    store.close()
    conn = sqlite3.connect(tmp_path / "s.db")
    for record, table in (("entity", "entities"), ("relationship", "relationships"), ("figure", "figures")):
        columns = tuple(row[1] for row in conn.execute(f"PRAGMA table_info({table})"))
        assert columns == schema().field_names(record)


def test_kind_roles_read_from_the_schema():
    s = schema()
    assert s.kinds_with("funding") == ["invests_in", "lends_to"]
    assert s.kinds_with("lending") == ["lends_to"]
    assert s.kinds_with("purchase") == ["customer_of", "supplies", "leases_from"]
    # (vendor, customer) of each purchase kind
    assert s.relationship_kind("supplies").sale("nvidia", "coreweave") == ("nvidia", "coreweave")
    assert s.relationship_kind("customer_of").sale("openai", "oracle") == ("oracle", "openai")
    assert s.relationship_kind("leases_from").sale("coreweave", "core-scientific") == ("core-scientific", "coreweave")
    assert s.relationship_kind("invests_in").sale("a", "b") is None


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.stem)
def test_every_type_list_in_a_canned_query_is_a_role_of_the_schema(path):
    text = path.read_text("utf-8")
    allowed = _role_sets()
    lists = [m.split("|") for m in re.findall(r"\[\w*:([A-Z_|]+)\]", text)]
    lists += [re.findall(r"'([A-Z_]+)'", m) for m in re.findall(r"type\(\w+\) IN \[([^\]]*)\]", text)]
    lists += [[m] for m in re.findall(r"type\(\w+\) = '([A-Z_]+)'", text)]
    assert lists, f"{path.name} lists no relationship type"
    for types in lists:
        known = frozenset(types)
        # a single type compared by name belongs to a role set when it is one of its own
        assert known in allowed or (len(known) == 1 and any(known < s for s in allowed)), (
            f"{path.name}: {'|'.join(types)} is none of the schema's role sets"
        )


@pytest.mark.parametrize("path", [p for p in QUERIES if "{id: d.id" in p.read_text("utf-8")], ids=lambda p: p.stem)
def test_every_deal_listing_in_a_canned_query_has_the_schema_keys(path):
    text = path.read_text("utf-8")
    for listing in re.findall(r"\{id: d\.id,(.*?)\} AS deal", text, flags=re.S):
        keys = ["id"] + re.findall(r"(\w+):", listing)
        assert tuple(keys) == DEAL_KEYS, f"{path.name}: a deal lists {keys}"
