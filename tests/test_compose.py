"""docker-compose.yml: valid against the Compose Specification, and says what users rely on."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
SCHEMA_FILE = Path(__file__).resolve().parent / "fixtures" / "compose-spec.json"
SCHEMA_SHA256 = "d549057ebc2925f39f62799eab0db7b9e2c18b35b6c00595199116da3ed10e64"
DEFAULT_AUTH = "neo4j/dealgraph-password"
README = ROOT / "README.md"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_FILE.read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


@pytest.fixture(scope="module")
def neo4j(compose) -> dict:
    return compose["services"]["neo4j"]


def _interpolate(value, env: dict[str, str]):
    """Compose's ${VAR:-default} / ${VAR} interpolation, enough for this file."""
    if isinstance(value, dict):
        return {k: _interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match) -> str:
        name, default = match.group(1), match.group(3)
        return env.get(name) or (default if default is not None else "")

    escaped = value.replace("$$", "\0")
    return re.sub(r"\$\{(\w+)(:-([^}]*))?\}", replace, escaped).replace("\0", "$")


def _seconds(duration: str) -> float:
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", duration)
    assert parts and "".join(n + u for n, u in parts) == duration, f"bad duration {duration!r}"
    return sum(float(n) * units[u] for n, u in parts)


def test_vendored_schema_is_the_published_one():
    assert hashlib.sha256(SCHEMA_FILE.read_bytes()).hexdigest() == SCHEMA_SHA256


def test_file_matches_the_compose_specification(compose, validator):
    errors = sorted(validator.iter_errors(compose), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors)


@pytest.mark.parametrize("env", [{}, {"NEO4J_AUTH": "neo4j/other-secret", "NEO4J_HEAP": "2G"}])
def test_file_after_interpolation_matches_the_specification(compose, validator, env):
    errors = list(validator.iter_errors(_interpolate(compose, env)))
    assert not errors, errors[0].message


@pytest.mark.parametrize(
    "break_it",
    [
        lambda c: c["services"]["neo4j"].update(ports=7687),
        lambda c: c["services"]["neo4j"]["healthcheck"].update(every="10s"),
        lambda c: c["services"]["neo4j"].update(volumes="neo4j-data:/data"),
        lambda c: c.update(service=c.pop("services")),
    ],
    ids=["ports-not-a-list", "unknown-healthcheck-key", "volumes-not-a-list", "misspelt-services"],
)
def test_schema_rejects_broken_files(compose, validator, break_it):
    broken = copy.deepcopy(compose)
    break_it(broken)
    assert list(validator.iter_errors(broken)), "the schema should have rejected this file"


def _launcher_neo4j_version() -> str:
    pom = (ROOT / "tests" / "neo4j_local" / "pom.xml").read_text()
    return re.search(r"<neo4j\.version>([^<]+)</neo4j\.version>", pom).group(1)


def test_image_is_the_neo4j_patch_release_the_tests_use(neo4j):
    version = _launcher_neo4j_version()
    assert re.fullmatch(r"5\.26\.\d+", version), version
    assert neo4j["image"] == f"neo4j:{version}-community"
    assert f"Neo4j {version}" in COMPOSE_FILE.read_text().split("services:")[0]
    assert f"Neo4j {version} Community" in README.read_text()


def test_auth_comes_from_the_environment_with_the_documented_default(neo4j):
    assert neo4j["environment"]["NEO4J_AUTH"] == "${NEO4J_AUTH:-%s}" % DEFAULT_AUTH
    assert DEFAULT_AUTH in COMPOSE_FILE.read_text().split("services:")[0], "default login documented in the header"


def test_apoc_plugin(neo4j):
    assert json.loads(neo4j["environment"]["NEO4J_PLUGINS"]) == ["apoc"]


def test_browser_and_bolt_ports_are_published_on_loopback_only_by_default(neo4j):
    assert {str(p) for p in _interpolate(neo4j["ports"], {})} == {"127.0.0.1:7474:7474", "127.0.0.1:7687:7687"}
    opened = _interpolate(neo4j["ports"], {"NEO4J_BIND_ADDRESS": "0.0.0.0"})
    assert {str(p) for p in opened} == {"0.0.0.0:7474:7474", "0.0.0.0:7687:7687"}
    assert "NEO4J_BIND_ADDRESS=0.0.0.0" in COMPOSE_FILE.read_text().split("services:")[0]
    assert "NEO4J_BIND_ADDRESS=0.0.0.0" in README.read_text()


def test_password_minimum_is_documented_and_the_default_meets_it(neo4j):
    default_password = DEFAULT_AUTH.split("/", 1)[1]
    assert len(default_password) >= 8
    assert "at least 8 characters" in " ".join(COMPOSE_FILE.read_text().split("services:")[0].replace("#", "").split())
    assert "at least 8 characters" in " ".join(_neo4j_section().split())


def _neo4j_section() -> str:
    text = README.read_text()
    return text[text.index("## Use with Neo4j"):].split("\n## ")[0]


