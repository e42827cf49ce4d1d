"""The ``dealgraph`` command line: thin wrappers over graph/, loaders/ and cypher/.

Every command parses its options, opens the store, calls one public function and prints
the result. Library errors (:class:`dealgraph.model.errors.DealgraphError`) become one line on
stderr and exit status 1; bad input files list every problem, one per line.
"""

from __future__ import annotations

import contextlib
import functools
import sys
from pathlib import Path

import click

from dealgraph.output import text as report
from dealgraph.model.errors import DealgraphError, ValidationError
from dealgraph.output.export import FORMATS as EXPORT_FORMATS
from dealgraph.stores.opener import DEFAULT_DB, open_store

VIEWS = ("overview", "cycles", "focus", "stress")


class DealgraphGroup(click.Group):
    """Turns library errors into one clear line and a non-zero exit, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ValidationError as exc:
            for problem in exc.problems:
                click.echo(problem, err=True)
            n = len(exc.problems)
            raise click.ClickException(
                f"{n} problem{'s' if n != 1 else ''} found; nothing was written"
            ) from None
        except DealgraphError as exc:
            raise click.ClickException(str(exc)) from None
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)


def store_options(command=None, *, lazy: bool = False, writes: bool = False):
    """``--db`` / ``--neo4j-uri`` / ``--database``; credentials come from the environment only.

    The command gets an open ``store`` (closed afterwards), or with ``lazy=True`` an
    ``open_store`` callable, for commands that may not need a store at all. Only commands
    that ``writes`` create a missing embedded store; the others report it.
    """
    if command is None:
        return functools.partial(store_options, lazy=lazy, writes=writes)

    @click.option(
        "--db",
        envvar="DEALGRAPH_DB",
        default=DEFAULT_DB,
        show_default=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help="Embedded store file (env DEALGRAPH_DB).",
    )
    @click.option(
        "--neo4j-uri",
        envvar="NEO4J_URI",
        default=None,
        help="Use Neo4j at this bolt:// or neo4j:// URI instead of the embedded store (env NEO4J_URI; "
        "credentials from NEO4J_USERNAME / NEO4J_PASSWORD).",
    )
    @click.option(
        "--database",
        envvar="NEO4J_DATABASE",
        default=None,
        help="Neo4j database name (env NEO4J_DATABASE; default: the server's default).",
    )
    @functools.wraps(command)
    def wrapper(*args, db, neo4j_uri, database, **kwargs):
        from dealgraph.demo import demo_store_hint

        # --include-talks (period_options): the store counts deals in talks or terminated too
        include_talks = kwargs.pop("include_talks", False)

        @contextlib.contextmanager
        def opener():
            with open_store(db=db, neo4j_uri=neo4j_uri, database=database, create=writes,
                            missing_hint=demo_store_hint) as store:
                store.include_talks = include_talks
                yield store

        if lazy:
            return command(*args, open_store=opener, **kwargs)
        with opener() as store:
            return command(*args, store=store, **kwargs)

    return wrapper


class UsdAmount(click.ParamType):
    """A USD amount option: ``1.5B``, ``500M``, ``2.5K`` or a plain number (dealgraph.model.values)."""

    name = "usd"

    def convert(self, value, param, ctx):
        from dealgraph.model.values import AmountError, parse_usd

        try:
            return parse_usd(value)
        except AmountError as exc:  # one line, not click's usage block
            raise click.ClickException(f"{param.opts[0] if param else 'amount'}: {exc}") from None


USD = UsdAmount()

format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(report.FORMATS),
    default="table",
    show_default=True,
    help="Output format.",
)


def period_options(command=None, *, talks: bool = True):
    """``--since`` / ``--until``: only the deals that may fall in that period count, and only the
    figures whose as-of date or period end is in it; ``--include-talks``: deals in talks or
    terminated count too (see graph/model/lineage.py; the store the command opens carries it,
    see :func:`store_options`), offered unless ``talks=False`` (a command that counts deals
    on record, whatever their status, such as ``stats``).

    The command gets ``in_period``: ``in_period(store)`` is the store seen through that period
    (:func:`dealgraph.stores.period.deals_in_period`; the store itself when neither is given);
    ``in_period.since`` and ``in_period.until`` are the bounds as given.
    """
    if command is None:
        return functools.partial(period_options, talks=talks)

    @functools.wraps(command)
    def wrapper(*args, since, until, **kwargs):
        def in_period(store):
            from dealgraph.stores.period import deals_in_period

            return deals_in_period(store, since, until)

        in_period.since, in_period.until = since, until  # for a view that shows its period
        return command(*args, in_period=in_period, **kwargs)

    if talks:
        wrapper = click.option("--include-talks", is_flag=True, default=False,
                               help="Count deals in talks or terminated too (by default they are listed, "
                               "marked, but add to no total, loop or path).")(wrapper)
    wrapper = click.option("--until", default=None, metavar="DATE",
                           help="Only deals that may fall on or before DATE, and figures as of or ending by it "
                           "(YYYY, YYYY-MM or YYYY-MM-DD; 2025-09 runs to the month's last day).")(wrapper)
    return click.option("--since", default=None, metavar="DATE",
                        help="Only deals that may fall on or after DATE, and figures as of or ending from it "
                        "(YYYY, YYYY-MM or YYYY-MM-DD; undated deals and figures then do not count).")(wrapper)


def stress_options(command=None, *, for_view: bool = False):
    """``--default-buffer`` / ``--shock``, as ``dealgraph stress`` takes them (``for_view``:
    worded for ``render --view stress``)."""
    if command is None:
        return functools.partial(stress_options, for_view=for_view)

    def worded(text: str) -> str:
        return f"For the stress view, as in `dealgraph stress`: {text[:1].lower()}{text[1:]}" if for_view else text

    command = click.option("--shock", type=click.FloatRange(0, 1, min_open=True), default=1.0, show_default=True,
                           help=worded("Initial loss of the failing entities, as a fraction of their buffer "
                                       "(1: default)."))(command)
    return click.option("--default-buffer", type=click.FloatRange(min=0, min_open=True), default=None,
                        metavar="RATIO",
                        help=worded("Give an entity with no equity figure an assumed buffer of RATIO times its "
                                    "total known exposure, marked 'assumed buffer' (default: such an entity is "
                                    "not scored; its line gives the exposure it lost)."))(command)


def progress_bar(label: str):
    """A store progress callback drawing a bar on stderr (silent when nothing to show).

    None when stderr is not a terminal: a log gets no progress lines, only the command's
    one summary line.
    """
    if not sys.stderr.isatty():
        return None
    state: dict = {}

    def update(done: int, total: int) -> None:
        if "bar" not in state:
            state["bar"] = click.progressbar(length=total, label=label, file=sys.stderr)
            state["bar"].__enter__()
            state["done"] = 0
        state["bar"].update(done - state["done"])
        state["done"] = done
        if done >= total:
            state.pop("bar").__exit__(None, None, None)

    return update


@click.group(cls=DealgraphGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="dealgraph")
def main():
    """Map the financial web of the AI build-out and find where money goes round in circles.

    Start with `dealgraph demo`: it loads the shipped dataset into an embedded store,
    prints the money loops with their evidence and writes HTML views to open.
    """


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@store_options(writes=True)
def load(paths, store):
    """Load entity, deal and figure files (CSV, JSON, JSON Lines, YAML; folders too) into the store.

    Every file is checked first; if any record is bad, every problem is listed as
    FILE:LINE: message and nothing is written. Loading the same files again changes nothing.
    """
    from dealgraph.load import load_files

    loaded = load_files(store, list(paths), progress=progress_bar("loading"))
    for notice in loaded.notices:
        click.echo(notice, err=True)
    click.echo(f"loaded {report.load_counts(loaded.entities, loaded.relationships, loaded.figures)}")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@store_options(lazy=True)
def validate(paths, open_store):
    """Check entity, deal and figure files without writing anything.

    Every problem is listed as FILE:LINE: message; the exit status is 1 if there is any.
    Given a store (--db, --neo4j-uri or their environment variables), the files are checked
    as a load into it would check them: deals may name the entities already stored. A --db
    given must exist; a DEALGRAPH_DB naming no file yet means no store (said in one line),
    as the first load into it would find none.
    """
    from dealgraph.loaders import read_dataset

    ctx = click.get_current_context()
    db_from = ctx.get_parameter_source("db")
    env_db_missing = db_from is click.core.ParameterSource.ENVIRONMENT and not Path(ctx.params["db"]).exists()
    if ctx.params["neo4j_uri"] or (db_from is not click.core.ParameterSource.DEFAULT and not env_db_missing):
        from dealgraph.load import check_files

        with open_store() as store:
            dataset = check_files(store, paths)
    else:
        if env_db_missing:
            click.echo(f"DEALGRAPH_DB names no store yet ({ctx.params['db']}): the files are checked alone", err=True)
        dataset = read_dataset(list(paths))
    for notice in dataset.notices:
        click.echo(notice, err=True)
    click.echo(f"ok: {report.dataset_counts(dataset)}")


@main.command()
@click.option("--format", "fmt", type=click.Choice(("table", "json")), default="table", show_default=True,
              help="Output format.")
@period_options(talks=False)
@store_options
def stats(fmt, in_period, store):
    """Count the entities, deals and figures in the store, by kind.

    Every deal on record counts here, superseded, in talks or terminated too (the status
    rule is about what adds to totals, loops and paths), so stats takes no --include-talks.
    """

    counts = in_period(store).stats()
    click.echo(report.rows_json(counts) if fmt == "json" else report.stats_table(counts))


@main.command()
@click.option("--max-length", type=click.IntRange(1, 12), default=6, show_default=True,
              help="Longest loop to look for, in hops.")
@click.option("--through", "through", default=None, metavar="ENTITY",
              help="Only loops through this entity (id, name or alias).")
@click.option("--min-amount", type=USD, default=None, metavar="USD",
              help="Only loops whose every hop has a known amount of at least USD (1.5B, 500M, 2.5K or a number).")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Show at most this many loops.")
@click.option("--ordered", is_flag=True,
              help="Only loops whose deals can have happened in order around the loop (from any start).")
@click.option("--window", type=click.IntRange(min=0), default=None, metavar="DAYS",
              help="With --ordered: the loop's first and last deals at most DAYS apart.")
@click.option("--economics", is_flag=True,
              help="For each entity on a loop: the money it put in and the money that came back.")
@period_options
@format_option
@store_options
def cycles(max_length, through, min_amount, limit, ordered, window, economics, in_period, fmt, store):
    """Find money-flow loops, ranked by the money that can go all the way round.

    Each loop is listed once, starting at its smallest entity id, with every deal that
    moves money along each hop and its evidence.
    """
    from dealgraph.analyses.economics import loop_economics
    from dealgraph.analyses.ordered_cycles import ordered_money_cycles
    from dealgraph.analyses.queries import cycles as find_cycles

    if window is not None and not ordered:
        raise click.UsageError("--window needs --ordered")
    through_id = store.resolve(through) if through else None
    period = in_period(store)
    search = ordered_money_cycles if ordered else find_cycles
    kwargs = {"window": window} if ordered else {}
    found = search(period, max_length=max_length, through=through_id, min_amount=min_amount, **kwargs)
    if limit:
        found = found[:limit]
    if economics:
        found = [{**c, "economics": loop_economics(c)} for c in found]
    names = store.entity_names({n for c in found for n in c["nodes"]}) if fmt == "table" else None
    click.echo(report.format_cycles(found, fmt, names))


@main.command()
@click.argument("entity")
@click.option("--max-length", type=click.IntRange(1, 12), default=6, show_default=True,
              help="Longest loop through the entity to list, in hops.")
@period_options
@format_option
@store_options
def show(entity, max_length, in_period, fmt, store):
    """One entity's profile: its figures over time, its deals in and out by kind with amounts
    and evidence, the money loops it is on, and its customer and lender concentration.

    ENTITY is an id, a name or an alias (e.g. coreweave, CoreWeave).
    """
    from dealgraph.output.entity_text import format_profile
    from dealgraph.analyses.profile import entity_profile

    profile = entity_profile(in_period(store), entity, max_length=max_length)
    names = {e.id: e.name for e in store.entities()} if fmt == "table" else None
    click.echo(format_profile(profile, fmt, names))


@main.command()
@click.option("--min-customers", type=click.IntRange(min=1), default=2, show_default=True,
              help="On the contract basis, leave out entities with fewer known customers.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Show at most this many entities.")
@period_options
@format_option
@store_options
def concentration(min_customers, limit, in_period, fmt, store):
    """Rank entities by how much of their revenue hangs on their top customer.

    Each row gives the top customer's share and the HHI (sum of squared percent shares,
    0-10,000) and says its basis: the entity's stated revenue shares (customer_share
    figures of their latest date) where it has any - these rank first - else its known
    contract values (superseded deals left out).
    """
    from dealgraph.output.entity_text import format_concentration
    from dealgraph.analyses.queries import run_query

    rows = run_query(in_period(store), "concentration", {"minCustomers": min_customers})
    click.echo(format_concentration(rows[:limit] if limit else rows, fmt))


@main.command()
@click.argument("name", required=False)
@click.option("--list", "list_", is_flag=True, help="List the canned queries and their parameters.")
@click.option("-p", "--param", "params", nargs=2, multiple=True, metavar="KEY VALUE",
              help="A query parameter (repeatable), e.g. -p entity nvidia.")
@period_options
@format_option
@store_options(lazy=True)
def query(name, list_, params, in_period, fmt, open_store):
    """Run a canned query (the same Cypher you can paste into Neo4j Browser).

    On the embedded store the query's Python twin answers; with --neo4j-uri the Cypher runs.
    `dealgraph query --list` shows the queries and their parameters.
    """
    from dealgraph.cypher import get_query
    from dealgraph.analyses.queries import list_queries, run_query

    if list_:
        for q in list_queries():
            defaults = ", ".join(f"{k}={v!r}" for k, v in q["params"].items())
            click.echo(f"{q['name']}: {q['description']}\n    params: {defaults or '(none)'}")
        return
    if not name:
        raise click.UsageError("give a query NAME, or --list to see them")
    get_query(name)  # an unknown name is reported before any store is opened

    with open_store() as store:
        rows = run_query(in_period(store), name, dict(params))
        names = {e.id: e.name for e in store.entities()} if fmt == "table" else None
    click.echo(report.format_rows(rows, fmt, names))


@main.command()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="HTML file to write (default: dealgraph-VIEW.html).")
@click.option("--view", type=click.Choice(VIEWS), default="overview", show_default=True,
              help="overview: the whole graph; cycles: loops with a side panel; focus: one entity's neighbourhood; "
              "stress: who loses what when the --fail entities fail.")
@click.option("--focus", default=None, metavar="ENTITY", help="Entity for the focus view (id, name or alias).")
@click.option("--depth", type=click.IntRange(1, 6), default=1, show_default=True,
              help="Hops around --focus to include.")
@click.option("--min-amount", type=USD, default=None, metavar="USD",
              help="Leave out deals below USD (1.5B, 500M, 2.5K or a number) and deals with no known amount.")
@click.option("--kind", "kinds", multiple=True, metavar="KIND",
              help="Only these relationship kinds (repeatable).")
@click.option("--max-length", type=click.IntRange(1, 12), default=6, show_default=True,
              help="Longest loop to highlight, in hops.")
@click.option("--fail", "failed", multiple=True, metavar="ENTITY",
              help="For the stress view: an entity that fails (repeatable: they fail together).")
@stress_options(for_view=True)
@period_options
@store_options
def render(out, view, focus, depth, min_amount, kinds, max_length, failed, default_buffer, shock, in_period,
           store):
    """Write a self-contained HTML view of the graph (works offline; open it in a browser)."""
    from dealgraph.output.html import render_view

    if view == "focus" and not focus:
        raise click.UsageError("--view focus needs --focus ENTITY")
    if view == "stress" and not failed:
        raise click.UsageError("--view stress needs --fail ENTITY")
    out = out or Path(f"dealgraph-{view}.html")
    result = render_view(store, view, out, focus=focus, depth=depth, min_amount=min_amount,
                         kinds=list(kinds) or None, max_length=max_length, failed=list(failed) or None,
                         default_buffer=default_buffer, shock=shock, since=in_period.since, until=in_period.until)
    click.echo(f"wrote {result.path} ({result.nodes} entities, {result.edges} deals)")


@main.command()
@click.argument("number", type=int, metavar="N")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write (default: dealgraph-loop-N.html, or .svg with --format svg).")
@click.option("--format", "fmt", type=click.Choice(("html", "svg")), default=None,
              help="html: a page showing the graphic; svg: the graphic alone (default: from --out's suffix, "
              "else html). No PNG: it would need a browser; convert the SVG.")
@click.option("--max-length", type=click.IntRange(1, 12), default=6, show_default=True,
              help="Longest loop to look for, in hops (as in `dealgraph cycles`).")
@click.option("--through", "through", default=None, metavar="ENTITY",
              help="Number the loops through this entity only (id, name or alias).")
@click.option("--min-amount", type=USD, default=None, metavar="USD",
              help="Number only the loops whose every hop has a known amount of at least USD.")
@period_options
@store_options
def loop(number, out, fmt, max_length, through, min_amount, in_period, store):
    """Draw loop N alone, large, for sharing: its entities in order, money arrows, each hop's
    amount and deals with their sources, a title and the date the data runs to.

    N is the loop's number as `dealgraph cycles` lists it with the same options.
    """
    from dealgraph.output.loop_graphic import write_loop_graphic

    result = write_loop_graphic(store, number, out, fmt, max_length=max_length, through=through,
                                min_amount=min_amount, since=in_period.since, until=in_period.until)
    click.echo(f"wrote {result.path} (loop {number} of {result.loops}: {result.title})")


@main.command()
@click.option("--fail", "failed", multiple=True, required=True, metavar="ENTITY",
              help="An entity that fails (id, name or alias; repeatable: they fail together).")
@stress_options
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Show at most this many hit entities (the failed ones are always shown).")
@period_options
@format_option
@store_options
def stress(failed, default_buffer, shock, limit, in_period, fmt, store):
    """Default contagion: spread the failure of --fail entities through exposures (DebtRank).

    Lenders, investors and holders of warrants or granted shares are exposed to the company,
    vendors to the buyers in their backlog, lessors to their tenants, guarantors to whom they
    guarantee.
    Prints each entity hit, the fraction of its buffer (its latest equity figure) lost and
    the path the shock took; an entity with no equity figure is not scored: its line gives
    the exposure it lost, and the shock does not travel on through it.
    """
    from dealgraph.model.memory import gc_paused
    from dealgraph.analyses.stress import stress_test

    with gc_paused():  # a million deals hit ~100k entities: rows by the hundred thousand
        result = stress_test(in_period(store), failed, default_buffer=default_buffer,
                             shock=shock).to_dict()
        if limit is not None:
            first = [e for e in result["entities"] if e["round"] == 0]
            result["entities"] = first + [e for e in result["entities"] if e["round"] > 0][:limit]
        names = None
        if fmt == "table":  # the names of the entities shown and of those on their paths
            names = store.entity_names({v for e in result["entities"] for v in e["path"]})
        click.echo(report.format_stress(result, fmt, names))


@main.command()
@period_options
@format_option
@store_options
def clusters(in_period, fmt, store):
    """Strongly connected clusters of the money-flow graph (where loops live), with their total flow."""
    from dealgraph.analyses.clusters import money_clusters

    found = money_clusters(in_period(store).relationships(), store.include_talks)
    click.echo(report.format_rows([c.to_dict() for c in found], fmt))


@main.command("funded-sales")
@click.option("--vendor", default=None, metavar="ENTITY", help="Only this vendor (id, name or alias).")
@period_options
@format_option
@store_options
def funded_sales(vendor, in_period, fmt, store):
    """For each vendor that funds its customers: the share of its known sales from customers it funded."""
    from dealgraph.analyses.economics import funded_sales as vendor_funded_sales

    vendor_id = store.resolve(vendor) if vendor else None
    names = {e.id: e.name for e in store.entities()}
    rows = vendor_funded_sales(in_period(store).relationships(), names, vendor_id,
                               include_talks=store.include_talks)
    click.echo(report.format_rows(rows, fmt))


@main.command()
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), required=True,
              help="graphml or gexf: the deal graph, one edge per deal; graphml-pairs or gexf-pairs: one edge per "
              "payer -> payee with the counted sum (for Gephi); csv: entities.csv, relationships.csv and "
              "figures.csv that `dealgraph load` reads back; ftm: FollowTheMoney JSON lines (Aleph, OpenSanctions).")
@click.option("--out", type=click.Path(path_type=Path, allow_dash=True), default=None,
              help="File to write (a folder for csv; - for standard output). "
              "Default: dealgraph.graphml, dealgraph.gexf, dealgraph-pairs.graphml, dealgraph-pairs.gexf, "
              "dealgraph-csv/ or dealgraph.ftm.json.")
@store_options
def export(fmt, out, store):
    """Export every entity and deal: GraphML/GEXF (Gephi), CSV, or FollowTheMoney."""
    from dealgraph.output.export import export_store

    result = export_store(store, fmt, out, stdout=sys.stdout)
    if result.paths:
        click.echo(f"wrote {', '.join(map(str, result.paths))} ({result.counts()})")
    elif result.left_out():  # standard output holds the data: what it lacks goes to stderr
        click.echo(result.left_out(), err=True)


@main.command()
@click.option("--missing", "only_missing", is_flag=True,
              help="Only the deals and figures missing something (quote, published date, primary source, ...).")
@click.option("--class", "source_class", default=None, metavar="CLASS",
              help="Only sources of this class: filing, company, major or secondary.")
@format_option
@store_options
def sources(only_missing, source_class, fmt, store):
    """Where each deal's and figure's evidence comes from: its source class (filing, company,
    major, secondary; derived from the URL by graph/model/source_classes.yaml), what it lacks
    (url, quote, published, primary, title), its fragile-URL flags, and the totals of the
    rows listed: rows per class, the primary share (filing + company over all) for deals,
    figures and both, each missing item and each flag.
    """
    from dealgraph.analyses.sources import sources_report
    from dealgraph.output.sources_text import format_sources

    click.echo(format_sources(sources_report(store, only_missing, source_class), fmt))


#: ``deals --group-by`` (dealgraph.analyses.deals.GROUPS; spelt out so that --help needs no model).
DEAL_GROUPS = ("source", "target", "kind", "counterparty-kind", "lender-type", "year", "status")


@main.command()
@click.option("--kind", "kinds", multiple=True, metavar="KIND", help="Only deals of this kind (repeatable).")
@click.option("--entity", default=None, metavar="ENTITY",
              help="Only deals with this entity on either side (id, name or alias).")
@click.option("--source", default=None, metavar="ENTITY", help="Only deals this entity is the source of.")
@click.option("--target", default=None, metavar="ENTITY", help="Only deals this entity is the target of.")
@click.option("--counterparty-kind", "counterparty_kinds", multiple=True, metavar="KIND",
              help="Only deals whose other side (from --entity, --source or --target) is an entity of this "
              "kind (repeatable).")
@click.option("--lender-type", "lender_types", multiple=True, metavar="TYPE",
              help="Only deals whose other side has this lender type: private_credit, bank, ... (repeatable).")
@click.option("--status", "statuses", multiple=True, metavar="STATUS",
              help="Only deals with this status: talks, loi, signed, ... (repeatable).")
@click.option("--min-amount", type=USD, default=None, metavar="USD",
              help="Only deals of at least USD (1.5B, 500M, 2.5K or a number); deals of unknown amount are left out.")
@click.option("--max-amount", type=USD, default=None, metavar="USD",
              help="Only deals of at most USD; deals of unknown amount are left out.")
@click.option("--group-by", type=click.Choice(DEAL_GROUPS),
              default=None, help="Count and sum the deals in groups (counterparty groups: the other side from "
              "--entity, --source or --target).")
@period_options
@format_option
@store_options
def deals(kinds, entity, source, target, counterparty_kinds, lender_types, statuses, min_amount, max_amount,
          group_by, in_period, fmt, store):
    """List the deals that match, count them and sum what counts, optionally in groups.

    Every matching deal is listed; a superseded deal is listed but adds nothing to a sum
    (as everywhere). Example: how much of CoreWeave's debt is private credit, bank or bond
    market? `dealgraph deals --kind lends_to --target coreweave --group-by lender-type`.
    """
    from dealgraph.analyses.deals import DealFilter, find_deals
    from dealgraph.output.deals_text import format_deals

    where = DealFilter(
        kinds=kinds, entity=store.resolve(entity) if entity else None,
        source=store.resolve(source) if source else None, target=store.resolve(target) if target else None,
        counterparty_kinds=counterparty_kinds, lender_types=lender_types, statuses=statuses,
        min_amount=min_amount, max_amount=max_amount,
    )
    result = find_deals(in_period(store), where, group_by=group_by)
    names = None
    if fmt == "table":
        names = store.entity_names({d[side] for d in result["deals"] for side in ("source", "target")})
    click.echo(format_deals(result, fmt, names))


@main.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("dealgraph-demo"),
              show_default=True, help="Folder for the demo's store and HTML views.")
@click.option("--top", type=click.IntRange(min=1), default=5, show_default=True,
              help="How many of the top loops to print hop by hop, with evidence.")
@click.option("--neo4j-uri", envvar="NEO4J_URI", default=None,
              help="Run the demo through Neo4j at this URI instead of an embedded store in --out "
              "(env NEO4J_URI; credentials from NEO4J_USERNAME / NEO4J_PASSWORD).")
@click.option("--database", envvar="NEO4J_DATABASE", default=None, help="Neo4j database name (env NEO4J_DATABASE).")
def demo(out, top, neo4j_uri, database):
    """The main job: load the shipped AI-finance dataset, print what stands out and its money
    loops, write HTML views, and say how to keep asking the store it filled."""
    from dealgraph.demo import DEMO_DB_NAME, STORY_SUBJECT, next_commands, run_demo
    from dealgraph.output.entity_text import story_text
    from dealgraph.stores.neo4j_store import safe_uri

    out.mkdir(parents=True, exist_ok=True)
    with open_store(db=out / DEMO_DB_NAME, neo4j_uri=neo4j_uri, database=database) as store:
        result = run_demo(store, out, progress=progress_bar("loading the shipped dataset"))
        names = {e.id: e.name for e in store.entities()}
    where = safe_uri(neo4j_uri) if neo4j_uri else str(out / DEMO_DB_NAME)
    focus = names.get(result.focus, result.focus)
    click.echo(f"Loaded {result.entities} entities, {result.relationships} deals and {result.figures} figures "
               f"into {where} (data as of {result.as_of}).\n")
    if result.story is not None:
        click.echo("What stands out:\n")
        click.echo(story_text(result.story, names) + "\n")
    click.echo(f"{len(result.cycles)} money-flow loops of up to {result.max_length} hops, ranked by the "
               f"money that can go all the way round:\n")
    click.echo(report.cycles_summary(result.cycles, names))
    click.echo(f"\nThe top {min(top, len(result.cycles))}, hop by hop, with evidence:\n")
    click.echo(report.cycles_table(result.cycles[:top], names))
    click.echo(f"\n{focus}'s money coming straight back (it funds or pays a company that buys from it):\n")
    click.echo(report.cycles_table(result.focus_two_way, names))
    click.echo("\nHTML views:")
    for view, path in result.views.items():
        click.echo(f"  {view:<9} {path}")
    click.echo(f"\nOpen {result.views['cycles']} in a browser to explore the loops.")
    click.echo("\nKeep asking this store:")
    subject = names.get(STORY_SUBJECT, "CoreWeave")
    # An absolute path: the export still names the store after a `cd`.
    for line in next_commands(None if neo4j_uri else (out / DEMO_DB_NAME).absolute(), neo4j_uri, subject=subject):
        click.echo(f"  {line}")


if __name__ == "__main__":
    main()
