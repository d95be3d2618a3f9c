"""Regression tests for the engine's guarantees under threads, copies, custom ops and module calls."""

import copy
import gc
import sys
import threading
import weakref

import numpy as np
import pytest

from tinygrad_relu import Tensor, Value
from tinygrad_relu.nn import (
    Linear,
    Module,
    RectifierWatch,
    ReLU,
    Sequential,
    dead_units,
    module_call,
    note_module_calls,
)
from tinygrad_relu.optim import SGD
from tinygrad_relu.train import HEADS, fit

note_module_calls()  # the notes these tests read are taken once something asks for them (the drawings do)


@pytest.fixture
def switch_often():
    """Make the interpreter switch threads every microsecond, so that passes interleave as much as they can."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_concurrent_passes_into_a_shared_leaf_add_every_contribution(engine, switch_often):
    threads, passes = 4, 200
    shared = Value(1.5) if engine == "value" else Tensor([1.5, -2.0], requires_grad=True)
    start = threading.Barrier(threads)

    def work():
        start.wait()
        for _ in range(passes):
            out = shared * 2.0 + shared  # d/dshared = 3 per pass, two closures into the leaf
            for _ in range(20):  # a longer pass: more chances for another thread's pass to cut in
                out = out * 1.0
            (out if engine == "value" else out.sum()).backward()

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    expected = 3.0 * threads * passes
    assert (shared.grad == expected) if engine == "value" else (shared.grad.tolist() == [expected, expected])


def test_module_calls_in_two_threads_tag_each_output_with_its_own_model():
    first, second = Sequential(Linear(2, 3, seed=0), ReLU()), Sequential(Linear(2, 3, seed=1), ReLU())
    x = Tensor(np.ones((1, 2)))
    tags: dict[str, list] = {"first": [], "second": []}
    start = threading.Barrier(2)

    def work(name, model):
        start.wait()
        for _ in range(300):
            out = model(x)
            call, inner = module_call(out), module_call(out._prev[0])
            tags[name].append((call.module, call.outermost, inner.module))

    workers = [threading.Thread(target=work, args=a) for a in (("first", first), ("second", second))]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert set(tags["first"]) == {(first[1], first, first[0])}
    assert set(tags["second"]) == {(second[1], second, second[0])}


def test_an_output_does_not_keep_another_threads_model_alive():
    kept = Sequential(Linear(2, 2, seed=0))
    other = Sequential(Linear(2, 2, seed=1))
    gone = weakref.ref(other)

    def call_and_drop(model):
        model(Tensor(np.ones((1, 2))))

    worker = threading.Thread(target=call_and_drop, args=(other,))
    worker.start()
    worker.join()
    out = kept(Tensor(np.ones((1, 2))))  # a later call in this thread
    del other
    gc.collect()
    assert gone() is None and module_call(out).outermost is kept


def test_one_activation_used_in_two_layers_is_two_layers_in_the_history_as_in_dead_units():
    act = ReLU()
    model = Sequential(Linear(2, 4, seed=3), act, Linear(4, 4, seed=4), act, Linear(4, 1, seed=5))
    with_bias = model[2].bias
    with_bias.data[:] = [-50.0, -50.0, 0.0, 0.0]  # two units of the second layer <= 0 on every sample
    X = np.array([[1.0, 2.0], [-1.0, 0.5], [0.5, -1.5], [2.0, 0.0]])
    y = np.array([1, 0, 1, 0])
    reports = dead_units(model, Tensor(X))
    result = fit(model, HEADS["bce"], SGD(model.parameters(), lr=0.0), X, y, 1)
    assert [r.layer for r in reports] == [1, 2] and result.history.rectifiers == ["layer 1", "layer 2"]
    assert result.history.dead_share[0] == [r.fraction for r in reports]
    assert reports[1].dead >= 2


def test_dead_units_inside_a_rectifier_watch_leaves_the_watch_working():
    model = Sequential(Linear(2, 3, seed=0), ReLU(), Linear(3, 1, seed=1))
    x = Tensor(np.array([[1.0, 2.0], [-1.0, 0.5]]))
    with RectifierWatch(model) as watch:
        inner = dead_units(model, x)
        model(x)
    assert watch.shares() == [inner[0].fraction]


@pytest.mark.parametrize("make", [lambda: Value(2.0) * 3.0, lambda: Tensor([2.0], requires_grad=True) * 3.0])
def test_deep_copying_a_node_inside_a_graph_is_refused_as_in_pytorch(make):
    with pytest.raises(RuntimeError, match="only a leaf"):
        copy.deepcopy(make())


def test_a_deep_copied_leaf_is_its_own():
    v, t = Value(2.0, "v"), Tensor([1.0, 2.0], requires_grad=True, label="t")
    (v * v).backward()
    (t * t).sum().backward()
    v2, t2 = copy.deepcopy(v), copy.deepcopy(t)
    (v2 * 3.0).backward()
    (t2 * 3.0).sum().backward()
    assert (v.grad, v2.grad, v2.label) == (4.0, 7.0, "v")
    assert t.grad.tolist() == [2.0, 4.0] and t2.grad.tolist() == [5.0, 7.0] and t2.requires_grad
    t2.data[0] = 9.0
    assert t.data[0] == 1.0


@pytest.mark.parametrize("engine", [Value, Tensor])
def test_custom_op_takes_none_as_no_gradient_in_both_engines(engine):
    a, b = (Value(2.0), Value(3.0)) if engine is Value else (Tensor(2.0, requires_grad=True), Tensor(3.0, True))
    out = engine.custom_op(6.0, (a, b), lambda g: (None, g * 2.0), op="half")
    out.backward()
    assert float(a.grad) == 0.0 if engine is Value else a.grad is None
    assert float(b.grad) == 2.0


@pytest.mark.parametrize("engine", [Value, Tensor])
@pytest.mark.parametrize("returned", [1.0, np.array(1.0)])
def test_custom_op_names_itself_when_one_gradient_comes_back_for_two_parents(engine, returned):
    a, b = (Value(2.0), Value(3.0)) if engine is Value else (Tensor(2.0, requires_grad=True), Tensor(3.0, True))
    out = engine.custom_op(6.0, (a, b), lambda g: returned, op="pair")
    with pytest.raises(TypeError, match="backward of op 'pair' returned .* for 2 parents"):
        out.backward()


def test_a_value_of_a_value_says_what_to_pass():
    with pytest.raises(TypeError, match="Value data must be a number, got a Value: use the Value itself"):
        Value(Value(2.0))


def test_a_module_takes_keyword_arguments_and_its_hooks_see_the_call():
    class Scaled(Module):
        def forward(self, x, scale=1.0):
            return x * scale

    module, seen = Scaled(), []
    handle = module.register_forward_hook(lambda m, args, out: seen.append((args, out.data)))
    x = Value(2.0)
    out = module(x, scale=3.0)
    assert out.data == 6.0 and seen == [((x,), 6.0)]
    handle.remove()
    module(x, scale=4.0)
    assert len(seen) == 1


def test_a_forward_hook_may_replace_the_output():
    layer = Linear(2, 1, seed=0)
    with layer.register_forward_hook(lambda m, args, out: out * 0.0):
        assert layer(Tensor(np.ones((1, 2)))).data.tolist() == [[0.0]]
    assert layer(Tensor(np.ones((1, 2)))).data.tolist() != [[0.0]]


@pytest.mark.parametrize("engine", [Value, Tensor])
def test_a_custom_op_named_by_a_non_string_is_refused_at_once(engine):
    with pytest.raises(TypeError, match="custom_op's op must be a string"):
        engine.custom_op(1.0, (engine(1.0),), lambda g: g, op=123)


def test_value_losses_average_by_dividing_as_pytorch_does():
    from tinygrad_relu.losses import mse_loss

    preds, targets = [Value(0.251), Value(0.91), Value(0.983)], [0.0, 0.0, 0.0]  # where * (1/3) is an ulp off
    assert mse_loss(preds, targets).data == (0.251**2 + 0.91**2 + 0.983**2) / 3
