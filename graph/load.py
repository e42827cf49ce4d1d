"""Files -> loaders -> a store: the one place where input meets storage.

The stores know nothing of files and the loaders nothing of stores; :func:`load_files`
brings them together. An engine that can check input while it writes it (the embedded
store: one streaming transaction, memory flat in the number of deals) gets the streaming
reader; any other gets the whole dataset, checked, through ``Store.write``. Either way
the load is all or nothing: any problem raises
:class:`~dealgraph.model.errors.ValidationError` listing every problem, and nothing is
written.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Sequence

from dealgraph.stores.base import LoadCounts, Progress, Store

__all__ = ["load_files", "shipped_dataset_dir"]

#: The curated AI-finance dataset that ships with dealgraph (``data/ai-finance``).
DATASET = "ai-finance"


def load_files(store: Store, paths: Sequence, progress: Progress | None = None) -> LoadCounts:
    """Check the input files (folders too) and write them into ``store``, all or nothing."""
    paths = list(paths)
    if store.write_streaming is not None:
        from dealgraph.loaders.streaming import StreamingDataset

        return store.write_streaming(lambda known: StreamingDataset(paths, known_entities=known), progress)
    from dealgraph.loaders import read_dataset

    dataset = read_dataset(paths, known_entities=store.entities(), known_deals=store.deal_lineage,
                           stored_deal_endpoints=store.stored_deal_endpoints)
    store.write(dataset.entities, dataset.relationships, progress=progress, figures=dataset.figures)
    return LoadCounts(len(dataset.entities), len(dataset.relationships), len(dataset.figures))


def shipped_dataset_dir() -> Path:
    """The ``data/ai-finance`` folder, from an installed copy or from the source tree."""
    try:
        installed = Path(str(resources.files("dealgraph.datasets").joinpath(DATASET)))
        if installed.is_dir():
            return installed
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parent.parent / "data" / DATASET
