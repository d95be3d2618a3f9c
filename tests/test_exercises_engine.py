"""Notebook 00's checkers (tinygrad_relu.exercises.engine): the worked solution passes every check, each classic
bug fails with the hint that names it, and the notebook's stubs are "to do"."""

import json
import pathlib

import pytest

from tinygrad_relu.exercises import (
    check_add,
    check_backward,
    check_engine,
    check_leaky_relu,
    check_mul,
    check_numerical_derivative,
    check_topological_order,
)

ROOT = pathlib.Path(__file__).resolve().parent.parent

# --- the worked solution: the learner's engine as notebook 00 asks for it ---------------------------------------


class Scalar:
    def __init__(self, data, _prev=(), _op=""):
        self.data = float(data)
        self.grad = 0.0
        self._prev = tuple(_prev)
        self._op = _op
        self._backward = lambda: None

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-other)

    def __add__(self, other):
        other = other if isinstance(other, type(self)) else type(self)(other)
        out = type(self)(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, type(self)) else type(self)(other)
        out = type(self)(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def leaky_relu(self, alpha=0.01):
        x = self.data
        out = type(self)(x if x > 0 else alpha * x, (self,), "leaky_relu")

        def _backward():
            self.grad += (1.0 if x > 0 else alpha) * out.grad

        out._backward = _backward
        return out

    def backward(self):
        order = topo(self)
        for v in order:
            if v._prev:
                v.grad = 0.0
        self.grad = 1.0
        for v in reversed(order):
            v._backward()


def topo(root):
    order, seen = [], set()

    def visit(v):
        if v not in seen:
            seen.add(v)
            for p in v._prev:
                visit(p)
            order.append(v)

    visit(root)
    return order


def slope(f, x, h=1e-6):
    return (f(x + h) - f(x)) / h


def test_the_worked_solution_passes_every_check():
    assert check_numerical_derivative(slope).ok
    assert check_numerical_derivative(lambda f, x, h=1e-6: (f(x + h) - f(x - h)) / (2 * h)).ok  # central
    results = check_engine(Scalar, topo)
    assert all(r.ok for r in results.values()), results


def test_the_worked_solution_trains_xor():
    import random

    rng = random.Random(0)
    w1 = [[Scalar(rng.uniform(-1, 1)) for _ in range(2)] for _ in range(8)]
    b1 = [Scalar(0.0) for _ in range(8)]
    w2 = [Scalar(rng.uniform(-1, 1)) for _ in range(8)]
    b2 = Scalar(0.0)
    params = [p for row in w1 for p in row] + b1 + w2 + [b2]
    data = [((0, 0), 0), ((0, 1), 1), ((1, 0), 1), ((1, 1), 0)]
    for _ in range(300):
        loss = 0
        for (x1, x2), t in data:
            h = [(w[0] * x1 + w[1] * x2 + b).leaky_relu(0.1) for w, b in zip(w1, b1)]
            y = sum((w * hi for w, hi in zip(w2, h)), b2)
            loss = loss + (y - t) * (y - t)
        for p in params:
            p.grad = 0.0
        loss.backward()
        for p in params:
            p.data -= 0.05 * p.grad
    assert loss.data < 0.01


def notebook_cells():
    notebook = json.loads((ROOT / "notebooks" / "00_build_the_engine.ipynb").read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]


def train(params, loss_fn, steps, lr):
    losses = []
    for _ in range(steps):
        loss = loss_fn()
        for p in params:
            p.grad = 0.0
        loss.backward()
        for p in params:
            p.data -= lr * p.grad
        losses.append(loss.data)
    return losses


BY_HAND = {
    "local": {"dL/dd": -1.5, "dL/df": -5.0, "dd/de": 1.0, "dd/dc": 1.0, "de/da": -4.0, "de/db": 2.0},
    "grads": {"dL/dd": -1.5, "dL/df": -5.0, "dL/de": -1.5, "dL/dc": -1.5, "dL/da": 6.0, "dL/db": -3.0},
}


def test_the_notebooks_stubs_are_to_do_and_its_skeleton_with_the_solutions_trains_xor(capsys):
    """Notebook 00's own cells: run as shipped, every check prints "to do" and nothing trains; with the worked
    solutions attached to the notebook's skeleton, everything passes and XOR trains on the learner's class with
    the learner's loop."""
    cells = notebook_cells()
    namespace = {}
    for source in cells:
        exec(compile(source, "notebook 00", "exec"), namespace)
    printed = capsys.readouterr().out
    assert sum(line.startswith("to do:") for line in printed.splitlines()) == 9, printed
    assert "still to do before XOR runs" in printed and "your loop on" not in printed, printed
    assert namespace["engine"] is namespace["Value"]

    solved = {"__name__": "solved"}
    skeleton = next(c for c in cells if c.startswith("class Scalar"))
    exec(compile(skeleton, "notebook 00", "exec"), solved)
    for name in ("__add__", "__mul__", "leaky_relu", "backward"):
        setattr(solved["Scalar"], name, getattr(Scalar, name))
    solved.update(topo=topo, slope=slope, train=train, **BY_HAND)
    answers = ("class Scalar", "def add", "def mul", "def leaky_relu", "def topo", "def backward", "def slope")
    for source in cells:
        if source.startswith(("local = {", "grads = {")):
            source = source.split("}", 1)[1]  # keep the check, not the dict of Nones
        elif source.startswith("def train("):
            source = source.split("...", 1)[1]
        elif source.startswith(answers):
            continue
        exec(compile(source, "notebook 00", "exec"), solved)
    printed = capsys.readouterr().out
    assert "to do" not in printed and "not yet" not in printed, printed
    assert printed.count("pass") == 3, printed  # the two tables and the loop (the op cells are replaced)
    assert solved["engine"] is solved["Scalar"] and solved["losses"][-1] < 1e-3


# --- the stubs, as the notebook ships them ----------------------------------------------------------------------


class Stub(Scalar):
    def __add__(self, other):
        raise NotImplementedError

    def __mul__(self, other):
        raise NotImplementedError

    def leaky_relu(self, alpha=0.01):
        raise NotImplementedError

    def backward(self):
        raise NotImplementedError


def stub_topo(root):
    raise NotImplementedError


def test_stubs_are_to_do_with_the_task():
    def slope_stub(f, x, h=1e-6): ...

    assert check_numerical_derivative(slope_stub).status == "todo"
    for check in (check_add, check_mul, check_leaky_relu, check_backward):
        result = check(Stub)
        assert result.status == "todo", (check.__name__, result)
    assert "__add__" in str(check_add(Stub)) and "topo" in str(check_topological_order(stub_topo))
    assert check_topological_order(stub_topo).status == "todo"
    backward_only = type("BackwardStub", (Scalar,), {"backward": Stub.backward})
    assert check_backward(backward_only).status == "todo"
    assert "must pass first" in str(check_backward(type("AddStub", (Scalar,), {"__add__": Stub.__add__})))


# --- step 1: the slope --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda f, x, h=1e-6: f(x + h) - f(x), "divided"),
        (lambda f, x, h=1e-6: (f(x) - f(x + h)) / h, "sign"),
        (lambda f, x, h=0.5: (f(x + h) - f(x)) / h, "small"),
    ],
    ids=["no_division_by_h", "wrong_sign", "h_too_big"],
)
def test_slope_bugs_fail_with_their_hint(wrong, hint):
    result = check_numerical_derivative(wrong)
    assert result.status == "fail" and hint in result.message, result


