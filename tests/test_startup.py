"""Startup cost: the CLI imports heavy libraries only in the commands that need them."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("networkx", "yaml", "pyvis", "neo4j")

PROBE = """
import sys
from dealgraph.cli import main
try:
    main({args!r}, prog_name="dealgraph")
except SystemExit:
    pass
print("HEAVY=" + ",".join(m for m in {heavy!r} if m in sys.modules))
"""


@pytest.mark.parametrize("args", [[], ["--help"], ["cycles", "--help"], ["render", "--help"]])
def test_cli_help_imports_no_heavy_library(args):
    probe = PROBE.format(args=args, heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "HEAVY="


def test_probe_sees_a_heavy_import():
    """The probe itself can fail: a command that does need networkx shows up in it."""
    probe = PROBE.format(args=[], heavy=HEAVY).replace(
        "from dealgraph.cli import main", "from dealgraph.cli import main\nimport dealgraph.analyses.queries")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert "networkx" in done.stdout.splitlines()[-1].removeprefix("HEAVY=").split(",")


def test_render_module_loads_pyvis_only_to_draw():
    """`render` refuses an oversized view from counts without loading pyvis (and networkx)."""
    probe = "import sys, dealgraph.output.html\nprint('HEAVY=' + ','.join(m for m in ('pyvis', 'networkx') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "HEAVY="
