"""Every `$ dealgraph ...` example in README.md and docs/*.md prints what the document shows.

When this fails, the code prints something else now: if the new output is right, run
``python scripts/readme_examples.py --write`` and commit the documents it rewrites.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "readme_examples.py"


def load_script():
    spec = importlib.util.spec_from_file_location("readme_examples", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["readme_examples"] = module
    spec.loader.exec_module(module)
    return module


readme_examples = load_script()


@pytest.fixture(scope="module")
def examples():
    """Every example of the documents, run once."""
    found = [e for path in readme_examples.documents() if path.is_file()
             for e in readme_examples.find_examples(path)]
    readme_examples.run_examples(found)
    return found


def test_every_console_example_prints_what_the_documents_show(examples):
    commands = [c.text for e in examples for c in e.commands]
    # The README's own examples are found: the loop table, the bad-input load, the demo's start.
    assert "dealgraph cycles --through nvidia --max-length 3 --limit 1" in commands
    assert "dealgraph load deals.csv" in commands
    assert "dealgraph demo | head -n 8" in commands
    problems = readme_examples.check(examples)
    assert not problems, (
        "\n\n".join(problems)
        + f"\n\n{len(problems)} README example(s) differ from what the code prints. If the code is right, "
        f"run: {readme_examples.WRITE_HINT}")


def test_the_bad_input_example_fails_as_documented(examples):
    """The example of refused input really is refused: its output names both problems."""
    out = next(c.actual for e in examples for c in e.commands if c.text == "dealgraph load deals.csv")
    assert out[-1] == "Error: 2 problems found; nothing was written"
    assert any(line.startswith("deals.csv:3: unknown relationship kind 'bribes'") for line in out)


def test_a_wrong_output_is_reported_with_a_diff_and_the_command_to_fix_it(tmp_path):
    doc = tmp_path / "README.md"
    doc.write_text("intro\n\n```console\n$ dealgraph stats --format json\nnot what it prints\n```\n", encoding="utf-8")
    examples = readme_examples.find_examples(doc)
    assert [c.text for c in examples[0].commands] == ["dealgraph stats --format json"]
    for c in examples[0].commands:
        c.actual = ["[what", "it prints]"]
    examples[0].path = ROOT / "README.md"   # reported relative to the repository
    problems = readme_examples.check(examples)
    assert len(problems) == 1 and "-not what it prints" in problems[0] and "+[what" in problems[0]


def test_elided_runs_are_checked_in_order_and_rewritten_in_place():
    actual = ["a", "b", "c", "d", "e", "f"]
    assert readme_examples.matches(["a", "b", "...", "d", "...", "f"], actual)
    assert readme_examples.matches(["a", "..."], actual)
    assert not readme_examples.matches(["a", "...", "b", "...", "f"], ["a", "c", "f"])
    assert not readme_examples.matches(["a", "...", "e"], actual)     # the last run must end the output
    assert not readme_examples.matches(["b", "..."], actual)          # the first must start it
    # --write keeps each run's length and place: a middle run is found again by its first line.
    new = ["A", "b", "c", "d changed", "e", "F"]
    assert readme_examples.rewritten(["a", "...", "d", "...", "f"], new, "x") == ["A", "...", "d changed", "...", "F"]
    assert readme_examples.rewritten(["a", "b", "..."], new, "x") == ["A", "b", "..."]


def test_every_command_of_questions_to_commands_answers(tmp_path):
    """Each command the README's "Questions → commands" table gives runs on the demo's store."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## Questions → commands"):].split("\n#")[0]
    commands = [c for row in table.splitlines() if row.startswith("| ") and "`dealgraph " in row
                for c in re.findall(r"`(dealgraph [^`]+)`", row.split(" | ")[-1])]
    assert len(commands) >= 15, commands
    env = readme_examples.environment(tmp_path)
    readme_examples.prepare(tmp_path, env)
    for command in commands:
        done = subprocess.run(["sh", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=readme_examples.COMMAND_TIMEOUT)
        assert done.returncode == 0, f"{command}: {done.stdout}{done.stderr}"
        assert done.stdout.strip(), f"{command} printed nothing"


def test_the_readme_images_are_drawn_by_the_script(tmp_path):
    """`--images` draws the README's picture in headless Chromium: a 1440×900 PNG."""
    import os
    import struct

    if not Path(readme_examples.CHROMIUM).exists():
        if os.environ.get("DEALGRAPH_REQUIRE_BROWSER") == "1":
            pytest.fail(f"DEALGRAPH_REQUIRE_BROWSER=1 but there is no Chromium at {readme_examples.CHROMIUM}")
        pytest.skip(f"needs Chromium at {readme_examples.CHROMIUM} (apt-get install chromium)")
    written = readme_examples.save_images(tmp_path)
    assert [p.name for p in written] == ["cycles-view.png"]
    data = written[0].read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (1440, 900)
    assert len(data) > 50_000     # a drawing, not a blank page
    # The README shows the image it draws.
    assert "![The cycles view of the shipped dataset](docs/img/cycles-view.png)" in (ROOT / "README.md").read_text()
