"""Benchmark the grading core: verdicts per second, the slowest verdict, and agreement with math-verify.

Outputs are built from the real GSM8K and MATH-500 answers (../shared/data) the way a fine-tuned
model writes them: the worked solution with its final box replaced by the right answer in another
notation, a near miss, or no/unclosed box. The agreement part runs over every case file in tests/data
(cases marked ``debatable`` are left out), once with this grader and once with math-verify alone
(``parse`` + ``verify`` on the same last box); the slowest single verdict is taken over all of them.

    python bench/bench_answers.py [--data ../shared/data] [--workers 2] [--no-compare]

Prints a Markdown section for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import os
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.answers.pool import get_pool  # noqa: E402
from grader.answers.grade import DEFAULT_MEMORY_MB, Verdict, _fast, extract_last_boxed, grade, grade_many  # noqa: E402

CASES = ROOT / "tests" / "data" / "answer_cases.jsonl"
CASE_FILES = [CASES, ROOT / "tests" / "data" / "answer_cases_blind.jsonl", ROOT / "tests" / "data" / "answer_cases_peers.jsonl"]
_spec = importlib.util.spec_from_file_location("make_answer_cases", ROOT / "tests" / "data" / "make_answer_cases.py")
gen = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(gen)  # type: ignore[union-attr]

ADVERSARIAL = {
    "power tower 9^{9^{9^9}}": (r"\boxed{9^{9^{9^9}}}", "5"),
    "20,000-term sum": ("\\boxed{" + "+".join(map(str, range(1, 20001))) + "}", "200010000"),
    "10,000 nested parentheses": ("\\boxed{" + "(" * 10000 + "1" + ")" * 10000 + "}", "1"),
    "5 MB of text": ("x" * 5_000_000 + r" \boxed{7}", "7"),
    "1 MB inside the box": ("\\boxed{" + "1 " * 500_000 + "}", "1"),
    "(x+1)^{100000}": (r"\boxed{(x+1)^{100000}}", "5"),
}


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.open(encoding="utf-8")]


def gsm8k_items(rows: list[dict], rng: random.Random) -> list[tuple[str, str]]:
    """About 40% right (in assorted notations), the rest near misses or missing boxes."""
    items = []
    for r in rows:
        n = int(r["answer"])
        form = rng.choice([f"{n}", f"{n}", f"\\${n}", f"{n} \\text{{ dollars}}", f"{n:,}", f"x = {n}",
                           f"{n + 1}", f"{n - 2}", f"{2 * n}", f"{n + 10}", f"{n}.5", f"{n * 3}"])
        mode = rng.choices(["box", "nobox", "unclosed"], weights=[90, 5, 5])[0]
        items.append((gen.with_answer(r["solution"], form, mode=mode), r["answer"]))
    return items


def math_items(rows: list[dict], rng: random.Random) -> list[tuple[str, str]]:
    """Four outputs per problem: the reference as written, another valid notation, two near misses."""
    items = []
    for r in rows:
        ans = r["answer"]
        good = gen.correct_variants(ans, r["problem"])
        bad = gen.wrong_variants(ans, ["Evelyn", "Navin"]) or [("", ans + "+1")]
        for answer in (ans, rng.choice(good)[1], rng.choice(bad)[1], rng.choice(bad)[1]):
            items.append((gen.with_answer(r["solution"], answer), ans))
    return items


def fresh_workers(workers: int) -> None:
    """Restart the workers (their parse caches would flatter a second pass) and wait until they are up."""
    get_pool(DEFAULT_MEMORY_MB).close()
    grade_many([(rf"\boxed{{\sqrt{{{4 * (k + 2)}}}}}", rf"2\sqrt{{{k + 2}}}") for k in range(workers)],
               workers=workers)


def throughput(items: list[tuple[str, str]], workers: int) -> tuple[float, Counter]:
    fresh_workers(workers)
    start = time.perf_counter()
    verdicts = grade_many(items, workers=workers)
    return len(items) / (time.perf_counter() - start), Counter(v.reason for v in verdicts)


def latencies(items: list[tuple[str, str]]) -> list[float]:
    fresh_workers(1)
    out = []
    for output, ref in items:
        start = time.perf_counter()
        grade(output, ref)
        out.append(time.perf_counter() - start)
    return out


def slowest(items: list[tuple[str, str]]) -> tuple[int, float, str]:
    """(count, seconds, reason) of the slowest verdict, graded one at a time on a ready worker."""
    fresh_workers(1)
    worst, reason = 0.0, ""
    for output, ref in items:
        start = time.perf_counter()
        v = grade(output, ref)
        took = time.perf_counter() - start
        if took > worst:
            worst, reason = took, v.reason
    return len(items), worst, reason


def math_verify_verdict(output: str, reference: str) -> bool:
    from math_verify import parse, verify

    box = extract_last_boxed(output)
    if box is None:
        return False
    return bool(verify(parse("$" + reference + "$"), parse("\\boxed{" + box + "}")))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-compare", action="store_true", help="skip the math-verify comparison")
    args = parser.parse_args()
    if not (args.data / "math500_test.jsonl").exists():
        print(f"error: {args.data} has no math500_test.jsonl (pass --data)", file=sys.stderr)
        return 2
    rng = random.Random(0)
    gsm = gsm8k_items(load(args.data / "gsm8k_test.jsonl"), rng)
    math = math_items(load(args.data / "math500_test.jsonl"), rng)

    print("## Grading verdicts\n")
    print(f"Command: `python bench/bench_answers.py --workers {args.workers}` on {os.cpu_count()} CPU cores.\n")
    print("| set | items | verdicts/s | decided without sympy | reasons |")
    print("| --- | ---: | ---: | ---: | --- |")
    for name, items in (("GSM8K-like", gsm), ("MATH-like", math), ("both", gsm + math)):
        rate, reasons = throughput(items, args.workers)
        fast = sum(isinstance(_fast(o, r), Verdict) for o, r in items)  # decided in-process, no worker
        share = f"{100 * fast / len(items):.1f}%"
        top = ", ".join(f"{k} {v}" for k, v in reasons.most_common())
        print(f"| {name} | {len(items)} | {rate:,.0f} | {share} | {top} |")

    lat = latencies(gsm + math)
    q = statistics.quantiles(lat, n=100)
    print(f"\nPer-verdict latency, one at a time over the {len(lat)} items: median {1e3 * q[49]:.2f} ms, "
          f"p99 {1e3 * q[98]:.1f} ms, slowest {1e3 * max(lat):.0f} ms.\n")
    print("Adversarial inputs (each verdict must end within 5 s):\n")
    print("| input | verdict | reason | seconds |")
    print("| --- | --- | --- | ---: |")
    for name, (output, ref) in ADVERSARIAL.items():
        start = time.perf_counter()
        v = grade(output, ref)
        print(f"| {name} | {v.correct} | {v.reason} | {time.perf_counter() - start:.2f} |")

    slow = slowest([(c["output"], c["reference"]) for path in CASE_FILES for c in load(path)])
    print(f"\nSlowest single verdict over all {slow[0]} cases of the case files: {slow[1]:.2f} s "
          f"(reason {slow[2]}).")

    if args.no_compare:
        return 0
    logging.disable(logging.WARNING)  # math-verify logs every parse failure
    print("\nAgreement with the expected verdicts of each case file (math-verify: `parse` + `verify` with default "
          "settings on the same last box; cases marked debatable left out):\n")
    print("| cases | grader | agreement | false positives | false negatives |")
    print("| --- | --- | ---: | ---: | ---: |")
    for path in CASE_FILES:
        cases = [c for c in load(path) if not c.get("debatable")]
        expected = [c["expected"] for c in cases]
        ours = [v.correct for v in grade_many([(c["output"], c["reference"]) for c in cases], workers=args.workers)]
        theirs = [math_verify_verdict(c["output"], c["reference"]) for c in cases]
        for name, got in (("this grader", ours), ("math-verify 0.9.0 alone", theirs)):
            ok = sum(g == e for g, e in zip(got, expected))
            fp = sum(g and not e for g, e in zip(got, expected))
            fn = sum(e and not g for g, e in zip(got, expected))
            print(f"| `{path.name}` | {name} | {100 * ok / len(cases):.2f}% ({ok}/{len(cases)}) | {fp} | {fn} |")
        if path == CASES:
            by_cat: Counter = Counter(c["category"] for c, g in zip(cases, theirs) if g != c["expected"])
            totals: Counter = Counter(c["category"] for c in cases)
            mv_disagree = ", ".join(f"{k} {v}/{totals[k]}" for k, v in by_cat.most_common())
    print(f"\nWhere math-verify disagrees on `{CASES.name}`, by case category: {mv_disagree}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
