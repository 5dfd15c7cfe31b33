"""Which structure-learning search to use by default: searches compared on families of random SCMs.

    bench/.venv-peers/bin/python bench/search_families.py            # the full run
    bench/.venv-peers/bin/python bench/search_families.py --quick    # a 2-minute smoke run

Every dataset (bench/scm_families.py draws the random ones; --known adds bench/known_models.py's) goes
through the engine's cleaning (clean_table) once; then every (method, dataset) runs in a fresh process
(bench/search_methods.py, METHODS) under a timeout and an address-space limit, oriented by the
engine's orient_by_order and scored (bench/search_scoring.py). Time is the search alone, wall clock;
peak memory is the child's own high-water mark (VmHWM, also for runs that time out), imports included
(about 270 MB of it). A timeout, a refusal (simio_model_too_complex) or running out of memory is a
result; once a method times out on a family, its larger models of that family are not tried
("skipped", counted with the timeouts). Effect error is |estimate - truth| / |truth| of a LINEAR proxy:
least squares of the outcome on the treatment adjusted for the treatment's learned parents, 0 when the
learned graph has no directed path (error 1).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

KNOWN = ["confounded_tracker", "tracker_q3", "sachs", "child", "insurance"]
FAILURES = ("timeout", "skipped", "refused", "out of memory", "error")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 small model per family, 2,000 rows, no bench datasets")
    parser.add_argument("--families", nargs="+", default=["linear", "nonlinear", "mixed", "survey"])
    parser.add_argument("--per-family", type=int, default=10)
    parser.add_argument("--nodes", type=int, nargs=2, default=[10, 100], metavar=("MIN", "MAX"))
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--methods", nargs="+", help="names from bench/search_methods.py METHODS (default: all)")
    parser.add_argument("--known", nargs="*", default=KNOWN, help="bench datasets to add (none: --known)")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds per (method, dataset)")
    parser.add_argument("--memory-gb", type=float, default=6.0, help="address-space limit per run")
    parser.add_argument("--jobs", type=int, default=1, help="runs at once (the machine is shared: keep it low)")
    parser.add_argument("--out", help="also write every run as JSON lines here")
    parser.add_argument("--results", nargs="+", help="print the tables of runs saved with --out, run nothing")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return _child(*args.child, memory_gb=args.memory_gb)
    from search_methods import METHODS

    if args.quick:
        args.per_family, args.rows, args.nodes, args.timeout = 1, 2000, [10, 20], 30.0
        args.known = [] if args.known == KNOWN else args.known
    methods = args.methods or list(METHODS)
    unknown = set(methods) - set(METHODS)
    if unknown:
        parser.error(f"unknown methods {sorted(unknown)}; known: {list(METHODS)}")
    if args.results:
        results = [json.loads(line) for path in args.results for line in Path(path).read_text().splitlines()]
        methods = [m for m in methods if any(r["method"] == m for r in results)]
        # A run stopped early leaves its last datasets half done: only those every method saw are shown.
        seen = {(r["name"], r["method"]) for r in results}
        results = [r for r in results if all((r["name"], m) in seen for m in methods)]
    else:
        results = _run_all(_prepare(Path(tempfile.mkdtemp(prefix="bench-search-")), args), methods, args)
    if args.out:
        Path(args.out).write_text("".join(json.dumps(result) + "\n" for result in results))
    _print_families(results, methods, args)
    _print_known(results, methods, [name for name in KNOWN if any(r["name"] == name for r in results)])


def _prepare(root: Path, args: argparse.Namespace) -> list[dict]:
    """Draw, write and clean every dataset once; each gets a folder with clean.parquet and truth.json."""
    warnings.filterwarnings("ignore")
    from scm_families import draw

    from simulacra.engine import clean_table

    datasets = []
    for family in args.families:
        for index in range(args.per_family):
            scm = draw(family, index, args.rows, tuple(args.nodes))
            effect = {"treatment": scm.treatment, "outcome": scm.outcome, "low": scm.low, "high": scm.high}
            truth = {"edges": scm.edges, "effects": [{**effect, "level": None, "true": scm.true_effect}]}
            datasets.append(_write(root / scm.name, scm.name, family, scm.data, "csv", truth, clean_table))
            datasets[-1]["cancelling"] = scm.cancelling
    if args.known:
        from known_models import LOADERS

        for name in args.known:
            known = LOADERS[name]()
            effects = [
                {"treatment": e.treatment, "outcome": e.outcome, "low": e.low, "high": e.high, "level": e.level}
                | {"true": e.true}
                for e in known.effects
            ]
            truth = {"edges": known.edges, "effects": effects}
            datasets.append(_write(root / name, name, "bench", known.train, known.seed_format, truth, clean_table))
    print(f"prepared {len(datasets)} datasets in {root}", file=sys.stderr)
    # Smallest first across families: a run stopped early has every family up to some width.
    return sorted(datasets, key=lambda d: (d["family"] != "bench", d["columns"], d["name"]))


def _write(folder: Path, name: str, family: str, frame, seed_format: str, truth: dict, clean_table) -> dict:
    # The truth is renamed to the cleaned columns, as bench/discovery_choices.py does.
    folder.mkdir(parents=True)
    seed = str(folder / f"seed.{seed_format}")
    frame.to_csv(seed, index=False) if seed_format == "csv" else frame.to_parquet(seed, index=False)
    schema = clean_table(seed, str(folder / "clean.parquet"))
    (folder / "schema.json").write_text(schema.model_dump_json())
    clean = {column.source_name: column.name for column in schema.columns}
    edges = [(clean[a], clean[b]) for a, b in truth["edges"] if a in clean and b in clean]
    effects = [
        {**e, "treatment": clean[e["treatment"]], "outcome": clean[e["outcome"]]}
        for e in truth["effects"]
        if e["treatment"] in clean and e["outcome"] in clean
    ]
    (folder / "truth.json").write_text(json.dumps({"edges": edges, "effects": effects}, default=str))
    return {"name": name, "family": family, "folder": str(folder), "columns": len(schema.columns)}


def _run_all(datasets: list[dict], methods: list[str], args: argparse.Namespace) -> list[dict]:
    timed_out: dict[tuple[str, str], int] = {}  # (method, family) -> fewest columns that timed out
    lock = threading.Lock()

    def run(dataset: dict, method: str) -> dict:
        key = (method, dataset["family"])
        with lock:
            skip = dataset["family"] != "bench" and timed_out.get(key, 10**9) <= dataset["columns"]
        result = {"status": "skipped"} if skip else _run_one(dataset["folder"], method, args)
        if result["status"] in ("timeout", "out of memory"):
            with lock:
                timed_out[key] = min(timed_out.get(key, 10**9), dataset["columns"])
        result = {**{k: dataset[k] for k in ("name", "family", "columns")}, "method": method, **result}
        print(json.dumps(result), file=sys.stderr)
        return result

    tasks = [(dataset, method) for dataset in datasets for method in methods]
    with ThreadPoolExecutor(args.jobs) as pool:
        return list(pool.map(lambda task: run(*task), tasks))


def _run_one(folder: str, method: str, args: argparse.Namespace) -> dict:
    """One (method, dataset) in a fresh process; its wall time, exit and peak RSS (wait4's rusage)."""
    out = Path(folder) / f"{method.replace(' ', '_').replace('/', '_')}.json"
    with open(Path(folder) / "stderr.txt", "a") as errors:
        child = subprocess.Popen(
            [sys.executable, __file__, "--child", folder, method, str(out), "--memory-gb", str(args.memory_gb)],
            stdout=subprocess.DEVNULL,
            stderr=errors,
            env={
                **os.environ,
                "SEARCH_TIMEOUT": str(args.timeout),
                "OMP_NUM_THREADS": "1",
                "OPENBLAS_NUM_THREADS": "1",
                "MKL_NUM_THREADS": "1",
            },
        )
        deadline, status, usage = time.monotonic() + args.timeout + 30, None, None
        while status is None:
            pid, code, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                status = code
            elif time.monotonic() > deadline:  # the child enforces the timeout; this is the backstop
                child.send_signal(signal.SIGKILL)
                _, status, usage = os.wait4(child.pid, 0)
            else:
                time.sleep(0.2)
        child.returncode = os.waitstatus_to_exitcode(status)
    if out.exists():
        return json.loads(out.read_text())
    # Killed past the backstop, or crashed: wait4's figure is an upper bound (see _write_result).
    return {"status": "timeout" if child.returncode < 0 else "error", "peak_mb": usage.ru_maxrss / 1024}


def _child(folder: str, method: str, out: str, memory_gb: float) -> None:
    limit = int(memory_gb * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    warnings.filterwarnings("ignore")
    import pandas as pd
    from search_methods import METHODS, load_table
    from search_scoring import graph_scores, linear_effect

    from simulacra.engine.checks.errors import EngineInputError
    from simulacra.engine.checks.hints import default_roots
    from simulacra.engine.discovery.orientation import orient_by_order
    from simulacra.engine.records import CleanedSchema

    schema = CleanedSchema.model_validate_json((Path(folder) / "schema.json").read_text())
    truth = json.loads((Path(folder) / "truth.json").read_text())
    parquet = str(Path(folder) / "clean.parquet")
    table = load_table(parquet, schema)
    timeout = float(os.environ.get("SEARCH_TIMEOUT", "0"))
    started = time.perf_counter()

    def give_up(*_: object) -> None:
        raise TimeoutError

    signal.signal(signal.SIGALRM, give_up)
    signal.alarm(max(1, int(timeout)))
    try:
        directed, unoriented = METHODS[method](table, 0)
        signal.alarm(0)
    except TimeoutError:
        return _write_result(out, {"status": "timeout", "seconds": time.perf_counter() - started})
    except EngineInputError as refusal:
        return _write_result(out, {"status": "refused", "detail": refusal.code})
    except MemoryError:
        return _write_result(out, {"status": "out of memory"})
    seconds = time.perf_counter() - started
    roots = default_roots(table.names, directed)
    edges, _ = orient_by_order(table.names, directed, unoriented, roots=roots)
    learned = [(a, b) for a, b in edges]
    frame = pd.read_parquet(parquet)
    errors = []
    for effect in truth["effects"]:
        estimate = linear_effect(
            frame, learned, **{k: effect[k] for k in ("treatment", "outcome", "low", "high", "level")}
        )
        errors.append(abs(estimate - effect["true"]) / abs(effect["true"]))
    scores = graph_scores([tuple(e) for e in truth["edges"]], learned, table.names)
    _write_result(out, {"status": "ok", "seconds": seconds, "edges": len(learned), **scores, "effect_errors": errors})


def _write_result(out: str, result: dict) -> None:
    # The peak of this process's own memory (VmHWM): wait4's ru_maxrss would also count the parent's
    # memory at the fork, which Linux carries across exec.
    status = Path("/proc/self/status").read_text()
    peak_kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))
    Path(out).write_text(json.dumps({**result, "peak_mb": peak_kb / 1024}))


