"""Gradients of gradients: ``grad(..., create_graph=True)`` on every op of the op table, both engines, against
``torch.autograd.grad(..., create_graph=True)``; at the kinks; on random graphs; ``hessian`` and ``hvp`` on a
small network's loss; ``gradgradcheck``; and what refuses (custom_op, trace)."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from needs import require_torch
from optable import OPS, TENSOR_OPS, TENSOR_SHAPES, TENSOR_SHAPES_OF

from tinygrad_relu import GradcheckError, Tensor, TraceError, Value, grad, gradgradcheck, hessian, hvp, trace

torch = require_torch()
F = torch.nn.functional
TOL = 1e-10


class T:
    """A torch tensor behind the methods the op table calls (``x.leaky_relu(0.1)``, ``x.sum(axis=1)``)."""

    def __init__(self, t):
        self.t = t

    def _do(self, f, other, reflected=False):
        o = other.t if isinstance(other, T) else other
        return T(f(o, self.t) if reflected else f(self.t, o))

    __add__ = lambda s, o: s._do(torch.add, o)  # noqa: E731
    __radd__ = lambda s, o: s._do(lambda a, b: a + b, o, True)  # noqa: E731
    __sub__ = lambda s, o: s._do(lambda a, b: a - b, o)  # noqa: E731
    __rsub__ = lambda s, o: s._do(lambda a, b: a - b, o, True)  # noqa: E731
    __mul__ = lambda s, o: s._do(lambda a, b: a * b, o)  # noqa: E731
    __rmul__ = lambda s, o: s._do(lambda a, b: a * b, o, True)  # noqa: E731
    __truediv__ = lambda s, o: s._do(lambda a, b: a / b, o)  # noqa: E731
    __rtruediv__ = lambda s, o: s._do(lambda a, b: a / b, o, True)  # noqa: E731
    __pow__ = lambda s, o: s._do(lambda a, b: a**b, o)  # noqa: E731
    __rpow__ = lambda s, o: s._do(lambda a, b: a**b, o, True)  # noqa: E731
    __matmul__ = lambda s, o: s._do(lambda a, b: a @ b, o)  # noqa: E731
    __neg__ = lambda s: T(-s.t)  # noqa: E731
    exp = lambda s: T(s.t.exp())  # noqa: E731
    log = lambda s: T(s.t.log())  # noqa: E731
    tanh = lambda s: T(s.t.tanh())  # noqa: E731
    sigmoid = lambda s: T(s.t.sigmoid())  # noqa: E731
    relu = lambda s: T(s.t.relu())  # noqa: E731
    leaky_relu = lambda s, alpha=0.01: T(F.leaky_relu(s.t, alpha))  # noqa: E731

    def prelu(self, w):
        w = w.t if isinstance(w, T) else torch.tensor(float(w), dtype=torch.float64)
        x = self.t
        if w.numel() == 1:  # one slope for every element: as leaky_relu, with the slope a node
            return T(torch.where(x > 0, x, w.reshape(()) * x))
        return T(F.prelu(x, w))

    def sum(self, axis=None, keepdims=False):
        return T(self.t.sum() if axis is None else self.t.sum(dim=axis, keepdim=keepdims))

    def mean(self, axis=None, keepdims=False):
        return T(self.t.mean() if axis is None else self.t.mean(dim=axis, keepdim=keepdims))

    def max(self, axis=None, keepdims=False):
        return T(self.t.max() if axis is None else self.t.max(dim=axis, keepdim=keepdims).values)

    def log_softmax(self, axis=-1):
        return T(self.t.log_softmax(dim=axis))

    def logsumexp(self, axis=None):
        return T(torch.logsumexp(self.t, dim=tuple(range(self.t.dim())) if axis is None else axis))

    def reshape(self, *shape):
        return T(self.t.reshape(*shape))

    @property
    def T(self):
        return T(self.t.permute(*reversed(range(self.t.dim()))))

    def transpose(self, *axes):
        return T(self.t.permute(*axes))

    def __getitem__(self, index):
        if isinstance(index, tuple):
            index = tuple(torch.tensor(i) if isinstance(i, np.ndarray) else i for i in index)
        return T(self.t[index])

    def linear(self, w, b=None):
        return T(F.linear(self.t, w.t, None if b is None else b.t))


def _weights(shapes, seed):
    rng = np.random.default_rng(seed)
    return [rng.uniform(0.5, 1.5, s) * rng.choice([-1.0, 1.0], s) for s in shapes]


def ours_second(f, arrays, tensor, order=2, seed=0):
    """The derivative of order ``order`` of f along random directions, by grad(create_graph=True) ``order`` times:
    f's output weighted by a random u, then each gradient weighted by random w's and summed, differentiated again."""
    make = (lambda a: Tensor(a, requires_grad=True)) if tensor else (lambda a: Value(float(a)))
    xs = [make(a) for a in arrays]
    out = f(*xs)
    (u,) = _weights([np.shape(out.data)], seed)
    level = out * float(u) if not tensor else (out * u).sum()
    for k in range(order - 1):
        gs = grad(level, xs, create_graph=True)
        ws = _weights([np.shape(a) for a in arrays], seed + 1 + k)
        terms = [g * float(w) if not tensor else (g * w).sum() for g, w in zip(gs, ws)]
        level = sum(terms[1:], terms[0])
    return [np.asarray(g, dtype=np.float64) for g in grad(level, xs)]


def torch_second(f, arrays, order=2, seed=0):
    """The same with torch.autograd.grad(create_graph=True)."""
    xs = [torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays]
    out = f(*[T(x) for x in xs]).t
    (u,) = _weights([tuple(out.shape)], seed)
    level = (out * torch.tensor(u)).sum()
    for k in range(order - 1):
        gs = torch.autograd.grad(level, xs, create_graph=True, allow_unused=True)
        ws = _weights([np.shape(a) for a in arrays], seed + 1 + k)
        level = sum((g * torch.tensor(w)).sum() for g, w in zip(gs, ws) if g is not None)
        if not isinstance(level, torch.Tensor) or not level.requires_grad:
            return [np.zeros(np.shape(a)) for a in arrays]
    gs = torch.autograd.grad(level, xs, allow_unused=True)
    return [np.zeros(np.shape(a)) if g is None else g.detach().numpy() for g, a in zip(gs, arrays)]


def assert_close(ours, theirs, tol=TOL):
    for a, b in zip(ours, theirs):
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        assert a.shape == b.shape
        assert np.all(np.abs(a - b) <= tol * np.maximum(1.0, np.abs(b))), (a, b)


def _points(n, low, high, shapes, seed):
    rng = np.random.default_rng(seed)
    return [rng.uniform(low, high, s) for s in shapes[:n]]


SMOOTH = {"relu_pos", "relu_neg", "leaky_pos", "leaky_neg", "leaky_steep", "leaky_negative_alpha"}


@pytest.mark.parametrize("name, f, n, domain", OPS, ids=[row[0] for row in OPS])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_second_order_of_every_op_on_values_is_pytorch_s(name, f, n, domain, seed):
    arrays = [float(a) for a in _points(n, *domain, [()] * n, seed)]
    assert_close(ours_second(f, arrays, tensor=False, seed=seed), torch_second(f, arrays, seed=seed))


@pytest.mark.parametrize("name, f, n, domain", OPS, ids=[row[0] for row in OPS])
def test_second_order_of_every_op_on_tensors_is_pytorch_s(name, f, n, domain):
    for seed, shapes in enumerate(TENSOR_SHAPES_OF.get(name, TENSOR_SHAPES)):
        arrays = _points(n, *domain, list(shapes), seed)
        assert_close(ours_second(f, arrays, tensor=True, seed=seed), torch_second(f, arrays, seed=seed))


@pytest.mark.parametrize("name, f, shapes, domain", TENSOR_OPS, ids=[row[0] for row in TENSOR_OPS])
@pytest.mark.parametrize("seed", [0, 1])
def test_second_order_of_every_tensor_op_is_pytorch_s(name, f, shapes, domain, seed):
    arrays = _points(len(shapes), *domain, shapes, seed)
    assert_close(ours_second(f, arrays, tensor=True, seed=seed), torch_second(f, arrays, seed=seed))


SMOOTH_OPS = [row for row in OPS if row[0] not in SMOOTH | {"prelu_pos", "prelu_neg", "composite"}]


@pytest.mark.parametrize("name, f, n, domain", SMOOTH_OPS, ids=[row[0] for row in SMOOTH_OPS])
def test_third_order_of_the_smooth_ops_is_pytorch_s(name, f, n, domain):
    arrays = [float(a) for a in _points(n, *domain, [()] * n, 7)]
    assert_close(ours_second(f, arrays, tensor=False, order=3), torch_second(f, arrays, order=3))
    arrays = _points(n, *domain, [(2, 3)] * n, 8)
    assert_close(ours_second(f, arrays, tensor=True, order=3), torch_second(f, arrays, order=3))


KINKS = [
    ("relu", lambda a: a.relu()),
    ("leaky_relu", lambda a: a.leaky_relu(0.1)),
    ("leaky_relu_steep", lambda a: a.leaky_relu(1.5)),
    ("prelu", lambda a: a.prelu(0.25)),
]


@pytest.mark.parametrize("name, f", KINKS, ids=[k[0] for k in KINKS])
@pytest.mark.parametrize("x", [0.0, -0.0, 1e-300, -1e-300, 0.7, -0.7])
def test_the_relu_family_has_second_derivative_zero_on_both_sides_of_its_kink(name, f, x):
    for tensor in (False, True):
        ours = ours_second(f, [np.float64(x)], tensor=tensor)
        assert ours[0] == 0.0
        assert_close(ours, torch_second(f, [np.float64(x)]), tol=0.0)
        v = Tensor([x], requires_grad=True) if tensor else Value(x)
        first = grad(f(v).sum() if tensor else f(v), v, create_graph=True)
        xt = torch.tensor([x], dtype=torch.float64, requires_grad=True)
        (theirs,) = torch.autograd.grad(f(T(xt)).t.sum(), xt)
        assert float(np.sum(first.data)) == float(theirs.sum())  # the first derivative at the kink: PyTorch's


# random graphs: each step applies an op to one or two of the values so far, kept in the ops' domains
UNARY = [
    lambda a: a.tanh(),
    lambda a: a.sigmoid(),
    lambda a: (a * a + 0.5).log(),
    lambda a: (a * 0.5).exp(),
    lambda a: a.leaky_relu(0.1),
    lambda a: a.relu(),
    lambda a: a**3,
    lambda a: (a * a + 1.0) ** 0.5,
    lambda a: -a,
    lambda a: 2.0 / (a * a + 1.0),
]
BINARY = [
    lambda a, b: a + b,
    lambda a, b: a - b,
    lambda a, b: a * b,
    lambda a, b: a / (b * b + 1.0),
    lambda a, b: (a * a + 0.5) ** b.tanh(),
    lambda a, b: a.prelu(b),
]


def _graph(steps):
    def f(*xs):
        values = list(xs)
        for kind, i, j, op in steps:
            a, b = values[i % len(values)], values[j % len(values)]
            values.append(UNARY[op % len(UNARY)](a) if kind == 0 else BINARY[op % len(BINARY)](a, b))
        total = values[-1]
        for v in values[len(xs) : -1]:
            total = total + v * 0.5
        return total

    return f


step = st.tuples(st.integers(0, 1), st.integers(0, 50), st.integers(0, 50), st.integers(0, 50))


@settings(max_examples=500, derandomize=True, deadline=None)
@given(st.lists(step, min_size=1, max_size=8), st.lists(st.floats(-2.0, 2.0), min_size=3, max_size=3))
def test_second_order_on_random_graphs_is_pytorch_s(steps, xs):
    f = _graph(steps)
    assert_close(ours_second(f, xs, tensor=False), torch_second(f, [np.float64(x) for x in xs]))


def _mlp_loss(n_hidden=8, alpha=0.1):
    """A 2-8-1 leaky_relu network's BCE loss on four points, as a function of its 33 parameters in one vector."""
    X = np.array([[0.5, -1.0], [1.5, 0.3], [-0.7, 0.8], [0.2, 0.1]])
    y = np.array([[1.0], [0.0], [1.0], [0.0]])
    cut = np.cumsum([2 * n_hidden, n_hidden, n_hidden])

    def ours(p):
        w1, b1, w2, b2 = p[: cut[0]].reshape(2, n_hidden), p[cut[0] : cut[1]], p[cut[1] : cut[2]], p[cut[2] :]
        z = (Tensor(X) @ w1 + b1).leaky_relu(alpha) @ w2.reshape(n_hidden, 1) + b2
        # BCE with logits, softplus(z) - z y, written with the ops of the op table
        return ((z.exp() + 1.0).log() - z * Tensor(y)).mean()

    def theirs(p):
        w1, b1, w2, b2 = p[: cut[0]].reshape(2, n_hidden), p[cut[0] : cut[1]], p[cut[1] : cut[2]], p[cut[2] :]
        z = F.leaky_relu(torch.tensor(X) @ w1 + b1, alpha) @ w2.reshape(n_hidden, 1) + b2
        return F.binary_cross_entropy_with_logits(z, torch.tensor(y))

    params = np.random.default_rng(3).normal(size=cut[2] + 1)
    return ours, theirs, params


