"""Simulacra beside its open peers (SDV GaussianCopula, MOSTLY AI TabularARGN) on data from known causal models.

    bash bench/setup_peers.sh                                   # once: bench/.venv-peers
    bench/.venv-peers/bin/python bench/compare_peers.py [--datasets confounded_tracker tracker_q3 sachs child insurance]
        [--models simulacra simulacra_true_graph sdv_gaussian_copula mostlyai_tabular_argn] [--mostly-minutes 4]

Per dataset and model, in a fresh process each (so peak memory is that model's alone):
- effect: E[outcome | do(treatment=high)] - E[outcome | do(treatment=low)] (a level's share for a
  categorical outcome) against the truth simulated from the known model. Simulacra answers with its
  interventions. The peers have none: SDV answers with conditional sampling (sample_from_conditions),
  MOSTLY AI with seeded generation (seed_data fixing the treatment column); both are conditional,
  E[outcome | treatment=x], which is what the observational data show, not what do(x) does.
- quality: SDMetrics' Quality Report of 10k synthetic rows against HELD-OUT real rows (and our own
  engine.evaluation.fidelity score in brackets); "real" is held-out vs training rows, the ceiling.
- SHD / precision / recall of the learned directed graph against the true one (Simulacra only).
- train: Simulacra clean + discover + fit from a CSV; SDV metadata + fit; MOSTLY AI split + analyze +
  encode + train in a workspace folder, its training bounded by --mostly-minutes (the engine's own
  default is 14,400 minutes or 100 epochs, with early stopping on the validation loss).
  sample: rows/s drawing 100k rows unconditionally. peak MB: the worker process's peak RSS, libraries included.
"Simulacra (true graph)" fits the same engine on the true graph: it separates fitting from discovery.
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from known_models import LOADERS, Dataset, structure_scores  # noqa: E402

SAMPLE_ROWS = 100_000
QUALITY_ROWS = 10_000
ARM_ROWS = 20_000
MOSTLY_MINUTES = 4.0
MODELS = ("simulacra", "simulacra_true_graph", "sdv_gaussian_copula", "mostlyai_tabular_argn")
LABELS = {
    "simulacra": "Simulacra",
    "simulacra_true_graph": "Simulacra (true graph)",
    "sdv_gaussian_copula": "SDV GaussianCopula",
    "mostlyai_tabular_argn": "MOSTLY AI TabularARGN",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--datasets", nargs="+", default=["confounded_tracker", "tracker_q3", "sachs", "child", "insurance"]
    )
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument(
        "--mostly-minutes",
        type=float,
        default=MOSTLY_MINUTES,
        help="MOSTLY AI's max_training_time (its default, 10 days, is bounded only by 100 epochs and early stopping)",
    )
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    context = multiprocessing.get_context("spawn")
    rows = []
    for name in args.datasets:
        dataset = LOADERS[name]()
        metadata = _metadata(dataset.train)
        rows.append(
            _row(dataset, "Real held-out (ceiling)", _quality(dataset.holdout, dataset.train, metadata), {}, None)
        )
        for model in args.models:
            with context.Pool(1) as pool:
                try:
                    result = pool.apply(run_model, (model, dataset, args.mostly_minutes))
                except Exception as error:  # one model's failure is a row of the table, not the end of the run
                    print(f"[{name}] {LABELS[model]} failed: {error!r}", file=sys.stderr, flush=True)
                    rows.append({"dataset": name, "model": f"{LABELS[model]}: failed ({type(error).__name__})"})
                    continue
            quality = _quality(dataset.holdout, result["synthetic"], metadata)
            rows.append(_row(dataset, LABELS[model], quality, result, result.get("edges")))
            print(f"[{name}] {LABELS[model]} done", file=sys.stderr, flush=True)
    _print_table(rows)
    if "mostlyai_tabular_argn" in args.models:
        reached = ", ".join(
            f"{row['dataset']} {row['result']['epochs']:g}" for row in rows if "epochs" in row.get("result", {})
        )
        print(f"- MOSTLY AI: max_training_time {args.mostly_minutes:g} min, max_epochs 100; epochs reached: {reached}")


def run_model(model: str, dataset: Dataset, mostly_minutes: float = MOSTLY_MINUTES) -> dict:
    """Train, sample 100k rows and answer the do() questions; runs in a fresh process."""
    warnings.filterwarnings("ignore")
    if model == "sdv_gaussian_copula":
        result = _run_sdv(dataset)
    elif model == "mostlyai_tabular_argn":
        result = _run_mostly(dataset, mostly_minutes)
    else:
        result = _run_simulacra(dataset, true_graph=model == "simulacra_true_graph")
    result["peak_mb"] = _peak_rss_mb()
    return result


def _peak_rss_mb() -> float:
    # VmHWM is this process image's own high-water mark; ru_maxrss would carry the parent's over exec.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _run_simulacra(dataset: Dataset, true_graph: bool) -> dict:
    from simulacra.engine import clean_table, discover_graph, fit_model, generate_rows
    from simulacra.engine.records import CausalGraph

    folder = Path(tempfile.mkdtemp(prefix="bench-simulacra-"))
    seed, parquet, model_path = (
        str(folder / f"seed.{dataset.seed_format}"),
        str(folder / "clean.parquet"),
        str(folder / "model.pkl"),
    )
    if dataset.seed_format == "csv":
        dataset.train.to_csv(seed, index=False)
    else:
        dataset.train.to_parquet(seed, index=False)
    started = time.perf_counter()
    schema = clean_table(seed, parquet)
    raw = {column.name: column.source_name for column in schema.columns}
    clean = {source: name for name, source in raw.items()}
    if true_graph:
        edges = [(clean[a], clean[b]) for a, b in dataset.edges if a in clean and b in clean]
        graph = CausalGraph(nodes=list(raw), edges=edges)
    else:
        graph = discover_graph(parquet, schema)
    report = fit_model(parquet, schema, graph, model_path)
    train_s = time.perf_counter() - started
    started = time.perf_counter()
    table, _ = generate_rows(model_path, {}, SAMPLE_ROWS, seed=1)
    sample_s = time.perf_counter() - started
    types: dict[str, str] = {column.source_name: column.type for column in schema.columns}
    spell = _spelling(dataset.train, types)
    synthetic = _respell(table.slice(0, QUALITY_ROWS).to_pandas().rename(columns=raw), spell)
    estimates = []
    for effect in dataset.effects:
        if effect.treatment not in clean or effect.outcome not in clean:
            estimates.append(float("nan"))  # the cleaner dropped a column the question needs
            continue
        arms = []
        for value in (effect.low, effect.high):
            name = clean[effect.treatment]
            if types[effect.treatment] in ("numeric", "integer"):
                conditions = {"numeric": {name: {"min": float(value), "max": float(value)}}}
            else:
                conditions = {"categorical": {name: {_level(value, types[effect.treatment]): 1.0}}}
            arm, _ = generate_rows(model_path, conditions, ARM_ROWS, seed=2)
            arms.append(_outcome(_respell(arm.to_pandas().rename(columns=raw), spell)[effect.outcome], effect.level))
        estimates.append(arms[1] - arms[0])
    mechanisms = {raw[name]: node.mechanism for name, node in report.nodes.items()}
    return {
        "synthetic": synthetic,
        "train_s": train_s,
        "sample_s": sample_s,
        "estimates": estimates,
        "edges": [(raw[a], raw[b]) for a, b in graph.edges],
        "mechanisms": mechanisms,
    }


def _run_sdv(dataset: Dataset) -> dict:
    from sdv.sampling import Condition
    from sdv.single_table import GaussianCopulaSynthesizer

    metadata = _metadata(dataset.train, as_dict=False)
    started = time.perf_counter()
    synthesizer = GaussianCopulaSynthesizer(metadata)
    synthesizer.fit({"seed": dataset.train})  # SDV 2.x takes and returns {table: frame}
    train_s = time.perf_counter() - started
    started = time.perf_counter()
    sample = synthesizer.sample(SAMPLE_ROWS)["seed"]
    sample_s = time.perf_counter() - started
    estimates = []
    for effect in dataset.effects:
        arms = []
        for value in (effect.low, effect.high):
            try:
                rows = synthesizer.sample_from_conditions(
                    [Condition(num_rows=ARM_ROWS // 4, column_values={effect.treatment: value})],
                    max_tries_per_batch=200,
                )["seed"]
                arms.append(_outcome(rows[effect.outcome], effect.level))
            except Exception as error:  # SDV refuses conditions it cannot meet by rejection sampling
                print(f"SDV conditional sampling failed for {effect.label}: {error}", file=sys.stderr)
                arms.append(float("nan"))
        estimates.append(arms[1] - arms[0])
    return {"synthetic": sample.iloc[:QUALITY_ROWS], "train_s": train_s, "sample_s": sample_s, "estimates": estimates}


def _run_mostly(dataset: Dataset, minutes: float) -> dict:
    # The engine's own workspace flow (split, analyze, encode, train, generate), as its README shows;
    # TabularARGN.fit/sample wrap the same calls. Its log stays off: init_logging() is not called.
    from mostlyai import engine

    workspace = Path(tempfile.mkdtemp(prefix="bench-mostly-"))
    try:
        return _train_and_ask_mostly(engine, workspace, dataset, minutes)
    finally:
        shutil.rmtree(workspace, ignore_errors=True)


def _train_and_ask_mostly(engine: Any, workspace: Path, dataset: Dataset, minutes: float) -> dict:
    engine.set_random_state(0)
    started = time.perf_counter()
    engine.split(tgt_data=dataset.train, workspace_dir=workspace)
    engine.analyze(workspace_dir=workspace)
    engine.encode(workspace_dir=workspace)
    engine.train(max_training_time=minutes, workspace_dir=workspace)
    train_s = time.perf_counter() - started
    # How far the time bound let it get: the last epoch in the engine's own progress log.
    progress = pd.read_csv(workspace / "ModelStore" / "model-data" / "progress-messages.csv")
    epochs = float(progress["epoch"].iloc[-1])
    started = time.perf_counter()
    sample = _mostly_generate(engine, workspace, sample_size=SAMPLE_ROWS)
    sample_s = time.perf_counter() - started
    estimates = []
    for effect in dataset.effects:
        arms = []
        for value in (effect.low, effect.high):
            # seed_data fixes the treatment column and draws the rest given it: conditional, not do().
            seed = pd.DataFrame(
                {effect.treatment: pd.Series([value] * ARM_ROWS, dtype=dataset.train[effect.treatment].dtype)}
            )
            arms.append(_outcome(_mostly_generate(engine, workspace, seed_data=seed)[effect.outcome], effect.level))
        estimates.append(arms[1] - arms[0])
    return {
        "synthetic": sample.iloc[:QUALITY_ROWS],
        "train_s": train_s,
        "sample_s": sample_s,
        "estimates": estimates,
        "epochs": epochs,
    }


def _mostly_generate(engine: Any, workspace: Path, **kwargs: object) -> pd.DataFrame:
    engine.set_random_state(1)
    engine.generate(workspace_dir=workspace, **kwargs)
    parts = sorted((workspace / "SyntheticData").glob("*.parquet"))
    return pd.concat([pd.read_parquet(part) for part in parts], ignore_index=True)


TRUTHY = {"true", "yes", "y", "t", "1"}


def _level(value: object, column_type: str) -> str:
    if column_type == "boolean":
        return "true" if str(value).lower() in TRUTHY else "false"
    return str(value)


def _spelling(train: pd.DataFrame, types: dict[str, str]) -> dict[str, dict[bool, object]]:
    # The cleaner reads yes/no as booleans; the seed's own spelling is put back for the metrics.
    spelling = {}
    for name, column_type in types.items():
        if column_type == "boolean" and not pd.api.types.is_bool_dtype(train[name]):
            values = train[name].dropna().unique()
            spelling[name] = {str(v).lower() in TRUTHY: v for v in values}
    return spelling


def _respell(frame: pd.DataFrame, spelling: dict[str, dict[bool, object]]) -> pd.DataFrame:
    for name, spelled in spelling.items():
        frame[name] = frame[name].map(lambda v, spelled=spelled: v if pd.isna(v) else spelled.get(bool(v), v))
    return frame


def _outcome(values: pd.Series, level: str | None) -> float:
    if level is None:
        return float(pd.to_numeric(values).mean())
    return float((values.astype(str) == level).mean())


def _metadata(frame: pd.DataFrame, as_dict: bool = True) -> object:
    from sdv.metadata import Metadata

    metadata = Metadata.detect_from_dataframes({"seed": frame})
    if not as_dict:
        return metadata
    # The quality report judges small-integer scales (SDV detects them as "ordinal") as numbers.
    table = metadata.to_dict()["tables"]["seed"]
    for name, column in table["columns"].items():
        numeric = pd.api.types.is_numeric_dtype(frame[name]) and not pd.api.types.is_bool_dtype(frame[name])
        table["columns"][name] = {"sdtype": "numerical" if numeric else column["sdtype"]}
        if column["sdtype"] == "ordinal" and not numeric:
            table["columns"][name] = {"sdtype": "categorical"}
    return table


def _align(synthetic: pd.DataFrame, real: pd.DataFrame) -> pd.DataFrame:
    # Both sides in the real data's types, so True and "True" are one level to the metrics.
    aligned = {}
    for name in real.columns:
        # A column the model did not keep scores as if every synthetic value were missing.
        values = synthetic[name] if name in synthetic.columns else pd.Series([None] * len(synthetic), dtype=object)
        if pd.api.types.is_numeric_dtype(real[name]) and not pd.api.types.is_bool_dtype(real[name]):
            aligned[name] = pd.to_numeric(values, errors="coerce")
        elif pd.api.types.is_bool_dtype(real[name]):
            aligned[name] = values.map(lambda v: v if pd.isna(v) else str(v).lower() == "true")
        else:
            aligned[name] = values.map(lambda v: v if pd.isna(v) else str(v))
    return pd.DataFrame(aligned).reset_index(drop=True)


def _quality(real: pd.DataFrame, synthetic: pd.DataFrame, metadata: dict) -> tuple[float, float]:
    from sdmetrics.reports.single_table import QualityReport

    from simulacra.engine.evaluation.fidelity import quality_report

    synthetic = _align(synthetic, real)
    report = QualityReport()
    report.generate(real, synthetic, metadata, verbose=False)
    kinds = {
        name: "numeric" if meta["sdtype"] == "numerical" else "categorical"
        for name, meta in metadata["columns"].items()
    }
    return report.get_score(), quality_report(real, synthetic, kinds)["score"]


def _row(dataset: Dataset, model: str, quality: tuple[float, float], result: dict, edges: list | None) -> dict:
    row = {"dataset": dataset.name, "model": model, "quality": quality, "result": result, "effects": []}
    for effect, estimate in zip(dataset.effects, result.get("estimates", []), strict=False):
        row["effects"].append((effect, estimate))
    row["structure"] = structure_scores(dataset.edges, edges) if edges is not None else None
    return row


def _print_table(rows: list[dict]) -> None:
    header = [
        "dataset", "model", "effect 1: true / est. (error)", "effect 2: true / est. (error)",
        "quality SDMetrics (ours)", "SHD / prec. / recall", "train s", "sample rows/s", "peak MB",
    ]  # fmt: skip
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        if "result" not in row:
            print(f"| {row['dataset']} | {row['model']} |" + " |" * (len(header) - 2))
            continue
        result = row["result"]
        effects = [_effect_cell(effect, estimate) for effect, estimate in row["effects"]]
        effects += [""] * (2 - len(effects))
        sdm, ours = row["quality"]
        structure = row["structure"]
        cells = [
            row["dataset"],
            row["model"],
            *effects,
            f"{sdm:.3f} ({ours:.3f})",
            f"{structure[0]} / {structure[1]:.2f} / {structure[2]:.2f}" if structure else "",
            f"{result['train_s']:.2f}" if result else "",
            f"{SAMPLE_ROWS / result['sample_s']:,.0f}" if result else "",
            f"{result['peak_mb']:.0f}" if result else "",
        ]
        print("| " + " | ".join(cells) + " |")
    print()
    _footnotes(rows)


def _footnotes(rows: list[dict]) -> None:
    seen = set()
    for row in rows:
        if row.get("effects") and row["dataset"] not in seen:
            seen.add(row["dataset"])
            labels = "; ".join(f"effect {i + 1} = {effect.label}" for i, (effect, _) in enumerate(row["effects"]))
            print(f"- {row['dataset']}: {labels}")


def _effect_cell(effect: object, estimate: float) -> str:
    if np.isnan(estimate):
        return f"{effect.true:+.3g} / n/a"
    error = abs(estimate - effect.true) / abs(effect.true) * 100
    return f"{effect.true:+.3g} / {estimate:+.3g} ({error:.0f}%)"


if __name__ == "__main__":
    main()
