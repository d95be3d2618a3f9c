"""Tensor benchmark: one full training step (forward, loss, backward, SGD update) written three ways.

- tinygrad_relu: Sequential(Linear, LeakyReLU, Linear), a loss from ``losses``, ``optim.SGD``;
- numpy by hand: the same forward and backward written out with arrays (the floor: no graph at all);
- PyTorch on the CPU, float64, one thread (when torch is importable);
- traced: the tinygrad_relu step's loss and backward pass as a program (``trace``), the same optimizer;
- jax.jit of the numpy step's loss and gradient, float64 (when jax is importable).

T1 XOR (4 x 2), 2-8-1 leaky ReLU, MSE: overhead-bound. T1p: the same step written with plain ops.
T2 1000 moons points, 2-64-1 leaky ReLU, MSE.
T3 a batch of 256, 784-256-10 leaky ReLU, softmax cross-entropy: matmul-bound.
T4 a batch of 64, 64-8-10 leaky ReLU, softmax cross-entropy: a small classifier, overhead-bound.

BLAS runs on one thread for all three (set before numpy loads), so the ratios compare the same work.
The ways take turns in short chunks of steps, each warmed up first and with a garbage collection before every
turn (outside the timing); a step's time is the fastest chunk's mean (the least disturbed), over three fresh
builds of each way (where its arrays land in memory moves T3 by up to a quarter).

Run: pip install -e ".[benchmarks]" && python benchmarks/bench_tensor.py [--rounds N] [--builds B] [--seconds S]
(torch: pip install torch==2.13.0). Writes docs/bench_tensor.png.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402  (after the thread settings, which numpy reads when it loads)
import gc  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from collections.abc import Callable  # noqa: E402
from functools import partial  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

import tinygrad_relu  # noqa: E402
import tinygrad_relu.losses  # noqa: E402
import tinygrad_relu.nn  # noqa: E402
import tinygrad_relu.optim  # noqa: E402
from tinygrad_relu import Tensor, trace  # noqa: E402
from tinygrad_relu.data import make_moons, xor  # noqa: E402
from tinygrad_relu.nn import Linear  # noqa: E402

try:
    import torch
except ImportError:  # the torch column is optional
    torch = None
try:
    import jax

    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")
except ImportError:  # the jax column is optional too
    jax = None

ALPHA, LR = 0.01, 0.05
TARGETS = {"T1": 1.6, "T1p": 2.0, "T2": 1.3, "T3": 1.10, "T4": 2.0}
TRACED_TARGETS = {"T1": 1.2, "T2": 1.0, "T3": 1.0, "T4": 1.3}  # T1p has none
WARM_UP = 5  # untimed steps per way before any timing: jax.jit compiles on the first, the others fill caches
LABELS = {"T1": "XOR 2-8-1", "T1p": "XOR, plain ops", "T2": "moons 2-64-1", "T3": "784-256-10, CE", "T4": "64-8-10, CE"}


def tasks() -> dict:
    """name -> (description, X, y, hidden, outputs, loss kind)."""
    X1, y1 = xor()
    X2, y2 = make_moons(n=1000, noise=0.1, seed=0)
    rng = np.random.default_rng(0)
    X3, y3 = rng.standard_normal((256, 784)), rng.integers(0, 10, 256)
    X4, y4 = rng.standard_normal((64, 64)), rng.integers(0, 10, 64)
    return {
        "T1": ("XOR 4x2, 2-8-1 leaky ReLU, MSE", X1, y1.astype(float).reshape(-1, 1), 8, 1, "mse"),
        "T1p": ("the same, written with plain ops (@ + ** mean)", X1, y1.astype(float).reshape(-1, 1), 8, 1, "mse"),
        "T2": ("1000 moons, 2-64-1 leaky ReLU, MSE", X2, y2.astype(float).reshape(-1, 1), 64, 1, "mse"),
        "T3": ("batch 256, 784-256-10 leaky ReLU, cross-entropy", X3, y3, 256, 10, "ce"),
        "T4": ("batch 64, 64-8-10 leaky ReLU, cross-entropy", X4, y4, 8, 10, "ce"),
    }


def initial_weights(n_in: int, hidden: int, n_out: int) -> list[np.ndarray]:
    """W1, b1, W2, b2 as the tinygrad_relu layers draw them ((out, in), as PyTorch); every way starts from copies."""
    first, second = Linear(n_in, hidden, seed=1, alpha=ALPHA), Linear(hidden, n_out, seed=2)
    return [p.data.copy() for p in (*first.parameters(), *second.parameters())]


def library_setup(X: np.ndarray, y: np.ndarray, weights: list, kind: str, package: Any = tinygrad_relu) -> tuple:
    """The library's model (from ``weights``), its SGD, the batch and target as it takes them, and the loss.
    ``package``: the copy of tinygrad_relu to build them with (compare_engines.py passes another one)."""
    (hidden, n_in), n_out = weights[0].shape, weights[2].shape[0]
    nn, make = package.nn, package.Tensor
    model = nn.Sequential(nn.Linear(n_in, hidden), nn.LeakyReLU(ALPHA), nn.Linear(hidden, n_out))
    for p, w in zip(model.parameters(), weights):
        p.data = w.copy()
    x, target = make(X), (y if kind == "ce" else make(y))
    loss_fn = package.losses.cross_entropy if kind == "ce" else package.losses.mse_loss
    return model, package.optim.SGD(model.parameters(), lr=LR), x, target, loss_fn


def tinygrad_step(
    X: np.ndarray, y: np.ndarray, weights: list, kind: str, package: Any = tinygrad_relu
) -> Callable[[], float]:
    """The library's way: layers, a loss from ``losses``, ``optim.SGD``."""
    model, opt, x, target, loss_fn = library_setup(X, y, weights, kind, package)

    def step() -> float:
        loss = loss_fn(model(x), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.data

    return step


def traced_step(X: np.ndarray, y: np.ndarray, weights: list, kind: str, plain: bool = False) -> Callable[[], float]:
    """The library's step (or the plain-ops one) with its loss and backward pass traced once into a program; the
    data are the program's constants, the optimizer (or the written-out update) runs as before."""
    if plain:
        params = [Tensor(w.T if w.ndim == 2 else w, requires_grad=True) for w in weights]
        x, target = Tensor(X), Tensor(y)

        def plain_loss(*ps: Tensor) -> Tensor:
            W1, b1, W2, b2 = ps
            return (((x @ W1 + b1).leaky_relu(ALPHA) @ W2 + b2 - target) ** 2).mean()

        program = trace(plain_loss, *params)

        def plain_step() -> float:
            for p in params:
                p.zero_grad()
            loss = program()
            for p in params:
                p.data -= LR * p.grad
            return loss

        return plain_step
    model, opt, x, target, loss_fn = library_setup(X, y, weights, kind)
    program = trace(lambda model: loss_fn(model(x), target), model)

    def step() -> float:
        opt.zero_grad()
        loss = program()
        opt.step()
        return loss

    return step


def jax_step(X: np.ndarray, y: np.ndarray, weights: list, kind: str) -> Callable[[], float]:
    """jax.jit of the whole step -- the loss, its gradient (jax.value_and_grad) and the SGD update -- float64 on
    the CPU. XLA may use more than one thread on the big products, whatever BLAS is set to."""
    jnp = jax.numpy
    params = [jnp.asarray(w) for w in weights]
    x, n = jnp.asarray(X), len(X)
    target = jnp.asarray(y)

    def loss_of(params: list) -> object:
        W1, b1, W2, b2 = params
        h = x @ W1.T + b1
        out = jnp.where(h > 0, h, ALPHA * h) @ W2.T + b2
        if kind == "mse":
            return jnp.mean((out - target) ** 2)
        return -jnp.mean(jax.nn.log_softmax(out, axis=1)[jnp.arange(n), target])

    @jax.jit
    def train_step(params: list) -> tuple:
        loss, grads = jax.value_and_grad(loss_of)(params)
        return loss, [p - LR * g for p, g in zip(params, grads)]

    state = [params]

    def step() -> float:
        loss, state[0] = train_step(state[0])
        return float(loss)  # waits for the result, as the other ways' steps do

    return step


def tinygrad_plain_step(X: np.ndarray, y: np.ndarray, weights: list, kind: str) -> Callable[[], float]:
    """The step as a learner first writes it, with plain ops: ``(x @ W1 + b1).leaky_relu(alpha) @ W2 + b2``, the
    squared error as ``((out - y) ** 2).mean()``, and the update written out. Weights are (in, out) here."""
    W1, b1, W2, b2 = params = [Tensor(w.T if w.ndim == 2 else w, requires_grad=True) for w in weights]
    x, target = Tensor(X), Tensor(y)

    def step() -> float:
        out = (x @ W1 + b1).leaky_relu(ALPHA) @ W2 + b2
        loss = ((out - target) ** 2).mean()
        for p in params:
            p.zero_grad()
        loss.backward()
        for p in params:
            p.data -= LR * p.grad
        return loss.data

    return step


def numpy_step(X: np.ndarray, y: np.ndarray, weights: list, kind: str) -> Callable[[], float]:
    """Forward and backward written by hand: what the library's graph must not cost much more than."""
    W1, b1, W2, b2 = (w.copy() for w in weights)
    n = len(X)
    rows = np.arange(n)

    def step() -> float:
        h = X @ W1.T + b1
        slope = np.where(h > 0, 1.0, ALPHA)  # 1 where h > 0 else alpha
        a = h * slope
        out = a @ W2.T + b2
        if kind == "mse":
            diff = out - y
            loss = np.vdot(diff, diff) / diff.size  # np.mean costs a few microseconds more
            dout = diff * (2.0 / diff.size)
        else:
            shifted = out - out.max(axis=1, keepdims=True)
            e = np.exp(shifted)
            total = e.sum(axis=1, keepdims=True)
            loss = np.log(total).mean() - shifted[rows, y].mean()
            dout = e / total
            dout[rows, y] -= 1.0
            dout *= 1.0 / n
        dW2, db2 = dout.T @ a, dout.sum(axis=0)
        dh = (dout @ W2) * slope
        dW1, db1 = dh.T @ X, dh.sum(axis=0)
        for p, g in ((W1, dW1), (b1, db1), (W2, dW2), (b2, db2)):
            p -= LR * g
        return loss

    return step


def torch_step(X: np.ndarray, y: np.ndarray, weights: list, kind: str) -> Callable[[], float]:
    """PyTorch's way, float64 on the CPU: tensors with requires_grad, torch.nn.functional, a manual SGD update."""
    F = torch.nn.functional
    params = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in weights]
    W1, b1, W2, b2 = params
    x = torch.tensor(X, dtype=torch.float64)
    target = torch.tensor(y, dtype=torch.int64 if kind == "ce" else torch.float64)
    loss_fn = F.cross_entropy if kind == "ce" else F.mse_loss

    def step() -> float:
        loss = loss_fn(F.linear(F.leaky_relu(F.linear(x, W1, b1), ALPHA), W2, b2), target)
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
        return loss.item()

    return step


