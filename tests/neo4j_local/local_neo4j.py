"""Build and run the throwaway Neo4j launcher of this folder from Python.

Used by tests/conftest.py and by the Neo4j benchmarks in bench/:

    sys.path.insert(0, "tests/neo4j_local")
    from local_neo4j import LauncherError, start

    with start() as server:          # builds the launcher first if needed
        print(server.uri)            # bolt://127.0.0.1:PORT, auth off

Run as a script to start one by hand: ``python tests/neo4j_local/local_neo4j.py`` (Ctrl-C stops it).
"""

from __future__ import annotations

import fcntl
import os
import queue
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
POM = HERE / "pom.xml"
JAR = HERE / "target" / "neo4j-local-1.0.0.jar"
LIB = HERE / "target" / "lib"
READY_PREFIX = "NEO4J_READY "
BROWSER_PREFIX = "NEO4J_BROWSER "

# Heap for the launcher JVM; override with DEALGRAPH_NEO4J_JAVA_OPTS (e.g. "-Xmx4g" for benchmarks).
DEFAULT_JAVA_OPTS = ["-Xms256m", "-Xmx1g", "-XX:+ExitOnOutOfMemoryError"]


class LauncherError(RuntimeError):
    """The local Neo4j could not be built or started; the message says why."""


def _sources() -> list[Path]:
    return [POM, *sorted((HERE / "src").rglob("*.java"))]


def is_built() -> bool:
    """True when the jar and its libraries exist and are newer than the pom and the sources."""
    if not JAR.is_file() or not LIB.is_dir() or not any(LIB.glob("neo4j-5.*.jar")) \
            or not any(LIB.glob("neo4j-browser-*.jar")):
        return False
    built = JAR.stat().st_mtime
    return all(path.stat().st_mtime <= built for path in _sources())


def build() -> None:
    """Build the launcher with Maven (offline first, then online); no-op when up to date."""
    if is_built():
        return
    (HERE / "target").mkdir(exist_ok=True)
    # Test sessions running side by side must not run Maven on the same target/ at once.
    with open(HERE / "target" / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not is_built():
            _build_locked()


def _build_locked() -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise LauncherError("Maven (mvn) is not on PATH; it is needed to build tests/neo4j_local")
    if shutil.which("java") is None:
        raise LauncherError("Java (java) is not on PATH; Neo4j needs Java 17")
    attempts = []
    for offline in (True, False):
        cmd = [mvn, "-q", "-B", *(["-o"] if offline else []), "-f", str(POM), "package", "-DskipTests"]
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=900)
        if proc.returncode == 0 and JAR.is_file() and any(LIB.glob("neo4j-5.*.jar")):
            JAR.touch()  # Maven leaves an unchanged jar alone; mark it as built from these sources.
            return
        attempts.append(f"$ {shlex.join(cmd)}\n{_tail(proc.stdout + proc.stderr)}")
    raise LauncherError("building the Neo4j launcher failed:\n" + "\n".join(attempts))


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def java_command(args: list[str] | None = None, java_opts: list[str] | None = None) -> list[str]:
    java = shutil.which("java") or "java"
    extra = os.environ.get("DEALGRAPH_NEO4J_JAVA_OPTS")
    opts = java_opts if java_opts is not None else shlex.split(extra) if extra else DEFAULT_JAVA_OPTS
    return [java, *opts, "-jar", str(JAR), *(args or [])]


class LocalNeo4j:
    """A running launcher process. Stop it with stop() or use it as a context manager."""

    def __init__(self, process: subprocess.Popen, uri: str, log_path: Path, startup_seconds: float):
        self.process = process
        self.uri = uri
        self.log_path = log_path
        self.startup_seconds = startup_seconds
        self.reader: threading.Thread | None = None
        #: Neo4j Browser's address (``http://127.0.0.1:PORT/browser/``) when started with
        #: ``--browser-port``, else None
        self.browser_url: str | None = None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self, timeout: float = 30.0) -> int | None:
        """Close stdin (the launcher shuts down at EOF), then escalate to SIGTERM and SIGKILL."""
        proc = self.process
        if proc.poll() is None:
            try:
                if proc.stdin:
                    proc.stdin.close()
            except OSError:
                pass
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        if self.reader is not None:
            self.reader.join(timeout=5)
        if proc.stdout and (self.reader is None or not self.reader.is_alive()):
            proc.stdout.close()
        try:
            self.log_path.unlink()
        except OSError:
            pass
        return proc.returncode

    def __enter__(self) -> "LocalNeo4j":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start(
    args: list[str] | None = None,
    timeout: float = 120.0,
    build_first: bool = True,
    java_opts: list[str] | None = None,
) -> LocalNeo4j:
    """Start a launcher (building it first if needed) and wait for its ready line.

    java_opts replaces the JVM options (default: DEALGRAPH_NEO4J_JAVA_OPTS, else DEFAULT_JAVA_OPTS).
    """
    if build_first:
        build()
    if shutil.which("java") is None:
        raise LauncherError("Java (java) is not on PATH; Neo4j needs Java 17")
    log_fd, log_name = tempfile.mkstemp(prefix="neo4j-local-", suffix=".log")
    log_path = Path(log_name)
    began = time.monotonic()
    cmd = java_command(args, java_opts)
    with os.fdopen(log_fd, "wb") as log_file:
        # stderr goes to a file, not a pipe, so a chatty JVM can never block on a full pipe.
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log_file, text=True)
    lines: queue.Queue[str | None] = queue.Queue()

    def read_stdout() -> None:
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=read_stdout, name="neo4j-local-stdout", daemon=True)
    reader.start()
    deadline = began + timeout
    seen: list[str] = []
    server = LocalNeo4j(proc, "", log_path, 0.0)
    server.reader = reader
    while True:
        remaining = deadline - time.monotonic()
        try:
            line = lines.get(timeout=max(remaining, 0.01)) if remaining > 0 else None
        except queue.Empty:
            line = None
        if line is None:
            reason = (
                f"exited with code {proc.poll()}" if proc.poll() is not None else f"not ready after {timeout:.0f} s"
            )
            output = "\n".join([*seen, _tail(server.log())]).strip()
            server.stop(timeout=5)
            raise LauncherError(f"local Neo4j {reason}\n$ {shlex.join(cmd)}\n{output}")
        if line.startswith(BROWSER_PREFIX):
            server.browser_url = line[len(BROWSER_PREFIX):].strip()
            continue
        if line.startswith(READY_PREFIX):
            server.uri = line[len(READY_PREFIX):].strip()
            server.startup_seconds = time.monotonic() - began
            return server
        seen.append(line.rstrip("\n"))


def main() -> int:
    try:
        server = start(sys.argv[1:])
    except LauncherError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"{server.uri}  (ready in {server.startup_seconds:.1f} s; Ctrl-C stops it)", flush=True)
    if server.browser_url:
        print(f"Neo4j Browser: {server.browser_url}", flush=True)
    try:
        server.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
