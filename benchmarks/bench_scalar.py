"""Scalar-engine benchmark: a 10^6-node chain's backward time, and bytes per node next to micrograd.

Run: pip install -e ".[benchmarks]" && python benchmarks/bench_scalar.py
"""

from __future__ import annotations

import gc
import time
import tracemalloc

from tinygrad_relu import Value

try:
    from micrograd.engine import Value as MicroValue
except ImportError:  # the benchmarks extra installs it; without it the micrograd column is skipped
    MicroValue = None


def chain_backward_seconds(n: int = 1_000_000) -> tuple[float, float]:
    """Build x + 1 + 1 + ... (n adds), then time backward(); returns (forward s, backward s)."""
    x = Value(0.0)
    start = time.perf_counter()
    y = x
    for _ in range(n):
        y = y + 1.0
    built = time.perf_counter()
    y.backward()
    done = time.perf_counter()
    assert x.grad == 1.0
    return built - start, done - built


def bytes_per_node(value_class: type, n: int = 100_000) -> float:
    """Memory held by an add chain of n nodes, divided by n (tracemalloc, after the build)."""
    gc.collect()
    one = value_class(1.0)
    tracemalloc.start()
    y = value_class(0.0)
    for _ in range(n):
        y = y + one
    held, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del y
    return held / n


def main() -> None:
    """Print the chain timing and the memory table."""
    forward, backward = chain_backward_seconds()
    print(f"10^6-node add chain: forward {forward:.2f} s, backward {backward:.2f} s (target < 3 s)")
    ours = bytes_per_node(Value)
    print(f"bytes per node (add chain): tinygrad_relu {ours:.0f} (target <= 400)")
    if MicroValue is None:
        print("micrograd not installed (pip install micrograd==0.1.0): its column is skipped")
    else:
        theirs = bytes_per_node(MicroValue)
        print(f"bytes per node (add chain): micrograd 0.1.0 {theirs:.0f} -- {theirs / ours:.1f}x ours")


if __name__ == "__main__":
    main()
