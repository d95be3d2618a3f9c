"""Two copies of tinygrad_relu side by side: the eager steps the speed budget names, before and after a change.

A change to the eager engine is judged against the engine it replaces, timed in the same process, the ways
taking turns step by step, so that the load of a shared machine hits them alike:

- micrograd's moons step (bench_scalar.py) with relu and with leaky_relu, and its plain-float floor: the median
  of the steps as run, and with the cyclic GC outside the step (collected between steps, paused during one);
- the Tensor steps T1, T2 and T3 (bench_tensor.py) and their numpy floor: the fastest chunk of steps.

Give it this copy itself first: what it then reports as now/before is its own spread on this machine.

Run, with the copy to compare against checked out beside the repository:
    git worktree add /tmp/before <commit> && python benchmarks/compare_engines.py /tmp/before/tinygrad_relu
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402  (after the thread settings, which numpy reads when it loads)
import gc  # noqa: E402
import importlib  # noqa: E402
import importlib.util  # noqa: E402
import sys  # noqa: E402
from collections.abc import Callable  # noqa: E402
from functools import partial  # noqa: E402
from pathlib import Path  # noqa: E402
from types import ModuleType  # noqa: E402

import bench_scalar  # noqa: E402
import bench_tensor  # noqa: E402

import tinygrad_relu  # noqa: E402
from tinygrad_relu.data import make_moons  # noqa: E402


def load_copy(package_dir: Path, name: str = "tinygrad_relu_before") -> ModuleType:
    """The package in ``package_dir`` imported under ``name``, beside the installed one (its imports are relative)."""
    spec = importlib.util.spec_from_file_location(
        name, package_dir / "__init__.py", submodule_search_locations=[str(package_dir)]
    )
    if spec is None or spec.loader is None:
        raise SystemExit(f"{package_dir} is not a package directory (no __init__.py)")
    package = importlib.util.module_from_spec(spec)
    sys.modules[name] = package
    spec.loader.exec_module(package)
    for sub in ("nn", "losses", "optim"):
        setattr(package, sub, importlib.import_module(f"{name}.{sub}"))
    return package


def scalar_comparison(packages: dict[str, ModuleType], steps: int) -> None:
    """micrograd's moons step on each copy and the plain-float floor, taking turns step by step."""
    X, y = make_moons(100, noise=0.1, seed=1)
    y = y * 2 - 1
    print(f"micrograd's moons step, median ms of {steps} steps taken in turn (as run / GC outside the step):")
    for activation in ("relu", "leaky_relu"):
        ways: dict[str, Callable[[int], float]] = {
            name: bench_scalar.moons_step(
                package.Value, package.nn.MLP(2, [16, 16, 1], activation=activation, seed=1337), X, y
            )
            for name, package in packages.items()
        }
        floor_model = tinygrad_relu.nn.MLP(2, [16, 16, 1], activation=activation, seed=1337)
        ways["floor"] = bench_scalar.plain_float_step(floor_model, X, y)
        for label, ms in zip(("as run", "GC outside"), bench_scalar.in_turns(ways, steps)):
            print(f"  {activation:10} {label:10} " + report(ms, "ms"))


def tensor_comparison(packages: dict[str, ModuleType], rounds: int, seconds: float, builds: int) -> None:
    """The Tensor steps T1-T3 on each copy and the numpy floor, in chunks taken in turn, each way built ``builds``
    times (bench_tensor.time_builds: where a way's arrays land moves T3 by up to a quarter)."""
    print(f"Tensor steps, the fastest chunk's µs per step (best of {builds} builds):")
    for task in ("T1", "T2", "T3"):
        _, X, y, hidden, n_out, kind = bench_tensor.tasks()[task]
        weights = bench_tensor.initial_weights(X.shape[1], hidden, n_out)
        makers: dict[str, Callable[[], Callable[[], float]]] = {
            name: partial(bench_tensor.tinygrad_step, X, y, weights, kind, p) for name, p in packages.items()
        }
        makers["floor"] = partial(bench_tensor.numpy_step, X, y, weights, kind)
        best = bench_tensor.time_builds(makers, rounds, seconds, builds)
        print(f"  {task:21} " + report({name: 1e6 * s for name, s in best.items()}, "µs"))


def report(times: dict[str, float], unit: str) -> str:
    """Each way's time and its ratio to the floor, then now / before."""
    parts = [f"{name} {t:.1f} {unit} ({t / times['floor']:.2f}x)" for name, t in times.items()]
    return "  ".join(parts) + f"  now/before {times['now'] / times['before']:.3f}"


def main() -> None:
    """Parse the arguments, load the other copy, print both comparisons."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path, help="the other copy's package directory (.../tinygrad_relu)")
    parser.add_argument("--steps", type=int, default=40, help="moons steps per way (default 40)")
    parser.add_argument("--rounds", type=int, default=3, help="Tensor rounds of turns (default 3)")
    parser.add_argument("--seconds", type=float, default=1.0, help="seconds per Tensor round (default 1)")
    parser.add_argument("--builds", type=int, default=3, help="fresh builds of each Tensor way (default 3)")
    args = parser.parse_args()
    packages = {"now": tinygrad_relu, "before": load_copy(args.before.resolve())}
    gc.collect()
    gc.freeze()  # the imported modules' objects: bench_tensor collects before every turn, which then costs microseconds
    print(f"now: {Path(tinygrad_relu.__file__).parent}; before: {args.before}")
    scalar_comparison(packages, args.steps)
    tensor_comparison(packages, args.rounds, args.seconds, args.builds)


if __name__ == "__main__":
    main()
