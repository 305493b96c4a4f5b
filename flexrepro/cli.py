"""Command line: flexrepro list | run ID | score | reproduce | variant NB | report | calibrate | cache ...

The one argument parser of the package: `reproduce` and `variant` drive the notebook
pipeline (flexrepro.pipeline; reproduce.sh and `python -m flexrepro.pipeline` come here).

Every input is checked before any work starts; a bad one is one line on stderr and exit 2.
A subcommand is a function `cmd_NAME(args) -> int` plus three lines in `build_parser`
(add_parser, its options, set_defaults(fn=cmd_NAME)).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import bench, hostcal, paths
from .harness import registry
from .atomic import write_csv
from .errors import ConfigError, FlexreproError
from .inputs import scheduler_address, unique_keys, writable_dir
from .harness.sweep import EXECUTORS, SCHEDULER_ENV, run


def _parse_sets(items: list[str]) -> dict[str, object]:
    """--set key=value, or key=v1,v2,... for a grid axis (values validated later); each key once."""
    pairs = []
    for item in items:
        if "=" not in item:
            raise ConfigError(f"parameter '--set': got {item!r}; allowed: key=value (or key=v1,v2,...)")
        key, value = item.split("=", 1)
        pairs.append((key.strip(), value.split(",") if "," in value else value))
    return unique_keys(pairs, "--set", grid=True)


def _checked_run_inputs(args, out_default: Path) -> Path:
    """The inputs `run` and `score` share, checked before any work: the output directory, the
    scheduler (reachable, and only with dask), the cache directory."""
    out = writable_dir(args.out if args.out is not None else out_default, "--out")
    if args.scheduler:
        scheduler_address(args.scheduler, args.executor)
    if not getattr(args, "no_cache", False):
        from .harness.cache import default_root

        default_root()
    return out


def cmd_list(args) -> int:
    for exp in registry.all_experiments():
        print(f"{exp.id:28s} {exp.paper_item:12s} {exp.title}")
    return 0


def cmd_run(args) -> int:
    overrides = _parse_sets(args.set)
    exp = registry.get(args.experiment)  # unknown id fails before anything is written
    out = _checked_run_inputs(args, paths.RESULTS / exp.id)
    df = run(exp.id, quick=args.quick, seeds=args.seeds, executor=args.executor,
             progress=not args.no_progress, cache=not args.no_cache,
             dask_scheduler=args.scheduler, **overrides)
    write_csv(df, out / f"{exp.id}.csv")
    print(f"{exp.id}: {len(df)} rows -> {out / (exp.id + '.csv')} ({df.attrs['wall_time_s']:.1f} s)")
    return 0


def cmd_score(args) -> int:
    from .scorecard import score, summary_lines

    out = _checked_run_inputs(args, paths.RESULTS / "scorecard")
    if args.scheduler:  # score's sweeps find the scheduler in the environment
        os.environ[SCHEDULER_ENV] = args.scheduler
    df = score(quick=args.quick, seeds=args.seeds, executor=args.executor, progress=not args.no_progress)
    write_csv(df, out / "scorecard.csv")
    print(f"scorecard: {len(df)} claims -> {out / 'scorecard.csv'}")
    print("\n".join(summary_lines(df)))
    return 0


def cmd_report(args) -> int:
    from .pipeline.report import write_report

    md, html = write_report(Path(args.out))
    print(f"report -> {md}\n          {html}")
    return 0


def cmd_reproduce(args) -> int:
    from .pipeline import NotebookFailed, reproduce

    try:
        reproduce(Path(args.out), quick=args.quick, seeds=args.seeds, executor=args.executor,
                  scheduler=args.scheduler, only=args.only, report=not args.no_report, force=args.force,
                  jobs=args.jobs)
    except NotebookFailed as e:
        print(f"\nflexrepro: {e}", file=sys.stderr)
        return 1
    return 0


def cmd_variant(args) -> int:
    from .pipeline import NotebookFailed, variant

    try:
        variant(args.notebook, [tuple(p) for p in args.parameter], Path(args.out) if args.out else None)
    except NotebookFailed as e:
        print(f"\nflexrepro: {e}", file=sys.stderr)
        return 1
    return 0


def cmd_calibrate(args) -> int:
    from .calibration import calibrate

    out = writable_dir(args.out, "--out")
    fit = calibrate(out, write=args.write, quick=args.quick)
    print(fit.summary())
    return 1 if fit.differences and not fit.replaced else 0


def cmd_cache(args) -> int:
    from .harness.cache import ResultCache, model_version

    store = ResultCache()
    if args.action == "clear":
        n = store.clear(stale_only=args.stale)
        print(f"removed {n} cached points from {store.root}")
        return 0
    info = store.info()
    print(f"cache: {store.root}\nmodel version: {model_version()[:16]}")
    if info.empty:
        print("(empty)")
        return 0
    print(info.to_string(index=False))
    cur = info[info.current]
    print(f"total: {info.entries.sum()} points, {info.bytes.sum() / 1e6:.2f} MB; "
          f"current model: {cur.entries.sum()} points; stale: {info.entries.sum() - cur.entries.sum()}")
    return 0


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        v = 0
    if v < 1:
        raise argparse.ArgumentTypeError(f"parameter 'seeds': got {text!r}; allowed: an integer >= 1")
    return v


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (and exit 2) like every other bad input."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="flexrepro", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("list", help="list experiments").set_defaults(fn=cmd_list)

    def sweep_options(sp, out_help: str):
        sp.add_argument("--quick", action="store_true", help="small grid, fewer seeds")
        sp.add_argument("--seeds", type=_positive_int, default=None, help="replicates per point")
        sp.add_argument("--executor", choices=EXECUTORS, default="process",
                        help="where points run (default: process, one worker per core)")
        sp.add_argument("--scheduler", default=None, metavar="ADDR",
                        help="dask scheduler address, e.g. tcp://host:8786; only with --executor dask "
                             "(default: a LocalCluster)")
        sp.add_argument("--out", default=None, metavar="DIR", help=out_help)
        sp.add_argument("--no-progress", action="store_true", help="no progress bar")

    r = sub.add_parser("run", help="run one experiment, write DIR/ID.csv")
    r.add_argument("experiment", help="an experiment id (see `flexrepro list`)")
    r.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a parameter, each key once (KEY=v1,v2 sets a grid axis)")
    sweep_options(r, "output directory (default: results/ID/)")
    r.add_argument("--no-cache", action="store_true", help="recompute every point, cache nothing")
    r.set_defaults(fn=cmd_run)
    s = sub.add_parser("score", help="evaluate every claim, write DIR/scorecard.csv")
    sweep_options(s, "output directory (default: results/scorecard/)")
    s.set_defaults(fn=cmd_score)
    rep = sub.add_parser("reproduce", help="execute every notebook, then write the report (reproduce.sh)")
    rep.add_argument("--quick", action="store_true", help="small grids, fewer seeds")
    rep.add_argument("--seeds", type=_positive_int, default=None,
                     help="replicates per point (default: each experiment's)")
    rep.add_argument("--executor", choices=EXECUTORS, default="process",
                     help="where sweep points run (default: process, one worker per core)")
    rep.add_argument("--scheduler", default=None, metavar="ADDR",
                     help="dask scheduler address, e.g. tcp://host:8786; only with --executor dask")
    rep.add_argument("--out", default=str(paths.RESULTS), metavar="DIR", help="results directory (default: results/)")
    rep.add_argument("--only", nargs="+", metavar="NOTEBOOK", help="run only these notebooks (e.g. fig05 scorecard)")
    rep.add_argument("--jobs", type=_positive_int, default=None, metavar="N",
                     help="notebooks executed at a time (default: 2, or 1 on a 1-core machine); "
                          "sweep points always share one pool across all cores")
    rep.add_argument("--no-report", action="store_true", help="do not write REPORT.md, appendix.md, report.html")
    rep.add_argument("--force", action="store_true",
                     help="run every notebook even if nothing changed (finished sweep points still come from the cache)")
    rep.set_defaults(fn=cmd_reproduce)
    v = sub.add_parser("variant", help="papermill one notebook with other parameters into results/variants/")
    v.add_argument("notebook", help="a notebook name (fig05) or path")
    v.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                   help="set a parameter of the notebook's parameters cell (a Python literal or a string)")
    v.add_argument("--out", default=None, metavar="DIR", help="default: results/variants/")
    v.set_defaults(fn=cmd_variant)
    rp = sub.add_parser("report", help="write DIR/REPORT.md, DIR/appendix.md and DIR/report.html "
                                       "from the results in DIR")
    rp.add_argument("--out", default=str(paths.RESULTS), metavar="DIR", help="results directory (default: results/)")
    rp.set_defaults(fn=cmd_report)
    cal = sub.add_parser("calibrate", help="refit the model's parameters, write DIR/params.json and "
                                           "compare it with data/calibration/params.json")
    cal.add_argument("--write", action="store_true",
                     help="also replace the committed data/calibration/params.json (then commit it)")
    cal.add_argument("--quick", action="store_true", help="the platform fit only (no --write)")
    cal.add_argument("--out", default=str(paths.RESULTS / "calibration"), metavar="DIR",
                     help="where the fit goes (default: results/calibration/)")
    cal.set_defaults(fn=cmd_calibrate)
    c = sub.add_parser("cache", help="show or clear the result cache")
    c.add_argument("action", choices=("info", "clear"), help="info: entries per model version; clear: delete")
    c.add_argument("--stale", action="store_true", help="clear only entries of other model versions")
    c.set_defaults(fn=cmd_cache)
    bench.add_parser(sub)
    from .live.cli import add_parser as add_live
    add_live(sub)
    hostcal.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.fn(args)
    except FlexreproError as e:
        print(f"flexrepro: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nflexrepro: interrupted; run again to resume (finished points are cached)", file=sys.stderr)
        return 130
