"""DebtRank on small networks whose losses were worked out by hand (see each test's comment)."""

from __future__ import annotations

import pytest

from dealgraph.model.errors import QueryError
from dealgraph.model.records import Relationship, schema
from dealgraph.analyses.stress import debtrank, exposures


def deal(rid, source, kind, target, amount):
    return Relationship(rid, source, kind, target, amount)


def loans(*edges):
    """``(lender, borrower, amount)`` triples as lends_to deals."""
    return [deal(f"r{i}", a, "lends_to", b, x) for i, (a, b, x) in enumerate(edges)]


def table(result):
    return {s.entity: (pytest.approx(s.loss, abs=1e-12), s.round, s.path) for s in result.shocks}


def test_chain():
    # a fails. b lent a 50 of its equity 100: W = 0.5 -> h_b = 0.5 (round 1).
    # c lent b 30 of 60: W = 0.5 -> h_c = 0.5 * 0.5 = 0.25 (round 2).
    # d lent c 10 of 10: W = 1 -> h_d = 0.25 (round 3).
    # R = (0.5*50 + 0.25*30 + 0.25*10) / (50 + 30 + 10) = 35/90 (a holds no exposure: v_a = 0).
    deals = loans(("b", "a", 50.0), ("c", "b", 30.0), ("d", "c", 10.0))
    result = debtrank(deals, ["a"], equity={"b": 100.0, "c": 60.0, "d": 10.0})
    assert [(s.entity, s.loss, s.round, s.path) for s in result.shocks] == [
        ("a", 1.0, 0, ["a"]),
        ("b", 0.5, 1, ["a", "b"]),
        ("c", 0.25, 2, ["a", "b", "c"]),
        ("d", 0.25, 3, ["a", "b", "c", "d"]),
    ]
    assert result.debtrank == pytest.approx(35 / 90, abs=1e-15)
    assert [s.loss_usd for s in result.shocks[1:]] == [50.0, 15.0, 2.5]
    assert {s.buffer_from for s in result.shocks[1:]} == {"equity"}


def test_star():
    # The hub fails; three lenders lent it 10/40, 20/40 and 40/20 of their equity:
    # losses 0.25, 0.5 and min(1, 2) = 1, each in round 1, straight from the hub.
    deals = loans(("l1", "hub", 10.0), ("l2", "hub", 20.0), ("l3", "hub", 40.0))
    result = debtrank(deals, ["hub"], equity={"l1": 40.0, "l2": 40.0, "l3": 20.0})
    assert [(s.entity, s.loss, s.path) for s in result.shocks] == [
        ("hub", 1.0, ["hub"]), ("l3", 1.0, ["hub", "l3"]), ("l2", 0.5, ["hub", "l2"]), ("l1", 0.25, ["hub", "l1"]),
    ]
    # A failing leaf passes nothing to the hub: the hub is not exposed to its lenders.
    assert debtrank(deals, ["l1"], equity={"l1": 40.0}).losses == {"l1": 1.0}


def test_loop_each_entity_passes_distress_on_once():
    # a -> b -> c -> a, each exposed to the one before: W_ab = 60/100, W_bc = 50/100, W_ca = 80/100.
    # a starts at h = 0.5. Round 1: h_b = 0.6 * 0.5 = 0.3. Round 2: h_c = 0.5 * 0.3 = 0.15.
    # Round 3: a (inactive) is hit again: h_a = 0.5 + 0.8 * 0.15 = 0.62, but passes nothing on,
    # so b stays at 0.3 and the run ends.
    deals = loans(("b", "a", 60.0), ("c", "b", 50.0), ("a", "c", 80.0))
    eq = {"a": 100.0, "b": 100.0, "c": 100.0}
    result = debtrank(deals, ["a"], equity=eq, shock=0.5)
    assert table(result) == {
        "a": (0.62, 0, ["a"]), "b": (0.3, 1, ["a", "b"]), "c": (0.15, 2, ["a", "b", "c"]),
    }
    # R = sum h v - h0 v, v = exposure shares (60, 50, 80 of 190): (0.62-0.5)*80 + 0.3*60 + 0.15*50
    assert result.debtrank == pytest.approx((0.12 * 80 + 0.3 * 60 + 0.15 * 50) / 190, abs=1e-12)
    # A full default of a: round 3 would push a above 1, it stays at 1.
    assert table(debtrank(deals, ["a"], equity=eq)) == {
        "a": (1.0, 0, ["a"]), "b": (0.6, 1, ["a", "b"]), "c": (0.3, 2, ["a", "b", "c"]),
    }