# --- steps 2-4: each bug in a closure -------------------------------------------------------------------------------


def with_op(name, method):
    return type(f"Bug_{name}", (Scalar,), {name: method})


def binary(forward, closure):
    """An op in the notebook's shape whose closure is ``closure(a, b, out)``: one function per bug below."""

    def method(self, other):
        other = other if isinstance(other, type(self)) else type(self)(other)
        out = type(self)(forward(self.data, other.data), (self, other), "op")
        out._backward = lambda: closure(self, other, out)
        return out

    return method


def plus(x, y):
    return x + y


def times(x, y):
    return x * y


def ignores_out_grad(a, b, out):
    a.grad += 1.0
    b.grad += 1.0


def assigns(a, b, out):
    a.grad = out.grad
    b.grad = out.grad


def mul_wrong_sign(a, b, out):
    a.grad -= b.data * out.grad
    b.grad -= a.data * out.grad


def mul_assigns(a, b, out):
    a.grad = b.data * out.grad
    b.grad = a.data * out.grad


def mul_ignores_out_grad(a, b, out):
    a.grad += b.data
    b.grad += a.data


def mul_own_data(a, b, out):  # each parent's derivative taken as its own data
    a.grad += a.data * out.grad
    b.grad += b.data * out.grad


def add_out_data(a, b, out):  # out.data where out.grad belongs
    a.grad += out.data
    b.grad += out.data


def add_only_self(a, b, out):  # the second parent forgotten
    a.grad += out.grad


def mul_out_data(a, b, out):
    a.grad += b.data * out.data
    b.grad += a.data * out.data


def mul_grad_for_data(a, b, out):  # the other parent's grad where its data belongs
    a.grad += b.grad * out.grad
    b.grad += a.grad * out.grad


def mul_writes_data(a, b, out):  # the gradient added into .data
    a.data += b.data * out.grad
    b.data += a.data * out.grad


