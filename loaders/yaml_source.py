"""YAML source: one document ``{entities: [...], relationships: [...]}`` (``.yaml``/``.yml``).

The document is *composed* (parsed into nodes) rather than loaded, for two reasons:
each record's line comes from its node's ``start_mark``, and scalars keep the text the
author wrote. YAML 1.1 would otherwise turn ``ticker: ON`` into ``True``, ``date:
2024-05-01`` into a ``datetime.date`` and ``id: 0700`` into an octal number; here every
scalar is a string (or ``None`` for ``null``/``~``/empty) and validation parses it, just
as it does CSV cells.
"""

from __future__ import annotations

from typing import Iterator

import yaml

from dealgraph.loaders import limits
from dealgraph.loaders.document import (
    DocumentSource,
    EXPECTED_DOCUMENT,
    SECTIONS,
    item_to_record,
    not_a_list_problem,
    unknown_key_problem,
)
from dealgraph.loaders.records import Location, Problem, Record, type_name

# The pure-Python loader, not libyaml's: its messages are clearer and the same on every
# machine, and YAML documents are small enough for its speed not to matter.
_Loader = yaml.SafeLoader
_NULL_TAG = "tag:yaml.org,2002:null"


class YamlSource(DocumentSource):
    """Reads one YAML document; records are reported at the line their mapping starts."""

    what = "YAML documents (use CSV or JSON Lines for more)"

    def max_bytes(self) -> int:
        return limits.MAX_YAML_DOCUMENT_BYTES

    def parse(self, name: str, text: str) -> Iterator[Record | Problem]:
        loader = None
        try:
            loader = _Loader(text)  # the reader checks the characters here
            root = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark is not None else None
            yield Problem(Location(name, line), f"invalid YAML: {exc.problem or exc.context}")
            return
        except yaml.reader.ReaderError as exc:  # a control character YAML does not allow
            line = text.count("\n", 0, exc.position) + 1
            message = f"invalid YAML: {exc.reason} (#x{exc.character:04x})"
            yield Problem(Location(name, line), message)
            return
        except RecursionError:  # the composer recurses once per level of nesting
            yield Problem(Location(name, loader.line + 1), f"{too_deep()}; stopped reading this file")
            return
        finally:
            if loader is not None:
                loader.dispose()
        yield from _document_records(name, root)


def too_deep() -> str:
    return f"lists or mappings nested more than {limits.MAX_NESTING} deep; records hold plain values"


class _Unplain(Exception):
    """A node that cannot become plain data: ``line`` and ``message`` say where and why."""

    def __init__(self, line: int | None, message: str):
        self.line = line
        self.message = message


def _document_records(name: str, root: yaml.Node | None) -> Iterator[Record | Problem]:
    if root is None:
        yield Problem(Location(name, 1), f"empty document; {EXPECTED_DOCUMENT}")
        return
    if not isinstance(root, yaml.MappingNode):
        yield _plain_or_problem(
            name, root, lambda value: Problem(_where(name, root), f"{EXPECTED_DOCUMENT}, got {type_name(value)}")
        )
        return
    seen = set()
    for key_node, value_node in root.value:
        key_where = _where(name, key_node)
        try:
            key = _key(key_node, _Budget())
        except _Unplain as exc:
            yield Problem(Location(name, exc.line or key_where.line), exc.message)
            continue
        if key in seen:
            yield Problem(key_where, f"duplicate top-level key {key!r}")
        seen.add(key)
        if key not in SECTIONS:
            if (problem := unknown_key_problem(key_where, key)) is not None:
                yield problem
        elif isinstance(value_node, yaml.SequenceNode):
            for item_node in value_node.value:
                yield from _item(name, key, item_node)
        else:
            yield _plain_or_problem(
                name, value_node,
                lambda value: None if value is None else not_a_list_problem(key_where, key, value),
            )


def _item(name: str, section: str, node: yaml.Node) -> Iterator[Record | Problem]:
    where = _where(name, node)
    try:
        item = _plain(node, _Budget())
    except _Unplain as exc:
        yield Problem(where if exc.line is None else Location(name, exc.line), exc.message)
        return
    if isinstance(item, dict) and isinstance(node, yaml.MappingNode):
        yield from _duplicate_fields(name, node)
    yield item_to_record(where, section, item)


def _plain_or_problem(name, node, then):
    try:
        value = _plain(node, _Budget())
    except _Unplain as exc:
        return Problem(Location(name, exc.line or node.start_mark.line + 1), exc.message)
    return then(value)


class _Budget:
    """How many more values one record may expand to (aliases make a few lines expand to
    billions), and the nodes being expanded (an alias inside its own anchor loops)."""

    def __init__(self):
        self.left = limits.MAX_YAML_VALUES_PER_RECORD
        self.open: set[int] = set()


def _plain(node: yaml.Node, budget: _Budget, depth: int = 1) -> object:
    """The node as plain data: scalars as the written text, ``None`` for null.

    Raises :class:`_Unplain` for an alias inside the node it names, nesting deeper than
    :data:`~loaders.limits.MAX_NESTING`, or more values than the budget allows.
    """
    budget.left -= 1
    if budget.left < 0:
        raise _Unplain(
            None,  # the record's line: the node where the budget ran out may be an anchor far off
            f"record expands to more than {limits.MAX_YAML_VALUES_PER_RECORD:,} values "
            "(aliases repeating aliases?)",
        )
    if isinstance(node, yaml.ScalarNode):
        return None if node.tag == _NULL_TAG else node.value
    if depth > limits.MAX_NESTING:
        raise _Unplain(node.start_mark.line + 1, too_deep())
    if id(node) in budget.open:
        raise _Unplain(node.start_mark.line + 1, "invalid YAML: an alias refers to a node that contains it")
    budget.open.add(id(node))
    try:
        if isinstance(node, yaml.SequenceNode):
            return [_plain(n, budget, depth + 1) for n in node.value]
        return {_key(k, budget, depth + 1): _plain(v, budget, depth + 1) for k, v in node.value}
    finally:
        budget.open.discard(id(node))


def _key(node: yaml.Node, budget: _Budget, depth: int = 1) -> object:
    """A mapping key as plain data; a list or mapping used as a key becomes its text."""
    key = _plain(node, budget, depth)
    return key if key is None or isinstance(key, str) else str(key)


def _duplicate_fields(name: str, node: yaml.MappingNode) -> Iterator[Problem]:
    seen = set()
    for key_node, _ in node.value:
        key = _key(key_node, _Budget())
        if key in seen:
            yield Problem(_where(name, key_node), f"duplicate field {key!r}")
        seen.add(key)


def _where(name: str, node: yaml.Node) -> Location:
    return Location(name, node.start_mark.line + 1)
