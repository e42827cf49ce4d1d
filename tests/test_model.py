"""The model as data: kinds, money-flow directions, deterministic deal ids."""

import pytest

from dealgraph.model.errors import ModelError
from dealgraph.model.records import money_flow, relationship_id, schema


def test_design_money_flow_table():
    s = schema()
    assert s.kinds_flowing("forward") == ["invests_in", "lends_to", "customer_of", "leases_from"]
    assert s.kinds_flowing("reverse") == ["supplies", "owns_warrant_in", "granted_shares_by"]
    assert set(s.kinds_flowing("none")) == {"guarantees", "partner_of", "member_of", "subsidiary_of", "acquires"}


@pytest.mark.parametrize("kind, flow", [
    ("invests_in", ("a", "b")), ("lends_to", ("a", "b")), ("customer_of", ("a", "b")),
    ("leases_from", ("a", "b")), ("supplies", ("b", "a")), ("owns_warrant_in", ("b", "a")),
    ("granted_shares_by", ("b", "a")), ("partner_of", None), ("guarantees", None), ("acquires", None), ("member_of", None),
    ("subsidiary_of", None),
])
def test_money_flow(kind, flow):
    assert money_flow(kind, "a", "b") == flow


def test_unknown_kinds_list_the_allowed_ones():
    with pytest.raises(ModelError, match=r"unknown relationship kind 'bribes'; allowed: invests_in, lends_to"):
        schema().relationship_kind("bribes")
    with pytest.raises(ModelError, match=r"unknown entity kind 'alien'; allowed: company, ai_lab"):
        schema().entity_kind("alien")


def test_neo4j_types_are_safe_identifiers():
    for kind in schema().relationship_kinds.values():
        assert kind.neo4j_type.replace("_", "").isalpha() and kind.neo4j_type.isupper()


def test_relationship_id_is_stable_and_sensitive():
    base = relationship_id("nvidia", "invests_in", "coreweave", 1e8, None, "2023")
    assert base == relationship_id("nvidia", "invests_in", "coreweave", 100000000, None, "2023")
    assert base.startswith("r-") and len(base) == 18
    assert base != relationship_id("nvidia", "invests_in", "coreweave", 1e8, None, "2024")
    assert base != relationship_id("coreweave", "invests_in", "nvidia", 1e8, None, "2023")