def test_two_failures_at_once():
    # a and b fail together. c lent a 30 and b 20 of its equity 100: h_c = 0.3 + 0.2 = 0.5 in
    # round 1, on the path of its largest hit (a). d lent c 50 of 50 (W = 1): h_d = 0.5 in round 2.
    # e lent a 10 and d 10 of 40: round 1 gives 0.25 from a; round 3 d's 0.5 * 0.25 arrives when
    # e is already inactive: h_e = 0.375.
    deals = loans(("c", "a", 30.0), ("c", "b", 20.0), ("d", "c", 50.0), ("e", "a", 10.0), ("e", "d", 10.0))
    result = debtrank(deals, ["a", "b"], equity={"c": 100.0, "d": 50.0, "e": 40.0})
    assert table(result) == {
        "a": (1.0, 0, ["a"]), "b": (1.0, 0, ["b"]),
        "c": (0.5, 1, ["a", "c"]), "d": (0.5, 2, ["a", "c", "d"]), "e": (0.375, 1, ["a", "e"]),
    }
    assert [s.entity for s in result.shocks] == ["a", "b", "c", "d", "e"]


def test_an_assumed_buffer_is_the_total_exposure_and_only_when_asked():
    # b has no equity figure: asked for, its buffer is its total known exposure 30 + 70 = 100
    # (x2 with default_buffer=2). a's failure costs it 30: loss 0.3 (0.15).
    deals = loans(("b", "a", 30.0), ("b", "x", 70.0))
    [_, b] = debtrank(deals, ["a"], default_buffer=1.0).shocks
    assert (b.entity, b.loss, b.buffer_usd, b.buffer_from, b.loss_usd) == ("b", pytest.approx(0.3), 100.0, "assumed", pytest.approx(30.0))
    [_, b] = debtrank(deals, ["a"], default_buffer=2.0).shocks
    assert (b.loss, b.buffer_usd) == (pytest.approx(0.15), 200.0)
    # not asked: not scored; it lost 30 of its 100 of exposure
    [_, b] = debtrank(deals, ["a"]).shocks
    assert (b.loss, b.loss_usd, b.buffer_usd, b.buffer_from, b.exposure_usd, b.round, b.path) == (
        None, 30.0, None, "none", 100.0, 1, ["a", "b"])


def test_an_entity_without_equity_is_not_scored_and_passes_nothing_on():
    # cw fails. msft put 10 in cw, equity 300: loss 10/300. bank lent cw 50 and has no
    # equity figure: not scored, loss $50 of exposure; its own distress is unknown, so fund
    # (20 in bank, equity 40) loses nothing. ins guaranteed 8 of cw's debt, no equity, and
    # lent 4 to bank: hit by cw only (bank passes nothing), $8 of its 12 of exposure.
    deals = [deal("m", "msft", "invests_in", "cw", 10.0), deal("b", "bank", "lends_to", "cw", 50.0),
             deal("f", "fund", "invests_in", "bank", 20.0), deal("g", "ins", "guarantees", "cw", 8.0),
             deal("i", "ins", "lends_to", "bank", 4.0)]
    result = debtrank(deals, ["cw"], equity={"msft": 300.0, "fund": 40.0}, cash={"msft": 70.0, "bank": 5.0})
    assert [(s.entity, s.loss, s.loss_usd, s.buffer_from, s.cash_usd, s.path) for s in result.shocks] == [
        ("cw", 1.0, None, "none", None, ["cw"]),
        ("msft", pytest.approx(1 / 30), pytest.approx(10.0), "equity", 70.0, ["cw", "msft"]),
        ("bank", None, 50.0, "none", 5.0, ["cw", "bank"]),
        ("ins", None, 8.0, "none", None, ["cw", "ins"]),
    ]
    assert result.unscored == 2
    # R: the scored only. v = exposure / all exposure (10 + 50 + 20 + 8 + 4 = 92): msft 10/92.
    assert result.debtrank == pytest.approx((1 / 30) * 10 / 92)
    # With an assumed buffer bank is scored (loss 1: 50 of 50) and passes it on: fund loses
    # min(1, 20/40) * 1 = 0.5; ins's buffer is its exposure 12: 8/12 from cw, then 4/12 * 1 from bank.
    assumed = debtrank(deals, ["cw"], equity={"msft": 300.0, "fund": 40.0}, default_buffer=1.0)
    assert {s.entity: (s.loss, s.buffer_from) for s in assumed.shocks} == {
        "cw": (1.0, "none"), "msft": (pytest.approx(1 / 30), "equity"), "bank": (1.0, "assumed"),
        "ins": (pytest.approx(1.0), "assumed"), "fund": (0.5, "equity"),
    }


