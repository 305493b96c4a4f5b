"""Command line: flexrepro list | run ID | score | report | cache (mirrors flexrepro.run)."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import bench, paths, registry
from .atomic import write_csv
from .errors import ConfigError, FlexreproError
from .sweep import EXECUTORS, SCHEDULER_ENV, run


def _parse_sets(items: list[str]) -> dict[str, object]:
    """--set key=value, or key=v1,v2,... for a grid axis (values validated later)."""
    out: dict[str, object] = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"--set {item!r}: expected key=value (or key=v1,v2,...)")
        key, value = item.split("=", 1)
        key = key.strip()
        out[key] = value.split(",") if "," in value else value
    return out


def cmd_list(args) -> int:
    for exp in registry.all_experiments():
        print(f"{exp.id:28s} {exp.paper_item:12s} {exp.title}")
    return 0


def cmd_run(args) -> int:
    overrides = _parse_sets(args.set)
    exp = registry.get(args.experiment)  # unknown id fails before anything is written
    df = run(exp.id, quick=args.quick, seeds=args.seeds, executor=args.executor,
             progress=not args.no_progress, cache=not args.no_cache,
             dask_scheduler=args.scheduler, **overrides)
    out = Path(args.out)
    write_csv(df, out / f"{exp.id}.csv")
    print(f"{exp.id}: {len(df)} rows -> {out / (exp.id + '.csv')} ({df.attrs['wall_time_s']:.1f} s)")
    return 0


def cmd_score(args) -> int:
    from .scorecard import score

    _scheduler_env(args.scheduler)
    df = score(quick=args.quick, seeds=args.seeds, executor=args.executor, progress=not args.no_progress)
    out = Path(args.out)
    write_csv(df, out / "scorecard.csv")
    counts = df.verdict.value_counts().to_dict()
    print(f"scorecard: {len(df)} claims -> {out / 'scorecard.csv'}  " +
          ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
    return 0


def _scheduler_env(address: str | None) -> None:
    """Callers that do not take a scheduler argument find it in the environment."""
    if address:
        os.environ[SCHEDULER_ENV] = address


def cmd_report(args) -> int:
    from .report import write_report

    md, html = write_report(Path(args.out))
    print(f"report -> {md}\n          {html}")
    return 0


def cmd_cache(args) -> int:
    from .cache import ResultCache, model_version

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


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="flexrepro", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list experiments").set_defaults(fn=cmd_list)

    def common(sp):
        sp.add_argument("--quick", action="store_true", help="small grid, fewer seeds")
        sp.add_argument("--seeds", type=_positive_int, default=None, help="replicates per point")
        sp.add_argument("--executor", choices=EXECUTORS, default="process")
        sp.add_argument("--scheduler", default=None, metavar="ADDR",
                        help="dask scheduler address, e.g. tcp://host:8786 (default: a LocalCluster)")
        sp.add_argument("--out", default=".", help="output directory")
        sp.add_argument("--no-progress", action="store_true")

    r = sub.add_parser("run", help="run one experiment, write OUT/ID.csv")
    r.add_argument("experiment")
    r.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a parameter (KEY=v1,v2 sets a grid axis)")
    common(r)
    r.add_argument("--no-cache", action="store_true", help="recompute every point, cache nothing")
    r.set_defaults(fn=cmd_run)
    s = sub.add_parser("score", help="evaluate every claim, write OUT/scorecard.csv")
    common(s)
    s.set_defaults(fn=cmd_score)
    rp = sub.add_parser("report", help="write OUT/REPORT.md and OUT/report.html from the results in OUT")
    rp.add_argument("--out", default=str(paths.RESULTS), help="results directory (default: results/)")
    rp.set_defaults(fn=cmd_report)
    c = sub.add_parser("cache", help="show or clear the result cache")
    c.add_argument("action", choices=("info", "clear"))
    c.add_argument("--stale", action="store_true", help="clear only entries of other model versions")
    c.set_defaults(fn=cmd_cache)
    bench.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.fn(args)
    except FlexreproError as e:
        print(f"flexrepro: error: {e}", file=sys.stderr)
        return 2
