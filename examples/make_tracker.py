"""Synthetic soft-drink brand tracker (Q3 2026) drawn from a KNOWN causal model.

Run ``python examples/make_tracker.py [--rows 5000] [--seed 7] [--out examples/tracker_q3.csv]``.
The CSV is the demo seed table for Simulacra; because the model below is the truth, it also
serves as a benchmark for structure discovery and for interventional sampling.

Structural equations (N(0, s) is independent Gaussian noise, one draw per respondent; the
lookup tables are the constants below):

    Segment   ~ Categorical(genz_switcher .15, loyal_boomer .25, value_seeker .35, premium_millennial .25)
    Region    ~ Categorical(north .30, south .25, east .25, west .20)
    Age Band  ~ Categorical(AGE_BAND_PROBS[Segment])                     # Segment -> Age Band
    Brand     ~ Categorical(BRAND_PROBS[Segment])                        # Segment -> Brand
    Price     = price_point(BRAND_PRICE[Brand] + REGION_PRICE[Region] + N(0, 0.45))
                # rounded to a x.x9 shelf price, clipped to [3.49, 6.99]    # Brand -> Price <- Region
    Awareness = clip(round(BRAND_AWARENESS[Brand] + AGE_AWARENESS[Age Band] + N(0, 12)), 0, 100)
    Satisfaction = clip(round(7 + BRAND_SATISFACTION[Brand] - 1.5 * (Price - 5) + N(0, 1.2)), 1, 10)
    Purchase Intent = clip(round(45 - 8 * (Price - 5) + 3 * (Satisfaction - 7)
                                 + 0.4 * (Awareness - 60) + SEGMENT_INTENT[Segment] + N(0, 10)), 0, 100)

True effects of Price on Purchase Intent (points per euro):
    direct                  -8.0
    via Satisfaction        -1.5 * 3 = -4.5
    total                  -12.5 (linear part)
Rounding and clipping (Satisfaction to 1..10, Purchase Intent to 0..100) damp the total slightly:
E[Purchase Intent | do(Price=6.49)] - E[Purchase Intent | do(Price=3.99)] = -30.8 points, i.e.
-12.3 per euro (simulated with 200,000 rows per arm; ``make_tracker(price=...)`` samples under do()).
Price -> Satisfaction: -1.5 per euro before rounding (-3.7 points of Satisfaction from 3.99 to 6.49).

Region and Brand both cause Price and are independent of each other, so Brand -> Price <- Region is
an unshielded collider that lets PC orient Price -> Satisfaction and Price -> Purchase Intent from
the data. Respondent ID, Interview Date, Wave and Verbatim carry no signal and exist to exercise the
cleaner (id-like, datetime, constant and free-text columns).
"""

from __future__ import annotations

import argparse
from datetime import date, timedelta

import numpy as np
import pandas as pd

SEGMENTS = {"genz_switcher": 0.15, "loyal_boomer": 0.25, "value_seeker": 0.35, "premium_millennial": 0.25}
REGIONS = {"north": 0.30, "south": 0.25, "east": 0.25, "west": 0.20}
AGE_BANDS = ["18-24", "25-34", "35-44", "45-54", "55+"]
AGE_BAND_PROBS = {
    "genz_switcher": [0.62, 0.30, 0.05, 0.02, 0.01],
    "loyal_boomer": [0.02, 0.05, 0.13, 0.30, 0.50],
    "value_seeker": [0.15, 0.25, 0.25, 0.20, 0.15],
    "premium_millennial": [0.08, 0.52, 0.30, 0.07, 0.03],
}
BRANDS = ["Fizzo", "Brisa", "Nordic Spring", "ValueCola"]
BRAND_PROBS = {
    "genz_switcher": [0.60, 0.20, 0.10, 0.10],
    "loyal_boomer": [0.10, 0.60, 0.10, 0.20],
    "value_seeker": [0.10, 0.10, 0.05, 0.75],
    "premium_millennial": [0.20, 0.10, 0.60, 0.10],
}
BRAND_PRICE = {"Fizzo": 5.10, "Brisa": 4.90, "Nordic Spring": 5.80, "ValueCola": 4.20}
REGION_PRICE = {"north": 0.50, "south": -0.40, "east": 0.0, "west": 0.25}
BRAND_AWARENESS = {"Fizzo": 70, "Brisa": 60, "Nordic Spring": 45, "ValueCola": 55}
AGE_AWARENESS = {"18-24": 15, "25-34": 8, "35-44": 0, "45-54": -8, "55+": -15}
BRAND_SATISFACTION = {"Fizzo": 0.8, "Brisa": -0.8, "Nordic Spring": 0.3, "ValueCola": -0.3}
SEGMENT_INTENT = {"genz_switcher": -8.0, "loyal_boomer": 10.0, "value_seeker": -8.0, "premium_millennial": 6.0}
PRICE_RANGE = (3.49, 6.99)

