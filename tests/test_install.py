"""What installing dealgraph puts into site-packages: one package, ``dealgraph``.

Top-level ``graph``, ``loaders`` or ``cypher`` packages would clash with other
distributions (``graph-theory`` installs ``graph``, ``ipython-cypher`` installs ``cypher``).
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_holds_one_top_level_package(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True, cwd=tmp_path, capture_output=True,
    )
    (wheel,) = tmp_path.glob("dealgraph-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/", 1)[0] for n in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"dealgraph"}
    # every wing, the loaders, the canned queries, the schema, the template and the data
    for path in ("dealgraph/model/schema.yaml", "dealgraph/stores/sqlite_store.py",
                 "dealgraph/analyses/cycles.py", "dealgraph/output/templates/view.html",
                 "dealgraph/loaders/csv_source.py", "dealgraph/cypher/circular-financing.cypher",
                 "dealgraph/datasets/ai-finance/relationships.csv", "dealgraph/load.py"):
        assert path in names, path
