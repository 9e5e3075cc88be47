"""``lcnec``: the command line of the book.

Exit status: 0 success; 1 a step of the build failed; 2 wrong usage;
3 the data break the contract; 4 a parameter is unknown or of the wrong type.
Messages are plain sentences on standard error; set ``LCNEC_DEBUG=1`` to see
the traceback of an unexpected failure.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BAD_DATA, EXIT_BAD_PARAMETER = 0, 1, 2, 3, 4


def _text_value(name: str, text: str) -> str | None:
    """The value of a text parameter as written (quotes of a YAML string removed; null for an optional one)."""
    from lcnec_utils.contract.params import OPTIONAL_PARAMETERS

    stripped = text.strip()
    if name in OPTIONAL_PARAMETERS and stripped.lower() in ("null", "~", "none", ""):
        return None
    if len(stripped) >= 2 and stripped[0] == stripped[-1] and stripped[0] in "'\"":
        try:
            loaded = yaml.safe_load(stripped)
        except yaml.YAMLError:
            loaded = None
        if isinstance(loaded, str):
            return loaded
    return stripped


def parse_parameter_pairs(pairs: Sequence[Sequence[str]] | None) -> dict[str, Any]:
    """``-p NAME VALUE`` pairs, each value typed by its parameter's meaning: text parameters (files, the
    sheet, the arms' labels) as written, so ``-p reference_group 0`` is the label "0"; the others read
    as YAML (``12``, ``0.1``, ``[age, ecog]``)."""
    from lcnec_utils.contract.params import TEXT_PARAMETERS, ParameterError

    values: dict[str, Any] = {}
    for name, text in pairs or []:
        if name in TEXT_PARAMETERS:
            values[name] = _text_value(name, text)
            continue
        try:
            values[name] = yaml.safe_load(text)
        except yaml.YAMLError:
            raise ParameterError(f"value of parameter '{name}' is not valid YAML: {text!r}") from None
        if values[name] is None and text.strip().lower() not in ("null", "~", "none", ""):
            values[name] = text
    return values


#: Options of ``validate`` and ``build`` that set a parameter, and the parameter each sets.
DATA_OPTIONS = {
    "map": "map_path",
    "sheet": "sheet",
    "reference_group": "reference_group",
    "treatment_group": "treatment_group",
}


def data_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The parameters ``validate`` and ``build`` were given: ``-p`` pairs, then the named options
    (which win); the mapping file's path made absolute (the chapters run elsewhere)."""
    overrides = parse_parameter_pairs(args.param)
    for option, name in DATA_OPTIONS.items():
        value = getattr(args, option, None)
        if value is not None:
            overrides[name] = value
    if overrides.get("map_path"):
        overrides["map_path"] = str(Path(overrides["map_path"]).resolve())
    return overrides


def _add_data_options(p: argparse.ArgumentParser) -> None:
    """The options ``validate`` and ``build`` share: the files, the mapping, the arms, ``-p``."""
    p.add_argument(
        "--data",
        metavar="FILE",
        help="cohort table: CSV/TSV text, Excel .xlsx, SPSS .sav, Stata .dta or Parquet "
        "(default: the shipped synthetic cohort)",
    )
    p.add_argument("--ae", metavar="FILE", help="adverse-event table (optional), in any of the same formats")
    p.add_argument(
        "--map",
        metavar="YAML",
        help="mapping file: the export's column names, value codes and dates (lcnec map --init FILE starts one)",
    )
    p.add_argument(
        "--sheet", metavar="NAME", help="the cohort's sheet in an Excel workbook (default: the first)"
    )
    p.add_argument(
        "--reference-group", metavar="LABEL", help="the reference arm's label (-p reference_group)"
    )
    p.add_argument(
        "--treatment-group", metavar="LABEL", help="the treatment arm's label (-p treatment_group)"
    )
    p.add_argument(
        "-p",
        "--param",
        nargs=2,
        action="append",
        metavar=("NAME", "VALUE"),
        help="set a parameter, e.g. -p landmark_months 24 -p covariates '[age, ecog]' "
        "(labels and file names are read as written, other values as YAML)",
    )


