"""Deal lineage, and the one rule for which deals count.

A deal may name, by deal id, the deal it ``supersedes`` (replaces) and the deal it
``expands`` (adds to). The rule, used wherever amounts are added or loops are found
(cycles, every canned query and its Cypher, the HTML views):

* **A superseded deal does not count.** A deal that any other deal names in its
  ``supersedes`` adds nothing to any total and makes no money-flow edge, loop, path or
  row of its own. Where the deals of a hop or pair are listed it is listed too, with
  ``superseded_by`` naming the deals that replace it, so the history stays visible.
* **``expands`` changes nothing that counts.** The expanding deal's ``amount_usd`` is
  what it adds on top of the expanded deal, and both count (OpenAI's $4B expansion of
  its $11.9B CoreWeave contract: $15.9B). A later deal whose amount is a *new total that
  includes* the earlier one restates it and is recorded with ``supersedes`` instead,
  whatever the press calls it (Applied Digital's ~$11B for the whole 400 MW campus
  includes the ~$7B of the first 250 MW: the ~$11B supersedes the ~$7B, total ~$11B).

* **A deal still in talks, or terminated, does not count** (its ``status`` is one of
  :data:`UNCOUNTED_STATUSES`: ``talks``, ``terminated``). Like a superseded deal it adds
  nothing to any total and makes no money-flow edge, loop, path or query row of its own,
  and is still listed where deals are listed, marked: its ``superseded_by`` carries
  ``"status:talks"`` (or ``"status:terminated"``, :data:`STATUS_MARK` and the status) after
  the ids of any deals that supersede it. Every other status (``loi``, ``signed``,
  ``closed``, ``stalled``) and a deal without one count. The counting commands take
  ``--include-talks`` to count these deals too (supersession still applies); the canned
  Cypher files apply the rule as written, and ``dealgraph query --include-talks`` answers
  from each query's Python twin over the store's deals.

Which deal supersedes a deal does not matter for the rule: a deal named by a
``supersedes`` is out even if its replacement is itself superseded later.

The same rule is written once per engine language: :func:`superseded_by` here (and
:func:`not_counted`, which the stores' lean reads use), the ``current_relationships`` view
of the embedded store (:mod:`dealgraph.stores.sqlite_store`), and the ``supersession``
preamble that every money query in ``cypher/`` starts with (``tests/test_queries.py``
checks they all carry it word for word, with :data:`UNCOUNTED_STATUSES` spelled out).

>>> from dealgraph.model.records import Relationship
>>> loi = Relationship("loi", "nvidia", "invests_in", "openai", 1e11)
>>> stake = Relationship("stake", "nvidia", "invests_in", "openai", 3e10, supersedes="loi")
>>> talks = Relationship("talks", "nvidia", "lends_to", "openai", 2e9, status="talks")
>>> superseded_by([loi, stake, talks])
{'loi': ('stake',), 'talks': ('status:talks',)}
>>> superseded_by([loi, stake, talks], include_talks=True)
{'loi': ('stake',)}
"""

from __future__ import annotations

from typing import Iterable, Mapping

from dealgraph.model.records import Relationship

__all__ = ["LINEAGE_FIELDS", "STATUS_MARK", "UNCOUNTED_STATUSES", "counting_deals", "lineage_cycles",
           "not_counted", "not_counted_reason", "not_counted_tally", "split_marks", "superseded_by"]

#: The lineage fields of a deal, as named in every input format and store.
LINEAGE_FIELDS = ("supersedes", "expands")

#: The statuses (schema.yaml ``relationship.status``) of deals that do not count by default.
UNCOUNTED_STATUSES = ("talks", "terminated")

#: How a ``superseded_by`` list marks a deal left out for its status (``"status:talks"``).
STATUS_MARK = "status:"


def not_counted(
    supersession: Iterable[tuple[str, str]],
    statuses: Iterable[tuple[str, str | None]] = (),
    include_talks: bool = False,
) -> dict[str, tuple[str, ...]]:
    """``{deal id: why it does not count}`` from ``(superseded id, superseding id)`` links
    and ``(deal id, status)`` pairs: the ids of the deals that supersede it, sorted, then
    ``"status:<status>"`` when its status is one of :data:`UNCOUNTED_STATUSES` (unless
    ``include_talks``). A deal absent from the result counts.

    >>> not_counted([("a", "c"), ("a", "b")], [("a", "talks"), ("d", "closed"), ("e", "terminated")])
    {'a': ('b', 'c', 'status:talks'), 'e': ('status:terminated',)}
    """
    found: dict[str, list[str]] = {}
    for old, new in supersession:
        found.setdefault(old, []).append(new)
    out = {old: sorted(new) for old, new in found.items()}
    if not include_talks:
        for deal, status in statuses:
            if status in UNCOUNTED_STATUSES:
                out.setdefault(deal, []).append(STATUS_MARK + status)
    return {deal: tuple(why) for deal, why in out.items()}


#: How a status of :data:`UNCOUNTED_STATUSES` reads in a reason ("1 in talks, not counted").
STATUS_WORDS = {"talks": "in talks", "terminated": "terminated"}


