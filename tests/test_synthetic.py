"""The benchmarks' synthetic data generator writes valid, deterministic loader input."""

from dealgraph.loaders import read_dataset
from dealgraph.synthetic import write_synthetic


def test_synthetic_files_load_and_are_deterministic(tmp_path):
    first = write_synthetic(tmp_path / "a", 300, 3_000, seed=5)
    again = write_synthetic(tmp_path / "b", 300, 3_000, seed=5)
    other = write_synthetic(tmp_path / "c", 300, 3_000, seed=6)
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in again]
    assert [p.read_bytes() for p in first] != [p.read_bytes() for p in other]

    dataset = read_dataset([tmp_path / "a"])
    assert len(dataset.entities) == 300
    assert len(dataset.relationships) == 3_000
    assert all(r.source != r.target for r in dataset.relationships)
    assert len({r.kind for r in dataset.relationships}) > 5
    assert any(r.amount_usd for r in dataset.relationships)
    assert any(e.aliases for e in dataset.entities)