def add_not_attached(self, other):
    other = other if isinstance(other, type(self)) else type(self)(other)
    return type(self)(self.data + other.data, (self, other), "+")


def leaky(slope_of, times="grad"):
    """A leaky_relu whose backward slope is ``slope_of(x, out_data, alpha)``, multiplied by ``out.<times>`` (out.grad
    is right); the forward is right."""

    def leaky_relu(self, alpha=0.01):
        x = self.data
        out = type(self)(x if x > 0 else alpha * x, (self,), "leaky_relu")

        def _backward():
            self.grad += slope_of(x, out.data, alpha) * getattr(out, times)

        out._backward = _backward
        return out

    return leaky_relu


def leaky_max_forward(self, alpha=0.01):
    x = self.data
    out = type(self)(max(x, alpha * x), (self,), "leaky_relu")

    def _backward():
        self.grad += (1.0 if x > 0 else alpha) * out.grad

    out._backward = _backward
    return out


@pytest.mark.parametrize(
    "cls, check, hint",
    [
        (with_op("__add__", binary(plus, ignores_out_grad)), check_add, "ignores out.grad"),
        (with_op("__add__", binary(plus, assigns)), check_add, "gone -- add into"),
        (with_op("__add__", add_not_attached), check_add, "added nothing"),
        (with_op("__mul__", binary(times, mul_wrong_sign)), check_mul, "sign is flipped"),
        (with_op("__mul__", binary(times, mul_assigns)), check_mul, "gone -- add into"),
        (with_op("__mul__", binary(times, mul_ignores_out_grad)), check_mul, "ignores out.grad"),
        (with_op("__mul__", binary(times, mul_own_data)), check_mul, "derivative of *"),
        (with_op("leaky_relu", leaky(lambda x, o, a: 1.0 if x >= 0 else a)), check_leaky_relu, "exactly x = 0"),
        (with_op("leaky_relu", leaky(lambda x, o, a: 1.0 if o > 0 else a)), check_leaky_relu, "from the output"),
        (with_op("leaky_relu", leaky(lambda x, o, a: 1.0 if x > 0 else 0.01)), check_leaky_relu, "alpha (the arg"),
        (with_op("leaky_relu", leaky(lambda x, o, a: 1.0 if x > 0 else a)), check_leaky_relu, None),
        (with_op("leaky_relu", leaky(lambda x, o, a: 1.0 if x > 0 else -a)), check_leaky_relu, "sign is flipped"),
        (with_op("leaky_relu", leaky_max_forward), check_leaky_relu, "not a max"),
        (with_op("__add__", binary(plus, add_out_data)), check_add, "out.data (0.75, the op's forward value)"),
        (with_op("__add__", binary(plus, add_only_self)), check_add, "added into a.grad but left b.grad as it was"),
        (with_op("__mul__", binary(times, mul_out_data)), check_mul, "the chain rule multiplies by out.grad"),
        (with_op("__mul__", binary(times, mul_grad_for_data)), check_mul, "that is out.grad times b.grad"),
        (with_op("__mul__", binary(times, mul_writes_data)), check_mul, "your closure changed a.data"),
        (with_op("leaky_relu", leaky(lambda x, o, a: 1.0 if x > 0 else 0.0)), check_leaky_relu, "not 0"),
        (
            with_op("leaky_relu", leaky(lambda x, o, a: 1.0 if x > 0 else a, "data")),
            check_leaky_relu,
            "that is out.data (1.25",
        ),
    ],
    ids=[
        "add_ignores_out_grad",
        "add_assigns_instead_of_adding",
        "add_closure_not_attached",
        "mul_wrong_sign",
        "mul_assigns_instead_of_adding",
        "mul_ignores_out_grad",
        "mul_wrong_local_derivative",
        "leaky_one_at_exactly_zero",
        "leaky_mask_from_the_output",
        "leaky_hard_coded_alpha",
        "leaky_right",
        "leaky_wrong_sign",
        "leaky_forward_as_max",
        "add_out_data_for_out_grad",
        "add_updates_only_self",
        "mul_out_data_for_out_grad",
        "mul_other_grad_for_other_data",
        "mul_writes_into_data",
        "leaky_forgets_alpha",
        "leaky_out_data_for_out_grad",
    ],
)
def test_op_bugs_fail_with_their_hint(cls, check, hint):
    result = check(cls)
    if hint is None:
        assert result.ok, result
    else:
        assert result.status == "fail" and hint in result.message, result


def test_a_fail_names_the_case_and_both_numbers_but_not_the_formula():
    message = check_add(with_op("__add__", binary(plus, ignores_out_grad))).message
    assert "a + b" in message and "Value's leaves" in message
    assert "out.grad * 1" not in message and "+= out.grad" not in message