def test_the_hessian_of_a_leaky_relu_networks_bce_loss_is_pytorch_s():
    ours, theirs, params = _mlp_loss()
    h = hessian(ours, Tensor(params))
    expected = torch.autograd.functional.hessian(theirs, torch.tensor(params)).numpy()
    assert h.shape == (33, 33)
    assert np.abs(h - expected).max() <= TOL
    v = np.random.default_rng(4).normal(size=33)
    _, product = torch.autograd.functional.hvp(theirs, torch.tensor(params), torch.tensor(v))
    assert np.abs(hvp(ours, Tensor(params), v) - product.numpy()).max() <= TOL


def test_the_hessian_of_a_scalar_networks_bce_loss_is_pytorch_s():
    """The Value engine: a 2-8-1 network of Values with the scalar BCE loss (one Value.op per sample)."""
    from tinygrad_relu.losses import binary_cross_entropy_with_logits

    _, theirs, params = _mlp_loss()
    X = [[0.5, -1.0], [1.5, 0.3], [-0.7, 0.8], [0.2, 0.1]]
    y = [1.0, 0.0, 1.0, 0.0]

    def ours(p):
        w1, b1, w2, b2 = p[:16], p[16:24], p[24:32], p[32]
        hidden = [[(x[0] * w1[j] + x[1] * w1[8 + j] + b1[j]).leaky_relu(0.1) for j in range(8)] for x in X]
        logits = [Value.weighted_sum(w2, h, b2) for h in hidden]
        return binary_cross_entropy_with_logits(logits, y)

    h = hessian(ours, params.tolist())
    expected = torch.autograd.functional.hessian(theirs, torch.tensor(params)).numpy()
    assert np.abs(h - expected).max() <= TOL