def time_steps(steps: dict, rounds: int, seconds: float) -> dict:
    """Seconds per step of each way: the ways take turns in chunks of steps (about 1/10 of a round each,
    ``rounds`` x 10 turns), so that a burst of load on a busy machine hits them alike; a way's time is the mean of
    its fastest chunk (the least disturbed). Each way is warmed up before its chunk is sized (jax.jit compiles on
    its first call, which would otherwise shrink its chunks), and the garbage collector runs before every turn,
    outside the timed region, so that no way pays for collections the garbage of the way before it set off."""
    for step in steps.values():
        for _ in range(WARM_UP):
            step()
    counts = {}
    for name, step in steps.items():  # calibrate: k steps fill a chunk
        gc.collect()
        start, k = time.perf_counter(), 0
        while time.perf_counter() - start < seconds / 10:
            step()
            k += 1
        counts[name] = max(3, k)
    best = {name: float("inf") for name in steps}
    for _ in range(10 * rounds):
        for name, step in steps.items():
            n = counts[name]
            gc.collect()
            start = time.perf_counter()
            for _ in range(n):
                step()
            best[name] = min(best[name], (time.perf_counter() - start) / n)
    return best


def time_builds(makers: dict[str, Callable[[], Callable[[], float]]], rounds: int, seconds: float, builds: int) -> dict:
    """Seconds per step of each way, ``makers[name]()`` building it: where a way's arrays land in memory moves its
    time (T3's by up to a quarter: the same code beside itself gave 0.77x and 1.27x), so each way is built
    ``builds`` times, in a rotated order, timed with ``time_steps``, and keeps its best."""
    best = {name: float("inf") for name in makers}
    names = list(makers)
    for build in range(builds):
        order = names[build % len(names) :] + names[: build % len(names)]
        for name, s in time_steps({name: makers[name]() for name in order}, rounds, seconds).items():
            best[name] = min(best[name], s)
    return best