def test_an_op_that_forgets_to_wrap_a_number_says_what_raised():
    def add_no_wrap(self, other):  # a plain number has no .data
        out = type(self)(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    result = check_add(with_op("__add__", add_no_wrap))
    assert result.status == "fail" and "AttributeError" in result.message


# --- step 5: the topological order -------------------------------------------------------------------------------


def topo_no_visited_set(root):
    order = []

    def visit(v):
        for p in v._prev:
            visit(p)
        order.append(v)

    visit(root)
    return order


def topo_pre_order(root):
    order, seen = [], set()

    def visit(v):
        if v not in seen:
            seen.add(v)
            order.append(v)
            for p in v._prev:
                visit(p)

    visit(root)
    return order


def topo_root_first(root):
    return topo(root)[::-1]


def topo_leaves_only_once(root):  # forgets the root
    return topo(root)[:-1]


def topo_iterative(root):
    """An order without recursion (also right): Kahn's algorithm on the users count."""
    users, stack, seen = {}, [root], {root}
    while stack:
        v = stack.pop()
        for p in v._prev:
            users[p] = users.get(p, 0) + 1
            if p not in seen:
                seen.add(p)
                stack.append(p)
    order, ready = [], [root]
    while ready:
        v = ready.pop()
        order.append(v)
        for p in v._prev:
            users[p] -= 1
            if users[p] == 0:
                ready.append(p)
    return order[::-1]


@pytest.mark.parametrize(
    "topo_fn, hint",
    [
        (topo_no_visited_set, "twice"),
        (topo_pre_order, "before its parent"),
        (topo_root_first, "read backwards"),
        (topo_leaves_only_once, "missing"),
        (topo_iterative, None),
        (topo, None),
    ],
    ids=["visits_a_node_twice", "node_before_its_parent", "root_first", "misses_a_node", "iterative_ok", "ok"],
)
def test_topological_order_bugs(topo_fn, hint):
    result = check_topological_order(topo_fn)
    if hint is None:
        assert result.ok, result
    else:
        assert result.status == "fail" and hint in result.message, result


def test_a_deep_recursive_sort_that_hits_the_limit_is_named():
    import inspect
    import sys

    old = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack()) + 150)  # room for the small graphs, not for the 300-deep chain
    try:
        result = check_topological_order(topo)
    finally:
        sys.setrecursionlimit(old)
    assert result.status == "fail" and "recursion limit" in result.message


# --- step 6: backward() ----------------------------------------------------------------------------------------------


def with_backward(fn):
    return type("BugBackward", (Scalar,), {"backward": fn})


def backward_no_seed(self):
    order = topo(self)
    for v in order:
        if v._prev:
            v.grad = 0.0
    for v in reversed(order):
        v._backward()


def backward_no_reset(self):  # micrograd's: a second call adds the inner nodes' old gradients again
    order = topo(self)
    self.grad = 1.0
    for v in reversed(order):
        v._backward()


def backward_resets_leaves(self):
    order = topo(self)
    for v in order:
        v.grad = 0.0
    self.grad = 1.0
    for v in reversed(order):
        v._backward()


def backward_wrong_direction(self):
    order = topo(self)
    for v in order:
        if v._prev:
            v.grad = 0.0
    self.grad = 1.0
    for v in order:
        v._backward()


def backward_seeds_two(self):
    order = topo(self)
    for v in order:
        if v._prev:
            v.grad = 0.0
    self.grad = 2.0
    for v in reversed(order):
        v._backward()


@pytest.mark.parametrize(
    "fn, hint",
    [
        (backward_no_seed, "seed"),
        (backward_seeds_two, "seed"),
        (backward_no_reset, "reset the grad of every node that has parents"),
        (backward_resets_leaves, "reset only the nodes that have parents"),
        (backward_wrong_direction, "reverse of topo's order"),
    ],
    ids=["does_not_seed_1", "seeds_2", "does_not_reset", "resets_the_leaves", "runs_closures_in_topo_order"],
)
def test_backward_bugs(fn, hint):
    result = check_backward(with_backward(fn))
    assert result.status == "fail" and hint in result.message, result


def test_backward_names_the_first_differing_node():
    message = check_backward(with_backward(backward_wrong_direction)).message
    assert "the first node (from the root down)" in message and " = n" in message


def test_checks_are_deterministic():
    bug = with_op("__mul__", binary(times, mul_assigns))
    assert str(check_mul(bug)) == str(check_mul(bug))
    slow = with_backward(backward_no_reset)
    assert str(check_backward(slow)) == str(check_backward(slow))