def test_grad_returns_what_backward_adds_bit_for_bit_and_touches_no_grad():
    w, b = Value(0.3, "w"), Value(-1.2, "b")
    loss = ((w * 2.0 + b).leaky_relu(0.1) - 1.0) ** 2
    got = grad(loss, [w, b])
    assert (w.grad, b.grad) == (0.0, 0.0)
    loss.backward()
    assert got == [w.grad, b.grad]
    x = Tensor(np.linspace(-1, 1, 6).reshape(2, 3), requires_grad=True)
    y = (x.exp() * x).sum(axis=0).log_softmax().mean()
    got_x = grad(y, x)
    assert x.grad is None
    y.backward()
    assert got_x.tobytes() == x.grad.tobytes()


def test_grad_on_nodes_is_differentiable_to_any_order():
    x = Value(0.5)
    y, derivatives = (x * 2.0).exp(), []
    for _ in range(5):  # d^n/dx^n exp(2x) = 2^n exp(2x): each derivative is a node, differentiated again
        y = grad(y, x, create_graph=True)
        derivatives.append(y.data)
    assert derivatives == [2.0**n * np.exp(1.0) for n in range(1, 6)]


def test_an_input_the_output_does_not_depend_on_gets_zero():
    a, b = Value(1.0), Value(2.0)
    assert grad(a * 3.0, [a, b]) == [3.0, 0.0]
    first = grad(a.relu(), a, create_graph=True)  # 1 on the positive side, whatever a is
    assert grad(first, a) == 0.0


