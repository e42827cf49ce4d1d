"""FollowTheMoney (FtM): how dealgraph entities and deals map to FtM entities, both ways.

FtM is the data model of Aleph and OpenSanctions: every object is ``{"id", "schema",
"properties": {name: [values]}}`` and a deal is an *interval* entity that points at its
parties. The mapping lives here once; :mod:`dealgraph.output.export` writes it and
:mod:`loaders.ftm_source` reads it, so an export loads back into the same store.

Entities
    ``government`` -> ``PublicBody``; ``investor_group`` -> ``Organization``; every other
    kind, and any entity with a ticker, -> ``Company``. Properties: ``name``, ``alias``
    (the aliases), ``country`` (ISO code, lower-case as FtM writes it), ``ticker``
    (``Company`` only) and ``keywords`` holding the dealgraph kind. Read back: ``Company``,
    ``Organization``, ``LegalEntity`` and ``PublicBody``; the kind is the first keyword
    that is an entity kind, else ``government`` for a ``PublicBody``, else ``company``;
    further names become aliases; ids are made slugs (lower case, runs of other
    characters turned into ``-``) in entities and references alike. Objects of other
    schemata are skipped by :mod:`loaders.ftm_source` (one notice per file), and so are
    deals naming them; messages name the file's own ids and FtM's properties.

Deals (the FtM property holding each dealgraph field)
    =====================  =====================================================================================
    ``invests_in``         ``Ownership``: ``owner`` -> ``asset``
    ``owns_warrant_in``    ``Ownership`` with ``ownershipType`` ``warrant``
    ``granted_shares_by``  ``Ownership`` with ``ownershipType`` ``granted shares`` (owner the holder)
    ``lends_to``           ``Debt``: ``creditor`` -> ``debtor``
    ``customer_of``        ``Payment``: ``payer`` (source) -> ``beneficiary``, ``purpose`` ``customer_of``
    ``supplies``           ``Payment``: ``payer`` (target) -> ``beneficiary`` (source), ``purpose`` ``supplies``
    ``leases_from``        ``Payment``: ``payer`` (source) -> ``beneficiary``, ``purpose`` ``leases_from``
    the others             ``UnknownLink``: ``subject`` -> ``object``, ``role`` the kind
    =====================  =====================================================================================

    An ``Ownership``'s asset must be a ``Company`` in FtM, so equity in an organisation or
    public body is written as an ``UnknownLink`` with ``role`` ``invests_in`` (or
    ``owns_warrant_in``, ``granted_shares_by``). Read back, a ``Payment`` whose ``purpose`` is not a dealgraph
    kind is ``customer_of`` (the payer buys from the beneficiary), and an ``UnknownLink``
    whose ``role`` is not a kind is ``partner_of``.

    ``amount_usd`` -> ``amountUsd`` (``Debt``, ``Payment``) or ``sharesValue`` with
    ``sharesCurrency`` ``USD`` (``Ownership``); read back, ``amount`` counts only with
    ``currency`` ``USD``, and an ``amountEur`` without ``amountUsd`` is refused (beside
    ``amountUsd`` it is the same amount). ``date`` -> ``date`` (else ``startDate`` when reading),
    ``summary`` -> ``summary``, ``amount_note`` -> ``description``, ``evidence_url`` ->
    ``sourceUrl``, ``evidence_title`` -> ``publisher`` (FtM has no title for an interval's
    source).

    What FtM's schema has no property for — an ``UnknownLink``'s amount, deal lineage
    (``supersedes``, ``expands``) and the deal fields after it (``amount_low``/``high``,
    ``amount_basis``, ``status``, ``reported``, ``term``, ``evidence_quote``, ``published``,
    ``archive_url``, ``title_rebuilt``), an entity's ``lender_type`` — goes in a top-level
    ``"dealgraph"`` object beside ``properties``, e.g. ``{"id": ..., "schema":
    "UnknownLink", "properties": {...}, "dealgraph": {"amount_usd": 3200000000.0}}``: FtM
    tools (the followthemoney library included) keep top-level keys they do not know, and
    dealgraph reads them back, so an export loads back exactly. An entity's figures
    (revenue, debt, ...) go there too: ``"dealgraph": {"figures": [{"id", "kind",
    "amount_usd", "period", ...}, ...]}`` (the figure's fields, ``entity`` left out).
"""

