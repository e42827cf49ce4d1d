"""The CLI against a real Neo4j: the main job, loops and canned queries give the same
answers as on the embedded store; bad input and a dead server give one line."""

import json

import pytest
from click.testing import CliRunner
from conftest import neo4j_credentials_env

from dealgraph.cli import main


@pytest.fixture
def neo4j_env(neo4j_db, neo4j_server, monkeypatch):
    """CLI environment pointing at the (wiped) test Neo4j."""
    monkeypatch.setenv("NEO4J_URI", neo4j_server.uri)
    neo4j_credentials_env(monkeypatch, neo4j_server)
    return neo4j_server


def invoke(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def test_demo_through_neo4j_matches_the_embedded_demo(neo4j_env, tmp_path):
    through_neo4j = invoke("demo", "--out", tmp_path / "neo")
    assert through_neo4j.exit_code == 0, through_neo4j.output
    assert f"Loaded 116 entities, 224 deals and 129 figures into {neo4j_env.uri}" in through_neo4j.output
    assert "CoreWeave → Nvidia → CoreWeave" in through_neo4j.output
    assert not (tmp_path / "neo" / "dealgraph.db").exists()
    for name in ("overview.html", "cycles.html", "focus-nvidia.html"):
        assert (tmp_path / "neo" / name).exists()

    embedded = invoke("demo", "--out", tmp_path / "embedded", env={"NEO4J_URI": ""})
    assert embedded.exit_code == 0, embedded.output

    def loops(output):
        return output[output.index("money-flow loops"):output.index("HTML views:")]

    assert loops(through_neo4j.output) == loops(embedded.output)

    def story(output):
        return output[output.index("What stands out:"):output.index("money-flow loops")]

    assert "Nvidia is CoreWeave's supplier, investor and customer" in story(through_neo4j.output)
    assert story(through_neo4j.output) == story(embedded.output)
    assert f"export NEO4J_URI={neo4j_env.uri}" in through_neo4j.output


def test_cycles_and_queries_use_neo4j(neo4j_env, tmp_path):
    from dealgraph.load import shipped_dataset_dir

    assert invoke("load", shipped_dataset_dir()).exit_code == 0
    assert invoke("load", shipped_dataset_dir()).exit_code == 0  # idempotent
    stats = json.loads(invoke("stats", "--format", "json").output)
    assert sum(stats["relationships"].values()) == 224
    assert sum(stats["figures"].values()) == 129
    assert sum(stats["entities"].values()) == 116

    db = tmp_path / "embedded.db"
    assert invoke("load", shipped_dataset_dir(), "--db", db, env={"NEO4J_URI": ""}).exit_code == 0
    for args in (
        ["cycles", "--format", "json", "--through", "Nvidia"],
        ["cycles", "--format", "json", "--min-amount", "1e9", "--max-length", "4"],
        ["query", "vendor-financing", "--format", "json"],
        ["query", "money-paths", "-p", "from", "nvidia", "-p", "to", "oracle", "--format", "json"],
        ["concentration", "--format", "json"],
        ["concentration", "--format", "json", "--min-customers", "1"],
        ["show", "CoreWeave", "--format", "json"],
        ["show", "microsoft", "--format", "json"],
        ["deals", "--kind", "lends_to", "--target", "coreweave", "--group-by", "source", "--format", "json"],
        ["deals", "--entity", "nvidia", "--since", "2025", "--group-by", "counterparty-kind", "--format", "json"],
    ):
        on_neo4j = invoke(*args)
        on_embedded = invoke(*args, "--db", db, env={"NEO4J_URI": ""})
        assert on_neo4j.exit_code == on_embedded.exit_code == 0, on_neo4j.output
        assert json.loads(on_neo4j.output) == json.loads(on_embedded.output)
        assert json.loads(on_neo4j.output), args
    for args in (["concentration"], ["concentration", "--format", "csv"], ["show", "Nvidia"],
                 ["show", "Nvidia", "--format", "csv"]):  # the tables and CSV too, byte for byte
        assert invoke(*args).output == invoke(*args, "--db", db, env={"NEO4J_URI": ""}).output, args


def test_bad_file_leaves_neo4j_untouched(neo4j_env, tmp_path, neo4j_db):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "name": "A"}\n{"source": "a", "kind": "invests_in", "target": "zz"}\n')
    result = invoke("load", bad)
    assert result.exit_code == 1
    assert f"{bad}:2: " in result.output
    records, _, _ = neo4j_db.execute_query("MATCH (n) RETURN count(n) AS n", database_=neo4j_env.database)
    assert records[0]["n"] == 0


def test_unreachable_server_is_one_line_with_a_hint(tmp_path):
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = invoke("stats", "--neo4j-uri", f"bolt://127.0.0.1:{port}",
                    env={"NEO4J_PASSWORD": "s3cret-pass", "NEO4J_USERNAME": "neo4j"})
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert "docker compose up -d" in lines[0]
    assert "s3cret-pass" not in result.output
