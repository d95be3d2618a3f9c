"""trace: the program gives the eager engine's loss and gradients bit for bit, for every op of the shared table on
both engines and on random graphs, or refuses with an error that says why."""

import gc
import re
import weakref

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from optable import OPS, TENSOR_OPS, TENSOR_SHAPES, TENSOR_SHAPES_OF

from tinygrad_relu import Tensor, TraceError, Value, trace


def bits(x):
    """A number or array as bytes: equal bytes means the same float64 numbers, signed zeros and nans included."""
    return np.asarray(x, dtype=np.float64).tobytes(), np.shape(x)


def same(a, b):
    return bits(a) == bits(b)


def eager_then_traced(f, params, program, data=(), eager_args=None, calls=1):
    """(eager loss, eager grads, traced loss, traced grads), each run ``calls`` times from the same gradients."""
    held = [p.grad.copy() if isinstance(p.grad, np.ndarray) else p.grad for p in params]
    for _ in range(calls):
        loss = f(*(eager_args if eager_args is not None else params))
        loss.backward()
    eager = [p.grad.copy() if isinstance(p.grad, np.ndarray) else p.grad for p in params]
    for p, g in zip(params, held):
        p.grad = g
    for _ in range(calls):
        traced = program(*data)
    return loss.data, eager, traced, [p.grad for p in params]


def assert_exact(eager_loss, eager, traced_loss, traced):
    assert same(eager_loss, traced_loss), (eager_loss, traced_loss)
    for i, (a, b) in enumerate(zip(eager, traced)):
        assert same(a, b), (i, a, b)


def _draw(rng, domain, shape=()):
    low, high = domain
    return rng.uniform(low, high, shape)


@pytest.mark.parametrize("name, fn, arity, domain", OPS, ids=[row[0] for row in OPS])
def test_every_op_of_the_table_on_values_traced_bit_for_bit(name, fn, arity, domain):
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    xs = [Value(float(v)) for v in _draw(rng, domain, arity)]
    upstream = float(rng.uniform(0.5, 2.0))

    def f(*vs):
        return fn(*vs) * upstream

    program = trace(f, *xs)
    for _ in range(3):  # fresh inputs each time: parameters are read from their nodes at every call
        for x, v in zip(xs, _draw(rng, domain, arity)):
            x.data, x.grad = float(v), float(rng.uniform(-1, 1))
        assert_exact(*eager_then_traced(f, xs, program))
    assert_exact(*eager_then_traced(f, xs, program, calls=2))  # two calls add twice, as two backward() do


@pytest.mark.parametrize(
    "name, fn, arity, domain", [row for row in OPS if row[2] >= 2], ids=[r[0] for r in OPS if r[2] >= 2]
)
def test_every_op_of_the_table_on_values_with_its_first_input_as_new_data(name, fn, arity, domain):
    rng = np.random.default_rng(abs(hash(name + "data")) % 2**32)
    params = [Value(float(v), f"p{i}") for i, v in enumerate(_draw(rng, domain, arity - 1))]

    def f(x, *ps):  # the data element is a Value leaf while tracing: the op on it is in the graph
        first = x[0] if isinstance(x[0], Value) else Value(x[0])  # eager: a number, made a leaf as w * 2.0 makes one
        return fn(first, *ps) * 1.5

    program = trace(f, [float(_draw(rng, domain))], *params)
    for _ in range(3):
        x = [float(_draw(rng, domain))]
        assert_exact(*eager_then_traced(f, params, program, data=(x,), eager_args=(x, *params)))


def _tensor_cases():
    for name, fn, arity, domain in OPS:
        for shapes in TENSOR_SHAPES_OF.get(name, TENSOR_SHAPES):
            yield pytest.param(name, fn, list(shapes[:arity]), domain, id=f"{name}-{shapes[:arity]}")
    for name, fn, shapes, domain in TENSOR_OPS:
        yield pytest.param(name, fn, shapes, domain, id=name)


@pytest.mark.parametrize("name, fn, shapes, domain", list(_tensor_cases()))
def test_every_op_of_the_table_on_tensors_traced_bit_for_bit(name, fn, shapes, domain):
    rng = np.random.default_rng(abs(hash(name + str(shapes))) % 2**32)
    ts = [Tensor(_draw(rng, domain, s), requires_grad=True) for s in shapes]
    upstream = rng.uniform(0.5, 2.0, np.shape(fn(*ts).data))

    def f(*args):
        return (fn(*args) * Tensor(upstream)).sum()

    program = trace(f, *ts)
    for _ in range(3):
        for t, s in zip(ts, shapes):
            t.data[...] = _draw(rng, domain, s)  # in place, as an optimizer updates a parameter
            t.grad = rng.uniform(-1, 1, s) if rng.random() < 0.5 else None
        assert_exact(*eager_then_traced(f, ts, program))
    assert_exact(*eager_then_traced(f, ts, program, calls=2))


