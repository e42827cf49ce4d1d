"""Loaders: input files -> validated records, ready for a store.

The path is Source -> validated records -> (the caller's) store:

* :mod:`loaders.sources` picks a source by extension and streams raw records
  (:mod:`loaders.csv_source`, :mod:`loaders.json_source`, :mod:`loaders.yaml_source`);
* :mod:`loaders.validation` checks each record's fields against the model;
* :mod:`loaders.dataset` merges repeats, resolves entity references
  (:mod:`loaders.resolution`) and returns a :class:`Dataset`, or raises
  :class:`dealgraph.model.errors.ValidationError` listing every problem as ``FILE:LINE: message``.

Input formats
-------------
``.csv``
    A header row, then one record per row. A file whose header has ``source`` or
    ``target`` holds relationships (``id,source,kind,target,amount_usd,amount_note,date,
    summary,evidence_url,evidence_title`` and the later fields of schema.yaml's
    ``records``: lineage, range, basis, status, ...; only ``source``, ``kind``, ``target``
    required); otherwise entities (``id,name,kind,ticker,country,aliases,lender_type``;
    only ``id`` and ``name`` required; ``aliases`` separated by ``;``) - unless the header
    has an ``entity`` column: then it holds entity figures (``id,entity,kind,counterparty,
    amount_usd,percent,period,as_of,note,evidence_url,evidence_title`` and the citation
    fields after them; only ``entity`` and ``kind`` required). Columns may come in any
    order; unknown columns are a problem. Read one row at a time.
``.json`` / ``.yaml`` / ``.yml``
    One document ``{"entities": [...], "relationships": [...], "figures": [...]}`` with
    the same fields;
    ``aliases`` is a list (or one ``;``-separated string). Top-level ``as_of``,
    ``description``, ``notes`` and ``sources`` are allowed and ignored. YAML scalars
    are taken as written (``ticker: ON`` stays the text ``ON``).
``.jsonl`` / ``.ndjson``
    One JSON object per line; one with ``source`` or ``target`` is a relationship,
    otherwise one with ``entity`` is a figure, otherwise an entity.
    Read one line at a time.
``.ftm.json`` / ``.ftm.jsonl`` / ``.ftm.ndjson``
    FollowTheMoney entities, one per line (:mod:`loaders.ftm_source`; the mapping is in
    :mod:`dealgraph.model.ftm`).
A directory
    Its files with those extensions (not recursive, hidden files left out), by name.

Files are UTF-8 (a byte-order mark is fine). Blank cells and empty strings mean
"not given". ``kind`` of an entity defaults to ``company``. ``amount_usd`` is a
non-negative number (``1e9`` and ``1000000000`` both work); ``date`` is ``YYYY``,
``YYYY-MM`` or ``YYYY-MM-DD``. ``source``/``target`` name an entity by id, or else by
exact name or alias (a name or alias shared by two entities must be replaced by the id).
A relationship without ``id`` gets ``r-`` plus a hash of its resolved fields (a figure
``f-``), so loading the same files again yields the same ids. A figure's kind (from
``graph/schema.yaml``) decides whether it takes ``amount_usd`` or ``percent`` and whether
it names a ``counterparty``; it needs a ``period`` (``2024``, ``2025-Q2``, ``2025-H1``,
``2025-03``, ``2025/2028``) or an ``as_of`` date, or both.

Hostile input is refused, never half-read: JSON's ``NaN``/``Infinity``, numbers out of
a double's range and repeated keys; nesting deeper than a record needs; YAML aliases
that expand without bound or into themselves; pipes and devices; files and records over
the limits in :mod:`loaders.limits`. A deal from an entity to itself is a problem, and so
(given the store's ``stored_deal_endpoints``) is a deal id already stored between other
entities.

Problem lines: ``FILE:LINE: message``, where LINE is the row's first line (CSV), the
line (JSON Lines), or the line the record's mapping starts on (JSON, YAML). Problems
about a whole file (missing, unsupported extension) are ``FILE: message``.
"""

from dealgraph.loaders.dataset import Dataset, DatasetBuilder, read_dataset
from dealgraph.loaders.records import Location, Problem, Record
from dealgraph.loaders.sources import SOURCES_BY_EXTENSION, input_files, open_source, read_records
from dealgraph.loaders.validation import FigureDraft, RelationshipDraft, validate_records

__all__ = [
    "Dataset",
    "DatasetBuilder",
    "FigureDraft",
    "Location",
    "Problem",
    "Record",
    "RelationshipDraft",
    "SOURCES_BY_EXTENSION",
    "input_files",
    "open_source",
    "read_dataset",
    "read_records",
    "validate_records",
]
