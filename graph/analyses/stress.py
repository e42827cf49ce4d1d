"""Default contagion: how a failure spreads through exposures (DebtRank).

Who is exposed to whom comes from the model (``exposure`` in ``graph/schema.yaml``): a
lender to its borrower, an investor or a holder of warrants or granted shares to the
company, a vendor to the buyer whose purchase commitment is in its backlog, a lessor to its
tenant, a guarantor to the party it guarantees. The deal's amount is the exposure; deals of unknown amount create
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

``h[j]`` is the fraction of ``j``'s buffer lost (1 = wiped out). Buffers are real balance
sheets: the entity's latest ``equity`` figure (book equity) of the period looked at. An
entity with no equity figure is **not scored**: its loss cannot be a fraction of a buffer
nobody knows, so it is reported as the exposure it lost (``loss_usd``: the sum of
``A[i][j] * h[i]`` over what hit it, at most its exposure), with ``loss`` None, and its own
distress, being unknown, is not passed on (the shock does not travel through it; DebtRank
``R`` adds up the scored entities only). Only when asked (``default_buffer``, the CLI's
``--default-buffer F``) does such an entity get an *assumed* buffer of ``F`` times its total
known exposure, marked ``buffer_from="assumed"``. Cash (the latest ``cash`` figure) is shown
beside the buffer where known; it changes nothing in the propagation.

>>> from dealgraph.model.records import Relationship
>>> deals = [Relationship("r1", "bank", "lends_to", "neo", 50.0),
...          Relationship("r2", "fund", "invests_in", "bank", 20.0)]
>>> result = debtrank(deals, ["neo"], equity={"bank": 100.0, "fund": 40.0})
>>> [(s.entity, s.loss, s.path) for s in result.shocks]
[('neo', 1.0, ['neo']), ('bank', 0.5, ['neo', 'bank']), ('fund', 0.25, ['neo', 'bank', 'fund'])]
>>> [(s.entity, s.loss, s.loss_usd, s.buffer_from) for s in debtrank(deals, ["neo"], equity={"fund": 40.0}).shocks]
[('neo', 1.0, None, 'none'), ('bank', None, 50.0, 'none')]
"""

from __future__ import annotations

import math

from dataclasses import dataclass, field
from typing import Iterable, Mapping, NamedTuple

from dealgraph.model.memory import gc_paused
from dealgraph.model.errors import QueryError
from dealgraph.model.lineage import counting_deals
from dealgraph.model.records import Relationship, exposure

__all__ = [
    "Exposures", "Shock", "StressResult", "debtrank", "exposure_table", "exposures", "latest_equity", "latest_figures",
    "stress_test",
]


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
    # Sums are exact-rounded (math.fsum), so they do not depend on the order the engine reads
    # the deals in: Neo4j and SQLite give the same floats whatever their scan order.
    out = Exposures()
    at_stake, total = out.at_stake, out.total
    unknown = 0
    pair_parts: dict[tuple[str, str], list[float]] = {}  # pairs with more than one deal
    total_parts: dict[str, list[float]] = {}
    for creditor, obligor, amount in flows:
        if amount is None:
            unknown += 1
            continue
        amount = float(amount)
        row = at_stake.get(obligor)
        if row is None:
            at_stake[obligor] = {creditor: amount}
        elif creditor in row:
            parts = pair_parts.get((obligor, creditor))
            if parts is None:
                pair_parts[(obligor, creditor)] = [row[creditor], amount]
            else:
                parts.append(amount)
        else:
            row[creditor] = amount
        parts = total_parts.get(creditor)
        if parts is None:
            total_parts[creditor] = [amount]
        else:
            parts.append(amount)
    for (obligor, creditor), parts in pair_parts.items():
        at_stake[obligor][creditor] = math.fsum(parts)
    for creditor, parts in total_parts.items():
        total[creditor] = parts[0] if len(parts) == 1 else math.fsum(parts)
    out.unknown = unknown
    return out