def alone(step: Callable[[], float], seconds: float) -> float:
    """Seconds per step of one way timed by itself (best of 5 runs of about ``seconds`` / 5): jax.jit's runtime loses
    most of its speed when other frameworks run between its steps, so its column is also given this way."""
    for _ in range(WARM_UP):
        step()
    start, k = time.perf_counter(), 0
    while time.perf_counter() - start < seconds / 20:
        step()
        k += 1
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(4 * k):
            step()
        best = min(best, (time.perf_counter() - start) / (4 * k))
    return best


def check_same_losses(steps: dict, task: str) -> None:
    """The ways compute the same thing: their first three losses agree (before timing moves them apart)."""
    first = {name: [float(step()) for _ in range(3)] for name, step in steps.items()}
    reference = first["numpy"]
    for name, values in first.items():
        if not np.allclose(values, reference, rtol=1e-9, atol=1e-12):
            raise AssertionError(f"{task}: {name} losses {values} differ from numpy's {reference}")


def memory(X: np.ndarray, y: np.ndarray, weights: list, kind: str) -> tuple[int, int]:
    """Bytes held by one eager step's graph (the loss and every node behind it) and by the traced program."""
    model, _, x, target, loss_fn = library_setup(X, y, weights, kind)
    held = []
    for make in (lambda: loss_fn(model(x), target), lambda: trace(lambda model: loss_fn(model(x), target), model)):
        gc.collect()
        tracemalloc.start()
        kept = make()
        gc.collect()  # what is still held, not what the call left for the collector
        held.append(tracemalloc.get_traced_memory()[0])
        tracemalloc.stop()
        del kept
    return held[0], held[1]


