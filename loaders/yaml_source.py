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

from loaders.document import (
    DocumentSource,
    EXPECTED_DOCUMENT,
    SECTIONS,
    item_to_record,
    not_a_list_problem,
    unknown_key_problem,
)
from loaders.records import Location, Problem, Record, type_name

# The pure-Python loader, not libyaml's: its messages are clearer and the same on every
# machine, and YAML documents are small enough for its speed not to matter.
_Loader = yaml.SafeLoader
_NULL_TAG = "tag:yaml.org,2002:null"


class YamlSource(DocumentSource):
    """Reads one YAML document; records are reported at the line their mapping starts."""

    def parse(self, name: str, text: str) -> Iterator[Record | Problem]:
        try:
            root = _compose(text)
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
        try:
            yield from _document_records(name, root)
        except RecursionError:
            message = "invalid YAML: an alias refers to a node that contains it"
            yield Problem(Location(name), message)


def _compose(text: str) -> yaml.Node | None:
    """The document's node tree (``None`` if empty); raises ``yaml.YAMLError``."""
    loader = _Loader(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def _document_records(name: str, root: yaml.Node | None) -> Iterator[Record | Problem]:
    if root is None:
        yield Problem(Location(name, 1), f"empty document; {EXPECTED_DOCUMENT}")
        return
    if not isinstance(root, yaml.MappingNode):
        yield Problem(_where(name, root), f"{EXPECTED_DOCUMENT}, got {type_name(_plain(root))}")
        return
    seen = set()
    for key_node, value_node in root.value:
        key = _key(key_node)
        key_where = _where(name, key_node)
        if key in seen:
            yield Problem(key_where, f"duplicate top-level key {key!r}")
        seen.add(key)
        if key not in SECTIONS:
            if (problem := unknown_key_problem(key_where, key)) is not None:
                yield problem
        elif isinstance(value_node, yaml.SequenceNode):
            for item_node in value_node.value:
                item = _plain(item_node)
                if isinstance(item, dict) and isinstance(item_node, yaml.MappingNode):
                    for problem in _duplicate_fields(name, item_node):
                        yield problem
                yield item_to_record(_where(name, item_node), key, item)
        elif _plain(value_node) is not None:
            yield not_a_list_problem(key_where, key, _plain(value_node))


def _plain(node: yaml.Node) -> object:
    """The node as plain data: scalars as the written text, ``None`` for null."""
    if isinstance(node, yaml.ScalarNode):
        return None if node.tag == _NULL_TAG else node.value
    if isinstance(node, yaml.SequenceNode):
        return [_plain(n) for n in node.value]
    return {_key(k): _plain(v) for k, v in node.value}


def _key(node: yaml.Node) -> object:
    """A mapping key as plain data; a list or mapping used as a key becomes its text."""
    key = _plain(node)
    return key if key is None or isinstance(key, str) else str(key)


def _duplicate_fields(name: str, node: yaml.MappingNode) -> Iterator[Problem]:
    seen = set()
    for key_node, _ in node.value:
        key = _key(key_node)
        if key in seen:
            yield Problem(_where(name, key_node), f"duplicate field {key!r}")
        seen.add(key)


def _where(name: str, node: yaml.Node) -> Location:
    return Location(name, node.start_mark.line + 1)