def _print_families(results: list[dict], methods: list[str], args: argparse.Namespace) -> None:
    families = [f for f in args.families if any(r["family"] == f for r in results)]
    if not families:
        return
    print(
        f"\n### Random SCMs: {args.per_family} per family, "
        f"{args.nodes[0]}-{args.nodes[1]} columns, {args.rows:,} rows\n"
    )
    print(
        "| family | method | ok | SHD | CPDAG SHD | adj. precision | adj. recall | orient. precision "
        "| effect error | time s | peak MB | timeouts / refusals |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for family in families:
        for method in methods:
            runs = [r for r in results if r["family"] == family and r["method"] == method]
            ok = [r for r in runs if r["status"] == "ok"]
            failed = [r["status"] for r in runs if r["status"] != "ok"]
            cells = [_mean_median(ok, key) for key in ("shd", "cpdag_shd")]
            cells += [_mean(ok, key) for key in ("adj_precision", "adj_recall", "orient_precision")]
            errors = [e for r in ok for e in r["effect_errors"]]
            cells.append(f"{np.median(errors):.2f} ({np.mean(errors):.2f})" if errors else "-")
            cells.append(_median_max(ok, "seconds"))
            cells.append(_median_max(runs, "peak_mb", digits=0))
            tally = ", ".join(f"{failed.count(s)} {s}" for s in FAILURES if s in failed) or "-"
            print(f"| {family} | {method} | {len(ok)}/{len(runs)} | " + " | ".join(cells) + f" | {tally} |")
    print(
        "\nSHD, CPDAG SHD: mean (median) over the models the method finished. Precision, recall: means. "
        "Effect error: median (mean) relative error of the linear proxy. Time, peak MB: median (max)."
    )


def _print_known(results: list[dict], methods: list[str], names: list[str]) -> None:
    if not names:
        return
    print("\n### The five bench datasets\n")
    print("| method | " + " | ".join(names) + " | total SHD |")
    print("|---|" + "---|" * (len(names) + 1))
    for method in methods:
        cells, total = [], 0
        for name in names:
            run = next(r for r in results if r["name"] == name and r["method"] == method)
            if run["status"] != "ok":
                cells.append(f"{run['status']} ({run['peak_mb']:.0f} MB)")
                total = None
                continue
            errors = "/".join(f"{e:.2f}" for e in run["effect_errors"])
            cells.append(
                f"{run['shd']} / {run['adj_precision']:.2f} / {run['adj_recall']:.2f} / "
                f"{run['orient_precision']:.2f} / {errors} / {run['seconds']:.1f} s / {run['peak_mb']:.0f} MB"
            )
            total = None if total is None else total + run["shd"]
        print(f"| {method} | " + " | ".join(cells) + f" | {'-' if total is None else total} |")
    print(
        "\nCells: SHD / adj. precision / adj. recall / orient. precision / effect errors (one per listed effect) "
        "/ search time / peak RSS."
    )


def _mean_median(runs: list[dict], key: str) -> str:
    values = [r[key] for r in runs]
    return f"{np.mean(values):.1f} ({np.median(values):.0f})" if values else "-"


def _mean(runs: list[dict], key: str) -> str:
    values = [r[key] for r in runs if r[key] == r[key]]  # NaN: no correct adjacency to orient
    return f"{np.mean(values):.2f}" if values else "-"


def _median_max(runs: list[dict], key: str, digits: int = 1) -> str:
    values = [r[key] for r in runs if key in r]
    return f"{np.median(values):.{digits}f} ({np.max(values):.{digits}f})" if values else "-"


if __name__ == "__main__":
    main()
