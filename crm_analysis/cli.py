"""The ``crm-analysis`` command line: the package's analyses on a client's own files.

Commands
--------
``crm-analysis validate FILE``   data checks and the cleaning report only.
``crm-analysis datasets``        list the bundled datasets; ``--export`` one to CSV.
``crm-analysis report FILE``     validate, fit, and render a self-contained HTML report
                                 plus ``customer_scores.csv`` (``--save-model PATH`` keeps the fit).
``crm-analysis score LOG --model model.json``  score a new log with a saved model (no refit).

Bad input ends with exit code 2 and a one-line reason, never a traceback.
"""

from __future__ import annotations

import dataclasses
import re
import sys
import zipfile
from importlib.resources import as_file
from pathlib import Path

import click

from ._resources import resource_dir
from .errors import CRMDataError

EXIT_BAD_INPUT = 2


class _Fail(click.ClickException):
    """One-line failure: ``error: <reason>`` and exit code 2."""

    exit_code = EXIT_BAD_INPUT

    def show(self, file=None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


# Advice written for Python callers, and the CLI option that does the same.
_CLI_ADVICE = (
    (re.compile(r"\bmissing_codes=\[?([^\]\s;,.]+)\]?"), r"--survey-missing \1"),
    (re.compile(r"\bscale=\((\w+), (\w+)\)"), r"--survey-scale \1-\2"),
    (re.compile(r"\bzero_amounts=(['\"]?)(\w+)\1"), r"--zero-amounts \2"),
    (re.compile(r"(?: and)? ?\bdropna=True\b"), ""),
    (re.compile(r"\bdayfirst=True\b"), "--dayfirst"),
    (re.compile(r"\bdate_format=(['\"]?)"), r"--date-format \1"),
    (re.compile(r"\btz=(['\"]?)"), r"--tz \1"),
    (re.compile(r"\bsheet=(['\"]?)"), r"--sheet \1"),
    (re.compile(r"\bobservation_end\b"), "--observation-end"),
    (re.compile(r"\bcalibration_end\b"), "--calibration-end"),
    (re.compile(r"\bcustomer_id=(['\"]?)"), r"--customer-id \1"),
    (re.compile(r"\bamount=(['\"]?)"), r"--amount \1"),
)



def _require_tz_choice(data, date: str, tz: str | None, where: str) -> None:
    """Dates with UTC offsets need --tz: the clock that days are counted in changes the days."""
    from .dates import has_zone

    if tz is not None or date not in data.columns:
        return
    zoned = has_zone(data[date])
    if zoned.any():
        example = data.loc[zoned, date].iloc[0]
        raise CRMDataError(
            f"{where}: column {date!r}: {int(zoned.sum()):,} dates carry a UTC offset (e.g. {example}); "
            "choose the clock in which days are counted with --tz UTC or a zone such as --tz Europe/London."
        )

def _one_line(exc: Exception, strict: bool = False) -> str:
    """The reason of a failure as one line, with advice in terms of CLI options.

    With ``--strict`` the offending rows that follow the first line are kept.
    """
    text = str(exc).strip()
    if not text:
        return type(exc).__name__
    lines = text.splitlines()
    first = lines[0].rstrip()
    if len(lines) > 1 and not strict:
        # "... e.g.:" announces the rows that follow; without them, end the sentence.
        first = re.sub(r"[\s;,:]*(?:e\.g\.|for example|rows?)?[\s:]*$", "", first)
        first += " (--strict shows the offending rows)." if "--strict" not in first else "."
    for pattern, repl in _CLI_ADVICE:
        first = pattern.sub(repl, first)
    return "\n".join([first] + lines[1:]) if strict else first


def _cli_text(text: str) -> str:
    """Text written for Python callers (a cleaning summary) with CLI options named instead."""
    for pattern, repl in _CLI_ADVICE:
        text = pattern.sub(repl, text)
    return text


def _all_dropped(result) -> str:
    """One line for a log that cleaning emptied: the rows in, and the counts by reason."""
    reasons = "; ".join(f"{r.check} [{r.column}]: {r.rows:,}" for r in result.report.itertuples()
                        if r.action == "dropped")
    return (f"every one of the {result.n_input:,} rows was dropped in cleaning ({reasons or 'no rows'}); "
            "check the column options (--customer-id, --date, --amount) and the date format.")


def _columns_options(func):
    func = click.option("--customer-id", "customer_id", default="customer_id", show_default=True,
                        help="Column with the customer id.")(func)
    func = click.option("--date", "date", default="date", show_default=True,
                        help="Column with the transaction date.")(func)
    func = click.option("--amount", "amount", default=None,
                        help="Column with the transaction value (optional for validate).")(func)
    func = click.option("--sep", default=None, help="CSV delimiter (sniffed when omitted).")(func)
    return _reading_options(func)


def _reading_options(func):
    """--sheet, --dayfirst/--monthfirst, --date-format, --tz (crm_analysis.dates, io)."""
    func = click.option("--sheet", default=None,
                        help="Excel sheet to read: its name, or 'all' to stack every sheet.")(func)
    func = click.option("--dayfirst/--monthfirst", "dayfirst", default=None,
                        help="Read dates such as 05/01/2011 as 5 January (--dayfirst) or "
                             "1 May (--monthfirst); needed when the file does not decide it.")(func)
    func = click.option("--date-format", "date_format", default=None,
                        help="strftime pattern of the dates, e.g. '%d/%m/%Y %H:%M'.")(func)
    func = click.option("--tz", default=None,
                        help="Time zone that dates with a UTC offset are converted to "
                             "(default UTC), e.g. Europe/London.")(func)
    return func


def _cleaning_options(func):
    """Options of invoice-line exports: amount from quantity x price, returns, fees, text amounts."""
    opts = [
        click.option("--quantity", default=None,
                     help="Column of units; with --price the amount is quantity x price."),
        click.option("--price", default=None, help="Column of the unit price (with --quantity)."),
        click.option("--order-id", "order_id", default=None,
                     help="Column of the order/invoice number (with --cancel-prefix)."),
        click.option("--cancel-prefix", "cancel_prefix", default=None,
                     help="Order numbers starting with this mark cancellations, e.g. C."),
        click.option("--returns", type=click.Choice(["net", "drop"]), default="net",
                     show_default=True,
                     help="Net returns against the customer's purchases, or drop them."),
        click.option("--item", default=None,
                     help="Column of the product code (for --exclude-items and matching returns)."),
        click.option("--exclude-items", "exclude_items", default=None,
                     help="Regular expression of non-product codes to drop, e.g. 'POST|M|BANK CHARGES'."),
        click.option("--thousands", default=None,
                     help="Thousands separator of amounts written as text, e.g. ','."),
        click.option("--decimal", default=".", show_default=True,
                     help="Decimal mark of amounts written as text, e.g. ','."),
        click.option("--currency", default=None,
                     help="Currency symbol to strip from amounts written as text, e.g. '£'."),
        click.option("--zero-amounts", "zero_amounts", type=click.Choice(["keep", "drop"]),
                     default="keep", show_default=True,
                     help="Lines of amount zero: keep them as purchase occasions (counted in "
                          "frequency and recency, nothing in revenue), or drop them."),
    ]
    for opt in reversed(opts):
        func = opt(func)
    return func


_CLEANING = ("quantity", "price", "order_id", "cancel_prefix", "returns", "item", "exclude_items",
             "thousands", "decimal", "currency", "zero_amounts")


def _cleaning_kwargs(values: dict) -> dict:
    return {k: values[k] for k in _CLEANING}


def _needed_columns(customer_id: str, date: str, amount: str | None, cleaning: dict) -> list[str]:
    from_lines = cleaning["quantity"] is not None
    cols = [customer_id, date, None if from_lines else amount, cleaning["quantity"],
            cleaning["price"], cleaning["order_id"], cleaning["item"]]
    return [c for c in cols if c]


# Bad input: one `error:` line, exit 2.  ValueError covers CRMDataError and bad option
# values; the others are what a broken file can still raise from a third-party reader.
_BAD_INPUT = (ValueError, TypeError, KeyError, OverflowError, OSError, EOFError, zipfile.BadZipFile)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="crm-analysis")
def main() -> None:
    """Customer-relationship analytics on your own transaction files."""
    from ._allocator import keep_freed_memory

    keep_freed_memory()  # the fits run several times faster (crm_analysis/_allocator.py)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@_columns_options
