"""A generation of many rows as shards: sampled apart, in any order, on any process, and summed.

- Rows: shard k holds rows [k x shard_rows, (k + 1) x shard_rows) of the generation, the last one the rest.
- Randomness follows from (generation seed, shard index) alone: shard 0 keeps the generation's seed (so
  a generation of one shard is what `generate_rows` makes), shard k > 0 draws from numpy's
  `SeedSequence((seed, k))`. Which process or worker runs a shard, and when, changes nothing.
- Conditions hold over the whole generation: each conditioned level's count among all N rows is fixed
  first (largest remainder), then split over the shards in order, each taking the largest-remainder part
  of what is left in proportion to its rows; so every shard's counts add up to its rows and every
  level's counts add up to its total exactly. In mode "condition" the same holds for the requested
  levels, the column's other levels taken together as one more part (the model, not the seed, decides
  how they share it); a shard whose pool cannot give its counts returns fewer rows, at the requested
  shares, and the generation ends `partial`.
- A shard reports a tally of counts, not shares, so the feasibility report of the whole generation is
  computed from the sum of the tallies.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from simulacra.engine.checks.conditions import Conditions, parse_conditions
from simulacra.engine.model.model_file import FittedModel, load_model
from simulacra.engine.sampling.assignments import level_totals, target_counts
from simulacra.engine.sampling.feasibility import conditions_met, feasibility
from simulacra.engine.sampling.observational import Pool, condition_samples
from simulacra.engine.sampling.postprocess import to_table
from simulacra.engine.sampling.privacy import privacy_report
from simulacra.engine.sampling.sample import intervened_table
from simulacra.engine.uncertainty.contested import generation_doubts

# Privacy figures of a sharded generation are computed on this many of its rows, taken evenly from the
# shards (whose rows are in random order): the distance figures already probe at most 1,000 rows.
PRIVACY_SAMPLE_ROWS = 10_000

Label = TypeVar("Label", bound=Hashable)


@dataclass(frozen=True)
class ShardPlan:
    row_count: int
    shard_rows: int

    @property
    def count(self) -> int:
        return max(1, -(-self.row_count // self.shard_rows))

    def rows(self, index: int) -> int:
        return min(self.shard_rows, self.row_count - index * self.shard_rows)

    @property
    def sizes(self) -> list[int]:
        return [self.rows(index) for index in range(self.count)]


def shard_seed(seed: int, index: int) -> int:
    """The seed of one shard's draws (32 bits, the range every seed of the engine's generators accepts)."""
    if index == 0:
        return seed
    return int(np.random.SeedSequence((seed, index)).generate_state(1)[0])


def split_counts(totals: dict[Label, int], sizes: list[int], index: int) -> dict[Label, int]:
    """Shard `index`'s part of the level totals, so that every shard's parts sum to its size and every
    level's parts over all shards sum to its total (integer arithmetic: exact at any size)."""
    remaining, rows_left = dict(totals), sum(sizes)
    for shard, size in enumerate(sizes[: index + 1]):
        part = _largest_remainder(remaining, size, rows_left)
        if shard == index:
            return part
        remaining = {label: remaining[label] - part[label] for label in remaining}
        rows_left -= size
    raise IndexError(f"no shard {index} among {len(sizes)}")


def _largest_remainder(remaining: dict[Label, int], size: int, rows_left: int) -> dict[Label, int]:
    # Each level's ideal part is remaining x size / rows_left, never more than it has left, so rounding a
    # fractional part up stays within what the level has: every later shard can still be served.
    labels = list(remaining)
    quotients = [divmod(remaining[label] * size, rows_left) for label in labels]
    parts = [quotient for quotient, _ in quotients]
    order = sorted(range(len(labels)), key=lambda i: -quotients[i][1])
    for i in order[: size - sum(parts)]:
        parts[i] += 1
    return dict(zip(labels, parts, strict=True))