from __future__ import annotations

import functools
from dataclasses import fields as dataclass_fields

import re
from typing import Iterable

from dealgraph.model.errors import DealgraphError
from dealgraph.model.records import DEFAULT_ENTITY_KIND, Entity, Figure, Relationship, schema

#: FtM schemas read as entities.
ENTITY_SCHEMAS = ("Company", "Organization", "LegalEntity", "PublicBody")

#: FtM interval schemas read as deals, with the properties naming their two parties.
DEAL_SCHEMAS = {
    "Ownership": ("owner", "asset"),
    "Debt": ("creditor", "debtor"),
    "Payment": ("payer", "beneficiary"),
    "UnknownLink": ("subject", "object"),
}

#: Top-level key of an FtM object holding the deal fields FtM's schema has no property for
#: (FtM tools keep top-level keys other than id, schema and properties as they are).
CONTEXT_KEY = "dealgraph"

#: Deal fields carried only in :data:`CONTEXT_KEY`, besides an ``UnknownLink``'s amount.
LINEAGE_FIELDS = ("supersedes", "expands")

#: Entity fields FtM's schema has no property for (carried in :data:`CONTEXT_KEY`).
ENTITY_CONTEXT_FIELDS = tuple(
    f.name for f in dataclass_fields(Entity) if f.name not in ("id", "name", "kind", "ticker", "country", "aliases"))

#: Deal fields carried in :data:`CONTEXT_KEY`: lineage and every field after it (range,
#: basis, status, evidence quote, archive, ...), so an export loads back exactly.
_DEAL_FIELD_NAMES = [f.name for f in dataclass_fields(Relationship)]
DEAL_CONTEXT_FIELDS = tuple(_DEAL_FIELD_NAMES[_DEAL_FIELD_NAMES.index(LINEAGE_FIELDS[0]):])

_SCHEMA_BY_ENTITY_KIND = {"government": "PublicBody", "investor_group": "Organization"}
#: Deal kinds written as FtM Ownerships (owner = source, asset = target), with their
#: ``ownershipType``; read back, an Ownership of another type (or none) is ``invests_in``.
_OWNERSHIP_KINDS = {"invests_in": None, "owns_warrant_in": "warrant", "granted_shares_by": "granted shares"}
_KIND_OF_OWNERSHIP_TYPE = {t: k for k, t in _OWNERSHIP_KINDS.items() if t}
@functools.cache
def _payment_kinds() -> tuple[str, ...]:
    """Deal kinds written as FtM Payments: the purchases (schema.yaml's ``buyer``)."""
    return tuple(schema().kinds_with("purchase"))
_COUNTRY_CODE = re.compile(r"[A-Za-z]{2}")
_NOT_SLUG = re.compile(r"[^a-z0-9-]+")


class FtmError(DealgraphError):
    """A FollowTheMoney object dealgraph cannot read or write; ``str()`` says why."""


# ---------------------------------------------------------------------------- writing


def entity_schema(entity: Entity) -> str:
    if entity.ticker:
        return "Company"
    return _SCHEMA_BY_ENTITY_KIND.get(entity.kind, "Company")


def entity_to_ftm(entity: Entity) -> dict:
    """The FtM object for one entity."""
    ftm_schema = entity_schema(entity)
    props: dict[str, list[str]] = {"name": [entity.name]}
    if entity.aliases:
        props["alias"] = list(entity.aliases)
    if entity.country:
        country = entity.country
        props["country"] = [country.lower() if _COUNTRY_CODE.fullmatch(country) else country]
    if entity.ticker:
        props["ticker"] = [entity.ticker]
    props["keywords"] = [entity.kind]
    obj = {"id": entity.id, "schema": ftm_schema, "properties": props}
    extras = {f: getattr(entity, f) for f in ENTITY_CONTEXT_FIELDS if getattr(entity, f) is not None}
    if extras:
        obj[CONTEXT_KEY] = extras
    return obj


