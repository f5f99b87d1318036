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
from pathlib import Path

import click

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
    return func


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="crm-analysis")
def main() -> None:
    """Customer-relationship analytics on your own transaction files."""


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@_columns_options
@click.option("--observation-end", default=None, help="Last day of observation (YYYY-MM-DD).")
@click.option("--strict", is_flag=True, help="Fail on the first row that would be dropped.")
def validate(file: Path, customer_id: str, date: str, amount: str | None, sep: str | None,
             observation_end: str | None, strict: bool) -> None:
    """Check FILE (CSV, Parquet or Excel) and print the cleaning report."""
    from .io import read_table
    from .transactions import validate_transactions

    try:
        expect = [c for c in (customer_id, date, amount) if c]
        data = read_table(file, sep=sep, expect=expect)
        result = validate_transactions(data, customer_id=customer_id, date=date, amount=amount,
                                       observation_end=observation_end, strict=strict)
    except ValueError as exc:  # CRMDataError and unparseable option values
        raise _Fail(_one_line(exc)) from None
    click.echo(result.summary())
    n_customers = result.data[customer_id].nunique()
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


TEMPLATE = Path(__file__).resolve().parent.parent / "notebooks" / "templates" / "client_report.ipynb"


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
@click.option("--save-model", "save_model", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the fitted models and CLV settings to this JSON file (for `score`).")
def report(transactions: Path, customer_id: str, date: str, amount: str | None, sep: str | None,
           survey: Path | None, cost_per_order: float | None, margin: float, discount_rate: float,
           calibration_end: str | None, out: Path, show_code: bool, save_model: Path | None) -> None:
    """Validate TRANSACTIONS, fit the models and write report.html and customer_scores.csv."""
    from .io import read_table
    from .report import check_client_log

    amount = amount or "amount"
    out.mkdir(parents=True, exist_ok=True)
    click.echo(f"[1/3] reading and checking {transactions.name}")
    try:
        # Fail fast, with a one-line reason, before starting a notebook kernel.
        data = read_table(transactions, sep=sep, expect=[customer_id, date, amount])
        if survey is not None:
            read_table(survey, expect=["customer_id", "overall_satisfaction"])
        if not 0 < margin <= 1:
            raise CRMDataError(f"--margin must be a share in (0, 1], got {margin}.")
        checked = check_client_log(data, customer_id=customer_id, date=date, amount=amount,
                                   calibration_end=calibration_end)
    except ValueError as exc:  # CRMDataError and unparseable option values
        raise _Fail(_one_line(exc)) from None
    click.echo(checked.summary())

    click.echo("[2/3] fitting the models and running the report notebook")
    import nbformat
    import papermill as pm
    from nbconvert import HTMLExporter

    params = {
        "transactions_path": str(transactions.resolve()), "customer_id": customer_id, "date": date,
        "amount": amount, "sep": sep, "survey_path": str(survey.resolve()) if survey else None,
        "cost_per_order": cost_per_order, "margin": margin, "calibration_end": calibration_end,
        "annual_discount_rate": discount_rate,
        "scores_path": str((out / "customer_scores.csv").resolve()),
    }
    if save_model is not None:  # only when asked, so templates without the parameter still run
        params["model_path"] = str(save_model.resolve())
    executed = out / "report.ipynb"
    try:
        pm.execute_notebook(str(TEMPLATE), str(executed), parameters=params, kernel_name="python3",
                            cwd=str(out), progress_bar=True)
    except pm.PapermillExecutionError as exc:
        raise _Fail(f"the report failed at cell {exc.exec_count}: {exc.ename}: {exc.evalue}") from None

    click.echo("[3/3] rendering report.html")
    nb = nbformat.read(executed, as_version=4)
    exporter = HTMLExporter(template_name="lab", exclude_input=not show_code,
                            exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(
        nb, resources={"metadata": {"name": "Customer-relationship report"}})
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
        data = read_table(log, sep=sep, expect=[customer_id, date, amount])
        checked = validate_transactions(data, customer_id=customer_id, date=date, amount=amount,
                                        observation_end=observation_end, zero_amounts="keep")
        scores = model.score(checked.data, customer_id=customer_id, date=date, amount=amount,
                             observation_end=observation_end)
    except ValueError as exc:  # CRMDataError and unparseable option values
        raise _Fail(_one_line(exc)) from None
    click.echo(checked.summary())
    write_safe_csv(scores.reset_index(), out)
    click.echo(f"scored {len(scores):,} customers with {model_path.name}; wrote {out}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
