"""`dealgraph sources`: each deal's and figure's source class, what it lacks, its fragile-URL
flags and the totals, on both engines, against a small dataset worked out by hand; the
shipped data's totals pinned after checking rows by hand."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from conftest import cli_on_store, neo4j_credentials_env

from dealgraph.cli import main
from dealgraph.model.sources import Url, fragile_flags, source_class, source_table
from dealgraph.stores.sqlite_store import SQLiteStore

ENTITIES = """id,name,kind
a,Alpha,company
b,Beta,neocloud
"""

DEALS = """id,source,kind,target,amount_usd,date,evidence_url,evidence_title,title_rebuilt,evidence_quote,published,archive_url
d1,a,invests_in,b,1B,2025-01,https://www.sec.gov/Archives/edgar/data/1/x.htm,Form 8-K,,Alpha invests $1B.,2025-01-02,
d2,a,lends_to,b,2B,2025-02,https://ir.amd.com/financial-information/sec-filings/content/x.htm,Exhibit 4.1,,Alpha lends $2B.,,
d3,b,customer_of,a,3B,2025-03,https://ir.example.com/news/release-3,Release 3,yes,Beta buys $3B.,2025-03-01,
d4,b,customer_of,a,4B,2025-04,https://www.businesswire.com/news/home/4/en/,Beta signs,,Beta buys $4B.,2025-04-01,
d5,a,supplies,b,5B,2025-05,https://www.reuters.com/technology/five/,Alpha supplies Beta,,,2025-05-01,
d6,a,supplies,b,6B,2025-06,http://notreuters.com/story?p=6,Six,,Alpha sells $6B.,2025-06-01,https://archive.is/six
d7,a,partner_of,b,,2025-07,https://amp.blog.example/post-7,Seven,,,,
d8,b,leases_from,a,8B,2025-08,https://news.google.com/rss/articles/eight,Eight,,Beta rents for $8B.,2025-08-01,
"""

FIGURES = """id,entity,kind,amount_usd,as_of,evidence_url,evidence_title,title_rebuilt,evidence_quote,published,archive_url
f1,b,revenue,1B,2025-03-31,https://www.sec.gov/Archives/edgar/data/2/r.htm,10-Q,,Revenue $1B.,2025-05-01,
f2,b,debt,2B,2025-03-31,https://t.co/abc,Debt,yes,Debt $2B.,2025-05-02,
f3,a,cash,3B,2025-03-31,,,,,,
"""

# Worked out by hand from the rows above and source_classes.yaml:
#   d2: ir.amd.com's sec-filings path is a filing (that rule comes before the IR-page rule);
#   d3: an "ir." host is a company page; notreuters.com is not reuters.com (suffix on a dot);
#   d6 is secondary but archived (no no_archive); d8's /rss/ path is a feed; f3 has no URL.
EXPECTED = {
    "d1": ("deal", "filing", "www.sec.gov", [], []),
    "d2": ("deal", "filing", "ir.amd.com", ["published"], []),
    "d3": ("deal", "company", "ir.example.com", ["title"], []),
    "d4": ("deal", "company", "www.businesswire.com", [], []),
    "d5": ("deal", "major", "www.reuters.com", ["quote", "primary"], []),
    "d6": ("deal", "secondary", "notreuters.com", ["primary"], ["no_https", "query"]),
    "d7": ("deal", "secondary", "amp.blog.example", ["quote", "published", "primary"], ["amp", "no_archive"]),
    "d8": ("deal", "secondary", "news.google.com", ["primary"], ["google_news", "feed", "no_archive"]),
    "f1": ("figure", "filing", "www.sec.gov", [], []),
    "f2": ("figure", "secondary", "t.co", ["primary", "title"], ["redirector", "no_archive"]),
    "f3": ("figure", "secondary", None, ["url", "quote", "published", "primary"], []),
}

TOTALS = {
    "rows": 11, "deals": 8, "figures": 3,
    "classes": {"filing": 3, "company": 2, "major": 1, "secondary": 5},
    "classes_deals": {"filing": 2, "company": 2, "major": 1, "secondary": 3},
    "classes_figures": {"filing": 1, "company": 0, "major": 0, "secondary": 2},
    "primary": {"deals": 4, "figures": 1, "all": 5},
    "primary_share": {"deals": 4 / 8, "figures": 1 / 3, "all": 5 / 11},
    "missing": {"url": 1, "quote": 3, "published": 3, "primary": 6, "title": 2},
    "title_rebuilt": 2,
    "fragile": {"no_https": 1, "query": 1, "amp": 1, "google_news": 1, "redirector": 1, "feed": 1,
                "no_archive": 3},
    "hosts": 9,  # www.sec.gov twice
}


@pytest.fixture(params=["sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def sources_cli(request, tmp_path, monkeypatch):
    """``run(*args)``: `dealgraph sources ARGS` on a store holding the data above, embedded or Neo4j."""
    return cli_on_store(request, tmp_path, monkeypatch,
                        {"entities.csv": ENTITIES, "relationships.csv": DEALS, "figures.csv": FIGURES},
                        "sources")


def _by_id(rows):
    return {r["id"]: (r["record"], r["class"], r["host"], r["missing"], r["fragile"]) for r in rows}


def test_rows_and_totals_as_worked_out_by_hand(sources_cli):
    report = sources_cli.json()
    assert [r["id"] for r in report["rows"]] == list(EXPECTED)  # deals, then figures, each by id
    assert _by_id(report["rows"]) == EXPECTED
    assert report["totals"] == TOTALS
    assert report["rows"][5]["evidence_url"] == "http://notreuters.com/story?p=6"


def test_missing_and_class_pick_rows_and_the_totals_follow(sources_cli):
    missing = sources_cli.json("--missing")
    assert [r["id"] for r in missing["rows"]] == ["d2", "d3", "d5", "d6", "d7", "d8", "f2", "f3"]
    assert missing["totals"]["primary_share"] == {"deals": 2 / 6, "figures": 0.0, "all": 2 / 8}
    assert missing["totals"]["primary"] == {"deals": 2, "figures": 0, "all": 2}  # d2, d3

    secondary = sources_cli.json("--class", "secondary")
    assert [r["id"] for r in secondary["rows"]] == ["d6", "d7", "d8", "f2", "f3"]
    assert secondary["totals"]["classes"] == {"filing": 0, "company": 0, "major": 0, "secondary": 5}
    assert secondary["totals"]["primary_share"] == {"deals": 0.0, "figures": 0.0, "all": 0.0}
    assert secondary["totals"]["fragile"]["no_archive"] == 3

    company_missing = sources_cli.json("--class", "company", "--missing")
    assert _by_id(company_missing["rows"]) == {"d3": EXPECTED["d3"]}
    assert company_missing["totals"]["primary_share"] == {"deals": 1.0, "figures": None, "all": 1.0}

    nothing = sources_cli("--class", "major", "--missing", "--format", "json")
    assert [r["id"] for r in json.loads(nothing.output)["rows"]] == ["d5"]


def test_table_lists_rows_then_ends_with_the_totals(sources_cli):
    out = sources_cli().output.rstrip("\n").splitlines()
    header = out[0].split()
    assert header == ["record", "id", "class", "host", "missing", "fragile"]
    d7 = next(line for line in out if line.split()[:2] == ["deal", "d7"])
    assert d7.split(None, 4)[2:4] == ["secondary", "amp.blog.example"]
    assert "quote, published, primary" in d7 and "amp, no_archive" in d7
    f3 = next(line for line in out if line.split()[:2] == ["figure", "f3"])
    assert "(no URL)" in f3 and "url, quote, published, primary" in f3
    totals = out[out.index("") + 1:]
    assert totals == [
        "Totals: 11 rows (8 deals, 3 figures), 9 hosts",
        "  class      rows  deals  figures  source",
        "  filing        3      2        1  SEC or regulator filing",
        "  company       2      2        0  Company release or IR page",
        "  major         1      1        0  Wire or major outlet",
        "  secondary     5      3        2  Secondary (repost, blog, aggregator)",
        "  primary share (filing + company over all): deals 50.0% (4 of 8), figures 33.3% (1 of 3),",
        "    all 45.5% (5 of 11)",
        "  missing: url 1, quote 3, published 3, primary 6, title 2",
        "  titles rebuilt from the URL: 2",
        "  fragile URLs: not https 1, query string in the URL 1, AMP page 1, Google News link 1,",
        "    link shortener or redirector 1, feed URL 1, secondary source without an archive_url 3",
    ]


def test_totals_columns_line_up_and_lines_wrap_on_the_shipped_data(tmp_path):
    """On the shipped data (three-digit counts next to one-digit ones) each class's counts
    end in the same columns, and no totals line is longer than 100 characters."""
    from dealgraph.load import shipped_dataset_dir
    from dealgraph.loaders import read_dataset

    dataset = read_dataset([shipped_dataset_dir()])
    with SQLiteStore(tmp_path / "s.db") as store:
        store.write(dataset.entities, dataset.relationships, figures=dataset.figures)
    result = CliRunner().invoke(main, ["sources", "--db", str(tmp_path / "s.db")])
    assert result.exit_code == 0, result.output
    out = result.output.rstrip("\n").splitlines()
    totals = out[out.index("") + 1:]
    assert all(len(line) <= 100 for line in totals), [line for line in totals if len(line) > 100]
    classes = totals[1:6]
    assert classes[0].split() == ["class", "rows", "deals", "figures", "source"]
    for header in ("rows", "deals", "figures"):
        end = classes[0].index(header) + len(header)
        assert all(line[end - 1] != " " and line[end] == " " for line in classes[1:]), (header, classes)
    assert sum(int(line.split()[1]) for line in classes[1:]) == len(dataset.relationships) + len(dataset.figures)
    fragile = [i for i, line in enumerate(totals) if line.startswith("  fragile URLs: ")]
    assert fragile and totals[fragile[0] + 1].startswith("    ")


def test_csv_is_the_rows(sources_cli):
    rows = list(csv.DictReader(io.StringIO(sources_cli("--format", "csv").output)))
    assert [r["id"] for r in rows] == list(EXPECTED)
    assert rows[7] == {"id": "d8", "record": "deal", "class": "secondary", "host": "news.google.com",
                       "missing": "primary", "fragile": "google_news;feed;no_archive",
                       "evidence_url": "https://news.google.com/rss/articles/eight"}
    assert rows[10]["host"] == "" and rows[10]["missing"] == "url;quote;published;primary"


def test_a_bad_class_is_one_clear_line(sources_cli):
    result = sources_cli("--class", "blog", ok=False)
    assert result.exit_code != 0
    assert result.output.strip().splitlines() == [
        "Error: --class: unknown source class 'blog' (one of: filing, company, major, secondary)"]


def test_a_missing_store_is_one_line_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv("NEO4J_URI", raising=False)
    result = CliRunner().invoke(main, ["sources", "--db", str(tmp_path / "none.db")])
    assert result.exit_code != 0 and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "none.db").exists()


# --- the table itself ------------------------------------------------------------------------


def test_classes_by_host_suffix_and_path_in_rule_order():
    assert source_class("https://WWW.SEC.GOV/cgi-bin/browse-edgar?action=x") == "filing"
    assert source_class("https://www.ft.com/content/x") == "major"
    assert source_class("https://microsoft.com/en-us/investor/x") == "company"  # not ft.com
    assert source_class("https://www.stocktitan.net/sec-filings/ORCL/8-k.html") == "filing"
    assert source_class("https://www.stocktitan.net/news/META/x.html") == "secondary"
    assert source_class("https://d18rn0p25nwr6d.cloudfront.net/CIK-0001045810/x.html") == "filing"
    assert source_class("https://d18rn0p25nwr6d.cloudfront.net/other/x.html") == "secondary"
    assert source_class("https://newsroom.example.org/x") == "company"
    assert source_class("https://unheard-of.example/x") == source_table().default == "secondary"
    assert source_class("") == "secondary"
    assert source_table().primary == ("filing", "company")


def test_fragile_flags():
    assert fragile_flags("https://www.sec.gov/x.htm", "filing", archived=False) == []
    assert fragile_flags("https://blog.example/x", "secondary", archived=True) == []
    assert fragile_flags("https://blog.example/x", "secondary", archived=False) == ["no_archive"]
    assert fragile_flags("https://www.google.com/url?q=https://x", "secondary", archived=True) == \
        ["query", "redirector"]
    assert fragile_flags("https://site.example/feed", "major", archived=False) == ["feed"]
    assert fragile_flags("https://site.example/news/amp/", "major", archived=False) == ["amp"]
    assert fragile_flags(None, "secondary", archived=False) == []


def _shipped_urls():
    from dealgraph.load import shipped_dataset_dir

    for name in ("relationships.csv", "figures.csv"):
        with open(shipped_dataset_dir() / name, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                if row["evidence_url"]:
                    yield row["evidence_url"]


def test_every_host_the_shipped_data_cites_is_classed_on_purpose():
    """No cited host falls to the default: each matches a rule of the table."""
    rules = source_table().rules
    unclassed = sorted({urlsplit(u).hostname for u in _shipped_urls()
                        if not any(rule.matcher.matches(Url.parse(u)) for rule in rules)})
    assert unclassed == []


# --- the shipped data ------------------------------------------------------------------------

# Checked by hand against data/ai-finance/*.csv:
#   microsoft-customer-of-coreweave-2024 cites ic-integratedcircuits.com (a repost of The
#     Information), with quote and published date, not archived;
#   openai-customer-of-coreweave-2025-msa-11-9b cites CoreWeave's 10-K R page on sec.gov, no date;
#   openai-invests-sb-energy-2026 cites CNA with a ?cid= tag, title rebuilt;
#   meta-cash-2025-09-30 cites the XBRL rendering of Meta's 10-Q, complete;
#   cipher-mining-cash-2025-06-30 cites an http:// EDGAR mirror, title rebuilt;
#   google-warrant-in-terawulf-2025 cites TeraWulf's 8-K on Stock Titan's filing pages, no date;
#   galaxy-digital-equity-2025-09-30 cites Galaxy's results release on investor.galaxy.com, complete;
#   applied-digital-equity-2025-08-31 cites a Reportify summary of the 10-Q, no date, title rebuilt.
#   coreweave-lease-obligations-2025-03-31 cites the lease note (R15) of CoreWeave's Q1 2025 10-Q on
#     sec.gov, its own heading as title, no date;
#   oracle-revenue-2026-q3-fy26 cites the XBRL rendering of Oracle's Q3 FY2026 10-Q, no date.
SHIPPED_ROWS = {
    "microsoft-customer-of-coreweave-2024":
        ("deal", "secondary", "www.ic-integratedcircuits.com", ["primary"], ["no_archive"]),
    "openai-customer-of-coreweave-2025-msa-11-9b": ("deal", "filing", "www.sec.gov", ["published"], []),
    "openai-invests-sb-energy-2026": ("deal", "major", "www.channelnewsasia.com", ["primary", "title"], ["query"]),
    "meta-cash-2025-09-30": ("figure", "filing", "d18rn0p25nwr6d.cloudfront.net", [], []),
    "cipher-mining-cash-2025-06-30": ("figure", "filing", "archive.fast-edgar.com", ["title"], ["no_https"]),
    "google-warrant-in-terawulf-2025": ("deal", "filing", "www.stocktitan.net", ["published"], []),
    "galaxy-digital-equity-2025-09-30": ("figure", "company", "investor.galaxy.com", [], []),
    "applied-digital-equity-2025-08-31":
        ("figure", "secondary", "reportify.ai", ["published", "primary", "title"], ["no_archive"]),
    "coreweave-lease-obligations-2025-03-31": ("figure", "filing", "www.sec.gov", ["published"], []),
    "coreweave-lease-obligations-2025-09-30": ("figure", "filing", "www.sec.gov", ["published"], []),
    "oracle-revenue-2026-q3-fy26": ("figure", "filing", "d18rn0p25nwr6d.cloudfront.net", ["published"], []),
}

SHIPPED_TOTALS = {
    "rows": 353, "deals": 224, "figures": 129,
    "classes": {"filing": 38, "company": 12, "major": 31, "secondary": 272},
    "classes_deals": {"filing": 16, "company": 10, "major": 29, "secondary": 169},
    "classes_figures": {"filing": 22, "company": 2, "major": 2, "secondary": 103},
    "primary": {"deals": 26, "figures": 24, "all": 50},
    "primary_share": {"deals": 26 / 224, "figures": 24 / 129, "all": 50 / 353},
    "missing": {"url": 0, "quote": 0, "published": 58, "primary": 303, "title": 175},
    "title_rebuilt": 175,
    "fragile": {"no_https": 9, "query": 9, "amp": 8, "google_news": 0, "redirector": 0, "feed": 0,
                "no_archive": 272},
    "hosts": 153,
}


def _sources_json(*store) -> dict:
    result = CliRunner().invoke(main, ["sources", "--format", "json", *map(str, store)])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_shipped_data_totals(shipped_db, monkeypatch):
    monkeypatch.delenv("NEO4J_URI", raising=False)
    report = _sources_json("--db", shipped_db)
    rows = _by_id(report["rows"])
    for deal_or_figure, expected in SHIPPED_ROWS.items():
        assert rows[deal_or_figure] == expected, deal_or_figure
    assert report["totals"] == SHIPPED_TOTALS
    # the counts agree with the data read straight from the files
    urls = list(_shipped_urls())
    assert len(urls) == SHIPPED_TOTALS["rows"] - SHIPPED_TOTALS["missing"]["url"]
    assert sum(1 for u in urls if urlsplit(u).hostname == "www.sec.gov") == 20
    assert sum(1 for u in urls if urlsplit(u).scheme != "https") == SHIPPED_TOTALS["fragile"]["no_https"]
    assert sum(1 for u in urls if urlsplit(u).query) == SHIPPED_TOTALS["fragile"]["query"]


@pytest.mark.neo4j
def test_both_engines_answer_alike_on_the_shipped_data(shipped_db, neo4j_db, neo4j_server, monkeypatch):
    from dealgraph.load import shipped_dataset_dir

    neo4j_credentials_env(monkeypatch, neo4j_server)
    monkeypatch.delenv("NEO4J_URI", raising=False)
    loaded = CliRunner().invoke(main, ["load", str(shipped_dataset_dir()), "--neo4j-uri", neo4j_server.uri])
    assert loaded.exit_code == 0, loaded.output
    on_neo4j = _sources_json("--neo4j-uri", neo4j_server.uri)
    assert on_neo4j == _sources_json("--db", shipped_db)
    assert on_neo4j["totals"] == SHIPPED_TOTALS