class Shock(NamedTuple):
    """One entity's loss: the fraction of its buffer lost and the way the shock came.

    (A named tuple: a run at a million deals makes one for each of ~100k entities hit.)
    """

    entity: str
    loss: float | None  # h: fraction of the buffer lost, 0..1 (1 for a failed entity); None: not scored
    loss_usd: float | None  # loss * buffer; not scored: the exposure lost; None for a failed entity with no buffer
    buffer_usd: float | None
    buffer_from: str  # "equity" (its latest equity figure), "assumed" (--default-buffer) or "none"
    round: int  # 0 for the failed entities, else the round in which it was first hit
    path: list[str]  # failed entity -> ... -> this entity, along the largest first hits
    exposure_usd: float | None = None  # its total known exposure to anyone
    cash_usd: float | None = None  # its latest cash figure, where known
    #: what it had at stake on the entities that hit it, times their distress (the loss
    #: before it is capped at the buffer); None for a failed entity
    at_stake_usd: float | None = None

    @property
    def scored(self) -> bool:
        return self.loss is not None

    def to_dict(self) -> dict:
        return {
            "entity": self.entity, "loss": self.loss, "loss_usd": self.loss_usd,
            "buffer_usd": self.buffer_usd, "buffer_from": self.buffer_from, "scored": self.scored,
            "exposure_usd": self.exposure_usd, "cash_usd": self.cash_usd, "at_stake_usd": self.at_stake_usd,
            "round": self.round, "path": list(self.path),
        }


@dataclass(frozen=True)
class StressResult:
    failed: list[str]
    shocks: list[Shock]  # failed first, then the scored by loss (largest first), then the unscored by loss_usd
    debtrank: float  # R: share of the network's value lost beyond the initial failures (scored entities)
    unknown_exposures: int  # exposure deals left out because their amount is unknown
    default_buffer: float | None = None  # the assumed buffer's multiple, when one was asked for

    @property
    def losses(self) -> dict[str, float | None]:
        """Entity id -> loss fraction (None: not scored), for every entity that lost something."""
        return {s.entity: s.loss for s in self.shocks}

    @property
    def unscored(self) -> int:
        """How many entities were hit but have no buffer to score the loss against."""
        return sum(1 for s in self.shocks if s.loss is None)

    def to_dict(self) -> dict:
        return {
            "failed": list(self.failed),
            "debtrank": self.debtrank,
            "unknown_exposures": self.unknown_exposures,
            "default_buffer": self.default_buffer,
            "unscored": self.unscored,
            "entities": [s.to_dict() for s in self.shocks],
        }