def _print_problems(problems, stream=None) -> None:
    stream = stream or sys.stderr
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity != "error"]
    for p in warnings:
        print(f"warning: {p}", file=stream)
    for p in errors:
        print(f"error: {p}", file=stream)


def cmd_validate(args: argparse.Namespace) -> int:
    from lcnec_utils.build.pipeline import resolve_parameters
    from lcnec_utils.contract.io import load_study_of

    if args.file and args.data and args.file != args.data:
        print("error: give the cohort file once (FILE or --data)", file=sys.stderr)
        return EXIT_USAGE
    params = resolve_parameters(args.file or args.data, args.ae, data_overrides(args))
    study = load_study_of(params)
    _print_problems(study.notes)
    for line in study.intake.lines() if study.intake else []:
        print(line)
    n = len(study.cohort)
    groups = study.cohort["group"].value_counts().sort_index()
    arms = ", ".join(f"{g}: {c}" for g, c in groups.items())
    shown = args.file or args.data or params.data_path
    msg = f"{shown}: {n} patients ({arms}) follow the data contract"
    if study.adverse_events is not None:
        msg += f"; {len(study.adverse_events)} adverse events in {args.ae}"
    if study.ignored_columns:
        msg += f"; columns outside the contract ignored: {', '.join(study.ignored_columns)}"
    print(msg)
    return EXIT_OK


def cmd_build(args: argparse.Namespace) -> int:
    from lcnec_utils.build.pipeline import build

    overrides = data_overrides(args)
    result = build(
        args.data,
        args.ae,
        overrides,
        args.out,
        progress=lambda m: print(m, flush=True),
        force=args.force,
        jobs=args.jobs,
        engine=args.engine,
    )
    print(f"results: {result.out_dir / 'results.json'}")
    print(f"the book is at {result.html_index}")
    if args.pdf:
        from lcnec_utils.build.pdf import PrintError, write_print_edition

        try:
            edition = write_print_edition(result.out_dir, lambda m: print(m, flush=True), force=args.force)
        except PrintError as err:
            print(f"error: {err}\nthe HTML book was built; its PDF was not", file=sys.stderr)
            return EXIT_FAILED
        print(f"the PDF is at {edition.book}")
    return EXIT_OK


def cmd_publish(args: argparse.Namespace) -> int:
    from lcnec_utils.build.publish import PublishError, publish

    try:
        publish(args.out, args.to, progress=lambda m: print(m, flush=True))
    except PublishError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def cmd_synth(args: argparse.Namespace) -> int:
    if args.export_dates:
        from lcnec_utils.contract.export import EXPORT_SEED, write_dates_export

        for path in write_dates_export(
            out_dir=args.out, seed=EXPORT_SEED if args.seed is None else args.seed
        ):
            print(f"wrote {path}")
        return EXIT_OK
    if args.registry:
        from lcnec_utils.reconstruct import registry

        seed = registry.REGISTRY_SEED if args.seed is None else args.seed
        out = Path(args.out)
        for path in registry.write_registry(args.registry, out, seed=seed):
            print(f"wrote {path}")
        print(
            f"a registry-sized synthetic cohort of {args.registry} rows (seed {seed}); its rows are not patients"
        )
        return EXIT_OK
    from lcnec_utils import reconstruct

    if args.scan:
        from lcnec_utils.reconstruct.report import SCAN_FILE

        start = reconstruct.SCAN_START if args.seed is None else args.seed
        table = reconstruct.scan_seeds(args.scan, start)
        out = Path(args.out) / SCAN_FILE
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(table.to_csv(index=False, lineterminator="\n"))
        good = table.loc[table["missed"] == 0, "seed"].tolist()
        print(
            f"{len(table)} seeds from {start} scanned into {out}: {len(good)} meet every reachable target"
            + (f", the first is {good[0]}" if good else "")
        )
        return EXIT_OK
    seed = reconstruct.DEFAULT_SEED if args.seed is None else args.seed
    if args.ensemble:
        if args.scheduler:
            from lcnec_utils.build.sweep import ensemble_table

            table = ensemble_table(args.ensemble, seed=seed, n_jobs=args.jobs, scheduler=args.scheduler)
        else:
            table = reconstruct.ensemble(args.ensemble, seed=seed, n_jobs=args.jobs)
        from lcnec_utils.reconstruct.report import ENSEMBLE_FILE

        out = Path(args.out) / ENSEMBLE_FILE
        out.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(out, index=False)
        print(f"{len(table)} reconstructed cohorts summarised in {out}")
        return EXIT_OK
    paths = reconstruct.synthesize(Path(args.out), seed=seed)
    for path in paths if isinstance(paths, (list, tuple)) else [paths]:
        print(f"wrote {path}")
    return EXIT_OK