@click.option("--observation-end", default=None, help="Last day of observation (YYYY-MM-DD).")
@click.option("--strict", is_flag=True, help="Fail on the first row that would be dropped.")
@_cleaning_options
def validate(file: Path, customer_id: str, date: str, amount: str | None, sep: str | None,
             sheet: str | None, dayfirst: bool | None, date_format: str | None, tz: str | None,
             observation_end: str | None, strict: bool, **cleaning) -> None:
    """Check FILE (CSV, TSV, .csv.gz/.bz2/.zip, Parquet or Excel) and print the cleaning report."""
    from ._checks import normalise_ids
    from .io import read_table
    from .transactions import validate_transactions

    cleaning = _cleaning_kwargs(cleaning)
    try:
        expect = _needed_columns(customer_id, date, amount, cleaning)
        data = read_table(file, sep=sep, expect=expect, sheet=sheet)
        _require_tz_choice(data, date, tz, "validate")
        result = validate_transactions(data, customer_id=customer_id, date=date, amount=amount,
                                       observation_end=observation_end, strict=strict,
                                       dayfirst=dayfirst, date_format=date_format, tz=tz,
                                       **cleaning)
    except _BAD_INPUT as exc:
        raise _Fail(_one_line(exc, strict=strict)) from None
    if result.data.empty:
        raise _Fail(_all_dropped(result))
    click.echo(_cli_text(result.summary()))
    # 5 and "5" are one customer, as in rfm_summary.
    n_customers = normalise_ids(result.data[customer_id]).nunique()
    click.echo(f"{n_customers:,} customers; dates {result.data[date].min():%Y-%m-%d} "
               f"to {result.data[date].max():%Y-%m-%d}.")


