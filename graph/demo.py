"""The main job: shipped dataset -> a store -> what stands out, the loops -> HTML views."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dealgraph.load import load_files, shipped_dataset_dir
from dealgraph.stores.base import Progress, Store

DEMO_MAX_LENGTH = 6
DEMO_FOCUS = "nvidia"
#: The entity whose story the demo tells first (the numbers come from the store).
STORY_SUBJECT = "coreweave"
#: Where ``dealgraph demo`` puts its store and views unless told otherwise.
DEMO_DIR = Path("dealgraph-demo")
DEMO_DB_NAME = "dealgraph.db"


@dataclass
class DemoResult:
    entities: int
    relationships: int
    as_of: str | None
    max_length: int
    cycles: list[dict]
    views: dict[str, Path]
    focus: str = DEMO_FOCUS
    figures: int = 0
    story: dict | None = None

    @property
    def focus_two_way(self) -> list[dict]:
        """The focus entity's two-way loops: its money coming straight back (vendor financing)."""
        return [c for c in self.cycles if len(c["nodes"]) == 2 and self.focus in c["nodes"]]


def run_demo(store: Store, out: Path, progress: Progress | None = None) -> DemoResult:
    """Load the shipped dataset into ``store``, find its loops and write every view into ``out``."""
    from dealgraph.analyses.queries import cycles
    from dealgraph.output.html import render_view
    from dealgraph.analyses.story import what_stands_out

    loaded = load_files(store, [shipped_dataset_dir()], progress=progress)
    views = {}
    for view in ("overview", "cycles", "focus"):
        name = f"focus-{DEMO_FOCUS}" if view == "focus" else view
        result = render_view(store, view, out / f"{name}.html", focus=DEMO_FOCUS,
                             max_length=DEMO_MAX_LENGTH)
        views[view] = result.path
    loops = cycles(store, max_length=DEMO_MAX_LENGTH)
    has_subject = any(e.id == STORY_SUBJECT for e in store.entities())
    return DemoResult(
        entities=loaded.entities,
        relationships=loaded.relationships,
        as_of=store.as_of(),
        max_length=DEMO_MAX_LENGTH,
        cycles=loops,
        views=views,
        figures=loaded.figures,
        story=what_stands_out(store, STORY_SUBJECT, loops) if has_subject else None,
    )


def next_commands(db: Path | None = None, neo4j_uri: str | None = None, subject: str = "CoreWeave") -> list[str]:
    """How to keep asking the store the demo just filled: the exact lines to type.

    ``db`` is the demo's embedded store; ``neo4j_uri`` (shown without any password) when
    the demo ran through Neo4j.
    """
    if neo4j_uri:
        from dealgraph.stores.neo4j_store import safe_uri

        setup = [f"export NEO4J_URI={safe_uri(neo4j_uri)}   # with NEO4J_USERNAME / NEO4J_PASSWORD set"]
        per_command = f"--neo4j-uri {safe_uri(neo4j_uri)}"
    else:
        setup = [f"export DEALGRAPH_DB={db}"]
        per_command = f"--db {db}"
    return [
        *setup,
        f"dealgraph show {subject}",
        "dealgraph concentration",
        f"dealgraph cycles --through {subject} --limit 5",
        "dealgraph query --list",
        f"(or add {per_command} to each command instead of the export)",
    ]


def demo_store_hint(missing: Path) -> str | None:
    """When the embedded store ``missing`` does not exist but a demo's store does in the
    working directory, how to use it; else None."""
    demo_db = DEMO_DIR / DEMO_DB_NAME
    if missing.resolve() == demo_db.resolve() or not demo_db.is_file():
        return None
    return (f"the demo's store is {demo_db}: add --db {demo_db}, "
            f"or run: export DEALGRAPH_DB={demo_db}")