def sample_shard(model_path: str, conditions: dict, plan: ShardPlan, index: int, seed: int) -> tuple[pa.Table, dict]:
    """One shard's rows and its tally (see `tally`)."""
    model = load_model(model_path)
    parsed = parse_conditions(conditions, model.schema)
    rows, own_seed = plan.rows(index), shard_seed(seed, index)
    pool = None
    if parsed.mode == "condition":
        rng = np.random.default_rng(own_seed)
        wanted = {name: _condition_part(targets, plan, index) for name, targets in parsed.categorical.items()}
        samples, pool = condition_samples(model, parsed, rows, rng, seed=own_seed, level_counts=wanted)
        table = to_table(samples, model.schema, parsed, rng)
    else:
        levels = {column.name: (column.levels or []) for column in model.schema.columns}
        counts = {
            name: split_counts(level_totals(levels[name], targets, plan.row_count), plan.sizes, index)
            for name, targets in parsed.categorical.items()
        }
        table = intervened_table(model, parsed, rows, own_seed, level_counts=counts)
    return table, tally(table, parsed, pool)


def _condition_part(targets: dict[str, float], plan: ShardPlan, index: int) -> dict[str, int]:
    # The requested levels' counts among all rows, with the other levels as one part under a key no
    # level has, split over the shards like any level totals.
    totals: dict[str | None, int] = {level: count for level, count in target_counts(targets, plan.row_count).items()}
    totals[None] = plan.row_count - sum(totals.values())
    part = split_counts(totals, plan.sizes, index)
    return {level: count for level, count in part.items() if level is not None}


def tally(table: pa.Table, conditions: Conditions, pool: Pool | None) -> dict:
    """What a shard achieved, as counts that add up across shards."""
    categorical = {}
    for name, targets in conditions.categorical.items():
        labels = table[name].cast(pa.string())
        categorical[name] = {level: int(pc.sum(pc.equal(labels, level)).as_py() or 0) for level in targets}
    numeric = {}
    for name, (low, high) in conditions.numeric.items():
        values = table[name].to_numpy(zero_copy_only=False).astype(float)
        inside = (values >= (-np.inf if low is None else low)) & (values <= (np.inf if high is None else high))
        numeric[name] = int(inside.sum())
    counts: dict = {"rows": table.num_rows, "categorical": categorical, "numeric": numeric}
    if pool is not None:
        counts["pool"] = {"draws": pool.draws, "accepted": pool.accepted, "tolerance": pool.tolerance}
    return counts


def combined_report(model: FittedModel, conditions: dict, row_count: int, tallies: list[dict]) -> dict:
    """The generation's report (as `generate_rows` makes it, without privacy) from its shards' tallies."""
    parsed = parse_conditions(conditions, model.schema)
    rows = sum(counts["rows"] for counts in tallies)

    def share(count: int) -> float | None:
        return round(count / rows, 6) if rows else None

    reached: dict = {"categorical": {}, "numeric": {}}
    for name, targets in parsed.categorical.items():
        reached["categorical"][name] = {
            level: share(sum(counts["categorical"][name][level] for counts in tallies)) for level in targets
        }
    for name, (low, high) in parsed.numeric.items():
        inside = sum(counts["numeric"][name] for counts in tallies)
        reached["numeric"][name] = {"min": low, "max": high, "share_in_range": share(inside)}
    pool = _summed_pool(tallies) if parsed.mode == "condition" else None
    report = {
        "rows_generated": rows,
        "rows_requested": row_count,
        "mode": parsed.mode,
        "achieved": reached,
        "feasibility": feasibility(parsed, reached, row_count, rows, model.seed_values, pool),
        "shards": len(tallies),
    }
    report["conditions_met"] = conditions_met(report["feasibility"])
    report.update(generation_doubts(model.graph, parsed))
    if pool is not None:
        report["draws"] = pool.draws
    return report


def _summed_pool(tallies: list[dict]) -> Pool:
    pools = [counts["pool"] for counts in tallies]
    accepted = {name: sum(pool["accepted"][name] for pool in pools) for name in pools[0]["accepted"]}
    return Pool(pd.DataFrame(), sum(pool["draws"] for pool in pools), accepted, pools[0]["tolerance"])


def sampled_privacy(sample: pa.Table, seed_parquet: str, model: FittedModel, rows_generated: int, seed: int) -> dict:
    """Privacy figures on a bounded sample of the generation's rows, saying so."""
    report = privacy_report(sample, seed_parquet, model.schema, seed=seed)
    report["rows_sampled"] = sample.num_rows
    report["sample"] = (
        f"computed on {sample.num_rows} of the {rows_generated} generated rows, taken evenly from every shard"
    )
    return report