@pytest.mark.parametrize("name, fn, shapes, domain", [c for c in _tensor_cases() if len(c.values[2]) >= 2])
def test_table_ops_with_their_first_input_as_new_data(name, fn, shapes, domain):
    rng = np.random.default_rng(abs(hash(name + str(shapes) + "data")) % 2**32)
    ts = [Tensor(_draw(rng, domain, s), requires_grad=True) for s in shapes[1:]]
    x = np.asarray(_draw(rng, domain, shapes[0]))  # a 0-d array too: one number is data as well
    upstream = rng.uniform(0.5, 2.0, np.shape(fn(Tensor(x), *ts).data))

    def f(x, *params):  # Tensor(x) of the data leaf trace made is that leaf: the ops on it are in the graph
        return (fn(Tensor(x), *params) * Tensor(upstream)).sum()

    program = trace(f, x, *ts)
    for _ in range(2):
        x = np.asarray(_draw(rng, domain, shapes[0]))
        assert_exact(*eager_then_traced(f, ts, program, data=(x,), eager_args=(x, *ts)))


def _build(pool, plan, table):
    """A random graph: each step applies a table op to nodes picked from the pool (so nodes are shared)."""
    for op, picks in plan:
        _, fn, arity, _ = table[op % len(table)]
        pool.append(fn(*[pool[k % len(pool)] for k in picks[:arity]]))
    return pool[-1]


PLAN = st.lists(st.tuples(st.integers(0, 10**6), st.lists(st.integers(0, 10**6), min_size=2, max_size=2)), min_size=1)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    values=st.lists(st.floats(-3, 3), min_size=1, max_size=4), plan=PLAN.map(lambda p: p[:12]), seed=st.integers(0, 99)
)
def test_random_value_graphs_traced_bit_for_bit(values, plan, seed):
    xs = [Value(v) for v in values]

    def f(*vs):
        root = _build(list(vs), plan, OPS)
        return root * 1.5 + vs[0] if root._prev or vs[0] is not root else root * 1.5

    program = trace(f, *xs)
    rng = np.random.default_rng(seed)
    for x in xs:
        x.data = float(rng.uniform(-3, 3))
    assert_exact(*eager_then_traced(f, xs, program))


ELEMENTWISE = [row for row in OPS if not row[0].startswith("prelu")]


@settings(max_examples=40, deadline=None, derandomize=True)
@given(plan=PLAN.map(lambda p: p[:10]), seed=st.integers(0, 99))
def test_random_tensor_graphs_traced_bit_for_bit(plan, seed):
    rng = np.random.default_rng(seed)
    ts = [Tensor(rng.uniform(-3, 3, s), requires_grad=True) for s in [(2, 3), (3,), (2, 3)]]

    def f(*args):
        return (_build(list(args), plan, ELEMENTWISE) * Tensor([[1.0, -2.0, 0.5], [0.25, 3.0, -1.0]])).sum()

    program = trace(f, *ts)
    for t in ts:
        t.data[...] = rng.uniform(-3, 3, t.shape)
    assert_exact(*eager_then_traced(f, ts, program))


def test_an_op_without_a_code_rule_is_refused_by_name():
    w = Value(2.0)
    with pytest.raises(TraceError, match="op 'my_square' was made by custom_op"):
        trace(lambda w: Value.custom_op(w.data**2, (w,), lambda g: 2 * w.data * g, op="my_square") * 1.0, w)
    t = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TraceError, match="op 'twice'"):
        trace(lambda t: Tensor.custom_op(t.data * 2, (t,), lambda g: 2 * g, op="twice").sum(), t)


# --- the README's use, the limits, fit ------------------------------------------------------------------------

import copy  # noqa: E402

from tinygrad_relu import losses  # noqa: E402
from tinygrad_relu.data import make_moons  # noqa: E402
from tinygrad_relu.nn import MLP, mlp  # noqa: E402
from tinygrad_relu.optim import SGD, Adam  # noqa: E402
from tinygrad_relu.train import HEADS, fit  # noqa: E402

XOR = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([0.0, 1.0, 1.0, 0.0])