@pytest.mark.parametrize(
    "kind, source, target, fails, loses",
    [
        ("lends_to", "lender", "borrower", "borrower", "lender"),
        ("invests_in", "investor", "company", "company", "investor"),
        ("owns_warrant_in", "holder", "issuer", "issuer", "holder"),
        ("customer_of", "buyer", "vendor", "buyer", "vendor"),
        ("supplies", "vendor", "buyer", "buyer", "vendor"),
        ("leases_from", "tenant", "lessor", "tenant", "lessor"),
        ("guarantees", "guarantor", "party", "party", "guarantor"),
    ],
)
def test_exposure_direction_of_each_kind(kind, source, target, fails, loses):
    deals = [deal("r", source, kind, target, 25.0)]
    assert debtrank(deals, [fails], equity={loses: 100.0}).losses == {fails: 1.0, loses: 0.25}
    other = ({source, target} - {fails}).pop()
    assert debtrank(deals, [other], equity={fails: 100.0}).losses == {other: 1.0}


@pytest.mark.parametrize("kind", ["partner_of", "acquires"])
def test_kinds_without_exposure(kind):
    assert debtrank([deal("r", "a", kind, "b", 25.0)], ["b"], equity={"a": 1.0}).losses == {"b": 1.0}


def test_every_kind_says_who_is_exposed():
    for k in schema().relationship_kinds.values():
        assert k.exposure in ("source", "target", "none") and k.exposure_reads_as


def test_unknown_amounts_and_self_deals_are_left_out():
    deals = [deal("r1", "b", "lends_to", "a", None), deal("r2", "a", "lends_to", "a", 5.0),
             deal("r3", "c", "lends_to", "a", 10.0)]
    table_ = exposures(deals)
    assert table_.unknown == 1 and table_.at_stake == {"a": {"c": 10.0}} and table_.total == {"c": 10.0}
    result = debtrank(deals, ["a"], default_buffer=1.0)
    assert result.losses == {"a": 1.0, "c": 1.0} and result.unknown_exposures == 1


def test_zero_equity_means_any_loss_wipes_out():
    assert debtrank(loans(("b", "a", 1.0)), ["a"], equity={"b": 0.0}).losses == {"a": 1.0, "b": 1.0}


@pytest.mark.parametrize("kwargs", [{"shock": 0}, {"shock": 1.5}, {"default_buffer": 0}, {"default_buffer": True},
                                    {"default_buffer": "1"}])
def test_bad_parameters(kwargs):
    with pytest.raises(QueryError):
        debtrank(loans(("b", "a", 1.0)), ["a"], **kwargs)


def test_no_failed_entity():
    with pytest.raises(QueryError, match="at least one"):
        debtrank(loans(("b", "a", 1.0)), [])


def test_docstring_examples():
    import doctest

    import dealgraph.analyses.clusters
    import dealgraph.analyses.stress

    for module in (dealgraph.analyses.stress, dealgraph.analyses.clusters):
        assert doctest.testmod(module).failed == 0


def test_superseded_deals_do_not_count():
    # The $100 letter of intent is replaced by a $30 stake: c's exposure to a is 30 of 60.
    deals = [Relationship("loi", "c", "invests_in", "a", 100.0),
             Relationship("stake", "c", "invests_in", "a", 30.0, supersedes="loi")]
    assert debtrank(deals, ["a"], equity={"c": 60.0}).losses == {"a": 1.0, "c": 0.5}


def test_exposure_sums_do_not_depend_on_the_order_deals_are_read():
    # Neo4j and SQLite scan deals in different orders; added naively (0.1 + 0.2) + 0.3 and
    # (0.3 + 0.2) + 0.1 are different floats, and the two engines' stress answers differed.
    from dealgraph.analyses.stress import debtrank, exposure_table

    flows = [("bank", "neo", 0.1), ("bank", "neo", 0.2), ("bank", "neo", 0.3), ("bank", "other", 0.7),
             ("fund", "bank", 0.1), ("fund", "bank", 0.2), ("fund", "neo", 0.3)]
    forward, backward = exposure_table(flows), exposure_table(flows[::-1])
    assert forward.at_stake == backward.at_stake and forward.total == backward.total
    assert forward.at_stake["neo"]["bank"] == 0.6 and forward.total["bank"] == 1.3
    equity = {"bank": 0.5, "fund": 2.0}
    assert debtrank(forward, ["neo"], equity=equity) == debtrank(backward, ["neo"], equity=equity)