def split_marks(marks: Iterable[str] | None) -> tuple[list[str], list[str]]:
    """A ``superseded_by`` list taken apart: the ids of the deals that supersede it, and the
    statuses it is left out for (``"status:talks"`` -> ``"talks"``), each in list order.

    >>> split_marks(["b", "status:terminated"]), split_marks(None)
    ((['b'], ['terminated']), ([], []))
    """
    marks = list(marks or ())
    return ([m for m in marks if not m.startswith(STATUS_MARK)],
            [m[len(STATUS_MARK):] for m in marks if m.startswith(STATUS_MARK)])


def not_counted_reason(marks: Iterable[str]) -> str:
    """Why a deal does not count, in words, from its ``superseded_by`` marks:
    ``"superseded"`` when deals replace it, ``"in talks"`` or ``"terminated"`` for its
    status, joined with "and" when both; ``""`` when it counts.

    >>> not_counted_reason(["b"]), not_counted_reason(["status:talks"]), not_counted_reason(["b", "status:terminated"])
    ('superseded', 'in talks', 'superseded and terminated')
    """
    ids, statuses = split_marks(marks)
    words = ["superseded"] if ids else []
    words += [STATUS_WORDS.get(status, status) for status in statuses]
    return " and ".join(words)


def not_counted_tally(marks_of_deals: Iterable[Iterable[str] | None]) -> str:
    """How many of some deals do not count, and why, from each one's ``superseded_by``
    marks (deals that count are skipped): ``"1 superseded, 2 in talks"``, ``""`` if all
    count. Reasons come superseded first, then in talks, then terminated.

    >>> not_counted_tally([["b"], ["status:talks"], None, ["status:talks"]])
    '1 superseded, 2 in talks'
    >>> not_counted_tally([["status:terminated"]]), not_counted_tally([None, ()])
    ('1 terminated', '')
    """
    counts: dict[str, int] = {}
    for marks in marks_of_deals:
        reason = not_counted_reason(marks or ())
        if reason:
            counts[reason] = counts.get(reason, 0) + 1
    order = ["superseded", "in talks", "terminated"]
    def rank(reason: str) -> tuple:
        return tuple(order.index(w) if w in order else len(order) for w in reason.split(" and "))
    return ", ".join(f"{counts[r]} {r}" for r in sorted(counts, key=rank))


def superseded_by(relationships: Iterable[Relationship], include_talks: bool = False) -> dict[str, tuple[str, ...]]:
    """``{deal id: why it does not count}`` for every deal that does not count: the ids of
    the deals that supersede it, sorted, then its status mark (see :func:`not_counted`).

    A deal absent from the result counts.
    """
    relationships = list(relationships)
    return not_counted(
        ((r.supersedes, r.id) for r in relationships if r.supersedes is not None),
        ((r.id, r.status) for r in relationships if r.status is not None),
        include_talks,
    )


def counting_deals(relationships: Iterable[Relationship], include_talks: bool = False) -> list[Relationship]:
    """The deals that count: all of ``relationships`` but those another of them supersedes
    and, unless ``include_talks``, those in talks or terminated."""
    relationships = list(relationships)
    superseded = superseded_by(relationships, include_talks)
    return [r for r in relationships if r.id not in superseded] if superseded else relationships


def lineage_cycles(links: Mapping[str, tuple[str | None, str | None]]) -> list[list[tuple[str, str, str]]]:
    """Every loop of lineage links: deals that, through ``supersedes``/``expands``, end up
    replacing or extending themselves.

    ``links`` maps a deal id to its ``(supersedes, expands)``. Each loop is a list of
    ``(deal, field, named deal)`` steps, starting at its smallest deal id; loops are
    sorted. A deal naming itself is a loop of one step.

    >>> lineage_cycles({"a": ("b", None), "b": (None, "a"), "c": ("a", None)})
    [[('a', 'supersedes', 'b'), ('b', 'expands', 'a')]]
    """
    steps: dict[str, list[tuple[str, str]]] = {}
    for deal, named in links.items():
        for field, other in zip(LINEAGE_FIELDS, named):
            if other is not None:
                steps.setdefault(deal, []).append((field, other))
    # Iterative colouring DFS; each deal has at most two outgoing links, so every loop
    # is found as a back edge and read off the current path.
    state: dict[str, int] = {}  # 1 = on the path, 2 = done
    loops: set[tuple] = set()
    for root in sorted(steps):
        if root in state:
            continue
        path: list[tuple[str, str, str]] = []
        stack = [(root, iter(steps.get(root, ())))]
        state[root] = 1
        while stack:
            deal, it = stack[-1]
            for field, other in it:
                if state.get(other) == 1:  # back to a deal on the current path: a loop
                    start = next((i for i, step in enumerate(path) if step[0] == other), len(path))
                    loops.add(_rotate(path[start:] + [(deal, field, other)]))
                elif other not in state:
                    path.append((deal, field, other))
                    state[other] = 1
                    stack.append((other, iter(steps.get(other, ()))))
                    break
            else:
                stack.pop()
                state[deal] = 2
                if path:
                    path.pop()
    return sorted(list(loop) for loop in loops)


def _rotate(loop: list[tuple[str, str, str]]) -> tuple:
    first = min(range(len(loop)), key=lambda i: loop[i][0])
    return tuple(loop[first:] + loop[:first])