def test_a_custom_op_refuses_create_graph_by_name_on_both_engines():
    x = Value(2.0)
    y = Value.custom_op(x.data**2, (x,), lambda g: 2 * x.data * g, op="my_square")
    assert grad(y, x) == 4.0
    with pytest.raises(RuntimeError, match="'my_square'.*keeps backward"):
        grad(y, x, create_graph=True)
    t = Tensor([1.0, -2.0], requires_grad=True)
    out = Tensor.custom_op(t.data * 3.0, (t,), lambda g: 3.0 * g, op="triple").sum()
    assert grad(out, t).tolist() == [3.0, 3.0]
    with pytest.raises(RuntimeError, match="'triple'"):
        grad(out, t, create_graph=True)


def _square_forward(saved, x):
    return x * x


def _square_from_a_saved_number(out):
    (x,) = out._prev
    x.grad += 2.0 * out._arg * out.grad  # right on numbers, but out._arg is a number: a constant on nodes


def test_gradgradcheck_passes_the_ops_and_catches_a_derivative_made_of_a_saved_number():
    assert gradgradcheck(lambda a, b: (a * b).tanh() / b.exp() + a.leaky_relu(0.2), Value(0.3), Value(-0.8))
    rng = np.random.default_rng(0)
    assert gradgradcheck(
        lambda a, b: (a @ b).sigmoid().log_softmax().sum(),
        Tensor(rng.normal(size=(2, 3))),
        Tensor(rng.normal(size=(3, 4))),
    )
    x = Value(1.5)
    with pytest.raises(GradcheckError, match="second derivatives"):
        gradgradcheck(lambda v: Value.op("square", (v,), _square_forward, _square_from_a_saved_number, v.data), x)
    assert x.data == 1.5 and x.grad == 0.0


