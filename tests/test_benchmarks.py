"""The benchmarks still run against today's engine (no timing here: speed is measured by running them).

A benchmark that no longer imports, or whose bare-numpy floor no longer does the engine's
work, would report a meaningless ratio; these tests catch both without timing anything.
"""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", sorted(path.stem for path in BENCHMARKS.glob("*.py")))
def test_every_benchmark_imports_and_has_a_main(name):
    assert callable(load(name).main)


def test_the_engine_benchmark_floor_does_the_engines_work():
    bench = load("bench_engine")
    counts = bench.random_counts(200, np.random.default_rng(1))
    bench.check_same_work(counts)  # raises if the floor's numbers differ from pool_binary's (rtol 1e-12)
    fixed, _ = bench.engine(counts)
    assert fixed.estimate.shape == (200,)


def test_the_reconstruction_benchmark_tables_are_a_valid_study_table():
    from metarmc import meta_binary

    bench = load("bench_reconstruct")
    assert meta_binary(bench.TABLES).k == len(bench.TABLES) == 11