def cmd_map(args: argparse.Namespace) -> int:
    from lcnec_utils.contract.starter import starting_mapping

    text = starting_mapping(args.init, args.sheet)
    if args.out is None:
        print(text, end="")
        return EXIT_OK
    out = Path(args.out)
    if out.exists() and not args.force:
        print(f"error: {out} exists; give another --out or add --force to replace it", file=sys.stderr)
        return EXIT_USAGE
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out}: check every line, then give it to validate and build with --map {out}")
    return EXIT_OK


def cmd_sweep(args: argparse.Namespace) -> int:
    from lcnec_utils.build.sweep import SweepError, read_grid, run_sweep, write_sweep
    from lcnec_utils.contract.params import ParameterError

    try:
        grid = read_grid(args.grid)
        rows = run_sweep(
            grid,
            args.data,
            args.ae,
            scheduler=args.scheduler,
            n_jobs=args.jobs,
            map_path=args.map,
            sheet=args.sheet,
        )
    except (SweepError, OSError, yaml.YAMLError) as err:
        raise ParameterError(str(err)) from None
    paths = write_sweep(rows, args.out)
    where = f"the Dask cluster at {args.scheduler}" if args.scheduler else "local processes (loky)"
    print(f"{len(rows)} parameter sets analysed on {where}; table: {paths[0]} and {paths[1]}")
    return EXIT_OK


def cmd_audit(args: argparse.Namespace) -> int:
    from lcnec_utils.audit.record import audit_command

    return audit_command(args.out)


def _add_build(sub) -> None:
    from lcnec_utils.build.pipeline import ENGINES

    p = sub.add_parser("build", help="validate the data, execute the chapters, render the book")
    _add_data_options(p)
    p.add_argument("--out", default="build", metavar="DIR", help="output folder (default: build/)")
    p.add_argument(
        "--force",
        action="store_true",
        help="execute every chapter and render again, ignoring the cache of executed chapters",
    )
    p.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="chapters executed at once (default: the available cores)",
    )
    p.add_argument(
        "--engine",
        choices=ENGINES,
        default=None,
        help="warm: one in-process kernel per worker, imports paid once (default); "
        "kernel: a new kernel process per chapter",
    )
    p.add_argument(
        "--pdf",
        action="store_true",
        help="also print the book to DIR/lcnec-book.pdf and each page to DIR/html/pdf/ (Chromium)",
    )
    p.set_defaults(func=cmd_build)


def _add_publish(sub) -> None:
    p = sub.add_parser(
        "publish",
        help="copy a finished book to a folder any static host serves as it is (relative links only)",
    )
    p.add_argument("--out", default="build", metavar="DIR", help="the build folder (default: build/)")
    p.add_argument("--to", default="public", metavar="DIR", help="the folder to publish (default: public/)")
    p.set_defaults(func=cmd_publish)


def _add_validate(sub) -> None:
    p = sub.add_parser(
        "validate",
        help="check a cohort (and adverse-event) table against the data contract, as build would, "
        "and report how it was read",
    )
    p.add_argument("file", nargs="?", metavar="FILE", help="the cohort table (or --data FILE)")
    _add_data_options(p)
    p.set_defaults(func=cmd_validate)


def _add_audit(sub) -> None:
    p = sub.add_parser(
        "audit", help="compare a build's numbers with the published ones; fail when one leaves its tolerance"
    )
    p.add_argument("--out", default="build", metavar="DIR", help="the build folder (default: build/)")
    p.set_defaults(func=cmd_audit)