def tensor_loss(model, X, y):
    return losses.mse_loss(model(Tensor(X)), y)


def value_loss(model, X, y):
    return losses.hinge_loss([model(row) for row in X.tolist()], y.tolist())


@pytest.mark.parametrize("engine", ["tensor", "value"])
def test_the_readme_example_trains_on_new_data_as_eager_does(engine):
    build, loss_of = (mlp, tensor_loss) if engine == "tensor" else (MLP, value_loss)
    X, y = make_moons(20, seed=0)
    y = 2.0 * y - 1.0
    model = build(2, [6, 1], activation="leaky_relu", seed=0)
    twin = copy.deepcopy(model)
    step = trace(loss_of, model, X, y)
    opt, twin_opt = SGD(model.parameters(), lr=0.1), SGD(twin.parameters(), lr=0.1)
    for seed in range(1, 4):  # new data every step, and the optimizer's in-place updates in between
        X2, y2 = make_moons(20, seed=seed)
        y2 = 2.0 * y2 - 1.0
        twin_opt.zero_grad()
        eager = loss_of(twin, X2, y2)
        eager.backward()
        opt.zero_grad()
        traced = step(X2, y2)
        assert same(eager.data, traced)
        for p, q in zip(model.parameters(), twin.parameters()):
            assert same(p.grad, q.grad)
        opt.step()
        twin_opt.step()


def test_other_shapes_or_arguments_are_refused():
    model = mlp(2, [4, 1], seed=0)
    step = trace(tensor_loss, model, XOR, XOR_Y)
    with pytest.raises(ValueError, match=r"shape \(3, 2\).*traced with shape \(4, 2\)"):
        step(XOR[:3], XOR_Y[:3])
    with pytest.raises(TypeError, match="takes 2 data argument"):
        step(XOR)


def test_a_python_decision_on_the_data_is_refused_naming_its_line():
    w = Value(0.5, "w")

    def branchy(w, x):  # the data are nodes while tracing: an if on one is a number leaving the graph
        return w * x[0] if x[0] > 0 else (w * x[0]).relu() * 2.0

    with pytest.raises(TraceError, match=r"a comparison of the data .*test_trace.py, line \d+: return w \* x\[0\] if"):
        trace(branchy, w, [1.0, 2.0])
    for leak in (lambda w, x: w * float(x[0]), lambda w, x: w * x[0].data, lambda w, x: w * (1.0 if x[1] else 2.0)):
        with pytest.raises(TraceError, match="of the data while tracing"):
            trace(leak, w, [1.0, 2.0])
    t = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TraceError, match=r"np.asarray\(\) of the data"):
        trace(lambda t, x: (t * Tensor(np.asarray(x) * 2.0)).sum(), t, np.array([1.0, 2.0]))


def test_a_number_taken_out_of_a_node_computed_while_tracing_is_refused_naming_its_line():
    # a node computed from the data (or from the parameters, which change at every step) would be fixed in the
    # program as the number it had while tracing: on new data, 0.5 * (3.0 * 2.0) would still read 0.5 * 2.0
    w = Value(0.5, "w")
    leaks = [
        lambda w, x: w * (x[0] * 2.0).data,
        lambda w, x: w * float(x[0] * 2.0),
        lambda w, x: w * (2.0 if x[0] + 1.0 else 3.0),
        lambda w, x: w * (x[0] * 2.0).detach(),
        lambda w, x: w * (sum(x) * (1.0 / len(x))).data,  # y.mean() taken out as a number
        lambda w, x: w * (w * 2.0).data + x[0],  # a parameter's node: its number changes at every step
    ]
    for leak in leaks:
        with pytest.raises(TraceError, match=r"of a node computed while tracing \(.*test_trace.py, line \d+: "):
            trace(leak, w, [1.0, 2.0])
    t = Tensor([1.0, 2.0], requires_grad=True)
    tensor_leaks = (
        lambda t, x: t * (t * x).data,
        lambda t, x: t * (x * 2.0).numpy(),
        lambda t, x: t * (x.sum()).item(),
        lambda t, x: t * Tensor(x * 2.0),  # a copy: a new leaf, whose numbers the program would keep
    )
    for leak in tensor_leaks:
        with pytest.raises(TraceError, match="of a node computed while tracing"):
            trace(lambda t, x, leak=leak: leak(t, x).sum(), t, np.array([1.0, 2.0]))
    # the same number read through the graph replays: 0.5 * (3.0 * 2.0) = 3.0
    assert trace(lambda w, x: w * (x[0] * 2.0), w, [1.0, 2.0])([3.0, 4.0]) == 3.0


