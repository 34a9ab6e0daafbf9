"""``--golive-shard K/N`` at collection: keep this shard's scenarios, deselect the others.

Every process collects every scenario (xdist requires each worker to collect
the same), so the record of a shard still lists all of them: the others stay
NOT RUN and say which shard runs them, and `harness.merge` takes each
scenario's result from the shard that owns it.
"""

from __future__ import annotations

import pytest

from harness.pytest.collect import template_of
from harness.record import ScenarioResult, ShardInfo
from harness.shard import owner

__all__ = ["take_share"]


def take_share(config: pytest.Config, items: list[pytest.Item],
               skeletons: list[ScenarioResult], shard: ShardInfo) -> None:
    """Deselect every scenario item that another shard owns (ordinary tests stay)."""
    mine: list[pytest.Item] = []
    others: list[pytest.Item] = []
    for item in items:
        if template_of(item) is not None and owner(item.nodeid, shard.total) != shard.index:
            others.append(item)
        else:
            mine.append(item)
    for skeleton in skeletons:
        runs_it = owner(skeleton.nodeid, shard.total)
        if runs_it != shard.index:
            skeleton.error = (f"not this shard's share: shard {runs_it}/{shard.total} runs it "
                              "(golive report merge combines the shards)")
    if others:
        config.hook.pytest_deselected(items=others)
        items[:] = mine
