"""Canned Cypher queries: one ``.cypher`` file per question, with a header.

Each file starts with comment lines::

    // name: circular-financing
    // description: one line saying what the query answers
    // params: maxLength=6, entity=null, minAmount=null
    // Paste into Neo4j Browser first (one line):
    // :params {maxLength: 6, entity: null, minAmount: null}
    ...

and then the query, which takes its values only as ``$parameters``. The ``:params`` line
sets every declared parameter to its default in one paste (a test evaluates it as a Cypher
map and compares it with ``// params:``). The same text runs
from ``dealgraph query`` and pasted into Neo4j Browser.

>>> queries = load_queries()
>>> queries["money-paths"].params["maxLength"]
4
>>> bind(queries["money-paths"], {"from": "nvidia", "to": "openai", "maxLength": "3"})
{'from': 'nvidia', 'to': 'openai', 'maxLength': 3}
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from dealgraph.model.errors import QueryError

__all__ = ["CannedQuery", "bind", "load_queries", "params_used", "parse_query"]

_HEADER = re.compile(r"^//\s*(name|description|params):\s*(.*?)\s*$")
_PARAM_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class CannedQuery:
    name: str
    description: str
    params: dict[str, Any]  # declared parameter -> default (None, int, float or str)
    text: str  # the whole file, header included (comments are valid Cypher)
    path: Path
    #: parameter -> type its CLI strings become: the default's type, or for a null default
    #: str unless declared ``name=null:number`` (float)
    types: dict[str, type] = field(default_factory=dict)

    def type_of(self, name: str) -> type:
        default = self.params[name]
        return self.types.get(name) or (str if default is None else type(default))


def _parse_default(raw: str, where: str) -> Any:
    raw = raw.strip()
    if raw in ("null", "null:number"):
        return None
    if re.fullmatch(r"-?\d+", raw):
        return int(raw)
    try:
        return float(raw)
    except ValueError:
        pass
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
        return raw[1:-1]
    raise QueryError(f"{where}: default {raw!r} must be null, a number or a quoted string")


def parse_query(text: str, path: Path) -> CannedQuery:
    """A canned query from the text of its file; raises QueryError if the header is wrong."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("//"):
            break
        m = _HEADER.match(line)
        if m and m.group(1) not in fields:
            fields[m.group(1)] = m.group(2)
    missing = [f for f in ("name", "description", "params") if f not in fields]
    if missing:
        raise QueryError(f"{path.name}: header lacks {', '.join('// ' + f + ':' for f in missing)}")
    params: dict[str, Any] = {}
    types: dict[str, type] = {}
    for item in filter(None, (p.strip() for p in fields["params"].split(","))):
        name, eq, default = item.partition("=")
        name = name.strip()
        if not eq or not _PARAM_NAME.match(name):
            raise QueryError(f"{path.name}: params entry {item!r} must be NAME=DEFAULT")
        params[name] = _parse_default(default, f"{path.name}: param {name}")
        if default.strip() == "null:number":
            types[name] = float
    return CannedQuery(fields["name"], fields["description"], params, text, path, types)


def load_queries(directory: Path | None = None) -> dict[str, CannedQuery]:
    """Every canned query of ``directory`` (default: the ``.cypher`` files of this package), by name."""
    if directory is None:
        files = [f for f in resources.files(__name__).iterdir() if f.name.endswith(".cypher")]
    else:
        files = list(Path(directory).glob("*.cypher"))
    queries: dict[str, CannedQuery] = {}
    for f in sorted(files, key=lambda f: f.name):
        query = parse_query(f.read_text("utf-8"), Path(str(f)))
        if query.name in queries:
            raise QueryError(f"{f.name}: query name {query.name!r} is used twice")
        queries[query.name] = query
    return dict(sorted(queries.items()))  # by name ("a-b.cypher" sorts before "a.cypher")


def get_query(name: str) -> CannedQuery:
    """The canned query called ``name``; QueryError listing the known names otherwise."""
    queries = load_queries()
    try:
        return queries[name]
    except KeyError:
        raise QueryError(f"unknown query {name!r}; known: {', '.join(queries)}") from None


def _strip_comments_and_strings(text: str) -> str:
    """The query with comments, string literals and backquoted names blanked out."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
        elif c in "'\"`":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            i = j + 1
            out.append(" ")
        else:
            out.append(c)
            i += 1
    return "".join(out)


def params_used(text: str) -> set[str]:
    """The ``$parameters`` a query's body uses (comments and strings ignored).

    >>> sorted(params_used("MATCH (n {id: $id}) // $not\\nRETURN '$nor', $limit"))
    ['id', 'limit']
    """
    return set(re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*)", _strip_comments_and_strings(text)))


def bind(query: CannedQuery, given: dict[str, Any]) -> dict[str, Any]:
    """Parameters for ``query``: its defaults, overridden by ``given`` (strings from the CLI
    become the type of the default: int, float or string; ``null`` is None; a null default
    is a string unless declared ``null:number``).

    >>> q = parse_query("// name: q\\n// description: d\\n// params: n=6, x=null, least=null:number\\n", Path("q"))
    >>> bind(q, {"n": "3", "x": "nvidia", "least": "2e9"})
    {'n': 3, 'x': 'nvidia', 'least': 2000000000.0}
    """
    unknown = sorted(set(given) - set(query.params))
    if unknown:
        allowed = ", ".join(query.params) or "none"
        raise QueryError(f"query {query.name} has no parameter {', '.join(unknown)}; allowed: {allowed}")
    bound = dict(query.params)
    for name, value in given.items():
        bound[name] = _coerce(query, name, value)
    return bound


def _coerce(query: CannedQuery, name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if value.strip().lower() == "null":
        return None
    wanted = query.type_of(name)
    if wanted is str:
        return value
    try:
        return wanted(value.strip())
    except ValueError:
        kind = "a whole number" if wanted is int else "a number"
        raise QueryError(f"query {query.name}: parameter {name} must be {kind}, got {value!r}") from None
