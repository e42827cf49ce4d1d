"""The main job: shipped dataset -> a store -> the loops -> HTML views."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from graph.shipped import shipped_dataset_dir
from graph.store import Progress, Store

DEMO_MAX_LENGTH = 6
DEMO_FOCUS = "nvidia"


@dataclass
class DemoResult:
    entities: int
    relationships: int
    as_of: str | None
    max_length: int
    cycles: list[dict]
    views: dict[str, Path]
    focus: str = DEMO_FOCUS

    @property
    def focus_two_way(self) -> list[dict]:
        """The focus entity's two-way loops: its money coming straight back (vendor financing)."""
        return [c for c in self.cycles if len(c["nodes"]) == 2 and self.focus in c["nodes"]]


def run_demo(store: Store, out: Path, progress: Progress | None = None) -> DemoResult:
    """Load the shipped dataset into ``store``, find its loops and write every view into ``out``."""
    from graph.queries import cycles
    from graph.render import render_view
    from loaders import read_dataset

    dataset = read_dataset([shipped_dataset_dir()], known_entities=store.entities(),
                           known_deals=store.deal_lineage(),
                           stored_deal_endpoints=store.stored_deal_endpoints)
    store.write(dataset.entities, dataset.relationships, progress=progress, figures=dataset.figures)
    views = {}
    for view in ("overview", "cycles", "focus"):
        name = f"focus-{DEMO_FOCUS}" if view == "focus" else view
        result = render_view(store, view, out / f"{name}.html", focus=DEMO_FOCUS,
                             max_length=DEMO_MAX_LENGTH)
        views[view] = result.path
    return DemoResult(
        entities=len(dataset.entities),
        relationships=len(dataset.relationships),
        as_of=store.as_of(),
        max_length=DEMO_MAX_LENGTH,
        cycles=cycles(store, max_length=DEMO_MAX_LENGTH),
        views=views,
    )
