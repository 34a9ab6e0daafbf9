"""Configurations as sets of (feature, value) pairs: numbers bucketed into quantiles.

A category counts as it is (every value its own pair). A number is bucketed into
``buckets`` quantiles of the population's positive values (a value repeated across a
quantile boundary keeps one bucket, so there may be fewer); zero, negative and empty
values are buckets of their own — "no usage" is a configuration, not the low end of one.
A bucket is named by the smallest and largest value seen in it (``3–10``).
"""

from __future__ import annotations

import bisect
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from harness.baseline.profile import FeatureKind
from harness.picker.survey import Order, Raw, Survey

__all__ = ["Candidate", "Pairs", "pairs_of", "quantile_edges"]

EMPTY = "(empty)"


def quantile_edges(histogram: Counter[Decimal], buckets: int) -> list[Decimal]:
    """The upper bound of each quantile bucket of the positive values, ascending."""
    positives = sorted(v for v in histogram if v > 0)
    total = sum(histogram[v] for v in positives)
    edges: list[Decimal] = []
    seen, step = 0, 1
    for value in positives:
        seen += histogram[value]
        while step <= buckets and seen * buckets >= total * step:
            if not edges or edges[-1] != value:
                edges.append(value)
            step += 1
    return edges


def _shown(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _labels(histogram: Counter[Decimal], buckets: int) -> dict[Decimal, str]:
    """Every value seen → the name of its bucket."""
    edges = quantile_edges(histogram, buckets)
    members: dict[int, list[Decimal]] = {}
    for value in histogram:
        if value > 0:
            members.setdefault(bisect.bisect_left(edges, value), []).append(value)
    labels: dict[Decimal, str] = {}
    for values in members.values():
        low, high = min(values), max(values)
        name = _shown(low) if low == high else f"{_shown(low)}–{_shown(high)}"
        labels.update(dict.fromkeys(values, name))
    for value in histogram:
        if value <= 0:
            labels[value] = "0" if value == 0 else "below 0"
    return labels


@dataclass(frozen=True)
class Candidate:
    """An account that may be picked, for the configuration it shares with ``accounts``."""

    key: str
    order: Order
    pairs: frozenset[int]
    accounts: int


@dataclass
class Pairs:
    """The (feature, value) pairs of the population, numbered; candidates and what the
    hand-written accounts already cover, in those numbers."""

    names: list[str]  # pair id → "sub-accounts: 5"
    features: list[int]  # pair id → its feature's column position
    candidates: list[Candidate]
    kept: dict[str, frozenset[int]]  # hand-written account → its pairs

    @property
    def universe(self) -> int:
        return len(self.names)

    def shown(self, pairs: frozenset[int] | tuple[int, ...]) -> list[str]:
        """The pairs' names in the order of the features' columns."""
        return [self.names[p] for p in sorted(pairs, key=lambda p: (self.features[p], p))]


def pairs_of(found: Survey, buckets: int) -> Pairs:
    """Number every (feature, value) pair; merge accounts whose pairs are equal."""
    labels = {i: _labels(h, buckets) for i, h in found.histograms.items()}
    ids: dict[tuple[int, str], int] = {}
    names: list[str] = []
    features: list[int] = []

    def intern(config: tuple[Raw, ...]) -> frozenset[int]:
        out = []
        for index, value in enumerate(config):
            feature = found.features[index]
            if value is None:
                shown = EMPTY
            elif feature.kind is FeatureKind.NUMBER:
                assert isinstance(value, Decimal)
                shown = labels[index][value]
            else:
                shown = str(value)
            pair = (index, shown)
            if pair not in ids:
                ids[pair] = len(names)
                names.append(f"{feature.label}: {shown}")
                features.append(index)
            out.append(ids[pair])
        return frozenset(out)

    # configurations in a fixed order, so pair numbers (and everything after) never
    # depend on the order the database returned the rows in
    merged: dict[frozenset[int], Candidate] = {}
    for config, group in sorted(found.configurations.items(), key=lambda c: c[1].first_order):
        pairs = intern(config)
        seen = merged.get(pairs)
        if seen is None or group.first_order < seen.order:
            merged[pairs] = Candidate(group.first, group.first_order, pairs,
                                      group.accounts + (seen.accounts if seen else 0))
        else:
            merged[pairs] = Candidate(seen.key, seen.order, pairs, seen.accounts + group.accounts)
    kept = {key: intern(config) for key, config in sorted(found.kept.items())}
    candidates = sorted(merged.values(), key=lambda c: c.order)
    return Pairs(names, features, candidates, kept)
