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

import sys
import warnings
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


def _one_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


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
    ]
    for opt in reversed(opts):
        func = opt(func)
    return func


_CLEANING = ("quantity", "price", "order_id", "cancel_prefix", "returns", "item", "exclude_items",
             "thousands", "decimal", "currency")


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
        result = validate_transactions(data, customer_id=customer_id, date=date, amount=amount,
                                       observation_end=observation_end, strict=strict,
                                       dayfirst=dayfirst, date_format=date_format, tz=tz,
                                       **cleaning)
    except _BAD_INPUT as exc:
        raise _Fail(_one_line(exc)) from None
    click.echo(result.summary())
    if result.data.empty:
        raise _Fail("no row is left after cleaning (see the report above).")
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
    frame = getattr(ds, export)()
    target = out or Path(f"{export.removeprefix('load_')}.csv")
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


@main.command()
@click.argument("transactions", type=click.Path(dir_okay=False, path_type=Path))
@_columns_options
@click.option("--survey", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Survey file (customer_id, overall_satisfaction, attribute ratings, loyalty items).")
@click.option("--cost-per-order", type=float, default=None,
              help="Cost to serve one order; adds profit and the whale curve.")
@click.option("--margin", type=float, default=1.0, show_default=True,
              help="Gross margin as a share of revenue.")
@click.option("--discount-rate", type=float, default=0.10, show_default=True,
              help="Annual discount rate for CLV.")
@click.option("--calibration-end", default=None,
              help="Fit up to this date and check predictions on the rest (YYYY-MM-DD).")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path),
              default=Path("crm_report"), show_default=True, help="Output folder.")
@click.option("--show-code", is_flag=True, help="Keep the code cells in the HTML report.")
@click.option("--survey-missing", "survey_missing", multiple=True, metavar="CODE",
              help="Answer code of the survey's attribute ratings that means 'not applicable' "
                   "(e.g. 0 on a 1-5 survey); such responses are left out of the driver "
                   "analysis and counted. Repeat or comma-separate for several codes.")