def deal_to_ftm(deal: Relationship, schemas: dict[str, str]) -> dict:
    """The FtM interval for one deal; ``schemas`` maps entity ids to their FtM schema."""
    props: dict[str, list[str]] = {}
    kind = deal.kind
    if kind in _OWNERSHIP_KINDS and schemas.get(deal.target) == "Company":
        ftm_schema = "Ownership"
        props["owner"], props["asset"] = [deal.source], [deal.target]
        if _OWNERSHIP_KINDS[kind]:
            props["ownershipType"] = [_OWNERSHIP_KINDS[kind]]
        if deal.amount_usd is not None:
            props["sharesValue"], props["sharesCurrency"] = [number_text(deal.amount_usd)], ["USD"]
    elif kind == "lends_to":
        ftm_schema = "Debt"
        props["creditor"], props["debtor"] = [deal.source], [deal.target]
    elif kind in _payment_kinds():
        ftm_schema = "Payment"
        payer, payee = deal.money_flow
        props["payer"], props["beneficiary"] = [payer], [payee]
        props["purpose"] = [kind]
    else:
        ftm_schema = "UnknownLink"
        props["subject"], props["object"] = [deal.source], [deal.target]
        props["role"] = [kind]
    if deal.amount_usd is not None and ftm_schema in ("Debt", "Payment"):
        props["amountUsd"] = [number_text(deal.amount_usd)]
    for field, prop in _INTERVAL_FIELDS:
        value = getattr(deal, field)
        if value is not None:
            props[prop] = [value]
    obj = {"id": deal.id, "schema": ftm_schema, "properties": props}
    extras = {
        "amount_usd": deal.amount_usd if ftm_schema == "UnknownLink" else None,
        **{field: getattr(deal, field) for field in DEAL_CONTEXT_FIELDS},
    }
    extras = {k: v for k, v in extras.items() if v is not None}
    if extras:
        obj[CONTEXT_KEY] = extras
    return obj


def to_ftm(
    entities: Iterable[Entity], deals: Iterable[Relationship], figures: Iterable[Figure] = ()
) -> Iterable[dict]:
    """Every entity (with its figures), then every deal, as FtM objects; raises
    :class:`FtmError` when a deal id is also an entity id (FtM ids name one object each)."""
    entities = list(entities)
    schemas = {e.id: entity_schema(e) for e in entities}
    figures_of: dict[str, list[dict]] = {}
    for figure in figures:
        row = {k: v for k, v in figure.to_dict().items() if k != "entity" and v is not None}
        figures_of.setdefault(figure.entity, []).append(row)
    for e in entities:
        obj = entity_to_ftm(e)
        if e.id in figures_of:
            obj[CONTEXT_KEY] = {**obj.get(CONTEXT_KEY, {}), "figures": figures_of[e.id]}
        yield obj
    for r in deals:
        if r.id in schemas:
            raise FtmError(f"deal id {r.id!r} is also an entity id; FollowTheMoney needs one id per object")
        yield deal_to_ftm(r, schemas)


def number_text(value: float) -> str:
    """A USD amount as text that reads back as the same float (``1500000000``, ``0.5``)."""
    return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)


# Deal fields carried by every interval, and their FtM property.
_INTERVAL_FIELDS = (
    ("date", "date"),
    ("summary", "summary"),
    ("amount_note", "description"),
    ("evidence_url", "sourceUrl"),
    ("evidence_title", "publisher"),
)


# ---------------------------------------------------------------------------- reading


def slug(ftm_id: str) -> str:
    """An FtM id as a dealgraph entity id: lower case, other characters runs of ``-``."""
    return _NOT_SLUG.sub("-", ftm_id.strip().lower()).strip("-")


