"""Notebook 00's first and last exercises (tinygrad_relu.exercises.first_steps): backprop by hand on
L = (a*b + c) * f, and the training loop. Right answers pass; each classic mistake gets the hint that names it."""

import math

import pytest

from tinygrad_relu import exercises as ex
from tinygrad_relu.exercises import first_steps

LOCAL = {"dL/dd": -1.5, "dL/df": -5.0, "dd/de": 1.0, "dd/dc": 1.0, "de/da": -4.0, "de/db": 2.0}
CHAIN = {"dL/dd": -1.5, "dL/df": -5.0, "dL/de": -1.5, "dL/dc": -1.5, "dL/da": 6.0, "dL/db": -3.0}


def test_the_drawn_numbers_are_the_engines():
    assert first_steps.INPUTS == {"a": 2.0, "b": -4.0, "c": 3.0, "f": -1.5}
    nodes = first_steps._graph()
    assert {k: nodes[k[-1]].grad for k in CHAIN} == CHAIN and nodes["L"].data == 7.5
    assert ex.check_local_derivatives(LOCAL).ok and ex.check_chain_rule(CHAIN).ok


@pytest.mark.parametrize(
    "change, hint",
    [
        ({"de/da": 2.0}, "that is a's own value"),
        ({"dL/dd": -5.0}, "that is d's own value"),
        ({"dd/dc": 3.0}, "d moves by exactly h"),
        ({"de/db": -2.0}, "the sign is flipped"),
        ({"dL/df": 7.0}, "nudge f by 1e-6"),
        ({"de/da": None}, "still to fill in: ['de/da']"),
        ({"de/da": "b"}, "'de/da': 'b' is not a number"),
        ({"de/dA": -4.0}, "unknown key 'de/dA'"),
    ],
)
def test_local_derivative_mistakes(change, hint):
    result = ex.check_local_derivatives({**LOCAL, **change})
    assert result.status == "fail" and hint in result.message, result


@pytest.mark.parametrize(
    "change, hint",
    [
        ({"dL/da": -4.0}, "that is de/da, the local derivative alone"),
        ({"dL/de": 1.0}, "multiplies it by dL/dd"),
        ({"dL/de": 2.0, "dL/da": -8.0}, "dL/de is not 2"),  # the first wrong one from the top is named
        ({"dL/db": 3.0}, "dL/de (the gradient that arrived at e) times de/db"),
        ({"dL/df": -1.5}, "dL/df is its local derivative"),
    ],
)
def test_chain_rule_mistakes(change, hint):
    result = ex.check_chain_rule({**CHAIN, **change})
    assert result.status == "fail" and hint in result.message, result


def test_by_hand_stubs_are_to_do():
    for check, keys in ((ex.check_local_derivatives, LOCAL), (ex.check_chain_rule, CHAIN)):
        assert check(dict.fromkeys(keys)).status == "todo"
        assert check(None).status == "todo"


# --- the training loop -----------------------------------------------------------------------------------------


def loop(zero="before backward", sign=1.0):
    def train(params, loss_fn, steps, lr):
        losses = []
        for _ in range(steps):
            loss = loss_fn()
            if zero == "before backward":
                for p in params:
                    p.grad = 0.0
            loss.backward()
            if zero == "before the update":
                for p in params:
                    p.grad = 0.0
            for p in params:
                p.data -= sign * lr * p.grad
            losses.append(loss.data)
        return losses

    return train


def test_the_right_loop_passes_and_a_stub_is_to_do():
    assert ex.check_training_loop(loop()).ok
    assert ex.check_training_loop(lambda params, loss_fn, steps, lr: None).status == "todo"


def test_a_loop_without_zero_grad_shows_the_loss_blowing_up():
    result = ex.check_training_loop(loop(zero="never"))
    assert result.status == "fail"
    assert "your loss goes 2.39 at step 1 -> 219 at step 100 -> nan from step 111" in result.message, result
    assert "2.42e-06 at step 100" in result.message and "zero_grad" in result.message, result


@pytest.mark.parametrize(
    "train, hint",
    [
        (loop(sign=-1.0), "it grows"),
        (loop(zero="before the update"), "the parameters never moved"),
        (lambda params, loss_fn, steps, lr: [1.0] * (steps - 1), "returned 119 losses"),
        (lambda params, loss_fn, steps, lr: ["a"] * steps, "a list of numbers"),
        (loop(sign=0.5), "your loss at step 2 is"),
    ],
    ids=["uphill", "zeroed_before_update", "too_few", "not_numbers", "half_the_rate"],
)
def test_loop_mistakes(train, hint):
    result = ex.check_training_loop(train)
    assert result.status == "fail" and hint in result.message, result


def test_the_loop_check_measures_what_it_says():
    losses = first_steps._reference(zero=False)
    assert round(losses[0], 2) == 2.39 and round(losses[99]) == 219 and math.isnan(losses[110])
    assert not any(math.isnan(x) for x in losses[:110])