_OPENERS = ["I think", "Honestly,", "To be fair,", "In my opinion", "Overall", "Lately", "My kids say", "Frankly,"]
_VERDICTS = [
    "tastes great but costs too much",
    "is too sweet for me",
    "has the best bubbles",
    "went flat too quickly",
    "is my go-to after the gym",
    "is fine when it is on offer",
    "got more expensive this summer",
    "is hard to find in my local shop",
    "has a nicer can than the others",
    "is what we drink at barbecues",
]
_DETAILS = ["", " and I bought it {n} times last month", " especially the {n}-pack", " since about {n} weeks ago"]


def make_tracker(rows: int = 5000, seed: int = 7, price: float | None = None) -> pd.DataFrame:
    """Draw the tracker; pass ``price`` to sample under do(Price = price) instead."""
    rng = np.random.default_rng(seed)
    segment = rng.choice(list(SEGMENTS), size=rows, p=list(SEGMENTS.values()))
    region = rng.choice(list(REGIONS), size=rows, p=list(REGIONS.values()))
    age_band = draw_conditional(rng, segment, AGE_BANDS, AGE_BAND_PROBS)
    brand = draw_conditional(rng, segment, BRANDS, BRAND_PROBS)
    raw_price = lookup(BRAND_PRICE, brand) + lookup(REGION_PRICE, region) + rng.normal(0, 0.45, rows)
    price_paid = shelf_price(raw_price, PRICE_RANGE) if price is None else np.full(rows, float(price))
    awareness = bounded_int(
        lookup(BRAND_AWARENESS, brand) + lookup(AGE_AWARENESS, age_band) + rng.normal(0, 12, rows), 0, 100
    )
    satisfaction = bounded_int(
        7 + lookup(BRAND_SATISFACTION, brand) - 1.5 * (price_paid - 5) + rng.normal(0, 1.2, rows), 1, 10
    )
    intent = (
        45
        - 8 * (price_paid - 5)
        + 3 * (satisfaction - 7)
        + 0.4 * (awareness - 60)
        + lookup(SEGMENT_INTENT, segment)
        + rng.normal(0, 10, rows)
    )
    return pd.DataFrame(
        {
            "Respondent ID": [f"R{i:06d}" for i in range(1, rows + 1)],
            "Interview Date": _interview_dates(rng, rows),
            "Wave": "2026-Q3",
            "Segment": segment,
            "Region": region,
            "Age Band": age_band,
            "Brand": brand,
            "Price": price_paid,
            "Awareness": awareness,
            "Satisfaction": satisfaction,
            "Purchase Intent": bounded_int(intent, 0, 100),
            "Verbatim": _verbatims(rng, brand),
        }
    )


def draw_conditional(rng: np.random.Generator, parent: np.ndarray, levels: list[str], probs: dict) -> np.ndarray:
    # Inverse-CDF draw per row: one uniform each, compared with the parent's cumulative row.
    cumulative = np.cumsum(np.array([probs[p] for p in parent]), axis=1)
    index = (rng.random(len(parent))[:, None] > cumulative).sum(axis=1)
    return np.array(levels)[np.minimum(index, len(levels) - 1)]


def lookup(table: dict, keys: np.ndarray) -> np.ndarray:
    return np.array([table[k] for k in keys], dtype=float)


def shelf_price(raw: np.ndarray, price_range: tuple[float, float]) -> np.ndarray:
    # Shelf prices end in 9: 4.49, 4.59, ...
    return np.round(np.clip(np.round(raw, 1) - 0.01, *price_range), 2)


def bounded_int(values: np.ndarray, low: int, high: int) -> np.ndarray:
    return np.clip(np.round(values), low, high).astype(int)


def _interview_dates(rng: np.random.Generator, rows: int) -> list[str]:
    offsets = rng.integers(0, 92, size=rows)
    return [(date(2026, 7, 1) + timedelta(days=int(d))).isoformat() for d in offsets]


def _verbatims(rng: np.random.Generator, brand: np.ndarray) -> list[str | None]:
    texts: list[str | None] = []
    for name in brand:
        if rng.random() < 0.1:
            texts.append(None)  # about one respondent in ten skips the open question
            continue
        detail = _DETAILS[rng.integers(len(_DETAILS))].format(n=rng.integers(2, 25))
        opener, verdict = _OPENERS[rng.integers(len(_OPENERS))], _VERDICTS[rng.integers(len(_VERDICTS))]
        texts.append(f"{opener} {name} {verdict}{detail}.")
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", default="examples/tracker_q3.csv")
    args = parser.parse_args()
    make_tracker(args.rows, args.seed).to_csv(args.out, index=False)


if __name__ == "__main__":
    main()