def test_the_nodes_a_recording_made_are_plain_nodes_after_it():
    w, kept = Value(0.5, "w"), []

    def loss(w, x):
        z = w * x[0]
        kept.append(z)
        return z.relu(), z

    step = trace(loss, w, [1.0, 2.0])
    assert type(kept[0]) is Value and kept[0].data == 0.5  # once the recording is over, its number may be read
    assert step([3.0, 4.0]) == (1.5, 1.5)


def test_check_mode_refuses_a_call_whose_graph_changed():
    w = Value(0.5, "w")
    shape = {"relu": False}

    def switched(w, x):  # a decision on something else than the data: the trace fixes the branch it took
        z = w * x[0]
        return z.relu() * 2.0 if shape["relu"] else z

    step = trace(switched, w, [1.0, 2.0], check=True)
    assert step([3.0, 1.0]) == 1.5
    model, hinge = _hinge_xor("value")
    checked = trace(hinge, model, XOR, 2.0 * XOR_Y - 1.0, check=True)  # an op on the data is no change of graph
    assert_replays(checked, hinge, model, XOR, 1.0 - 2.0 * XOR_Y)
    shape["relu"] = True
    with pytest.raises(TraceError, match="graph changed"):
        step([-3.0, 1.0])


def _hinge_xor(engine):
    """micrograd's demo loss on XOR, the labels +-1 passed as an argument, as a learner first writes it."""
    if engine == "value":
        model = MLP(2, [4, 1], seed=0)

        def loss(model, X, y):
            scores = [model(list(x)) for x in X]
            return sum((1 + -yi * score).relu() for yi, score in zip(y, scores)) * (1.0 / len(y))

    else:
        model = mlp(2, [4, 1], seed=0)

        def loss(model, X, y):
            return (1 + -Tensor(y) * model(Tensor(X)).reshape(-1)).relu().mean()

    return model, loss


def assert_replays(step, loss_of, model, *data):
    """The traced step on ``data`` gives the eager loss and every parameter's gradient, bit for bit."""
    model.zero_grad()
    eager = loss_of(model, *data)
    eager.backward()
    grads = [bits(p.grad) for p in model.parameters()]
    model.zero_grad()
    assert same(step(*data), eager.data)
    assert [bits(p.grad) for p in model.parameters()] == grads


@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_micrograds_demo_loss_and_a_mean_of_the_targets_trace_by_construction(engine):
    model, hinge = _hinge_xor(engine)
    labels = 2.0 * XOR_Y - 1.0
    step = trace(hinge, model, XOR, labels)
    for y in (-labels, np.array([1.0, 1.0, -1.0, 1.0])):  # new labels, each equal in value to others
        assert_replays(step, hinge, model, XOR, y)

    def centred(model, X, y):  # a number computed from the data (its mean) stays in the graph
        pred = model(Tensor(X)).reshape(-1) if engine == "tensor" else Tensor([0.0])
        if engine == "tensor":
            t = Tensor(y)
            return ((pred - (t - t.mean())) ** 2).mean()
        preds = [model(list(x)) for x in X]
        mean = sum(y) / len(y)
        return sum((p - (t - mean)) ** 2 for p, t in zip(preds, y)) / len(y)

    step = trace(centred, model, XOR, np.array([3.0, 5.0, 7.0, 9.0]))
    assert_replays(step, centred, model, XOR, np.array([10.0, -4.0, 2.5, 30.0]))


def test_labels_used_as_an_index_must_be_closed_over():
    model = mlp(2, [4, 3], seed=0)
    labels = np.array([0, 2, 1, 1])
    with pytest.raises(TraceError, match="labels are a data argument of trace"):
        trace(lambda model, X, k: losses.cross_entropy(model(Tensor(X)), k), model, XOR, labels)
    rows = MLP(2, [3, 3], seed=0)
    with pytest.raises(TraceError, match="labels are a data argument of trace"):
        trace(lambda m, X, k: losses.cross_entropy([m(list(x)) for x in X], list(k)), rows, XOR, labels)


