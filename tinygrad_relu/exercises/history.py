"""The self-check for notebook 08 (digits, dying ReLUs): reading a training ``History``."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .check import CheckResult, _call, _fail, _run, _Unanswered

# (shares per epoch, level, the first epoch over it): made-up series, one per way to get it wrong
_SERIES = (
    ([0.1, 0.4, 0.6, 0.9], 0.5, 3),
    ([0.7, 0.2, 0.9], 0.5, 1),
    ([0.5, 0.5, 0.51], 0.5, 3),
    ([0.1, 0.2], 0.5, None),
)


def check_first_epoch_over(first_epoch_over: Callable[[Sequence[float], float], int | None] | None) -> CheckResult:
    """Exercise 08.1: ``first_epoch_over(shares, level)`` is the first epoch, counted from 1 as the history's plots
    count them, whose share is over ``level`` (``shares[epoch - 1] > level``), or None if none is."""

    def body() -> CheckResult:
        if first_epoch_over is None:
            raise _Unanswered
        first_shares, first_level, _ = _SERIES[0]
        _call(first_epoch_over, list(first_shares), first_level)  # a stub returns None here: still to do
        for shares, level, want in _SERIES:
            got = first_epoch_over(list(shares), level)
            if got == want:
                continue
            if want is not None and got == want - 1:
                return _fail(
                    f"for shares {shares} you returned {got}: epochs count from 1 (the history's first "
                    "entry is epoch 1), and yours looks counted from 0"
                )
            if want is None:
                return _fail(f"the shares {shares} never get over {level}: return None then (yours returned {got!r})")
            if level in shares:
                return _fail(
                    f"for shares {shares} you returned {got!r}: a share of exactly {level} is not over {level}"
                )
            return _fail(
                f"for shares {shares} and level {level} you returned {got!r}: look for the first entry above "
                "the level, and count epochs from 1"
            )
        return CheckResult("pass")

    return _run(
        "fill in first_epoch_over(shares, level): the first epoch (from 1) whose share is over level, "
        "or None; then apply it to a run's history.dead_share",
        body,
    )
