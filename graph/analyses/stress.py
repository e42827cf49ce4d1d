"""Default contagion: how a failure spreads through exposures (DebtRank).

Who is exposed to whom comes from the model (``exposure`` in ``graph/schema.yaml``): a
lender to its borrower, an investor or warrant holder to the company, a vendor to the
buyer whose purchase commitment is in its backlog, a lessor to its tenant, a guarantor to
the party it guarantees. The deal's amount is the exposure; deals of unknown amount create
no quantified exposure and are counted, not guessed.

The propagation is DebtRank as published (Battiston, Puliga, Kaushik, Tasca, Caldarelli,
"DebtRank: Too central to fail?", Sci. Rep. 2, 541, 2012):

* impact of ``i`` on ``j``: ``W[i][j] = min(1, A[i][j] / E[j])``, where ``A[i][j]`` is what
  ``j`` has at stake on ``i`` (the sum of its known exposures to ``i``) and ``E[j]`` is
  ``j``'s buffer (its equity);
* every entity has a distress ``h`` in [0, 1] and a state in {U (undistressed),
  D (distressed), I (inactive)}; the failed entities start at ``h = shock`` in state D,
  everyone else at ``h = 0`` in U;
* each round, ``h[j] <- min(1, h[j] + sum over i in D of W[i][j] * h[i])``, all entities at
  once from the previous round's values; then D becomes I, and U with ``h > 0`` becomes D.
  An entity therefore passes its distress on exactly once, in the round after it was first
  hit (what it receives later raises its own loss but is not passed on again);
* it stops when no entity is in D. DebtRank ``R = sum_j h[j] v[j] - sum_j h0[j] v[j]``
  with ``v[j]`` the entity's share of all the exposures at stake (its relative economic
  value): the share of the network's value lost beyond the initial failure.

``h[j]`` is the fraction of ``j``'s buffer lost (1 = wiped out). Buffers are ``equity``
figures where known; elsewhere the default buffer is ``default_buffer`` times the
entity's total known exposure (by default 1.0: an entity without an equity figure can
absorb losing everything it has at stake in the network, so its loss fraction is the
share of its exposures that went bad).

>>> from dealgraph.model.records import Relationship
>>> deals = [Relationship("r1", "bank", "lends_to", "neo", 50.0),
...          Relationship("r2", "fund", "invests_in", "bank", 20.0)]
>>> result = debtrank(deals, ["neo"], equity={"bank": 100.0, "fund": 40.0})
>>> [(s.entity, s.loss, s.path) for s in result.shocks]
[('neo', 1.0, ['neo']), ('bank', 0.5, ['neo', 'bank']), ('fund', 0.25, ['neo', 'bank', 'fund'])]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping, NamedTuple

from dealgraph.model.memory import gc_paused
from dealgraph.model.errors import QueryError
from dealgraph.model.lineage import counting_deals
from dealgraph.model.records import Relationship, exposure

__all__ = [
    "DEFAULT_BUFFER", "Exposures", "Shock", "StressResult", "debtrank", "exposure_table", "exposures", "latest_equity",
    "stress_test",
]

#: Buffer of an entity with no equity figure, as a multiple of its total known exposure.
DEFAULT_BUFFER = 1.0


@dataclass
class Exposures:
    """Who has how much at stake on whom, from the deals that create exposures."""

    #: obligor -> creditor -> summed known amount the creditor loses if the obligor fails
    at_stake: dict[str, dict[str, float]] = field(default_factory=dict)
    #: creditor -> its total known exposure to everyone
    total: dict[str, float] = field(default_factory=dict)
    #: deals that would create an exposure but have no known amount
    unknown: int = 0


def exposures(relationships: Iterable[Relationship], include_talks: bool = False) -> Exposures:
    """The exposure table of a set of deals (self-deals and no-exposure kinds left out)."""
    # kind -> True when the source is the creditor, False when the target is, None: no exposure
    creditor_is_source: dict[str, bool | None] = {}

    def flows():
        for r in counting_deals(relationships, include_talks):
            kind = r.kind
            forward = creditor_is_source.get(kind, 0)
            if forward == 0:
                side = exposure(kind, "source", "target")
                forward = creditor_is_source[kind] = None if side is None else side[0] == "source"
            if forward is None:
                continue
            source, target = r.source, r.target
            if source != target:
                yield (source, target, r.amount_usd) if forward else (target, source, r.amount_usd)

    return exposure_table(flows())


def exposure_table(flows: Iterable[tuple[str, str, float | None]]) -> Exposures:
    """The exposure table of ``(creditor, obligor, amount_usd)`` rows, as
    :meth:`dealgraph.stores.base.Store.exposure_flows` gives them (an unknown amount is counted)."""
    out = Exposures()
    at_stake, total = out.at_stake, out.total
    unknown = 0
    for creditor, obligor, amount in flows:
        if amount is None:
            unknown += 1
            continue
        amount = float(amount)
        row = at_stake.get(obligor)
        if row is None:
            at_stake[obligor] = {creditor: amount}
        else:
            row[creditor] = row.get(creditor, 0.0) + amount
        total[creditor] = total.get(creditor, 0.0) + amount
    out.unknown = unknown
    return out


class Shock(NamedTuple):
    """One entity's loss: the fraction of its buffer lost and the way the shock came.

    (A named tuple: a run at a million deals makes one for each of ~100k entities hit.)
    """

    entity: str
    loss: float  # h: fraction of the buffer lost, 0..1 (1 for a failed entity)
    loss_usd: float | None  # loss * buffer; None for a failed entity with no known buffer
    buffer_usd: float | None
    buffer_from: str  # "equity" (a known figure), "default" (DEFAULT_BUFFER rule) or "none"
    round: int  # 0 for the failed entities, else the round in which it was first hit
    path: list[str]  # failed entity -> ... -> this entity, along the largest first hits

    def to_dict(self) -> dict:
        return {
            "entity": self.entity, "loss": self.loss, "loss_usd": self.loss_usd,
            "buffer_usd": self.buffer_usd, "buffer_from": self.buffer_from,
            "round": self.round, "path": list(self.path),
        }


@dataclass(frozen=True)
class StressResult:
    failed: list[str]
    shocks: list[Shock]  # failed entities first, then by loss (largest first), round, id
    debtrank: float  # R: share of the network's value lost beyond the initial failures
    unknown_exposures: int  # exposure deals left out because their amount is unknown

    @property
    def losses(self) -> dict[str, float]:
        """Entity id -> loss fraction, for every entity that lost something."""
        return {s.entity: s.loss for s in self.shocks}

    def to_dict(self) -> dict:
        return {
            "failed": list(self.failed),
            "debtrank": self.debtrank,
            "unknown_exposures": self.unknown_exposures,
            "entities": [s.to_dict() for s in self.shocks],
        }


def debtrank(
    deals: Iterable[Relationship] | Exposures,
    failed: Iterable[str],
    *,
    equity: Mapping[str, float] | None = None,
    default_buffer: float = DEFAULT_BUFFER,
    shock: float = 1.0,
) -> StressResult:
    """Propagate the failure of ``failed`` through the exposures of ``deals`` (DebtRank).

    ``deals`` is any iterable of relationships (or a ready :class:`Exposures`);
    ``equity`` maps entity ids to their equity in USD (the buffer); entities without one
    get ``default_buffer`` times their total known exposure. ``shock`` is the initial
    distress of the failed entities (1.0: they default). The input is not modified.
    """
    table = deals if isinstance(deals, Exposures) else exposures(deals)
    failed = list(dict.fromkeys(failed))
    if not failed:
        raise QueryError("name at least one failed entity")
    if isinstance(default_buffer, bool) or not isinstance(default_buffer, (int, float)) or not default_buffer > 0:
        raise QueryError(f"default_buffer must be a number above 0, got {default_buffer!r}")
    if isinstance(shock, bool) or not isinstance(shock, (int, float)) or not 0 < shock <= 1:
        raise QueryError(f"shock must be a number in (0, 1], got {shock!r}")
    equity = dict(equity or {})

    def buffer(j: str) -> tuple[float | None, str]:
        if j in equity and equity[j] is not None:
            return float(equity[j]), "equity"
        if j in table.total:
            return table.total[j] * default_buffer, "default"
        return None, "none"

    # W[i][j] = min(1, at_stake[i][j] / buffer[j]) is worked out as i passes distress on,
    # which it does once. A row's order changes no sum (each j appears once per row, and
    # the distressed entities are visited in id order).
    buffers = {j: buffer(j)[0] for j in table.total}
    at_stake = table.at_stake
    h: dict[str, float] = {f: float(shock) for f in failed}
    first_round = {f: 0 for f in failed}
    via: dict[str, str | None] = {f: None for f in failed}
    distressed = sorted(failed)
    inactive: set[str] = set()
    rnd = 0
    while distressed:
        rnd += 1
        gain: dict[str, float] = {}
        best: dict[str, tuple[float, str]] = {}  # the largest single hit, for the path
        for i in distressed:
            row = at_stake.get(i)
            if not row:
                continue
            hi = h[i]
            for j, amount in row.items():
                if amount <= 0:
                    continue
                e = buffers[j]
                w = amount / e if e > 0 else 1.0
                hit = (w if w < 1.0 else 1.0) * hi
                g = gain.get(j)
                if g is None:
                    gain[j] = hit
                    if j not in h:
                        best[j] = (hit, i)
                else:
                    gain[j] = g + hit
                    # distressed is in id order: on a tie the smaller id stays
                    if j not in h and hit > best[j][0]:
                        best[j] = (hit, i)
        inactive.update(distressed)
        was_distressed = set(distressed)
        nxt = []
        for j, g in gain.items():
            old = h.get(j, 0.0)
            h[j] = min(1.0, old + g)
            if j not in inactive and j not in was_distressed and h[j] > 0 and old == 0.0:
                nxt.append(j)
                first_round[j] = rnd
                via[j] = best[j][1]
        distressed = sorted(nxt)

    def path(j: str) -> list[str]:
        out = [j]
        while via[out[-1]] is not None:
            out.append(via[out[-1]])
        return out[::-1]

    grand = sum(table.total.values())
    value = (lambda j: table.total.get(j, 0.0) / grand) if grand > 0 else (lambda j: 0.0)
    r = sum(hj * value(j) for j, hj in h.items()) - sum(shock * value(f) for f in failed)

    shocks = []
    for j, hj in h.items():
        if hj <= 0:
            continue
        b, source = buffer(j)
        shocks.append(Shock(
            entity=j, loss=hj, loss_usd=None if b is None else hj * b, buffer_usd=b,
            buffer_from=source, round=first_round[j], path=path(j),
        ))
    failed_set = set(failed)
    shocks.sort(key=lambda s: (s.entity not in failed_set, -s.loss, s.round, s.entity))
    return StressResult(failed=failed, shocks=shocks, debtrank=max(0.0, r), unknown_exposures=table.unknown)


def stress_test(
    store,
    failed: Iterable[str],
    *,
    default_buffer: float = DEFAULT_BUFFER,
    shock: float = 1.0,
) -> StressResult:
    """:func:`debtrank` on a store's deals; ``failed`` names entities by id, name or alias.

    Buffers are the entities' latest ``equity`` figures (see :func:`latest_equity`); an
    entity with none gets ``default_buffer`` times its total known exposure.
    """
    ids = [store.resolve(ref) for ref in failed]
    equity = latest_equity(store.figures(kind="equity"))
    with gc_paused():
        table = exposure_table(store.exposure_flows())
        return debtrank(table, ids, equity=equity, default_buffer=default_buffer, shock=shock)


def latest_equity(figures) -> dict[str, float]:
    """Entity id -> its latest equity figure in USD: the one with the latest date it speaks
    for (``as_of``, else the end of its ``period``; the larger figure id on a tie)."""
    latest: dict[str, tuple[str, str, float]] = {}
    for f in figures:
        if f.kind != "equity" or f.amount_usd is None:
            continue
        key = (f.when, f.id, float(f.amount_usd))
        if f.entity not in latest or key[:2] > latest[f.entity][:2]:
            latest[f.entity] = key
    return {entity: key[2] for entity, key in latest.items()}
