"""Loop economics and vendors' funded sales, on small cases worked out by hand."""

from __future__ import annotations

import doctest

import pytest

import dealgraph.analyses.economics
from dealgraph.analyses.economics import funded_sales, loop_economics
from dealgraph.model.records import Relationship as R


def test_loop_economics():
    # a pays b 10, b pays c 4, c pays a 5 (unknown-amount hops give no ratio)
    cycle = {"nodes": ["a", "b", "c"], "hops": [
        {"source": "a", "target": "b", "amount_usd": 10.0},
        {"source": "b", "target": "c", "amount_usd": 4.0},
        {"source": "c", "target": "a", "amount_usd": None},
    ]}
    assert loop_economics(cycle) == [
        {"entity": "a", "put_in_usd": 10.0, "came_back_usd": None, "back_per_dollar": None},
        {"entity": "b", "put_in_usd": 4.0, "came_back_usd": 10.0, "back_per_dollar": 2.5},
        {"entity": "c", "put_in_usd": None, "came_back_usd": 4.0, "back_per_dollar": None},
    ]


def test_funded_sales():
    deals = [
        R("f1", "v", "invests_in", "c1", 7.0),
        R("f2", "v", "lends_to", "c2", None),
        R("s1", "v", "supplies", "c1", 30.0),         # funded customer
        R("s2", "c2", "customer_of", "v", 10.0),      # funded (by a loan of unknown size)
        R("s3", "c3", "leases_from", "v", 60.0),      # not funded
        R("s4", "c3", "customer_of", "v", None),      # unknown amount: not in the sums
        R("s5", "c1", "customer_of", "v", 100.0),
        R("s6", "c1", "customer_of", "v", 50.0, supersedes="s5"),  # replaces s5
        R("x1", "w", "supplies", "c9", 5.0),          # w funds nobody: no row
    ]
    # sales 30 + 10 + 60 + 50 = 150; from funded customers c1, c2: 30 + 50 + 10 = 90 -> 0.6
    assert funded_sales(deals, {"v": "Vendor"}) == [{
        "vendor": "v", "vendor_name": "Vendor", "sales_usd": 150.0, "funded_sales_usd": 90.0, "share": 0.6,
        "funded_customers": ["c1", "c2"], "funding_usd": 7.0,
    }]
    assert funded_sales(deals, vendor="w") == []


def test_docstring_examples():
    assert doctest.testmod(dealgraph.analyses.economics).failed == 0


@pytest.mark.parametrize("amount", [None, 0.0])
def test_no_known_sales_gives_no_share(amount):
    [row] = funded_sales([R("f", "v", "lends_to", "c", 1.0), R("s", "v", "supplies", "c", amount)])
    assert row["share"] is None
