"""Keep the README's console examples, and its images, true: run them and compare, or rewrite them.

    python scripts/readme_examples.py            # run every example, report each difference (exit 1)
    python scripts/readme_examples.py --write    # replace every example's output with the real one
    python scripts/readme_examples.py --images   # regenerate the README's images (headless Chromium)

An example is a fenced block in README.md or docs/*.md whose first line is `$ dealgraph ...`.
Each `$ ` line in it is a command, the lines under it (up to the next `$ ` line) its output.
The commands run, in document order, in one shell (`sh -c`) in a fresh temporary folder that
holds what the README's quick start builds: `dealgraph demo` has run there (so the shipped
dataset is in `dealgraph-demo/dealgraph.db`) and `DEALGRAPH_DB` names that store, as the
demo tells the reader to do. The files in docs/examples/ are copied into that folder, so an
example can load a file by its bare name (`$ dealgraph load deals.csv`). Standard error is
shown in the output as a terminal shows it.

A line holding only `...` in an example's output stands for lines left out. The lines
between two such marks (or before the first, or after the last) must appear in the real
output in that order, the first run at its start and the last at its end unless a `...`
follows it. `--write` keeps each run's length and where it is: the first run takes the
output's first lines, the last its last lines, a run in the middle the lines from the one
whose start matches its first line the longest. A command may pipe into other tools
(`| head -5`).

Nothing here prints the temporary folder: a command whose output names it is reported.
Images: docs/img/cycles-view.png, the demo's cycles view with the best-ranked loop through
Nvidia highlighted, 1440×900, drawn by /usr/bin/chromium through Playwright.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_INPUTS = ROOT / "docs" / "examples"
IMAGES = ROOT / "docs" / "img"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
COMMAND_TIMEOUT = 300
FENCE = re.compile(r"^(\s*)(```+|~~~+)(.*)$")
ELISION = "..."
WRITE_HINT = "python scripts/readme_examples.py --write"


def documents(root: Path = ROOT) -> list[Path]:
    """README.md, then docs/*.md in name order."""
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


@dataclass
class Command:
    line: int                      # 1-based line of the `$ ` line in its document
    text: str                      # the command, without `$ `
    expected: list[str] = field(default_factory=list)  # the output lines as the document shows them
    actual: list[str] | None = None


@dataclass
class Example:
    path: Path
    start: int                     # 0-based index of the first line inside the fence
    end: int                       # 0-based index of the closing fence
    commands: list[Command]


def find_examples(path: Path) -> list[Example]:
    """Every fenced block of ``path`` whose first line is `$ dealgraph ...`."""
    lines = path.read_text(encoding="utf-8").split("\n")
    examples = []
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        indent, fence = opening.group(1), opening.group(2)
        close = next((j for j in range(i + 1, len(lines))
                      if lines[j].strip().startswith(fence[0] * len(fence)) and lines[j].strip().strip(fence[0]) == ""),
                     None)
        if close is None:
            raise SystemExit(f"{path.relative_to(ROOT)}:{i + 1}: a fenced block that never closes")
        body = [line[len(indent):] if line.startswith(indent) else line for line in lines[i + 1:close]]
        if body and body[0].startswith("$ dealgraph"):
            commands: list[Command] = []
            for offset, line in enumerate(body):
                if line.startswith("$ "):
                    commands.append(Command(line=i + 2 + offset, text=line[2:].strip()))
                else:
                    commands[-1].expected.append(line)
            examples.append(Example(path, i + 1, close, commands))
        i = close + 1
    return examples


def runs(expected: list[str]) -> tuple[list[list[str]], bool]:
    """The runs of lines between `...` marks, and whether the output ends with one (open end)."""
    parts: list[list[str]] = [[]]
    for line in expected:
        if line.strip() == ELISION:
            parts.append([])
        else:
            parts[-1].append(line)
    open_end = bool(expected) and expected[-1].strip() == ELISION
    return parts, open_end


def matches(expected: list[str], actual: list[str]) -> bool:
    parts, open_end = runs(expected)
    if len(parts) == 1:
        return parts[0] == actual
    head, *middle, tail = parts
    if actual[:len(head)] != head:
        return False
    at = len(head)
    for part in middle:
        found = next((k for k in range(at, len(actual) - len(part) + 1) if actual[k:k + len(part)] == part), None)
        if found is None:
            return False
        at = found + len(part)
    if open_end:
        return True
    return len(actual) - len(tail) >= at and (not tail or actual[len(actual) - len(tail):] == tail)


def common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def rewritten(expected: list[str], actual: list[str], where: str) -> list[str]:
    """``expected`` with its runs replaced by the real lines (see the module's doc)."""
    parts, open_end = runs(expected)
    if len(parts) == 1:
        return list(actual)
    marks = [line for line in expected if line.strip() == ELISION]
    head, *middle, tail = parts
    out = list(actual[:len(head)])
    at = len(head)
    for part, mark in zip(middle, marks):
        out.append(mark)
        if not part:
            continue
        best = max(range(at, len(actual)), key=lambda k: common_prefix(part[0], actual[k]), default=None)
        if best is None or common_prefix(part[0], actual[best]) < min(len(part[0]), 12):
            raise SystemExit(f"{where}: no line of the real output starts like {part[0]!r} any more; "
                             "edit this example by hand (keep its `...` marks), then run --write again")
        out += actual[best:best + len(part)]
        at = best + len(part)
    out.append(marks[-1])
    if not open_end:
        out += actual[max(at, len(actual) - len(tail)):]
    return out


def environment(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DEALGRAPH_", "NEO4J_")) and k not in ("COLUMNS", "LINES")}
    bin_dir = str(Path(sys.executable).parent)
    env.update(PATH=bin_dir + os.pathsep + env.get("PATH", ""), DEALGRAPH_DB="dealgraph-demo/dealgraph.db",
               PYTHONUNBUFFERED="1", LC_ALL="C.UTF-8", TZ="UTC", COLUMNS="100", HOME=str(folder))
    return env


def prepare(folder: Path, env: dict[str, str]) -> None:
    """What the README's quick start builds: the demo's store and views; the example input files."""
    if shutil.which("dealgraph", path=env["PATH"]) is None:
        raise SystemExit(f"no `dealgraph` beside {sys.executable}: run this script with the Python of the "
                         "virtual environment dealgraph is installed in (pip install -e .)")
    done = subprocess.run(["dealgraph", "demo"], cwd=folder, env=env, capture_output=True, text=True,
                          timeout=COMMAND_TIMEOUT)
    if done.returncode != 0:
        raise SystemExit(f"dealgraph demo failed (exit {done.returncode}):\n{done.stdout}{done.stderr}")
    if EXAMPLE_INPUTS.is_dir():
        for item in EXAMPLE_INPUTS.iterdir():
            (shutil.copytree if item.is_dir() else shutil.copy2)(item, folder / item.name)


def run_command(command: Command, folder: Path, env: dict[str, str], where: str) -> list[str]:
    done = subprocess.run(["sh", "-c", command.text], cwd=folder, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=COMMAND_TIMEOUT)
    text = done.stdout
    if str(folder) in text or str(folder.resolve()) in text:
        raise SystemExit(f"{where}: `{command.text}` prints the temporary folder; "
                         "change the example so its output names no absolute path")
    if "Traceback (most recent call last)" in text:
        raise SystemExit(f"{where}: `{command.text}` ends in a traceback:\n{text}")
    return [line.rstrip() for line in text.rstrip("\n").split("\n")] if text.strip() else []


def run_examples(examples: list[Example]) -> None:
    with tempfile.TemporaryDirectory(prefix="dealgraph-readme-") as tmp:
        folder = Path(tmp)
        env = environment(folder)
        prepare(folder, env)
        for example in examples:
            for command in example.commands:
                where = f"{example.path.relative_to(ROOT)}:{command.line}"
                command.actual = run_command(command, folder, env, where)


def check(examples: list[Example]) -> list[str]:
    """One report per example whose output differs from what the code prints."""
    problems = []
    for example in examples:
        for command in example.commands:
            expected = [line.rstrip() for line in command.expected]
            if matches(expected, command.actual):
                continue
            where = f"{example.path.relative_to(ROOT)}:{command.line}"
            diff = difflib.unified_diff(expected, command.actual, f"{where} (as documented)",
                                        f"$ {command.text} (as printed now)", lineterm="")
            problems.append(f"{where}: `$ {command.text}` prints something else:\n" + "\n".join(diff))
    return problems


def write(examples: list[Example]) -> list[Path]:
    """Rewrite every example's output in place; the documents that changed."""
    changed = []
    by_path: dict[Path, list[Example]] = {}
    for example in examples:
        by_path.setdefault(example.path, []).append(example)
    for path, found in by_path.items():
        lines = path.read_text(encoding="utf-8").split("\n")
        for example in reversed(found):       # from the bottom, so earlier indices stay valid
            indent = re.match(r"\s*", lines[example.start - 1]).group(0)
            body = []
            for command in example.commands:
                where = f"{path.relative_to(ROOT)}:{command.line}"
                body.append(f"$ {command.text}")
                body += rewritten([line.rstrip() for line in command.expected], command.actual, where)
            lines[example.start:example.end] = [f"{indent}{line}" if line else line for line in body]
        text = "\n".join(lines)
        if text != path.read_text(encoding="utf-8"):
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


def save_images(out_dir: Path = IMAGES) -> list[Path]:
    """Regenerate the README's images from the views the code draws now."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    from dealgraph.analyses.queries import cycles
    from dealgraph.load import load_files, shipped_dataset_dir
    from dealgraph.output.html import render_view
    from dealgraph.stores.sqlite_store import SQLiteStore

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(prefix="dealgraph-images-") as tmp:
        folder = Path(tmp)
        with SQLiteStore(folder / "demo.db") as store:
            load_files(store, [shipped_dataset_dir()])
            view = render_view(store, "cycles", folder / "cycles.html").path
            ranked = cycles(store, max_length=6)
        index = next(i for i, c in enumerate(ranked) if "nvidia" in c["nodes"])
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1440, "height": 900}, device_scale_factor=1)
                page.goto(view.as_uri())
                try:
                    page.wait_for_function("() => window.__dealgraphDrawn === true", timeout=60_000)
                    page.locator("#loops-list li").nth(index).click(timeout=30_000)
                except PlaywrightTimeout as exc:
                    raise SystemExit("the cycles view no longer draws as this script expects (window.__dealgraphDrawn "
                                     f"set once drawn, one #loops-list li per loop): {exc}") from None
                page.wait_for_timeout(900)
                page.evaluate("() => dealgraph.network.fit()")
                page.wait_for_timeout(900)
                target = out_dir / "cycles-view.png"
                page.screenshot(path=str(target))
                written.append(target)
            finally:
                browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="replace every example's output with the real one")
    parser.add_argument("--images", action="store_true", help="regenerate the README's images (headless Chromium)")
    parser.add_argument("--no-examples", action="store_true", help="with --images: leave the examples alone")
    args = parser.parse_args(argv)
    started = time.monotonic()
    status = 0
    if not (args.images and args.no_examples):
        examples = [e for path in documents() if path.is_file() for e in find_examples(path)]
        run_examples(examples)
        count = sum(len(e.commands) for e in examples)
        if args.write:
            changed = write(examples)
            print(f"{count} example command(s) run; rewrote "
                  + (", ".join(str(p.relative_to(ROOT)) for p in changed) or "nothing (all were true)"))
        else:
            problems = check(examples)
            for problem in problems:
                print(problem + "\n")
            if problems:
                print(f"{len(problems)} of {count} example command(s) differ from what the code prints; "
                      f"to make the documents say what it prints, run: {WRITE_HINT}")
                status = 1
            else:
                print(f"all {count} example command(s) print what the documents show")
    if args.images:
        for path in save_images():
            print(f"wrote {path.relative_to(ROOT)}")
    print(f"({time.monotonic() - started:.1f} s)")
    return status


if __name__ == "__main__":
    sys.exit(main())