def _add_synth(sub) -> None:
    from lcnec_utils.contract.params import DATA_DIR

    p = sub.add_parser("synth", help="regenerate the synthetic cohort from the published numbers")
    p.add_argument("--out", default=str(DATA_DIR), metavar="DIR")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--ensemble", type=int, metavar="N", help="summarise N distinct reconstructions")
    p.add_argument(
        "--scan",
        type=int,
        metavar="N",
        help="reconstruct N seeds from --seed (default the scan's start) and tabulate their targets",
    )
    p.add_argument("--jobs", type=int, default=-1, help="parallel workers (default: all cores)")
    p.add_argument(
        "--registry",
        type=int,
        metavar="N",
        help="draw a registry-sized cohort of N rows from the reconstruction's distributions",
    )
    p.add_argument(
        "--scheduler", metavar="ADDRESS", help="run the --ensemble on this Dask scheduler (tcp://host:port)"
    )
    p.add_argument(
        "--export-dates",
        action="store_true",
        help="write the cohort as a hospital exports it (dates, SPSS codes): .sav, .xlsx and its mapping file",
    )
    p.set_defaults(func=cmd_synth)


def _add_map(sub) -> None:
    p = sub.add_parser("map", help="start a mapping file from a data file's headers (lcnec map --init FILE)")
    p.add_argument("--init", required=True, metavar="FILE", help="the data file whose headers to map")
    p.add_argument("--sheet", metavar="NAME", help="the sheet of an Excel workbook (default: the first)")
    p.add_argument("--out", metavar="YAML", help="write the mapping here (default: print it)")
    p.add_argument("--force", action="store_true", help="replace the --out file if it exists")
    p.set_defaults(func=cmd_map)


def _add_sweep(sub) -> None:
    p = sub.add_parser(
        "sweep", help="headline numbers for every parameter set of a grid (local processes or a Dask cluster)"
    )
    p.add_argument(
        "--grid",
        required=True,
        metavar="YAML",
        help="parameter names mapped to lists of values, e.g. landmark_months: [6, 12, 24]",
    )
    p.add_argument("--data", metavar="FILE", help="cohort table (default: the shipped synthetic cohort)")
    p.add_argument("--ae", metavar="FILE", help="adverse-event table (optional)")
    p.add_argument("--map", metavar="YAML", help="mapping file for the cohort, as for build")
    p.add_argument("--sheet", metavar="NAME", help="the cohort's sheet in an Excel workbook")
    p.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address (tcp://host:port)")
    p.add_argument("--jobs", type=int, default=-1, help="local worker processes (default: all cores)")
    p.add_argument("--out", default="sweep", metavar="DIR", help="folder of sweep.csv and sweep.json")
    p.set_defaults(func=cmd_sweep)


def build_parser() -> argparse.ArgumentParser:
    """The ``lcnec`` command line: one subcommand per task."""
    parser = argparse.ArgumentParser(
        prog="lcnec",
        description="Build and check the LCNEC first-line immunotherapy analysis book.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (_add_build, _add_publish, _add_validate, _add_map, _add_audit, _add_synth, _add_sweep):
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from lcnec_utils.build.pipeline import BuildError
    from lcnec_utils.contract.params import ParameterError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("interrupted; the previous book, if any, was left in place", file=sys.stderr)
        return 130
    except Exception as err:
        # the data modules (pandas, pandera) are imported only when the data are read: an
        # up-to-date build never pays for them, so the error class is looked up
        problems = sys.modules.get("lcnec_utils.contract.problems")
        if problems is not None and isinstance(err, problems.DataValidationError):
            _print_problems(err.problems)
            print("the data do not follow the contract; nothing was built", file=sys.stderr)
            return EXIT_BAD_DATA
        if isinstance(err, ParameterError):
            print(f"error: {err}", file=sys.stderr)
            return EXIT_BAD_PARAMETER
        if isinstance(err, BuildError):
            print(f"error: {err}", file=sys.stderr)
            print("the previous book, if any, was left in place", file=sys.stderr)
            return EXIT_FAILED
        if os.environ.get("LCNEC_DEBUG"):
            raise
        print(f"error: unexpected failure: {type(err).__name__}: {err}", file=sys.stderr)
        print("rerun with LCNEC_DEBUG=1 to see the traceback", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