def ftm_to_fields(obj: dict) -> list[tuple[str, dict[str, object]]]:
    """``[(record type, fields), ...]`` for one FtM object (an entity is followed by its
    figures), in the loaders' field names (values still to be validated); raises
    :class:`FtmError` for what cannot be read."""
    ftm_schema = obj.get("schema")
    ftm_id = obj.get("id")
    props = obj.get("properties", {})
    if not isinstance(ftm_schema, str) or not ftm_schema:
        raise FtmError("FollowTheMoney entity without a 'schema'")
    if not isinstance(ftm_id, str) or not ftm_id.strip():
        raise FtmError(f"FollowTheMoney {ftm_schema} without an 'id'")
    if not isinstance(props, dict) or not all(
        isinstance(v, list) and all(isinstance(x, str) for x in v) for v in props.values()
    ):
        raise FtmError(f"{ftm_schema} {ftm_id!r}: 'properties' must map each property to a list of strings")
    context = obj.get(CONTEXT_KEY)
    context = context if isinstance(context, dict) else {}
    if ftm_schema in ENTITY_SCHEMAS:
        entity = _entity_fields(ftm_schema, ftm_id, props)
        entity.update({f: context[f] for f in ENTITY_CONTEXT_FIELDS if f in context})
        figures = context.get("figures", [])
        if not isinstance(figures, list) or not all(isinstance(f, dict) for f in figures):
            raise FtmError(f"'{CONTEXT_KEY}.figures' must be a list of figures (mappings)")
        return [("entity", entity), *(("figure", {**f, "entity": entity["id"]}) for f in figures)]
    if ftm_schema in DEAL_SCHEMAS:
        try:
            return [("relationship", _deal_fields(ftm_schema, ftm_id, props, context))]
        except FtmError as exc:
            raise FtmError(f"{ftm_schema} {ftm_id!r}: {exc}") from None
    raise FtmError(
        f"FollowTheMoney schema {ftm_schema!r} is not read; dealgraph reads "
        f"{', '.join(ENTITY_SCHEMAS)} (entities) and {', '.join(DEAL_SCHEMAS)} (deals)"
    )


def party_labels(obj: dict, fields: dict[str, object]) -> tuple[str, str]:
    """How messages name the ``source`` and ``target`` of a deal read from ``obj``: by FtM's
    property and the file's own id (``("owner 'NK-1'", "asset 'NK-2'")``)."""
    props = obj["properties"]
    shown = [f"{prop} {next(v for v in props[prop] if v.strip())!r}" for prop in DEAL_SCHEMAS[obj["schema"]]]
    if obj["schema"] == "Payment" and fields["kind"] == "supplies":  # read beneficiary -> payer
        shown.reverse()
    return shown[0], shown[1]


def _first(props: dict, *names: str) -> str | None:
    for name in names:
        for value in props.get(name, ()):
            if value.strip():
                return value
    return None


def _entity_fields(ftm_schema: str, ftm_id: str, props: dict) -> dict[str, object]:
    names = [n for n in props.get("name", ()) if n.strip()]
    kinds = schema().entity_kinds
    kind = next((k for k in props.get("keywords", ()) if k in kinds), None)
    if kind is None:
        kind = "government" if ftm_schema == "PublicBody" else DEFAULT_ENTITY_KIND
    country = _first(props, "country", "jurisdiction")
    if country is not None and _COUNTRY_CODE.fullmatch(country):
        country = country.upper()
    return {
        "id": slug(ftm_id),
        "name": names[0] if names else None,
        "kind": kind,
        "ticker": _first(props, "ticker"),
        "country": country,
        "aliases": [*names[1:], *props.get("alias", ())],
    }


