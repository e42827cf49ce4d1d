"""Writes cypher/dealgraph.grass, Neo4j Browser's style, from the model's colours
(graph/model/schema.yaml), so Browser's graph view is coloured as the HTML views are.

    python scripts/neo4j_style.py          # rewrite the file
    python scripts/neo4j_style.py --check  # exit 1 if the file is not what the schema gives

Each entity kind is a node label (dealgraph.stores.neo4j_writer.entity_labels), its border
the views' darker tone of its colour, its caption text white on dark colours; each
relationship kind's type gets its colour. Browser's GraSS parser knows no comments.
"""

from __future__ import annotations

import sys
from pathlib import Path

from dealgraph.model.records import schema
from dealgraph.output.html import _darker
from dealgraph.stores.neo4j_writer import entity_labels

GRASS = Path(__file__).resolve().parent.parent / "cypher" / "dealgraph.grass"
HEAD = """node {
  diameter: 50px;
  color: #9e9e9e;
  border-color: #6e6e6e;
  border-width: 2px;
  text-color-internal: #FFFFFF;
  font-size: 10px;
  caption: '{name}';
}
relationship {
  color: #9e9e9e;
  shaft-width: 2px;
  font-size: 8px;
  padding: 3px;
  text-color-external: #000000;
  text-color-internal: #FFFFFF;
  caption: '{kind} {amount_usd}';
}
node.Entity {
  caption: '{name}';
}
"""


def _luminance(color: str) -> float:
    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (lin(int(color[i:i + 2], 16) / 255) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def grass() -> str:
    model = schema()
    out = [HEAD]
    for kind, label in entity_labels().items():
        color = model.entity_kinds[kind].color
        text = "#FFFFFF" if _luminance(color) < 0.28 else "#2A2C34"
        out.append(f"node.{label} {{\n  color: {color};\n  border-color: {_darker(color)};\n"
                   f"  text-color-internal: {text};\n  caption: '{{name}}';\n}}\n")
    for kind in model.relationship_kinds.values():
        out.append(f"relationship.{kind.neo4j_type} {{\n  color: {kind.color};\n  caption: '{{kind}} {{amount_usd}}';\n}}\n")
    return "".join(out)


def main(argv: list[str]) -> int:
    text = grass()
    if "--check" in argv:
        if GRASS.read_text("utf-8") != text:
            print(f"{GRASS} is not what the schema's colours give: run python scripts/neo4j_style.py", file=sys.stderr)
            return 1
        return 0
    GRASS.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