@main.command()
@click.option("--export", "export", default=None,
              help="Loader name to export, e.g. load_cdnow (see the list).")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="CSV file to write with --export.")
def datasets(export: str | None, out: Path | None) -> None:
    """List the bundled datasets, or export one to CSV to try `report` at once."""
    from . import datasets as ds
    from .io import write_safe_csv

    table = ds.list_datasets()
    if export is None:
        click.echo(table.to_string(index=False))
        click.echo("\nExport one, then run a report on it:\n"
                   "  crm-analysis datasets --export load_cdnow --out cdnow.csv\n"
                   "  crm-analysis report cdnow.csv --customer-id customer_id --date date "
                   "--amount amount --out cdnow_report")
        return
    if export not in set(table["loader"]):
        raise _Fail(f"unknown dataset {export!r}; choose one of {', '.join(table['loader'])}.")
    target = out or Path(f"{export.removeprefix('load_')}.csv")
    if not target.parent.is_dir():
        raise _Fail(f"--out {target}: the folder {target.parent} does not exist; create it first.")
    frame = getattr(ds, export)()
    write_safe_csv(frame, target, index=export == "load_cdnow_summary")
    click.echo(f"wrote {len(frame):,} rows to {target}")


def _missing_codes(values: tuple[str, ...]) -> list:
    """``--survey-missing`` values as codes: numbers where they parse ("0" -> 0), else text."""
    codes: list = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            try:
                number = float(part)
            except ValueError:
                codes.append(part)
                continue
            codes.append(int(number) if number.is_integer() else number)
    return codes


#: The report notebook, shipped as package data (``notebooks/templates/`` in the repository).
TEMPLATE = resource_dir("templates") / "client_report.ipynb"


def _writable_folder(out: Path, option: str = "--out") -> None:
    """Create ``out`` (and parents) and prove it can be written, or fail in one line."""
    if out.exists() and not out.is_dir():
        raise _Fail(f"{option} {out}: is a file, not a folder; give a folder name.")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".crm-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise _Fail(f"{option} {out}: cannot create or write the folder "
                    f"({exc.strerror or type(exc).__name__}).") from None


_PARQUET = (".parquet", ".pq", ".parq")


def _is_parquet_set(source: str) -> bool:
    """A Parquet folder or a glob of Parquet files (read straight into the analysis)."""
    path = Path(source)
    return path.is_dir() or any(ch in source for ch in "*?[")


def _parse_scale(text: str | None):
    """``--survey-scale 1-7`` -> (1, 7)."""
    if text is None:
        return None
    try:
        lo, hi = (float(x) for x in text.replace(",", "-").split("-"))
    except ValueError:
        raise _Fail(f"--survey-scale {text!r}: write the answer scale as LOW-HIGH, e.g. 1-7.") from None
    if not lo < hi:
        raise _Fail(f"--survey-scale {text!r}: the low end must be below the high end.")
    return (int(lo) if lo.is_integer() else lo, int(hi) if hi.is_integer() else hi)