def debtrank(
    deals: Iterable[Relationship] | Exposures,
    failed: Iterable[str],
    *,
    equity: Mapping[str, float] | None = None,
    default_buffer: float | None = None,
    shock: float = 1.0,
    cash: Mapping[str, float] | None = None,
) -> StressResult:
    """Propagate the failure of ``failed`` through the exposures of ``deals`` (DebtRank).

    ``deals`` is any iterable of relationships (or a ready :class:`Exposures`);
    ``equity`` maps entity ids to their equity in USD (the buffer). An entity without one is
    not scored (see the module docstring) unless ``default_buffer`` is given: it then gets
    ``default_buffer`` times its total known exposure as an assumed buffer. ``shock`` is the
    initial distress of the failed entities (1.0: they default); ``cash`` (entity id -> USD)
    is only reported. The input is not modified.
    """
    table = deals if isinstance(deals, Exposures) else exposures(deals)
    failed = list(dict.fromkeys(failed))
    if not failed:
        raise QueryError("name at least one failed entity")
    if default_buffer is not None and (isinstance(default_buffer, bool) or not isinstance(default_buffer, (int, float))
                                       or not default_buffer > 0):
        raise QueryError(f"default_buffer must be a number above 0, got {default_buffer!r}")
    if isinstance(shock, bool) or not isinstance(shock, (int, float)) or not 0 < shock <= 1:
        raise QueryError(f"shock must be a number in (0, 1], got {shock!r}")
    equity = dict(equity or {})
    cash = dict(cash or {})

    def buffer(j: str) -> tuple[float | None, str]:
        if j in equity and equity[j] is not None:
            return float(equity[j]), "equity"
        if default_buffer is not None and j in table.total:
            return table.total[j] * default_buffer, "assumed"
        return None, "none"

    # W[i][j] = min(1, at_stake[i][j] / buffer[j]) is worked out as i passes distress on,
    # which it does once. A row's order changes no sum (each j appears once per row, and
    # the distressed entities are visited in id order). An entity with no buffer (None)
    # collects the exposure it lost in `lost` instead, and never becomes distressed.
    buffers = {j: buffer(j)[0] for j in table.total}
    at_stake = table.at_stake
    failed_set = set(failed)
    h: dict[str, float] = {f: float(shock) for f in failed}
    lost: dict[str, float] = {}
    staked: dict[str, float] = {}  # scored entities: dollars at stake times the hitter's distress
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
                if e is None:  # not scored: what it lost, in dollars of exposure
                    if j in failed_set:
                        continue
                    hit = amount * hi
                    lost[j] = lost.get(j, 0.0) + hit
                    if j not in first_round:
                        first_round[j] = rnd
                        via[j] = i
                        best[j] = (hit, i)
                    elif j in best and hit > best[j][0]:
                        best[j] = (hit, i)
                        via[j] = i
                    continue
                w = amount / e if e > 0 else 1.0
                hit = (w if w < 1.0 else 1.0) * hi
                staked[j] = staked.get(j, 0.0) + amount * hi
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

    # exact-rounded sums: the same floats whatever order the deals and entities were met in
    grand = math.fsum(table.total.values())
    value = (lambda j: table.total.get(j, 0.0) / grand) if grand > 0 else (lambda j: 0.0)
    r = math.fsum(hj * value(j) for j, hj in h.items()) - math.fsum(shock * value(f) for f in failed)

    shocks = []
    for j, hj in h.items():
        if hj <= 0:
            continue
        b, source = buffer(j)
        shocks.append(Shock(
            entity=j, loss=hj, loss_usd=None if b is None else hj * b, buffer_usd=b,
            buffer_from=source, round=first_round[j], path=path(j),
            exposure_usd=table.total.get(j), cash_usd=cash.get(j),
            at_stake_usd=None if j in failed_set else staked.get(j),
        ))
    for j, dollars in lost.items():
        if dollars <= 0:
            continue
        exposure = table.total.get(j, 0.0)
        shocks.append(Shock(
            entity=j, loss=None, loss_usd=min(dollars, exposure), buffer_usd=None, buffer_from="none",
            round=first_round[j], path=path(j), exposure_usd=exposure, cash_usd=cash.get(j),
            at_stake_usd=dollars,
        ))
    shocks.sort(key=lambda s: (s.entity not in failed_set, s.loss is None, -(s.loss or 0.0),
                               -(s.loss_usd or 0.0) if s.loss is None else 0.0, s.round, s.entity))
    return StressResult(failed=failed, shocks=shocks, debtrank=max(0.0, r), unknown_exposures=table.unknown,
                        default_buffer=default_buffer)


def stress_test(
    store,
    failed: Iterable[str],
    *,
    default_buffer: float | None = None,
    shock: float = 1.0,
) -> StressResult:
    """:func:`debtrank` on a store's deals; ``failed`` names entities by id, name or alias.

    Buffers are the entities' latest ``equity`` figures, cash their latest ``cash`` figures
    (see :func:`latest_figures`; a store restricted to a period gives the figures of the
    period). An entity with no equity figure is not scored, unless ``default_buffer`` is
    given (an assumed buffer of that many times its total known exposure).
    """
    ids = [store.resolve(ref) for ref in failed]
    equity = latest_figures(store.figures(kind="equity"), "equity")
    cash = latest_figures(store.figures(kind="cash"), "cash")
    with gc_paused():
        table = exposure_table(store.exposure_flows())
        return debtrank(table, ids, equity=equity, default_buffer=default_buffer, shock=shock, cash=cash)


def latest_figures(figures, kind: str) -> dict[str, float]:
    """Entity id -> its latest ``kind`` figure in USD: the one with the latest date it speaks
    for (``as_of``, else the end of its ``period``; the larger figure id on a tie)."""
    latest: dict[str, tuple[str, str, float]] = {}
    for f in figures:
        if f.kind != kind or f.amount_usd is None:
            continue
        key = (f.when, f.id, float(f.amount_usd))
        if f.entity not in latest or key[:2] > latest[f.entity][:2]:
            latest[f.entity] = key
    return {entity: key[2] for entity, key in latest.items()}


def latest_equity(figures) -> dict[str, float]:
    """:func:`latest_figures` of kind ``equity``: the buffers."""
    return latest_figures(figures, "equity")
