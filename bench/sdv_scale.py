"""SDV GaussianCopula on bench/scale.py's seed: fit time, time to sample N rows in chunks, peak RSS.

    bench/.venv-peers/bin/python bench/sdv_scale.py [--rows 10000000] [--chunk 1000000]

Run by bench/scale.py in the peers virtualenv (bash bench/setup_peers.sh), as its own process so the
peak memory is SDV's alone. Rows are sampled chunk by chunk and dropped (SDV's own batching), the
fairest reading of "N rows with bounded memory" SDV offers; nothing is written to disk. Prints one
JSON object on stdout.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import pandas as pd

SEED = Path(__file__).resolve().parent.parent / "examples" / "tracker_q3.csv"


def _peak_rss_mb() -> float:
    # VmHWM is this process's own high-water mark.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--chunk", type=int, default=1_000_000)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    from sdv.metadata import Metadata
    from sdv.single_table import GaussianCopulaSynthesizer

    # The same table Simulacra is given, minus the free-text and identifier columns it sets aside.
    frame = pd.read_csv(SEED).drop(columns=["Respondent ID", "Verbatim"])
    started = time.perf_counter()
    metadata = Metadata.detect_from_dataframes({"seed": frame})
    synthesizer = GaussianCopulaSynthesizer(metadata)
    synthesizer.fit({"seed": frame})  # SDV 2.x takes and returns {table: frame}
    fit_s = time.perf_counter() - started
    started, done = time.perf_counter(), 0
    while done < args.rows:
        size = min(args.chunk, args.rows - done)
        done += len(synthesizer.sample(size)["seed"])
    sample_s = time.perf_counter() - started
    result = {"seed_rows": len(frame), "fit_s": fit_s, "rows": done, "sample_s": sample_s, "peak_mb": _peak_rss_mb()}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