@pytest.mark.parametrize(
    "engine, head, activation",
    [
        ("tensor", "bce", "leaky_relu"),
        ("tensor", "ce", "relu"),
        ("tensor", "mse", "prelu"),
        ("tensor", "hinge", "tanh"),
        ("value", "bce", "leaky_relu"),
        ("value", "ce", "relu"),
        ("value", "hinge", "prelu"),
    ],
)
def test_a_traced_fit_gives_the_eager_history_bit_for_bit(engine, head, activation):
    X, y = make_moons(12, seed=0)
    build = mlp if engine == "tensor" else MLP
    model = build(2, [5, 4, 2 if head == "ce" else 1], activation=activation, seed=0)
    twin = copy.deepcopy(model)
    eager = fit(model, HEADS[head], Adam(model.parameters(), lr=0.05), X, y, 6).history
    traced = fit(twin, HEADS[head], Adam(twin.parameters(), lr=0.05), X, y, 6, traced=True).history
    assert repr(eager) == repr(traced)  # repr: nan equals nan, every digit of every float
    assert len(traced.dead_share[0]) == (0 if activation == "tanh" else 2)  # two rectifier layers watched
    assert [bits(p.data) for p in model.parameters()] == [bits(p.data) for p in twin.parameters()]


# --- the source reads like hand-written backprop --------------------------------------------------------------

from tinygrad_relu.engine.graph import backward_order, topological_order  # noqa: E402
from tinygrad_relu.tracing import graph_source_lines  # noqa: E402


def test_the_xor_network_on_tensors_reads_like_hand_written_backprop():
    model = mlp(2, [8, 1], activation="leaky_relu", alpha=0.1, seed=0)
    step = trace(tensor_loss, model, XOR, XOR_Y)
    source = step.source
    compile(source, "<xor>", "exec")
    for landmark in [
        "def step(P, C, X, y):",
        "W1 = P[0].data",
        "z1 = np.dot(x, W1.T) + b1",
        "slope_h1 = np.where(z1 > 0.0, 1.0, 0.1)",  # the leaky slope, its exact alpha
        "h1 = z1 * slope_h1",
        "# z2 = linear(h1, W2, b2)",
        "d_h1 = np.dot(d_z2, W2)",
        "# h1 = leaky_relu(z1, alpha=0.1)",
        "d_z1 = d_h1 * slope_h1",
        "d_W1 = np.dot(d_z1.T, x)",
        "d_b1 = d_z1.sum(axis=0)",
        "P[0].grad = d_W1 if P[0].grad is None else d_W1 + P[0].grad",
    ]:
        assert landmark in source, landmark
    lines = step.source_lines()
    assert ["    " + text for text, _, _ in lines] == source.splitlines()[1 : 1 + len(lines)]


def test_names_come_from_labels_and_module_paths_and_blocks_follow_the_walker():
    model = MLP(2, [3, 1], activation="leaky_relu", seed=0)
    step = trace(value_loss, model, XOR, 2.0 * XOR_Y - 1.0)
    source = step.source
    assert "w1_2_1 = P[" in source and "b2_1 = P[" in source  # MLP's labels w1.2.1, b2.1
    assert "x_0_0 = X[0][0]" in source  # data leaves by their place in the argument
    assert "for k in range(1, 4):" in source and "x_0 = X[k][0]" in source  # the alike samples: one block, a loop
    assert "in reversed(saved):" in source  # and backwards, last sample first, as the walker goes
    loss = value_loss(model, XOR, 2.0 * XOR_Y - 1.0)
    order = topological_order(loss)
    index = {id(n): i for i, n in enumerate(order)}
    lines = graph_source_lines(loss)  # the same writer, on the eager graph's own order
    comments = [i for text, i, phase in lines if phase == "backward" and text.startswith("# ")]
    assert comments == [index[id(n)] for n in backward_order(loss)]  # one block per closure, in the walker's order
    for text, i, phase in lines:
        if phase == "forward" and i >= 0 and order[i]._prev:
            assert text.split(" = ")[0].isidentifier()
    with_l2 = 1e-4 * sum(p * p for p in model.parameters()) + value_loss(model, XOR, 2.0 * XOR_Y - 1.0)
    lines = graph_source_lines(with_l2)  # a picture's code: every node its own block, the sum of squares too
    index = {id(n): i for i, n in enumerate(topological_order(with_l2))}
    comments = [i for text, i, phase in lines if phase == "backward" and text.startswith("# ")]
    assert comments == [index[id(n)] for n in backward_order(with_l2)]
    assert not any(text.startswith("for ") for text, _, _ in lines)
    sequential = mlp(2, [4, 1], seed=0)
    for layer in sequential.layers:
        for p in layer.parameters():
            p.label = ""
    assert "p_0_weight = P[0].data" in trace(tensor_loss, sequential, XOR, XOR_Y).source  # its path, 0.weight


