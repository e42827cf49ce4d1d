"""The class of a source and what makes its URL fragile, read from ``source_classes.yaml``.

The table beside this file is the only place that knows hosts; this module applies it.
A class is derived from the evidence URL each time it is asked for, never stored.

>>> source_class("https://www.sec.gov/Archives/edgar/data/1769628/R49.htm")
'filing'
>>> source_class("https://ir.amd.com/financial-information/sec-filings/content/x.htm"), source_class("https://ir.amd.com/news")
('filing', 'company')
>>> source_class("https://www.reuters.com/technology/x/"), source_class("https://notreuters.com/x"), source_class(None)
('major', 'secondary', 'secondary')
>>> fragile_flags("http://amp.example.com/a?id=1", "secondary", archived=False)
['no_https', 'query', 'amp', 'no_archive']
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from urllib.parse import urlsplit

from dealgraph.model.errors import ModelError

#: The keys a rule or a fragile-flag entry may test (see source_classes.yaml).
_MATCH_KEYS = ("host", "first_label", "path", "path_contains", "path_ends", "scheme_not", "query",
               "class_without_archive")


@dataclass(frozen=True)
class SourceClass:
    name: str
    label: str
    primary: bool


@dataclass(frozen=True)
class Matcher:
    """One rule or flag entry: matches a URL when every key it gives matches."""

    host: tuple[str, ...] = ()
    first_label: tuple[str, ...] = ()
    path: tuple[str, ...] = ()
    path_contains: tuple[str, ...] = ()
    path_ends: tuple[str, ...] = ()
    scheme_not: str | None = None
    query: bool | None = None
    class_without_archive: tuple[str, ...] = ()

    def matches(self, url: Url, source_class: str | None = None, archived: bool = False) -> bool:
        host = url.host
        if self.host and not any(host == h or host.endswith("." + h) for h in self.host):
            return False
        if self.first_label and host.split(".", 1)[0] not in self.first_label:
            return False
        if self.path and not url.path.startswith(self.path):
            return False
        if self.path_contains and not any(p in url.path for p in self.path_contains):
            return False
        if self.path_ends and not url.path.endswith(self.path_ends):
            return False
        if self.scheme_not is not None and url.scheme == self.scheme_not:
            return False
        if self.query is not None and bool(url.query) != self.query:
            return False
        if self.class_without_archive and (archived or source_class not in self.class_without_archive):
            return False
        return True


@dataclass(frozen=True)
class Url:
    scheme: str
    host: str
    path: str
    query: str

    @classmethod
    def parse(cls, url: str) -> Url:
        parts = urlsplit(url.strip())
        return cls(parts.scheme.lower(), (parts.hostname or "").lower().rstrip("."), parts.path, parts.query)


@dataclass(frozen=True)
class Rule:
    matcher: Matcher
    source_class: str


@dataclass(frozen=True)
class FragileFlag:
    name: str
    reads_as: str
    entries: tuple[Matcher, ...]


@dataclass(frozen=True)
class SourceTable:
    default: str
    classes: dict[str, SourceClass]
    rules: tuple[Rule, ...]
    fragile: dict[str, FragileFlag]

    @property
    def primary(self) -> tuple[str, ...]:
        """The classes whose pages are the party's or its regulator's own word."""
        return tuple(c.name for c in self.classes.values() if c.primary)


def _matcher(raw: dict, where: str) -> Matcher:
    unknown = set(raw) - set(_MATCH_KEYS) - {"class", "note"}
    if unknown:
        raise ModelError(f"source_classes.yaml: {where}: unknown key {sorted(unknown)[0]!r}")
    if not set(raw) & set(_MATCH_KEYS):
        raise ModelError(f"source_classes.yaml: {where}: tests nothing")

    def names(key):
        value = raw.get(key) or ()
        return tuple(str(v).lower() if key in ("host", "first_label") else str(v)
                     for v in ([value] if isinstance(value, str) else value))

    return Matcher(host=names("host"), first_label=names("first_label"), path=names("path"),
                   path_contains=names("path_contains"), path_ends=names("path_ends"),
                   scheme_not=raw.get("scheme_not"), query=raw.get("query"),
                   class_without_archive=names("class_without_archive"))


@cache
def source_table() -> SourceTable:
    """The table, parsed once from ``source_classes.yaml`` and checked."""
    import yaml

    raw = yaml.safe_load(resources.files("dealgraph.model").joinpath("source_classes.yaml").read_text("utf-8"))
    classes = {name: SourceClass(name, spec["label"], bool(spec.get("primary")))
               for name, spec in raw["classes"].items()}
    default = raw["default"]
    if default not in classes:
        raise ModelError(f"source_classes.yaml: default {default!r} is not a class")
    rules = []
    for i, rule in enumerate(raw["rules"], 1):
        if rule.get("class") not in classes:
            raise ModelError(f"source_classes.yaml: rule {i}: class {rule.get('class')!r} is not a class")
        rules.append(Rule(_matcher(rule, f"rule {i}"), rule["class"]))
    fragile = {}
    for name, spec in raw["fragile"].items():
        entries = tuple(_matcher(e, f"fragile {name}") for e in spec["match"])
        for e in entries:
            if set(e.class_without_archive) - set(classes):
                raise ModelError(f"source_classes.yaml: fragile {name}: unknown class")
        fragile[name] = FragileFlag(name, spec["reads_as"], entries)
    return SourceTable(default, classes, tuple(rules), fragile)


def source_host(url: str | None) -> str | None:
    """The URL's host, lower case (None without a URL)."""
    return Url.parse(url).host or None if url else None


def source_class(url: str | None) -> str:
    """The class of the page at ``url``: the first rule that matches, else the default."""
    table = source_table()
    if url:
        parsed = Url.parse(url)
        for rule in table.rules:
            if rule.matcher.matches(parsed):
                return rule.source_class
    return table.default


def fragile_flags(url: str | None, source_class: str, archived: bool) -> list[str]:
    """The fragile-URL flags of ``url`` (in the table's order); none without a URL."""
    if not url:
        return []
    parsed = Url.parse(url)
    return [flag.name for flag in source_table().fragile.values()
            if any(e.matches(parsed, source_class, archived) for e in flag.entries)]