def _sh_blocks(text: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", text, re.S)


def test_readme_start_commands_say_which_compose_they_need():
    section = _neo4j_section()
    blocks = _sh_blocks(section)
    assert blocks[0].startswith("docker compose up -d --wait")
    assert "`--wait` needs Docker Compose v2.2 or later" in section
    older = blocks[1].splitlines()
    assert older[0] == "docker-compose up -d" and older[1].startswith("until docker inspect")
    # the compose file's header shows the same commands
    header = COMPOSE_FILE.read_text().split("services:")[0]
    assert "docker compose up -d --wait" in header and "v2.2" in header
    for line in older:
        assert f"#   {line}" in header


def test_readme_wait_loop_for_older_compose_polls_the_healthcheck(tmp_path):
    """Runs the README's loop with stand-ins for docker and docker-compose: it asks for the
    neo4j container's health and ends once it reports healthy."""
    loop = _sh_blocks(_neo4j_section())[1].splitlines()[1]
    calls = tmp_path / "calls"
    state = tmp_path / "state"
    state.write_text("starting\nunhealthy\nhealthy\n")
    for name, body in {
        "docker-compose": f'echo "compose $*" >> {calls}\n[ "$*" = "ps -q neo4j" ] && echo c0ffee\n',
        "docker": f'echo "docker $*" >> {calls}\nhead -n1 {state}\nsed -i 1d {state}\n',
        "sleep": f'echo "sleep $*" >> {calls}\n',
    }.items():
        (tmp_path / name).write_text("#!/bin/sh\n" + body)
        (tmp_path / name).chmod(0o755)
    env = {"PATH": f"{tmp_path}:{os.environ['PATH']}"}
    proc = subprocess.run(["sh", "-c", loop], env=env, timeout=30, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    lines = calls.read_text().splitlines()
    assert lines.count("compose ps -q neo4j") == 3
    assert lines.count("docker inspect -f {{.State.Health.Status}} c0ffee") == 3
    assert lines.count("sleep 5") == 2


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose (Debian package) not installed")
def test_older_compose_lacks_wait_and_takes_the_fallbacks_options():
    """Debian's docker-compose (v1) is the Compose that needs the fallback: it has no --wait,
    and every option the fallback uses is one it knows."""
    def options(command: str) -> str:
        proc = subprocess.run(["docker-compose", command, "--help"], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    assert "--wait" not in options("up")
    assert re.search(r"^\s+-d, --detach", options("up"), re.M)
    assert re.search(r"^\s+-q, --quiet", options("ps"), re.M)


def test_data_and_logs_on_named_volumes(compose, neo4j):
    mounts = dict(reversed(v.split(":")[:2]) for v in neo4j["volumes"])
    assert set(mounts) >= {"/data", "/logs"}
    for target in ("/data", "/logs"):
        assert mounts[target] in compose["volumes"], f"{target} should be on a named volume"


def test_healthcheck_waits_for_cypher_over_bolt(neo4j):
    check = neo4j["healthcheck"]
    assert check["test"][0] == "CMD-SHELL"
    command = check["test"][1]
    assert "cypher-shell" in command and "bolt://localhost:7687" in command and "RETURN 1" in command
    interval, timeout = _seconds(check["interval"]), _seconds(check["timeout"])
    start_period = _seconds(check["start_period"])
    assert timeout <= interval * 2 and timeout >= 5
    # `up --wait` gives up when the container turns unhealthy: allow a slow first start (APOC download).
    assert start_period + check["retries"] * interval >= 120


@pytest.mark.parametrize(
    ("auth", "user", "password"),
    [(None, "neo4j", "dealgraph-password"), ("neo4j/s3cret/with/slashes", "neo4j", "s3cret/with/slashes")],
)
def test_healthcheck_logs_in_with_neo4j_auth(neo4j, tmp_path, auth, user, password):
    """Runs the healthcheck's shell line with a stand-in cypher-shell that records its arguments."""
    if shutil.which("sh") is None:
        pytest.skip("no sh")
    record = tmp_path / "args"
    fake = tmp_path / "cypher-shell"
    fake.write_text(f'#!/bin/sh\nfor a in "$@"; do echo "$a"; done > {record}\nexit "${{FAKE_EXIT:-0}}"\n')
    fake.chmod(0o755)
    # Inside the container NEO4J_AUTH is the already interpolated value.
    container_auth = _interpolate(neo4j["environment"]["NEO4J_AUTH"], {"NEO4J_AUTH": auth} if auth else {})
    command = neo4j["healthcheck"]["test"][1].replace("$$", "$")
    env = {"PATH": f"{tmp_path}:{os.environ['PATH']}", "NEO4J_AUTH": container_auth}

    assert subprocess.run(["sh", "-c", command], env=env).returncode == 0
    args = record.read_text().splitlines()
    assert args[args.index("-u") + 1] == user
    assert args[args.index("-p") + 1] == password
    assert args[-1] == "RETURN 1"

    assert subprocess.run(["sh", "-c", command], env={**env, "FAKE_EXIT": "1"}).returncode == 1


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose (Debian package) not installed")
def test_docker_compose_config_accepts_the_file(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "COMPOSE_", "DOCKER_"))}
    empty_env_file = tmp_path / "empty.env"  # ignore a user's .env beside the file
    empty_env_file.write_text("")
    base = ["docker-compose", "--env-file", str(empty_env_file), "-f", str(COMPOSE_FILE), "config"]
    proc = subprocess.run(
        [*base, "-q"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    proc = subprocess.run(
        base,
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    resolved = yaml.safe_load(proc.stdout)
    assert resolved["services"]["neo4j"]["environment"]["NEO4J_AUTH"] == DEFAULT_AUTH
    assert resolved["services"]["neo4j"]["image"] == f"neo4j:{_launcher_neo4j_version()}-community"
    ports = {str(p) for p in resolved["services"]["neo4j"]["ports"]}
    assert ports == {"127.0.0.1:7474:7474/tcp", "127.0.0.1:7687:7687/tcp"}, ports