def _deal_fields(ftm_schema: str, ftm_id: str, props: dict, context: dict) -> dict[str, object]:
    source_prop, target_prop = DEAL_SCHEMAS[ftm_schema]
    parties = []
    for prop in (source_prop, target_prop):
        values = [v for v in props.get(prop, []) if v.strip()]
        if len(values) > 1:
            raise FtmError(f"{len(values)} values of {prop!r}; dealgraph reads one")
        if not values:
            raise FtmError(f"no {prop!r}; dealgraph reads a {ftm_schema} between two parties "
                           f"({source_prop!r} and {target_prop!r})")
        parties.append(slug(values[0]))
    source, target = parties
    amount = None
    if ftm_schema == "Ownership":
        kind = next((_KIND_OF_OWNERSHIP_TYPE[t] for t in props.get("ownershipType", ())
                     if t in _KIND_OF_OWNERSHIP_TYPE), "invests_in")
        amount = _usd(props, "sharesValue", "sharesCurrency")
    elif ftm_schema == "Debt":
        kind = "lends_to"
    elif ftm_schema == "Payment":
        kind = next((p for p in props.get("purpose", ()) if p in _payment_kinds()), "customer_of")
        if kind == "supplies":  # the beneficiary (seller) supplies the payer
            source, target = target, source
    else:
        kind = next((r for r in props.get("role", ()) if r in schema().relationship_kinds), "partner_of")
    if ftm_schema in ("Debt", "Payment"):
        amount = _first(props, "amountUsd") or _usd(props, "amount", "currency")
        euros = _first(props, "amountEur")
        if amount is None and euros is not None:
            # Never dropped silently; with amountUsd beside it, it is the same amount.
            raise FtmError(f"amountEur {euros!r} is in EUR; dealgraph keeps amounts in USD (give amountUsd)")
    fields: dict[str, object] = {
        "id": ftm_id, "source": source, "kind": kind, "target": target, "amount_usd": amount,
        "date": _date(_first(props, "date", "startDate")),
    }
    for field, prop in _INTERVAL_FIELDS[1:]:
        fields[field] = _first(props, prop)
    if ftm_schema == "UnknownLink" and "amount_usd" in context:
        fields["amount_usd"] = context["amount_usd"]
    for field in DEAL_CONTEXT_FIELDS:
        if field in context:
            fields[field] = context[field]
    return fields


def _date(value: str | None) -> str | None:
    """FtM dates may carry a time (``2025-03-10T12:00:00``); dealgraph keeps the day."""
    return value[:10] if value is not None and value[10:11] == "T" else value


def _usd(props: dict, amount_prop: str, currency_prop: str) -> str | None:
    amount = _first(props, amount_prop)
    if amount is None:
        return None
    currency = _first(props, currency_prop)
    if (currency or "").upper() != "USD":
        raise FtmError(
            f"{amount_prop} {amount!r} is in {currency or 'an unstated currency'}; dealgraph keeps "
            f"amounts in USD (give {'amountUsd' if amount_prop == 'amount' else amount_prop + ' in USD'})"
        )
    return amount


# Every FtM property dealgraph reads, by schema (see ftm_to_fields); any other property
# an object carries is reported by the loader (dealgraph.loaders.ftm_source), never dropped
# silently. FtM's Ownership ``percentage`` and ``sharesCount`` have no dealgraph field.
_INTERVAL_READ = frozenset({"date", "startDate"} | {prop for _, prop in _INTERVAL_FIELDS})
_ENTITY_READ = frozenset({"name", "alias", "keywords", "country", "jurisdiction", "ticker"})
_AMOUNT_READ = frozenset({"amountUsd", "amount", "currency", "amountEur"})
READ_PROPERTIES = {
    **{name: _ENTITY_READ for name in ENTITY_SCHEMAS},
    "Ownership": _INTERVAL_READ | {"owner", "asset", "ownershipType", "sharesValue", "sharesCurrency"},
    "Debt": _INTERVAL_READ | _AMOUNT_READ | {"creditor", "debtor"},
    "Payment": _INTERVAL_READ | _AMOUNT_READ | {"payer", "beneficiary", "purpose"},
    "UnknownLink": _INTERVAL_READ | {"subject", "object", "role"},
}


def unread_properties(obj: dict) -> list[str]:
    """The properties of an FtM object of a schema dealgraph reads that carry a value
    dealgraph does not read (in the object's order), e.g. ``["percentage", "sharesCount"]``."""
    read = READ_PROPERTIES.get(obj.get("schema"), frozenset())
    props = obj.get("properties")
    if not isinstance(props, dict):
        return []
    return [p for p, values in props.items()
            if p not in read and isinstance(values, list) and any(isinstance(v, str) and v.strip() for v in values)]