def test_the_notebook_exercise_checks_a_layer_backward_with_random_upstream_gradients():
    from tinygrad_relu.exercises import check_layer_backward

    def answer(x, W, b, d_h, alpha=0.2, threshold=0.0, bias_sum=True):
        z = x @ W.T + b
        d_z = d_h * np.where(z > threshold, 1.0, alpha)
        return d_z @ W, d_z.T @ x, d_z.sum(axis=0) if bias_sum else d_z.mean(axis=0)

    assert check_layer_backward(answer).ok
    assert "just above 0" in str(check_layer_backward(lambda *a: answer(*a, threshold=0.2)))
    assert "every row sends it" in str(check_layer_backward(lambda *a: answer(*a, bias_sum=False)))
    assert check_layer_backward(lambda x, W, b, d_h: None).status == "todo"


@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_the_command_line_trains_traced_to_the_same_numbers(capsys, engine):
    from tinygrad_relu.cli import main

    def run(*extra):
        assert main(["--epochs", "20", "--engine", engine, *extra]) == 0
        out = capsys.readouterr().out
        return [re.sub(r"\(\d+\.\d s\)", "", line) for line in out.splitlines()]  # the time differs

    assert run("--traced") == run()


# --- names a compiler cannot confuse; ops said once ------------------------------------------------------------


def _traced_and_eager(f, params, *data):
    step = trace(f, *params, *data)
    for p in params:
        p.grad = 0.0
    loss = f(*params, *data)
    loss.backward()
    eager = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    assert same(step(*data), loss.data) and [p.grad for p in params] == eager
    return step


@pytest.mark.parametrize(
    "labels", [("a", "ａ"), ("w", "d_w"), ("w₁", "x²"), ("abs", "max"), ("P", "P_"), ("step", "class"), ("_h", "1x")]
)
def test_labels_that_python_would_confuse_get_names_of_their_own(labels):
    a, b = Value(2.0, labels[0]), Value(-3.0, labels[1])
    step = _traced_and_eager(lambda a, b, x: (a * b * a + b * x[0]).leaky_relu(0.2) * a, [a, b], [0.5, 1.0])
    assert step.source.isascii()


def test_an_op_name_with_a_newline_changes_no_statement():
    def forward(v):
        return v * 2.0

    def backward(out):
        (a,) = out._prev
        a.grad += 2.0 * out.grad

    x = Value(1.5, "x")
    step = _traced_and_eager(lambda x: Value.op("twice\nP[0].grad += 1000", (x,), forward, backward) * x, [x])
    assert "\nP[0].grad += 1000" not in step.source.replace("\n    ", "\n")
    assert sum(line.strip().startswith("P[0].grad") for line in step.source.splitlines()) == 1


def test_a_neuron_with_3000_inputs_traces_and_compiles():
    from tinygrad_relu.nn import Neuron

    neuron = Neuron(3000, seed=0)
    x = np.random.default_rng(0).uniform(-1, 1, 3000)
    step = trace(lambda n, x: n(list(x)) * 1.0, neuron, x)
    neuron.zero_grad()
    eager = neuron(list(x)) * 1.0
    eager.backward()
    grads = [p.grad for p in neuron.parameters()]
    neuron.zero_grad()
    assert same(step(x), eager.data) and [p.grad for p in neuron.parameters()] == grads


def test_a_value_op_closure_is_what_the_program_runs():
    x = Value(-0.5, "x")
    step = trace(lambda x: x.leaky_relu(0.2) * x, x)
    source = step.source
    assert "h1 = x if x > 0 else 0.2 * x" in source  # the forward table's line, the op's slope from its node
    assert "d_x += d_h1 if x > 0 else 0.2 * d_h1" in source  # the closure's `if`, run on names


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "prelu", "tanh"])
@pytest.mark.parametrize("head", ["mse", "bce", "hinge", "ce"])
def test_a_scalar_batch_is_one_block_in_a_loop_and_replays_bit_for_bit(head, activation):
    X, y = make_moons(9, seed=1)
    model = MLP(2, [4, 2 if head == "ce" else 1], activation=activation, seed=2)
    target = y if head in ("bce", "mse", "ce") else 2.0 * y - 1.0

    def loss_of(model, X, t):
        outs = [model(list(x)) for x in X]
        if head == "ce":
            return losses.cross_entropy(outs, [int(v) for v in target])  # labels closed over, as they must be
        return {"mse": losses.mse_loss, "bce": losses.binary_cross_entropy_with_logits, "hinge": losses.hinge_loss}[
            head
        ](outs, list(t))

    step = trace(loss_of, model, X, target)
    looped = "for k in range(" in step.source and "in reversed(saved):" in step.source
    assert looped == (head != "ce")  # each sample's label is its cross-entropy op's parameter: no two blocks alike
    for seed in (3, 4):
        assert_replays(step, loss_of, model, make_moons(9, seed=seed)[0], target)