def _without_iri_grammar() -> None:
    """Keep jsonschema (imported by nbformat) from compiling its IRI grammars.

    jsonschema imports ``rfc3987_syntax`` when it is installed, which builds
    dozens of parser grammars at import: seconds per report on this kind of
    machine (python-jsonschema/jsonschema#1428).  Notebook validation never
    checks the "iri" format, so the report's process goes without it; a
    process that has already imported jsonschema is left alone.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # None: `import` raises ImportError


def _run_template(params: dict, executed: Path, bar) -> None:
    """Execute the report template in a kernel that only displays the saved analysis.

    The kernel's own start-up chatter (ipykernel's TCP notice, traitlets
    warnings) goes to a null device; progress is the caller's single bar.
    """
    import logging
    import subprocess

    _without_iri_grammar()
    import nbformat
    from nbclient import NotebookClient

    from .messages import localise_report

    with as_file(TEMPLATE) as template:  # a real file even if the package is zipped
        nb = nbformat.read(template, as_version=4)
    for cell in nb.cells:  # inject the parameters, as papermill would
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            cell.source = "\n".join(f"{k} = {v!r}" for k, v in params.items())
            break
    localise_report(nb, params.get("lang", "en"))  # headings and paragraphs in the report's language
    bar.total += sum(cell.cell_type == "code" for cell in nb.cells)
    bar.refresh()
    client = NotebookClient(nb, kernel_name="python3", timeout=600,
                            resources={"metadata": {"path": str(executed.parent)}},
                            on_cell_executed=lambda **_: bar.update(1))
    client.log.setLevel(logging.ERROR)
    try:
        client.execute(stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    except Exception as exc:  # a display cell failed: the analysis itself has run and been saved
        name = type(exc).__name__
        raise _Fail(f"the report could not be displayed ({name}: {_one_line(exc)}); the analysis "
                    f"is saved in {executed.parent / 'analysis'}.") from None
    finally:
        nbformat.write(nb, executed)


@main.command()
@click.argument("transactions", type=str)
@_columns_options
@click.option("--survey", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Survey file (customer_id, overall_satisfaction, attribute ratings, loyalty items).")
@click.option("--cost-per-order", type=float, default=None,
              help="Cost to serve one order; adds profit and the whale curve.")
@click.option("--margin", type=float, default=None,
              help="Gross margin as a share of revenue, e.g. 0.3. Without it CLV and customer "
                   "equity are revenue, and the report labels them 'revenue, not profit'.")
@click.option("--discount-rate", type=float, default=0.10, show_default=True,
              help="Annual discount rate for CLV.")
@click.option("--calibration-end", default=None,
              help="Fit up to this date and check predictions on the rest (YYYY-MM-DD); the "
                   "model with the smaller holdout error then scores the customers.")
@click.option("--observation-end", default=None, help="Last day of observation (YYYY-MM-DD).")
@click.option("--out", "out", type=click.Path(path_type=Path),
              default=Path("crm_report"), show_default=True, help="Output folder.")
@click.option("--show-code", is_flag=True, help="Keep the code cells in the HTML report.")
@click.option("--strict", is_flag=True, help="Fail on the first row that would be dropped, "
                                             "showing the offending rows.")
@click.option("--survey-missing", "survey_missing", multiple=True, metavar="CODE",
              help="Answer code of the survey's attribute ratings that means 'not applicable' "
                   "(e.g. 0 on a 1-5 survey); such responses are left out of the driver "
                   "analysis and counted. Repeat or comma-separate for several codes.")
@click.option("--survey-scale", "survey_scale", default=None, metavar="LOW-HIGH",
              help="Answer scale of the survey items, e.g. 1-7 (default: the smallest of "
                   "1-5, 1-7, 1-10, 0-10 holding each item's answers, said in the report).")
@_cleaning_options
@click.option("--save-model", "save_model", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the fitted models and CLV settings to this JSON file (for `score`).")
@click.option("--lang", type=click.Choice(["en", "zh", "zh+en"]), default="en", show_default=True,
              help="Language of the report's text, tables and charts: English, Chinese, or both.")
def report(transactions: str, customer_id: str, date: str, amount: str | None, sep: str | None,
           sheet: str | None, dayfirst: bool | None, date_format: str | None, tz: str | None,
           survey: Path | None, cost_per_order: float | None, margin: float | None,
           discount_rate: float, calibration_end: str | None, observation_end: str | None,
           out: Path, show_code: bool, strict: bool, survey_missing: tuple[str, ...],
           survey_scale: str | None, save_model: Path | None, lang: str = "en",
           **cleaning) -> None:
    """Validate TRANSACTIONS once, analyse it, and write report.html and customer_scores.csv.

    TRANSACTIONS is a CSV, Excel or Parquet file, or a folder or glob of
    Parquet files (large logs).  Every check and every model fit runs here,
    before the report notebook starts; the notebook only displays.
    """
    import tempfile

    from tqdm.auto import tqdm

    from .io import read_table, write_safe_csv
    from .largedata import read_log_files
    from .report import analyse_client, render_report_html
    from .transactions import LogFileCleaning, clean_log_files, validate_transactions

    cleaning = _cleaning_kwargs(cleaning)
    amount = amount or "amount"
    codes = _missing_codes(survey_missing)
    scale = _parse_scale(survey_scale)
    for given, option in ((codes, "--survey-missing"), (scale, "--survey-scale")):
        if given and survey is None:
            raise _Fail(f"{option} needs --survey FILE.")
    if margin is not None and not 0 < margin <= 1:
        raise _Fail(f"--margin must be a share in (0, 1], e.g. 0.3 for 30%; got {margin}.")
    _writable_folder(out)
    # One bar for the whole report: five steps here, then one per template cell.
    bar = tqdm(total=5, desc="report", unit="step",
               bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed}] {postfix}")

    def clear_bar() -> None:
        # A failure must end stderr with its one `error:` line, not a frozen bar frame:
        # wipe the bar (a no-op once it has closed normally).
        bar.leave = False
        bar.close()

    # Runs when the command ends, before click prints an error.
    click.get_current_context().call_on_close(clear_bar)

    def step(what: str) -> None:
        bar.set_postfix_str(what)
        bar.update(1)

    try:
        bar.set_postfix_str(f"reading {Path(transactions).name}")
        expect = _needed_columns(customer_id, date, amount, cleaning)
        custom_cleaning = cleaning != {**dict.fromkeys(_CLEANING), "returns": "net",
                                       "decimal": ".", "zero_amounts": "keep"}
        checked = None
        if _is_parquet_set(transactions) or transactions.lower().endswith(_PARQUET):
            # Out of core: cleaned in DuckDB (counts as validate_transactions), the log
            # never loaded whole; None when the columns need the pandas reader.
            workdir = tempfile.TemporaryDirectory(prefix="crm-analysis-")
            click.get_current_context().call_on_close(workdir.cleanup)
            step("validating")
            checked = clean_log_files(
                transactions, workdir.name, customer_id=customer_id, date=date, amount=amount,
                observation_end=observation_end, strict=strict, dayfirst=dayfirst,
                date_format=date_format, tz=tz, **cleaning,
                lines_path=out / "cleaned_transactions.parquet" if custom_cleaning else None)
        if checked is None:
            if _is_parquet_set(transactions):
                data = read_log_files(transactions, expect)
            else:
                data = read_table(Path(transactions), sep=sep, expect=expect, sheet=sheet)
            _require_tz_choice(data, date, tz, "report")
            if bar.n == 0:
                step("validating")
            checked = validate_transactions(data, customer_id=customer_id, date=date,
                                            amount=amount, observation_end=observation_end,
                                            strict=strict, dayfirst=dayfirst,
                                            date_format=date_format, tz=tz, **cleaning)
            del data  # the cleaned copy is all the analysis needs
            if len(checked.data) and len(checked.data.columns) > 3:
                # a new result holding only the three columns the analysis reads
                checked = dataclasses.replace(checked, data=checked.data[[customer_id, date, amount]])
        survey_frame = None
        if survey is not None:
            survey_frame = read_table(survey, expect=["customer_id", "overall_satisfaction"])
        step("fitting the models")
        result = analyse_client(checked, customer_id=customer_id, date=date, amount=amount,
                                margin=margin, cost_per_order=cost_per_order,
                                calibration_end=calibration_end, observation_end=observation_end,
                                discount_rate=discount_rate, survey=survey_frame,
                                survey_missing=codes, survey_scale=scale, tz=tz)
    except _BAD_INPUT as exc:
        clear_bar()
        raise _Fail(_one_line(exc, strict=strict)) from None
    step("saving the analysis")
    cleaning_summary = _cli_text(result.validation.summary())  # CLI options, not Python arguments
    result.save(out / "analysis", validation_summary=cleaning_summary)
    write_safe_csv(result.scores.reset_index(), out / "customer_scores.csv")
    if custom_cleaning and not isinstance(checked, LogFileCleaning):  # else written above
        checked.data.to_parquet(out / "cleaned_transactions.parquet", index=False)
    if save_model is not None:  # JSON, read back by `crm-analysis score LOG --model PATH`
        from .forecast import ScoringModel
        from .forecast import save_model as write_model

        write_model(ScoringModel.from_client_analysis(result, amount=amount), save_model)
    # The kernel reads the saved folder only: what is said at the end is kept, the scores
    # and summaries are let go, so that the two processes never hold them both.
    notes = list(result.notes)
    survey_result, model_choice = result.survey, result.model_choice
    del checked, result
    from ._allocator import return_freed_memory

    return_freed_memory()  # the kernel's memory adds to this process's
    step("running the report notebook")
    executed = out / "report.ipynb"
    _run_template({"analysis_dir": str((out / "analysis").resolve()),
                   "scores_file": "customer_scores.csv", "lang": lang}, executed, bar)
    import nbformat

    nb = nbformat.read(executed, as_version=4)
    # Self-contained and offline: no script from a CDN, math rendered to MathML here.
    from .messages import message

    title = message("h.title", lang).lstrip("# ")
    (out / "report.html").write_text(render_report_html(nb, show_code=show_code, title=title),
                                     encoding="utf-8")
    bar.update(bar.total - bar.n)
    bar.set_postfix_str("done")
    bar.close()
    click.echo(cleaning_summary)
    for note in notes:
        click.echo(f"note: {note}")
    if survey_result is not None:
        sv = survey_result
        click.echo(f"survey: {sv.n_used:,} of {sv.n_responses:,} responses used for the drivers; "
                   f"{sv.n_responses - sv.n_used:,} left out ({sv.dropped or 'none'}).")
        for note in sv.notes:
            click.echo(f"note: {note}")
    click.echo(f"model: {model_choice}")
    click.echo(f"done: {out / 'report.html'} and {out / 'customer_scores.csv'}"
               + (f"; model saved to {save_model}" if save_model is not None else ""))


# --- score: a saved model applied to a new log ---------------------------------------------------
@main.command()
@click.argument("log", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--model", "model_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Model file written by `crm-analysis report --save-model PATH`.")
@_columns_options
@click.option("--observation-end", default=None, help="Scoring date (YYYY-MM-DD; default: last date).")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("customer_scores.csv"), show_default=True, help="Scores CSV to write.")
def score(log: Path, model_path: Path, customer_id: str, date: str, amount: str | None, sep: str | None,
          sheet: str | None, dayfirst: bool | None, date_format: str | None, tz: str | None,
          observation_end: str | None, out: Path) -> None:
    """Score every customer of LOG with a saved model: P(alive), expected purchases, CLV."""
    from .forecast import ScoringModel, load_model
    from .io import read_table, write_safe_csv
    from .transactions import validate_transactions

    amount = amount or "amount"
    try:
        model = load_model(model_path)
        if not isinstance(model, ScoringModel):
            raise CRMDataError(f"score: --model {model_path.name}: a single model, not a scoring model; "
                               "write one with `crm-analysis report --save-model PATH`.")
        data = read_table(log, sep=sep, expect=[customer_id, date, amount], sheet=sheet)
        _require_tz_choice(data, date, tz, "score")
        checked = validate_transactions(data, customer_id=customer_id, date=date, amount=amount,
                                        observation_end=observation_end, zero_amounts="keep",
                                        dayfirst=dayfirst, date_format=date_format, tz=tz)
        scores = model.score(checked.data, customer_id=customer_id, date=date, amount=amount,
                             observation_end=observation_end)
    except _BAD_INPUT as exc:
        raise _Fail(_one_line(exc)) from None
    click.echo(_cli_text(checked.summary()))
    write_safe_csv(scores.reset_index(), out)
    click.echo(f"scored {len(scores):,} customers with {model_path.name}; wrote {out}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