def test_gradgradcheck_warns_at_a_kink_instead_of_failing():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert gradgradcheck(lambda a: (a * a).relu() * a.relu(), Value(0.0))
    assert not caught or "kink" in str(caught[0].message)


def test_trace_refuses_a_function_that_calls_grad_naming_why():
    w = Tensor(np.array([[0.5, -0.3], [0.2, 0.8]]), requires_grad=True)

    def penalised(w, X):
        loss = (X @ w).leaky_relu(0.1).sum()
        (g,) = grad(loss, [w], create_graph=True)
        return loss + (g * g).sum()

    X = np.array([[1.0, 2.0], [-1.0, 0.5]])
    eager = penalised(w, Tensor(X))
    assert eager.data.size == 1
    with pytest.raises(TraceError, match="grad\\(\\) inside a function that trace records"):
        trace(penalised, w, X)
    v = Value(0.5)
    with pytest.raises(TraceError, match="gradient penalty"):
        trace(lambda v, xs: grad(v * xs[0], v, create_graph=True) * v, v, [2.0])


def test_a_gradient_node_is_drawn_and_explored_like_any_other(tmp_path):
    pytest.importorskip("graphviz")
    from tinygrad_relu import draw_graph, explore

    w = Value(0.8, "w")
    loss = ((w * 1.5).leaky_relu(0.1) - 1.0) ** 2
    (dw,) = grad(loss, [w], create_graph=True)
    source = draw_graph(dw).source
    # the backward pass as nodes: 2 (x - 1) g of **, the slope of leaky_relu, the 1.5 of the first *
    assert source.count("->") >= 6 and "leaky_relu" in source and "**" in source
    page = explore(dw).save(tmp_path / "grad.html")
    assert page.read_text(encoding="utf-8").count("<svg") >= 1
    t = Tensor([[0.5, -1.0]], requires_grad=True)
    (dt,) = grad((t * t).leaky_relu(0.1).sum(), [t], create_graph=True)
    assert "where" in draw_graph(dt).source or "*" in draw_graph(dt).source
    explore((dt * dt).sum()).save(tmp_path / "tensor.html")  # a penalty on the gradient, one number


def test_the_tensor_losses_are_differentiated_twice_or_refuse_by_name():
    from tinygrad_relu import losses

    p = Tensor(np.array([0.3, -0.2, 0.5]), requires_grad=True)
    t = Tensor(np.array([1.0, 0.0, 1.0]))
    g = grad(losses.mse_loss(p, t), [p], create_graph=True)[0]  # 2 (p - t) / 3
    (h,) = grad((g * g).sum(), [p])  # d/dp of sum(g^2) = 2 g * 2/3
    assert np.allclose(h, 2 * (2 / 3) ** 2 * (p.data - t.data), rtol=0, atol=1e-15)
    with pytest.raises(RuntimeError, match="op 'bce_logits' again: its backward reads sig saved"):
        grad(losses.binary_cross_entropy_with_logits(p, t), [p], create_graph=True)
