"""Confounded snack-brand tracker: a KNOWN causal model where correlation and causation disagree on price.

Run ``python examples/make_confounded_tracker.py [--rows 10000] [--seed 11] [--out examples/confounded_tracker.csv]``.

Income Band is a confounder: richer shoppers pay more (premium brands, premium stores) AND intend
to buy more. In the observed table price and purchase intent therefore rise together, while
setting the price, do(Price), lowers intent. A synthesizer that only copies correlations answers
"what if the price were higher?" with the wrong sign; a causal model fitted on the right graph
answers it correctly. Income Band, Region and Age Band are the roots; every other column has
parents among the columns listed before it, so the column order is a valid causal order.

Structural equations (N(0, s) is independent Gaussian noise per respondent, Cat(...) a draw from
the lookup table, constants below; round/clip keep the survey's integer scales):

    Income Band   ~ Cat(low .30, mid .35, high .25, premium .10)
    Region        ~ Cat(north .30, south .25, east .25, west .20)
    Age Band      ~ Cat(18-24 .18, 25-34 .24, 35-44 .22, 45-54 .19, 55+ .17)
    Household Size = clip(round(HOUSEHOLD[Age Band] + N(0, 1.1)), 1, 6)                 # Age -> Household
    Store Type    ~ Cat(STORE_PROBS[Income Band])                                        # Income -> Store
    Brand         ~ Cat(BRAND_PROBS[Income Band])                                        # Income -> Brand
    Loyalty Member ~ Bernoulli(LOYALTY[Store Type] + 0.04 * (Household Size - 3))        # Store, Household -> Loyalty
    Price         = shelf_price(BRAND_PRICE[Brand] + STORE_PRICE[Store Type] + REGION_PRICE[Region]
                                + INCOME_PRICE[Income Band] + N(0, 0.35)), in [2.49, 6.99]
    Awareness     = clip(round(BRAND_AWARENESS[Brand] + AGE_AWARENESS[Age Band] + N(0, 12)), 0, 100)
    Perceived Quality = clip(round(5 + BRAND_QUALITY[Brand] + 0.8 * (Price - 4) + N(0, 1.3)), 1, 10)
    Satisfaction  = clip(round(7 + 0.5 * (Perceived Quality - 6) - 1.2 * (Price - 4) + N(0, 1.1)), 1, 10)
    Purchase Intent = clip(round(50 - 9 * (Price - 4) + 3 * (Satisfaction - 6) + 0.25 * (Awareness - 55)
                                 + 1.5 * (Perceived Quality - 6) + INCOME_INTENT[Income Band]
                                 + 4 * Loyalty Member + N(0, 9)), 0, 100)
    Monthly Spend = round(max(0, 2 + 0.12 * Purchase Intent + 1.6 * Household Size
                              + INCOME_SPEND[Income Band] + N(0, 3)), 2)              # euros, 2 decimals
    Recommend     = clip(round(0.6 * Satisfaction + 0.03 * (Purchase Intent - 50) + 1.2 + N(0, 1.2)), 0, 10)

Observationally, Price and Purchase Intent rise together: regressing intent on price alone gives a
slope of about +4.3 points per euro (see ``observed_price_slope``). The causal effects (points per
euro; linear part, before rounding and clipping):
    direct                                     -9.0
    via Satisfaction                -1.2 * 3 = -3.6
    via Perceived Quality          0.8 * 1.5 = +1.2
    via Quality -> Satisfaction  0.8*0.5*3   = +1.2
    total                                     -10.2
Simulated with 200,000 rows per arm (``TRUE_EFFECTS``, from ``make_confounded_tracker(price=...)``):
    E[Purchase Intent | do(Price=5.49)] - E[Purchase Intent | do(Price=3.49)] = -20.0 points (-10.0 / euro)
    E[Purchase Intent | do(Satisfaction=9)] - E[Purchase Intent | do(Satisfaction=5)] = +11.9 points
Rounding and clipping damp the totals slightly. ``TRUE_EDGES`` is the graph as an edge list of
cleaned column names (snake_case, as Simulacra's cleaner names them).
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

# The sibling generator's sampling helpers: run as a script, or with examples/ on sys.path.
from make_tracker import bounded_int, draw_conditional, lookup, shelf_price

INCOME = {"low": 0.30, "mid": 0.35, "high": 0.25, "premium": 0.10}
REGIONS = {"north": 0.30, "south": 0.25, "east": 0.25, "west": 0.20}
AGE_BANDS = {"18-24": 0.18, "25-34": 0.24, "35-44": 0.22, "45-54": 0.19, "55+": 0.17}
HOUSEHOLD = {"18-24": 1.8, "25-34": 2.6, "35-44": 3.4, "45-54": 3.0, "55+": 2.0}
STORES = ["discounter", "supermarket", "convenience", "organic"]
STORE_PROBS = {
    "low": [0.60, 0.30, 0.08, 0.02],
    "mid": [0.35, 0.45, 0.12, 0.08],
    "high": [0.15, 0.45, 0.15, 0.25],
    "premium": [0.05, 0.30, 0.20, 0.45],
}
BRANDS = ["Crunchy", "Golden Leaf", "Artisan Co", "Budget Bites"]
BRAND_PROBS = {
    "low": [0.25, 0.10, 0.05, 0.60],
    "mid": [0.40, 0.25, 0.10, 0.25],
    "high": [0.30, 0.35, 0.30, 0.05],
    "premium": [0.10, 0.30, 0.57, 0.03],
}
LOYALTY = {"discounter": 0.25, "supermarket": 0.45, "convenience": 0.15, "organic": 0.55}
BRAND_PRICE = {"Crunchy": 3.9, "Golden Leaf": 4.4, "Artisan Co": 5.0, "Budget Bites": 3.0}
STORE_PRICE = {"discounter": -0.3, "supermarket": 0.0, "convenience": 0.4, "organic": 0.5}
REGION_PRICE = {"north": 0.2, "south": -0.2, "east": 0.0, "west": 0.1}
INCOME_PRICE = {"low": -0.2, "mid": 0.0, "high": 0.3, "premium": 0.6}
BRAND_AWARENESS = {"Crunchy": 70, "Golden Leaf": 55, "Artisan Co": 40, "Budget Bites": 60}
AGE_AWARENESS = {"18-24": 12, "25-34": 6, "35-44": 0, "45-54": -6, "55+": -12}
BRAND_QUALITY = {"Crunchy": 0.5, "Golden Leaf": 1.0, "Artisan Co": 1.5, "Budget Bites": -0.8}
INCOME_INTENT = {"low": -24.0, "mid": 0.0, "high": 20.0, "premium": 34.0}
INCOME_SPEND = {"low": -2.0, "mid": 0.0, "high": 3.0, "premium": 7.0}
PRICE_RANGE = (2.49, 6.99)

# (treatment, outcome, low, high, true E[outcome | do(high)] - E[outcome | do(low)]), from TRUE_EFFECTS below.
TRUE_EFFECTS = {
    "price": ("Purchase Intent", 3.49, 5.49, -20.0),
    "satisfaction": ("Purchase Intent", 5, 9, 11.9),
}

TRUE_EDGES = [
    ("age_band", "household_size"),
    ("income_band", "store_type"),
    ("income_band", "brand"),
    ("store_type", "loyalty_member"),
    ("household_size", "loyalty_member"),
    ("brand", "price"),
    ("store_type", "price"),
    ("region", "price"),
    ("income_band", "price"),
    ("brand", "awareness"),
    ("age_band", "awareness"),
    ("brand", "perceived_quality"),
    ("price", "perceived_quality"),
    ("perceived_quality", "satisfaction"),
    ("price", "satisfaction"),
    ("price", "purchase_intent"),
    ("satisfaction", "purchase_intent"),
    ("awareness", "purchase_intent"),
    ("perceived_quality", "purchase_intent"),
    ("income_band", "purchase_intent"),
    ("loyalty_member", "purchase_intent"),
    ("purchase_intent", "monthly_spend"),
    ("household_size", "monthly_spend"),
    ("income_band", "monthly_spend"),
    ("satisfaction", "recommend"),
    ("purchase_intent", "recommend"),
]


def make_confounded_tracker(
    rows: int = 10000, seed: int = 11, price: float | None = None, satisfaction: int | None = None
) -> pd.DataFrame:
    """Draw the tracker; pass ``price`` (or ``satisfaction``) to sample under do(column = value) instead."""
    rng = np.random.default_rng(seed)
    income = rng.choice(list(INCOME), size=rows, p=list(INCOME.values()))
    region = rng.choice(list(REGIONS), size=rows, p=list(REGIONS.values()))
    age = rng.choice(list(AGE_BANDS), size=rows, p=list(AGE_BANDS.values()))
    household = bounded_int(lookup(HOUSEHOLD, age) + rng.normal(0, 1.1, rows), 1, 6)
    store = draw_conditional(rng, income, STORES, STORE_PROBS)
    brand = draw_conditional(rng, income, BRANDS, BRAND_PROBS)
    loyalty = rng.random(rows) < np.clip(lookup(LOYALTY, store) + 0.04 * (household - 3), 0, 1)
    raw_price = (
        lookup(BRAND_PRICE, brand)
        + lookup(STORE_PRICE, store)
        + lookup(REGION_PRICE, region)
        + lookup(INCOME_PRICE, income)
        + rng.normal(0, 0.35, rows)
    )
    price_paid = shelf_price(raw_price, PRICE_RANGE) if price is None else np.full(rows, float(price))
    awareness = bounded_int(
        lookup(BRAND_AWARENESS, brand) + lookup(AGE_AWARENESS, age) + rng.normal(0, 12, rows), 0, 100
    )
    quality = bounded_int(5 + lookup(BRAND_QUALITY, brand) + 0.8 * (price_paid - 4) + rng.normal(0, 1.3, rows), 1, 10)
    satisfied = bounded_int(7 + 0.5 * (quality - 6) - 1.2 * (price_paid - 4) + rng.normal(0, 1.1, rows), 1, 10)
    if satisfaction is not None:
        satisfied = np.full(rows, int(satisfaction))
    intent = bounded_int(
        50
        - 9 * (price_paid - 4)
        + 3 * (satisfied - 6)
        + 0.25 * (awareness - 55)
        + 1.5 * (quality - 6)
        + lookup(INCOME_INTENT, income)
        + 4 * loyalty
        + rng.normal(0, 9, rows),
        0,
        100,
    )
    spend = np.round(
        np.maximum(0, 2 + 0.12 * intent + 1.6 * household + lookup(INCOME_SPEND, income) + rng.normal(0, 3, rows)), 2
    )
    recommend = bounded_int(0.6 * satisfied + 0.03 * (intent - 50) + 1.2 + rng.normal(0, 1.2, rows), 0, 10)
    return pd.DataFrame(
        {
            "Respondent ID": [f"C{i:06d}" for i in range(1, rows + 1)],
            "Income Band": income,
            "Region": region,
            "Age Band": age,
            "Household Size": household,
            "Store Type": store,
            "Brand": brand,
            "Loyalty Member": loyalty,
            "Price": price_paid,
            "Awareness": awareness,
            "Perceived Quality": quality,
            "Satisfaction": satisfied,
            "Purchase Intent": intent,
            "Monthly Spend": spend,
            "Recommend": recommend,
        }
    )


def true_effect(treatment: str, rows: int = 200_000, seed: int = 123) -> float:
    """E[outcome | do(treatment = high)] - E[outcome | do(treatment = low)], simulated with common noise."""
    outcome, low, high, _ = TRUE_EFFECTS[treatment]
    arms = [make_confounded_tracker(rows, seed, **{treatment: value})[outcome].mean() for value in (low, high)]
    return float(arms[1] - arms[0])


def observed_price_slope(frame: pd.DataFrame) -> float:
    """Least-squares slope of Purchase Intent on Price alone: what correlation says a euro does."""
    return float(np.polyfit(frame["Price"], frame["Purchase Intent"], 1)[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--out", default="examples/confounded_tracker.csv")
    args = parser.parse_args()
    make_confounded_tracker(args.rows, args.seed).to_csv(args.out, index=False)


if __name__ == "__main__":
    main()