def plot(results: dict, path: Path) -> None:
    """Bars of each way's time per step relative to numpy, one group per task."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(results)
    ways = [w for w in ("tinygrad_relu", "traced", "jax.jit", "torch") if all(w in results[t] for t in names)]
    fig, ax = plt.subplots(figsize=(8.0, 3.8))
    width = 0.8 / len(ways)
    for i, way in enumerate(ways):
        ratios = [results[t][way] / results[t]["numpy"] for t in names]
        label = {"tinygrad_relu": "tinygrad_relu, eager", "traced": "tinygrad_relu, traced"}.get(way, way)
        bars = ax.bar(np.arange(len(names)) + (i - (len(ways) - 1) / 2) * width, ratios, width, label=label)
        ax.bar_label(bars, labels=[f"{r:.2f}" for r in ratios], fontsize=6.5)
    ax.axhline(1.0, color="black", linewidth=0.8, label="hand-written numpy")
    ax.set_xticks(np.arange(len(names)), [f"{t}\n{LABELS[t]}" for t in names], fontsize=8)
    ax.set_ylabel("time per training step / numpy's")
    ax.set_title("One training step, float64 CPU, one BLAS thread (XLA may use more)", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    """Time every task, print the table and write the plot."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds per way and build (default 3)")
    parser.add_argument("--builds", type=int, default=3, help="fresh builds of each way, its best kept (default 3)")
    parser.add_argument("--seconds", type=float, default=0.25, help="length of one round (default 0.25 s)")
    parser.add_argument("--no-plot", action="store_true", help="skip writing the PNG")
    parser.add_argument("--tasks", default=None, help="a comma-separated subset, e.g. T1,T4 (default: all)")
    args = parser.parse_args()
    gc.collect()
    gc.freeze()  # the imported frameworks' objects are nobody's garbage: a full collection then costs microseconds
    if torch is None:
        print("torch is not installed (pip install torch==2.13.0): its column is skipped")
    else:
        torch.set_num_threads(1)
        print(f"torch {torch.__version__}, float64, 1 thread")
    print(f"numpy {np.__version__}, BLAS threads {os.environ['OPENBLAS_NUM_THREADS']}\n")
    if jax is None:
        print("jax is not installed (pip install jax jaxlib): its column is skipped")
    print(
        f"{'task':<52} {'numpy':>9} {'ours':>9} {'traced':>9} {'torch':>9} {'ours/np':>8} {'traced/np':>9} "
        f"{'jax/np':>7} {'torch/np':>8} {'target':>7} {'traced':>7}"
    )
    results = {}
    chosen = tasks() if args.tasks is None else {t: v for t, v in tasks().items() if t in args.tasks.split(",")}
    for task, (title, X, y, hidden, n_out, kind) in chosen.items():
        weights = initial_weights(X.shape[1], hidden, n_out)
        makers = {"numpy": numpy_step, "tinygrad_relu": tinygrad_plain_step if task == "T1p" else tinygrad_step}
        makers["traced"] = (lambda *a: traced_step(*a, plain=True)) if task == "T1p" else traced_step
        if jax is not None:
            makers["jax.jit"] = jax_step
        if torch is not None:
            makers["torch"] = torch_step
        check_same_losses({name: make(X, y, weights, kind) for name, make in makers.items()}, task)
        bound = {name: partial(make, X, y, weights, kind) for name, make in makers.items()}
        results[task] = best = time_builds(bound, args.rounds, args.seconds, args.builds)
        us = {name: f"{1e6 * t:8.1f}u" for name, t in best.items()}
        ratio = {name: f"{t / best['numpy']:.2f}x" for name, t in best.items()}
        print(
            f"{task} {title:<49} {us['numpy']} {us['tinygrad_relu']} {us['traced']} {us.get('torch', '        -'):>9} "
            f"{ratio['tinygrad_relu']:>8} {ratio['traced']:>9} {ratio.get('jax.jit', '-'):>7} "
            f"{ratio.get('torch', '-'):>8} "
            f"{TARGETS[task]:6.2f}x {f'{TRACED_TARGETS[task]:.2f}x' if task in TRACED_TARGETS else '-':>7}"
        )
    print("\n(u = microseconds per step; ratios are time / numpy's time, lower is faster)")
    if jax is not None:
        print("timed alone, one way after the other (jax.jit slows down when others run between its steps):")
        for task, (_, X, y, hidden, n_out, kind) in chosen.items():
            weights = initial_weights(X.shape[1], hidden, n_out)
            traced = (lambda *a: traced_step(*a, plain=True)) if task == "T1p" else traced_step
            ways = {"numpy": numpy_step, "traced": traced, "jax.jit": jax_step}
            by_itself = {name: alone(make(X, y, weights, kind), args.seconds * 4) for name, make in ways.items()}
            print(
                f"  {task}: traced {by_itself['traced'] / by_itself['numpy']:.2f}x, "
                f"jax.jit {by_itself['jax.jit'] / by_itself['numpy']:.2f}x numpy's time"
            )
    print("memory held: one eager step's graph vs the traced program (tracemalloc)")
    for task, (_, X, y, hidden, n_out, kind) in tasks().items():
        if task != "T1p":
            graph, program = memory(X, y, initial_weights(X.shape[1], hidden, n_out), kind)
            print(f"  {task}: graph {graph / 1e3:8.1f} kB, program {program / 1e3:8.1f} kB")
    if not args.no_plot:
        path = Path(__file__).resolve().parent.parent / "docs" / "bench_tensor.png"  # docs/performance.md shows it
        plot(results, path)
        print(f"plot: {path}")


if __name__ == "__main__":
    main()