def _moons_with_l2(l2_first=False, of=None):
    """micrograd's moons loss: the hinge over the samples plus 1e-4 times the sum of the parameters squared (of all of
    them, or of ``of(model)``'s), that sum first or last."""

    def loss_of(model, X, y):
        scores = [model(list(x)) for x in X]
        data_loss = sum((1 + -yi * score).relu() for yi, score in zip(y, scores)) * (1.0 / len(scores))
        reg_loss = 1e-4 * sum(p * p for p in (of(model) if of else model.parameters()))
        return reg_loss + data_loss if l2_first else data_loss + reg_loss

    return loss_of


@pytest.mark.parametrize("width", [4, 16])
@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
def test_a_sum_over_the_parameters_is_one_block_in_a_loop_and_replays_bit_for_bit(activation, width):
    X, y = make_moons(12, noise=0.1, seed=1)
    model, loss_of = MLP(2, [width, width, 1], activation=activation, seed=1337), _moons_with_l2()
    step = trace(loss_of, model, X, 2.0 * y - 1.0)
    source = step.source
    count = len(model.parameters())
    assert f"# the same block for each parameter in turn: P[0] to P[{count - 1}]" in source
    carried_in = r"\n    add\d+ = 0\.0  # the running value the loop carries in\n    saved_params = "
    assert re.search(carried_in, source)  # sum() starts from 0: the first block is in the loop too
    assert f"for k in range({count}):\n        p = P[k].data\n        mul" in source
    assert f"    d_P = [0.0] * {count}  # each parameter's gradient so far" in source  # the sum's backward runs first
    assert source.count("        d_P[k] += p * d_mul") == 2  # p * p: both of its parents are p
    assert "for k in range(12):" in source and "in reversed(saved):" in source  # every sample's block in a loop
    for seed in (2, 3):
        x2, y2 = make_moons(12, noise=0.1, seed=seed)
        assert_replays(step, loss_of, model, x2, 2.0 * y2 - 1.0)
    model.zero_grad()  # two calls add twice into the gradients, as two backward passes do
    for _ in range(2):
        loss_of(model, X, 2.0 * y - 1.0).backward()
    twice = [bits(p.grad) for p in model.parameters()]
    model.zero_grad()
    step(X, 2.0 * y - 1.0)
    step(X, 2.0 * y - 1.0)
    assert [bits(p.grad) for p in model.parameters()] == twice


@pytest.mark.parametrize("l2_first", [False, True])
def test_the_parameters_loop_on_xor_and_with_the_sum_of_squares_before_the_data_loss(l2_first):
    model, loss_of = MLP(2, [4, 1], seed=0), _moons_with_l2(l2_first)
    labels = 2.0 * XOR_Y - 1.0
    step = trace(loss_of, model, XOR, labels)
    source = step.source
    count = len(model.parameters())
    assert f"for k in range({count}):\n        p = P[k].data" in source
    assert "for k in range(4):" in source
    if l2_first:  # the samples' backward has started every gradient when the sum's runs: the loop adds to them
        assert "    d_P = [d_w1_1_1, d_w1_1_2, d_b1_1, " in source
    for y in (labels, -labels, np.array([1.0, 1.0, -1.0, 1.0])):
        assert_replays(step, loss_of, model, XOR, y)


def test_a_sum_over_some_of_the_parameters_loops_over_their_places_in_p():
    model = MLP(2, [4, 4, 1], seed=5)
    loss_of = _moons_with_l2(of=lambda model: model.layers[1].parameters())  # P[12] to P[31]
    X, y = make_moons(6, noise=0.1, seed=4)
    step = trace(loss_of, model, X, 2.0 * y - 1.0)
    assert "# the same block for each parameter in turn: P[12] to P[31]" in step.source
    assert "for k in range(12, 32):\n        p = P[k].data" in step.source
    assert_replays(step, loss_of, model, *make_moons(6, noise=0.1, seed=5))


