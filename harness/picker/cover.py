"""Greedy set cover: each pick is the account adding the most pairs nobody covers yet.

Greedy is within a factor (1 - 1/e) of the best possible coverage for any number of
picks, and deterministic here: ties go to the smallest key. It is evaluated lazily (a
candidate's gain only shrinks as pairs get covered, so a heap of stale gains is
re-checked only at its top), which keeps it fast over many distinct configurations.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

from harness.picker.buckets import Candidate

__all__ = ["Pick", "greedy"]


@dataclass(frozen=True)
class Pick:
    candidate: Candidate
    added: tuple[int, ...]  # the pairs this pick covers first, in pair order


def greedy(candidates: list[Candidate], n: int, covered: frozenset[int] = frozenset()
           ) -> list[Pick]:
    """Up to ``n`` picks; fewer when nothing more can be covered."""
    done = set(covered)
    heap = [(-len(c.pairs - done), c.order, index) for index, c in enumerate(candidates)]
    heapq.heapify(heap)
    picks: list[Pick] = []
    while heap and len(picks) < n:
        _, rank, index = heapq.heappop(heap)
        candidate = candidates[index]
        gain = len(candidate.pairs - done)
        if heap and (-gain, rank) > heap[0][:2]:
            heapq.heappush(heap, (-gain, rank, index))  # another may beat it now
            continue
        if gain == 0:
            break  # the best there is adds nothing: every pair is covered
        added = tuple(sorted(candidate.pairs - done))
        done.update(added)
        picks.append(Pick(candidate, added))
    return picks
