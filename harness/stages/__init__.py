"""The stages of staging preparation, one module per concern; `harness.pipeline` runs them.

Every stage is a function ``stage(ctx) -> (Outcome, evidence)``; raising fails
the stage with the exception's text as its error.
"""

from __future__ import annotations

from harness.stages.context import StageContext, StageFn

__all__ = ["StageContext", "StageFn"]