def test_a_loss_that_is_a_sum_over_the_samples_loops_from_its_first_sample_and_keeps_signed_zeros():
    w = Value(-2.0, "w")

    def loss_of(w, X):  # the loss is the running total itself: nothing after the loop
        return sum(w * x[0] for x in X)

    X = np.array([[0.0], [-0.0], [0.0], [1.5], [-0.0]])
    step = trace(loss_of, w, X)
    assert "    add1 = 0.0  # the running value the loop carries in" in step.source
    assert (
        "    for k in range(5):\n        x_0 = X[k][0]\n        mul1 = w * x_0\n        add1 = add1 + mul1"
        in step.source
    )
    for data in (X, -X, np.array([[-0.0]] * 5), np.array([[1.0], [-1.0], [0.5], [-0.5], [-0.0]])):
        w.grad = 0.0
        eager = loss_of(w, [[Value(float(v))] for v in data[:, 0]])
        eager.backward()
        grad, w.grad = w.grad, 0.0
        assert same(step(data), eager.data) and same(w.grad, grad)


def test_a_square_s_backward_reads_as_written_by_hand():
    x = Value(3.0, "x")
    source = _traced_and_eager(lambda x: x**2 * 0.5, [x]).source
    assert "d_x = 2.0 * x * d_pow1" in source  # x ** (2 - 1) is x itself, bit for bit


def test_log_softmax_beside_logsumexp_replays_bit_for_bit_with_initial_only_on_an_empty_axis():
    # the engine's log_softmax and logsumexp take np.max(..., initial=-inf), so that an empty axis gives -inf; the
    # program knows the shapes, and writes that (0.6 us of T4's 40 us step) only where an axis is empty. Both add
    # into w's gradient, the second a difference: d_w + (a - b), which was written d_w + a - b (1.1e-16 off)
    for shape, initial in (((2, 0), True), ((2, 3), False)):
        w = Tensor(np.arange(float(np.prod(shape))).reshape(shape), requires_grad=True)
        b = Tensor(np.ones(3), requires_grad=True)

        def f(w, b):
            return w.log_softmax(axis=1).sum() + w.logsumexp(axis=1).sum() + b.sum()

        step = trace(f, w, b)
        assert step.source.count("initial=-np.inf") == (2 if initial else 0)
        eager = f(w, b)
        eager.backward()
        grads = [w.grad.copy(), b.grad.copy()]
        w.zero_grad(), b.zero_grad()
        assert step() == eager.data
        assert all(np.array_equal(p.grad, g) for p, g in zip((w, b), grads)), (shape, [p.grad for p in (w, b)], grads)


def test_the_recorded_graph_is_freed_when_trace_returns_without_a_collection():
    # the graph and the writing hold no reference cycle (a Fork kept with its traceback once held the whole
    # graph), so the memory of the recording is back before the program is compiled, with the collector off
    model, kept = MLP(2, [4, 1], seed=0), []

    def loss(model, X, y):
        scores = [model(list(x)) for x in X]
        kept.append(weakref.ref(scores[0]))
        return sum((1 + -yi * s).relu() for yi, s in zip(y, scores)) * 0.25

    gc.collect()
    gc.disable()
    try:
        step = trace(loss, model, XOR, 2.0 * XOR_Y - 1.0)
        assert kept[0]() is None
        assert gc.collect() == 0
    finally:
        gc.enable()
    assert_replays(step, loss, model, XOR, 1.0 - 2.0 * XOR_Y)


def test_nodes_returned_beside_the_loss_from_inside_a_loop_give_their_own_sample():
    # each sample's score lives in the loop's block: the program returns it from where the forward loop saved it,
    # not by the block's name, which the loops take over (it gave sample 0's score for every sample)
    X, y = make_moons(8, noise=0.1, seed=1)
    y = 2 * y - 1
    model = MLP(2, [3, 1], seed=0)

    def loss(model, X, y):
        scores = [model(list(x)) for x in X]
        hinges = [(1 + -yi * s).relu() for yi, s in zip(y, scores)]
        total = sum(hinges)
        squares = [p * p for p in model.parameters()]
        return total * (1.0 / len(y)) + 1e-4 * sum(squares), scores, total, squares[4]

    step = trace(loss, model, X, y)
    assert "for k in range(8):" in step.source and "for k in range(13):" in step.source
    X2, y2 = make_moons(8, noise=0.2, seed=2)
    y2 = 2 * y2 - 1
    got = step(X2, y2)
    eager, scores, total, square = loss(model, X2, y2)
    assert got == (eager.data, [s.data for s in scores], total.data, square.data)
    assert len(set(got[1])) == 8
