"""Version comparison speed per scheme: compare() calls per second, warm and cold parse caches.

Run: ``.venv/bin/python bench/version_compare.py``. Prints a markdown table. "warm" compares pairs
drawn from 500 versions whose parses are cached (the matcher's steady state: the same package and
advisory versions again and again); "cold" compares pairs of versions never seen before (every call
parses both sides). Each cell is the median of 3 runs.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from seawall.vulndb.versions import comparator_for

RNG = random.Random(7)
HI = [20]  # the range of the numbers in generated versions: small (warm pool) or huge (cold run)


def _n(hi: int = 20) -> str:
    return str(RNG.randint(0, hi if HI[0] == 20 else HI[0]))


def _pre() -> str:
    return RNG.choice(["", "", "", "-alpha.1", "-beta.2", "-rc.1"])


GENERATORS: dict[str, Callable[[], str]] = {
    "Debian": lambda: (
        f"{RNG.choice(['', '1:'])}{_n()}.{_n()}.{_n()}{RNG.choice(['', '~rc1', '+dfsg'])}-{_n(5)}"
        + RNG.choice(["", "ubuntu1", "+deb12u1"])
    ),
    "Alpine": lambda: f"{_n()}.{_n()}.{_n()}{RNG.choice(['', '_rc1', '_p2', 'a'])}-r{_n(9)}",
    "Red Hat": lambda: f"{RNG.choice(['', '1:'])}{_n()}.{_n()}.{_n()}-{_n(50)}.el9_{_n(4)}",
    "PyPI": lambda: f"{_n()}.{_n()}.{_n()}" + RNG.choice(["", "", "a1", "rc2", ".post1", ".dev3"]),
    "npm": lambda: f"{_n()}.{_n()}.{_n()}{_pre()}",
    "Go": lambda: (
        f"v{_n()}.{_n()}.{_n()}"
        + RNG.choice(["", "", f"-0.2023{_n(12):0>2}01000000-abcdef123456", "+incompatible"])
    ),
    "Maven": lambda: f"{_n()}.{_n()}.{_n()}" + RNG.choice(["", "", "-SNAPSHOT", ".Final", "-rc1", "-sp1"]),
    "RubyGems": lambda: f"{_n()}.{_n()}.{_n()}" + RNG.choice(["", "", ".pre", ".rc1", ".beta.2"]),
    "NuGet": lambda: f"{_n()}.{_n()}.{_n()}" + RNG.choice(["", ".1", _pre()]),
    "crates.io": lambda: f"{_n()}.{_n()}.{_n()}{_pre()}",
    "Packagist": lambda: f"v{_n()}.{_n()}.{_n()}" + RNG.choice(["", "", "-beta1", "-RC2", "-dev"]),
    "Hackage": lambda: f"{_n()}.{_n()}.{_n()}.{_n()}",
}

WARM_CALLS = 200_000
COLD_CALLS = 20_000
RUNS = 3  # report the median run: the machine is shared


def _rate(fn: Callable[[str, str], int], pairs: list[tuple[str, str]]) -> float:
    start = time.perf_counter()
    for a, b in pairs:
        fn(a, b)
    return len(pairs) / (time.perf_counter() - start)


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def main() -> None:
    """Print the table."""
    print("| ecosystem | scheme | warm compares/s | cold compares/s |")
    print("|---|---|---:|---:|")
    for ecosystem, gen in GENERATORS.items():
        cmp = comparator_for(ecosystem)
        pool = [gen() for _ in range(500)]
        warm = [(RNG.choice(pool), RNG.choice(pool)) for _ in range(WARM_CALLS)]
        for a, b in warm[:5000]:
            cmp.compare(a, b)  # fill the parse cache
        warm_rate = _median([_rate(cmp.compare, warm) for _ in range(RUNS)])
        assert all(cmp.valid(v) for v in pool), ecosystem
        # Distinct versions for the cold run: numbers drawn from a huge range.
        rates = []
        for _ in range(RUNS):
            HI[0] = 99_999
            cold = [(gen(), gen()) for _ in range(COLD_CALLS)]
            HI[0] = 20
            assert all(cmp.valid(a) for a, _ in cold[:1000]), ecosystem
            rates.append(_rate(cmp.compare, cold))
        cold_rate = _median(rates)
        print(f"| {ecosystem} | {cmp.scheme} | {warm_rate:,.0f} | {cold_rate:,.0f} |")


if __name__ == "__main__":
    main()
