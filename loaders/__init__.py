"""Loaders: input files -> validated records, ready for a store.

The path is Source -> validated records -> (the caller's) store:

* :mod:`loaders.sources` picks a source by extension (``.csv``, ``.json``,
  ``.jsonl``/``.ndjson``, ``.yaml``/``.yml``) and streams raw records;
* :mod:`loaders.validation` checks each record's fields against the model;
* :mod:`loaders.dataset` merges repeats, resolves entity references and returns a
  :class:`Dataset`, or raises :class:`graph.errors.ValidationError` listing every
  problem as ``FILE:LINE: message``.

>>> from loaders import read_dataset  # doctest: +SKIP
>>> dataset = read_dataset(["data/ai-finance"])  # doctest: +SKIP
"""

from loaders.dataset import Dataset, DatasetBuilder, read_dataset
from loaders.records import Location, Problem, Record
from loaders.sources import SOURCES_BY_EXTENSION, input_files, open_source, read_records
from loaders.validation import RelationshipDraft, validate_records

__all__ = [
    "Dataset",
    "DatasetBuilder",
    "Location",
    "Problem",
    "Record",
    "RelationshipDraft",
    "SOURCES_BY_EXTENSION",
    "input_files",
    "open_source",
    "read_dataset",
    "read_records",
    "validate_records",
]