@_cleaning_options
@click.option("--save-model", "save_model", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the fitted models and CLV settings to this JSON file (for `score`).")
@click.option("--lang", type=click.Choice(["en", "zh", "zh+en"]), default="en", show_default=True,
              help="Language of the charts' titles, axis labels and legends: English, Chinese, or both.")
def report(transactions: Path, customer_id: str, date: str, amount: str | None, sep: str | None,
           sheet: str | None, dayfirst: bool | None, date_format: str | None, tz: str | None,
           survey: Path | None, cost_per_order: float | None, margin: float, discount_rate: float,
           calibration_end: str | None, out: Path, show_code: bool,
           survey_missing: tuple[str, ...], save_model: Path | None, lang: str = "en",
           **cleaning) -> None:
    """Validate TRANSACTIONS, fit the models and write report.html and customer_scores.csv."""
    from .drivers import SurveyScaleWarning
    from .io import read_table
    from .report import check_client_log, check_client_survey

    cleaning = _cleaning_kwargs(cleaning)
    # Options beyond customer/date/amount: clean the export first and hand the
    # report the cleaned log (one line per purchase, amounts netted).
    preclean = any(cleaning[k] != v for k, v in
                   {**dict.fromkeys(_CLEANING), "returns": "net", "decimal": "."}.items())
    amount = amount or "amount"
    codes = _missing_codes(survey_missing)
    if codes and survey is None:
        raise _Fail("--survey-missing needs --survey FILE.")
    out.mkdir(parents=True, exist_ok=True)
    click.echo(f"[1/3] reading and checking {transactions.name}")
    try:
        # Fail fast, with a one-line reason, before starting a notebook kernel.
        data = read_table(transactions, sep=sep,
                          expect=_needed_columns(customer_id, date, amount, cleaning),
                          sheet=sheet)
        if preclean:
            from .transactions import validate_transactions

            cleaned = validate_transactions(data, customer_id=customer_id, date=date,
                                            amount=amount, dayfirst=dayfirst,
                                            date_format=date_format, tz=tz, **cleaning)
            click.echo(cleaned.summary())
            data = cleaned.data[[customer_id, date, amount]]
            transactions = out / "cleaned_transactions.parquet"
            data.to_parquet(transactions, index=False)
            sep = None
            click.echo(f"cleaned log ({len(data):,} lines) written to {transactions}; "
                       "the report reads it")
        survey_lines = []
        if survey is not None:
            survey_frame = read_table(survey, expect=["customer_id", "overall_satisfaction"])
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", SurveyScaleWarning)
                drivers = check_client_survey(survey_frame, missing_codes=codes)
            survey_lines.append(
                f"survey: {int(drivers['n'].iloc[0]):,} of {len(survey_frame):,} responses used "
                f"for the drivers; {drivers.attrs['n_dropped']:,} left out "
                f"({drivers.attrs['dropped'] or 'none'}).")
            survey_lines += [f"note: {w.message}" for w in caught]
        if not 0 < margin <= 1:
            raise CRMDataError(f"--margin must be a share in (0, 1], got {margin}.")
        checked = check_client_log(data, customer_id=customer_id, date=date, amount=amount,
                                   calibration_end=calibration_end, dayfirst=dayfirst,
                                   date_format=date_format, tz=tz)
    except _BAD_INPUT as exc:
        raise _Fail(_one_line(exc)) from None
    click.echo(checked.summary())
    for line in survey_lines:
        click.echo(line)

    click.echo("[2/3] fitting the models and running the report notebook")
    import nbformat
    import papermill as pm

    from .report import render_report_html

    params = {
        "transactions_path": str(transactions.resolve()), "customer_id": customer_id, "date": date,
        "amount": amount, "sep": sep, "survey_path": str(survey.resolve()) if survey else None,
        "cost_per_order": cost_per_order, "margin": margin, "calibration_end": calibration_end,
        "annual_discount_rate": discount_rate,
        "scores_path": str((out / "customer_scores.csv").resolve()),
        "survey_missing": codes,
        "sheet": sheet, "dayfirst": dayfirst, "date_format": date_format, "tz": tz,
    }
    if save_model is not None:  # only when asked, so templates without the parameter still run
        params["model_path"] = str(save_model.resolve())
    if lang != "en":  # likewise
        params["lang"] = lang
    executed = out / "report.ipynb"
    try:
        with as_file(TEMPLATE) as template:  # a real file even if the package is zipped
            pm.execute_notebook(str(template), str(executed), parameters=params,
                                kernel_name="python3", cwd=str(out), progress_bar=True)
    except pm.PapermillExecutionError as exc:
        raise _Fail(f"the report failed at cell {exc.exec_count}: {exc.ename}: {exc.evalue}") from None

    click.echo("[3/3] rendering report.html")
    nb = nbformat.read(executed, as_version=4)
    # Self-contained and offline: no script from a CDN, math rendered to MathML here.
    body = render_report_html(nb, show_code=show_code)
    (out / "report.html").write_text(body, encoding="utf-8")
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
            raise CRMDataError(f"--model {model_path.name}: a single model, not a scoring model; "
                               "write one with `crm-analysis report --save-model PATH`.")
        data = read_table(log, sep=sep, expect=[customer_id, date, amount], sheet=sheet)
        checked = validate_transactions(data, customer_id=customer_id, date=date, amount=amount,
                                        observation_end=observation_end, zero_amounts="keep",
                                        dayfirst=dayfirst, date_format=date_format, tz=tz)
        scores = model.score(checked.data, customer_id=customer_id, date=date, amount=amount,
                             observation_end=observation_end)
    except _BAD_INPUT as exc:
        raise _Fail(_one_line(exc)) from None
    click.echo(checked.summary())
    write_safe_csv(scores.reset_index(), out)
    click.echo(f"scored {len(scores):,} customers with {model_path.name}; wrote {out}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
