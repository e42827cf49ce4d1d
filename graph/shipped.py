"""Where the curated AI-finance dataset that ships with dealgraph lives."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

DATASET = "ai-finance"


def shipped_dataset_dir() -> Path:
    """The ``data/ai-finance`` folder, from an installed copy or from the source tree."""
    try:
        installed = Path(str(resources.files("dealgraph.datasets").joinpath(DATASET)))
        if installed.is_dir():
            return installed
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parent.parent / "data" / DATASET
