"""`check` at course scale: 100,000 synthetic ~400-token examples and the real Llama 3.2 tokenizer.

Measured in one run, on the same examples:
  encode   one raw pass of the Rust backend, ``tokenizer._tokenizer.encode_batch(texts)``, on the
           texts the model is trained on (prompt from the shipped chat template + solution): the
           floor the goal is stated against;
  raw      one batch call of the transformers wrapper, ``tokenizer(texts)`` (the earlier floor);
  check    ``python -m grader check DIR --json --test TESTS`` end to end, as the course runs it:
           process start, config, sandboxed sft_utils.py, tokenizer load, tokenization, limits,
           decontamination against 5,000 test problems, report;
then the ratio check / encode (goals: check <= 60 s, ratio <= 1.25). Both floors run before and
after check and their means are used, so load drifting on a shared machine hurts neither side
alone. CPU seconds (all threads and child processes) are reported too: they move far less with
other load.
Then decontamination alone: 100,000 training problems and their solutions against 5,000 test
problems (``--decontam-only``: just that, in seconds).

  python bench/bench_check.py                     # the full measurement (about 4 minutes)
  python bench/bench_check.py --examples 20000 --profile   # where check's time goes (cProfile)
  python bench/bench_check.py --template-only     # the template on 100,000 problems, confined (seconds),
      against the same rendering unconfined in one call, and the warnings' survey of 100,000 examples
  python bench/bench_check.py --memory            # peak RSS of check's own process (about 10 minutes):
      a valid maximal submission (100,000 examples of exactly 2048 tokens; goal <= 2 GB) and an
      oversize token-dense one (~750 MB of text, every example far over the limit; its violations
      must come back in bounded memory and time)

One JSON line per measurement goes to stdout, then a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS = (
    "the of and to a in is that for it as with be by on are this find let we so then if which value number "
    "sum triangle circle area radius equation solve integer prime divisible remainder probability function "
    "root polynomial coefficient sequence term ratio angle side length point line square real positive"
).split()
LATEX = (
    "$x^2 + {a}x - {b} = 0$", "$\\frac{{{a}}}{{{b}}}$", "$\\sqrt{{{a}}}$", "$\\sum_{{k=1}}^{{{a}}} k^2$",
    "$\\binom{{{a}}}{{{b}}}$", "$({a} + {b})^2 = {c}$", "$\\boxed{{{c}}}$",
)  # fmt: skip


def text(rng: random.Random, n_words: int) -> str:
    """Math-flavoured text: words, numbers and LaTeX, about 1.7 Llama 3 tokens a word."""
    out = []
    for _ in range(n_words):
        r = rng.random()
        if r < 0.12:
            out.append(rng.choice(LATEX).format(a=rng.randint(1, 99), b=rng.randint(1, 99), c=rng.randint(1, 9999)))
        elif r < 0.2:
            out.append(str(rng.randint(0, 10000)))
        else:
            out.append(rng.choice(WORDS))
    return " ".join(out)


def make_submission(folder: Path, n: int, seed: int = 0) -> list[dict]:
    """The kit's sft_utils.py and config, ``n`` training and 100 validation examples."""
    rng = random.Random(seed)
    rows = [{"problem": text(rng, 32), "solution": " " + text(rng, 140) + " The answer is $\\boxed{7}$."} for _ in range(n)]
    (folder / "data").mkdir(parents=True)
    (folder / "sft_utils.py").write_text((ROOT / "sft_utils.py").read_text())
    (folder / "sft_config.yaml").write_text((ROOT / "sft_config.yaml").read_text())
    for name, part in (("train", rows), ("val", rows[:100])):
        with open(folder / "data" / f"{name}.jsonl", "w", encoding="utf-8") as handle:
            handle.writelines(json.dumps(row) + "\n" for row in part)
    return rows


def default_template() -> str:
    for node in ast.parse((ROOT / "sft_utils.py").read_text()).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "CHAT_TEMPLATE":
            return ast.literal_eval(node.value)
    raise SystemExit("CHAT_TEMPLATE not found in sft_utils.py")


def raw_tokenize(tokenizer, texts: list[str]) -> dict:
    """One batch call, as a plain transformers user would make it."""
    wall, cpu = time.perf_counter(), time.process_time()
    ids = tokenizer(texts)["input_ids"]
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"seconds": wall, "cpu_seconds": cpu, "tokens": sum(map(len, ids))}


def raw_encode_batch(tokenizer, texts: list[str]) -> dict:
    """One pass of the Rust backend's ``encode_batch``: tokenizing and nothing else."""
    wall, cpu = time.perf_counter(), time.process_time()
    encodings = tokenizer._tokenizer.encode_batch(texts)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"seconds": wall, "cpu_seconds": cpu, "tokens": sum(len(e.ids) for e in encodings)}


def synthetic_tests(n_test: int, seed: int = 1) -> list[str]:
    """The synthetic test set of both decontamination measurements."""
    rng = random.Random(seed)
    return [text(rng, 40) for _ in range(n_test)]


def clean_test_problems(rows: list[dict], n_test: int) -> list[str]:
    """The synthetic test set less the few problems that share 13 words with ``rows`` by chance (the
    small vocabulary repeats ``\\sum`` snippets): check's test file, so that the submission is valid."""
    from grader.submission.decontam import TestSet

    tests = synthetic_tests(n_test)
    index = TestSet([str(i) for i in range(n_test)], tests)
    hits = {hit[0] for row in rows for text in (row["problem"], row["solution"]) if (hit := index.match(text))}
    return [problem for i, problem in enumerate(tests) if i not in hits]


def write_tests(path: Path, tests: list[str]) -> Path:
    path.write_text("".join(json.dumps({"id": f"t{i}", "problem": p}) + "\n" for i, p in enumerate(tests)))
    return path


def run_check(folder: Path, llama: str, test_file: Path | None = None) -> dict:
    """The command a student runs, timed from outside; CPU of it and its sandbox children."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    extra = ["--test", str(test_file)] if test_file else []
    proc = subprocess.run(
        [sys.executable, "-m", "grader", "check", str(folder), "--json", "--base-model", llama, *extra],
        cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if not proc.stdout.strip():
        raise SystemExit(f"check failed (exit {proc.returncode}): {proc.stderr[-2000:]}")
    report = json.loads(proc.stdout)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"seconds": wall, "cpu_seconds": cpu, "exit": proc.returncode, "report": report}


def profile_check(folder: Path, llama: str, test_file: Path) -> None:
    """In-process cProfile of validate_submission: the stages and the top functions."""
    import cProfile
    import pstats

    from grader.submission.validate import validate_submission

    profiler = cProfile.Profile()
    profiler.enable()
    validate_submission(folder, base_model=llama, test_file=test_file)
    profiler.disable()
    pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(25)


def bench_decontam(rows: list[dict], n_test: int, seed: int = 1) -> dict:
    """Every trained text of ``rows`` (problems, then solutions) against ``n_test`` test problems."""
    from grader.submission.decontam import TestSet, find_contamination

    tests = synthetic_tests(n_test, seed)
    problems = [row["problem"] for row in rows]
    solutions = [row["solution"] for row in rows]
    problems[10], problems[20] = tests[5].upper(), "Preamble words. " + " ".join(tests[6].split()[3:20])
    # a solution quoting a test problem in Cyrillic look-alikes with zero-width spaces between words
    solutions[30] = "We recall: " + "\u200b ".join(tests[7].translate(str.maketrans("aeopcx", "аеорсх")).split()) + " Done."
    cpu, start = time.process_time(), time.perf_counter()
    index = TestSet([f"t{i}" for i in range(n_test)], tests)
    built = time.perf_counter() - start
    found = find_contamination(index, "train", "data/train.jsonl", problems)
    problems_done = time.perf_counter()
    found += find_contamination(index, "train", "data/train.jsonl", solutions, field="solution")
    end, cpu = time.perf_counter(), time.process_time() - cpu
    hits = {(v.index, v.test_id, v.field) for v in found}
    return {
        "train_examples": len(rows), "test_problems": n_test, "characters": sum(map(len, problems + solutions)),
        "index_seconds": built, "problems_seconds": problems_done - start - built,
        "solutions_seconds": end - problems_done, "seconds": end - start, "cpu_seconds": cpu,
        "planted_found": {(10, "t5", "problem"), (20, "t6", "problem"), (30, "t7", "solution")} <= hits,
        "matches": len(hits),  # a small vocabulary repeats 13-grams
    }  # fmt: skip


MEASURED_CHECK = (
    "import json, sys\n"
    "from grader.cli import main\n"
    "rc = main(sys.argv[1:])\n"
    "hwm = next(l for l in open('/proc/self/status') if l.startswith('VmHWM:'))\n"
    "print(json.dumps({'peak_rss_mb': int(hwm.split()[1]) / 1024}), file=sys.stderr)\n"
    "sys.exit(rc)\n"
)


def check_memory(folder: Path, llama: str) -> dict:
    """check as its own process; the peak RSS of that process alone (VmHWM: the sandbox is another process)."""
    wall = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", MEASURED_CHECK, "check", str(folder), "--json", "--base-model", llama],
        cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    wall = time.perf_counter() - wall
    peak = json.loads(proc.stderr.strip().splitlines()[-1])["peak_rss_mb"]
    report = json.loads(proc.stdout) if proc.stdout.strip() else {"stderr": proc.stderr[-2000:]}
    codes: dict[str, int] = {}
    for v in report.get("violations", []):
        codes[v["code"]] = codes.get(v["code"], 0) + 1
    return {"exit": proc.returncode, "seconds": round(wall, 1), "peak_rss_mb": round(peak), "violations": codes,
            "train": report.get("train")}  # fmt: skip


# A student's loader that makes 100,000 token-dense examples (CJK words, ~19 KB each) in the sandbox.
DENSE_SFT_UTILS = """\
import random
CHAT_TEMPLATE = "{{ bos_token }}Problem: {{ messages[0]['content'] }}\\nSolution:"
rng = random.Random(1)
BLOCK = " ".join("".join(chr(0x4E00 + rng.randrange(20000)) for _ in range(rng.randint(2, 8))) for _ in range(1200))


def load_split(split, path):
    n = 100_000 if split == "train" else 100
    for i in range(n):
        k = i % 997
        yield {"problem": f"Problem {i}", "solution": BLOCK[k:] + BLOCK[:k]}
"""


def write_rows(folder: Path, rows, val_rows: list[dict]) -> int:
    """The kit's sft_utils.py and config over the given rows; the bytes of the training file."""
    (folder / "data").mkdir(parents=True)
    (folder / "sft_utils.py").write_text((ROOT / "sft_utils.py").read_text())
    (folder / "sft_config.yaml").write_text((ROOT / "sft_config.yaml").read_text())
    with open(folder / "data" / "train.jsonl", "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    with open(folder / "data" / "val.jsonl", "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in val_rows)
    return (folder / "data" / "train.jsonl").stat().st_size


def memory_bench(llama: str, examples: int) -> dict:
    from grader.submission.prompts import encode_prompts, prompt_format
    from grader.submission.tokenizer import load_tokenizer

    tokenizer = load_tokenizer(llama)
    fmt = prompt_format(tokenizer, default_template())
    rng = random.Random(0)
    problems = [text(rng, 32).strip() for _ in range(examples)]
    prompt_lengths = [len(p) for p in encode_prompts(tokenizer, fmt, problems)]
    # ' a' is one Llama 3 token however often it repeats; the default sft_utils adds the leading space
    maximal = ({"problem": p, "solution": "a" + " a" * (2048 - n - 2)} for p, n in zip(problems, prompt_lengths))
    oversize = None  # made inside the sandbox by DENSE_SFT_UTILS: ~1.9 GB, near the sandbox's 2 GiB output cap
    out = {}
    with tempfile.TemporaryDirectory(prefix="bench-check-memory-") as tmp:
        for name, rows in (("maximal_valid", maximal), ("oversize_dense", oversize)):
            folder = Path(tmp) / name
            if rows is None:
                write_rows(folder, [], [])
                (folder / "sft_utils.py").write_text(DENSE_SFT_UTILS)
                size = 0
            else:
                size = write_rows(folder, rows, [{"problem": "What is 1 + 1?", "solution": "2"}] * 100)
            out[name] = {"train_file_mb": round(size / 2**20), **check_memory(folder, llama)}
            print(json.dumps({name: out[name]}), flush=True)
            shutil.rmtree(folder)
    return out


def bench_template(rows: list[dict], llama: str) -> dict:
    """CHAT_TEMPLATE on every problem as check renders it (batched forked children), and the survey of every example."""
    from grader.submission.encode import CHUNK_CHARS
    from grader.submission.prompts import prompt_format, render_templates
    from grader.submission.sandbox import Deadline
    from grader.submission.survey import Surveyor, special_token_pattern
    from grader.submission.tokenizer import load_tokenizer
    from grader.submission.validate import TEMPLATE_RENDER_SECONDS, _TemplateCheck

    tokenizer = load_tokenizer(llama)
    template = default_template()
    fmt = prompt_format(tokenizer, template)
    problems = [row["problem"] for row in rows]
    check = _TemplateCheck(tokenizer, template, fmt, TEMPLATE_RENDER_SECONDS)
    batches, found, chunk, chars = 0, None, [], 0
    cpu, start = time.process_time(), time.perf_counter()
    for index, problem in enumerate(problems):  # chunks as validate.py's _SplitRun.flush hands them over
        chunk.append((index, problem))
        chars += len(problem) + len(rows[index]["solution"])
        if chars >= CHUNK_CHARS or index == len(problems) - 1:
            indices, texts = zip(*chunk)
            chunk, chars = [], 0
            if check.queue(indices, texts) or index == len(problems) - 1:
                batches += 1
                check.start("train", Deadline())  # then collected at once: this times the rendering alone
                found = found or check.collect("data/train.jsonl")
    confined = time.perf_counter() - start
    parent_cpu = time.process_time() - cpu
    start = time.perf_counter()
    rendered = render_templates(tokenizer, template, problems)
    plain = time.perf_counter() - start
    assert all(r == fmt.render(p) for r, p in zip(rendered, problems))
    surveyor = Surveyor("train", "data/train.jsonl", special_token_pattern(tokenizer), {})
    start = time.perf_counter()
    for index, row in enumerate(rows):
        surveyor.add(index, row["problem"], row["solution"], "7", "bench")
    survey = time.perf_counter() - start
    return {
        "problems": len(problems), "rendered": check.rendered, "violation": found is not None, "batches": batches,
        "confined_seconds": confined, "parent_cpu_seconds": parent_cpu, "unconfined_one_call_seconds": plain,
        "survey_seconds": survey, "warnings": [w.code for w in surveyor.warnings()],
    }  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=100_000)
    parser.add_argument("--test-problems", type=int, default=5000)
    parser.add_argument("--profile", action="store_true", help="also profile check in-process (to stderr)")
    parser.add_argument("--memory", action="store_true", help="peak RSS of check on a maximal and an oversize submission")
    parser.add_argument("--decontam-only", action="store_true", help="only the decontamination measurement (seconds)")
    parser.add_argument("--template-only", action="store_true", help="only the template on every problem and the survey")
    args = parser.parse_args()
    if args.template_only:
        from grader.tiny import llama_tokenizer_dir

        with tempfile.TemporaryDirectory(prefix="bench-check-") as tmp:
            rows = make_submission(Path(tmp) / "submission", args.examples)
        result = bench_template(rows, str(llama_tokenizer_dir()))
        print(json.dumps({"load_average": os.getloadavg(), "template": result}))
        print(
            f"template: {result['rendered']:,} problems rendered confined in {result['batches']} forked batches in "
            f"{result['confined_seconds']:.1f} s (one unconfined call: {result['unconfined_one_call_seconds']:.1f} s); "
            f"survey of {result['problems']:,} examples: {result['survey_seconds']:.1f} s"
        )
        return 0 if result["rendered"] == result["problems"] and not result["violation"] else 1
    if args.decontam_only:
        with tempfile.TemporaryDirectory(prefix="bench-check-") as tmp:
            decontam = bench_decontam(make_submission(Path(tmp) / "submission", args.examples), args.test_problems)
        print(json.dumps({"load_average": os.getloadavg(), "decontam": decontam}))
        print(_decontam_line(decontam))
        return 0 if decontam["planted_found"] else 1

    if args.memory:
        from grader.tiny import llama_tokenizer_dir

        results = memory_bench(str(llama_tokenizer_dir()), args.examples)
        print("\n| submission | train file | exit | seconds | peak RSS of check | violations |\n| --- | ---: | ---: | ---: | ---: | --- |")
        for name, r in results.items():
            print(f"| {name} | {r['train_file_mb']:,} MB | {r['exit']} | {r['seconds']} | {r['peak_rss_mb']:,} MB | {r['violations']} |")
        return 0

    from grader.submission.prompts import prompt_format
    from grader.tiny import llama_tokenizer_dir
    from grader.submission.tokenizer import load_tokenizer

    llama = str(llama_tokenizer_dir())
    with tempfile.TemporaryDirectory(prefix="bench-check-") as tmp:
        folder = Path(tmp) / "submission"
        rows = make_submission(folder, args.examples)
        tokenizer = load_tokenizer(llama)
        fmt = prompt_format(tokenizer, default_template())
        # what the default sft_utils.py hands over: problem stripped, solution with one leading space
        texts = [fmt.render(r["problem"].strip()) + " " + r["solution"].strip() for r in rows]
        tests = clean_test_problems(rows, args.test_problems)
        test_file = write_tests(Path(tmp) / "test.jsonl", tests)
        raw_before, encode_before = raw_tokenize(tokenizer, texts), raw_encode_batch(tokenizer, texts)
        check = run_check(folder, llama, test_file)
        encode_after, raw_after = raw_encode_batch(tokenizer, texts), raw_tokenize(tokenizer, texts)
        if args.profile:
            profile_check(folder, llama, test_file)
        decontam = bench_decontam(rows, args.test_problems)

    raw = {k: (raw_before[k] + raw_after[k]) / 2 for k in ("seconds", "cpu_seconds")}
    encode = {k: (encode_before[k] + encode_after[k]) / 2 for k in ("seconds", "cpu_seconds")}
    train = check["report"]["train"]
    results = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "load_average": os.getloadavg(),
        "examples": args.examples,
        "tokens": raw_before["tokens"],
        "tokens_per_example": raw_before["tokens"] / args.examples,
        "check_total_tokens": train["total_tokens"],
        "raw_seconds": [raw_before["seconds"], raw_after["seconds"]],
        "raw_cpu_seconds": [raw_before["cpu_seconds"], raw_after["cpu_seconds"]],
        "encode_batch_seconds": [encode_before["seconds"], encode_after["seconds"]],
        "encode_batch_cpu_seconds": [encode_before["cpu_seconds"], encode_after["cpu_seconds"]],
        "check_seconds": check["seconds"],
        "check_cpu_seconds": check["cpu_seconds"],
        "check_test_problems": len(tests),
        "ratio": check["seconds"] / encode["seconds"],
        "cpu_ratio": check["cpu_seconds"] / encode["cpu_seconds"],
        "ratio_vs_tokenizer_call": check["seconds"] / raw["seconds"],
        "raw_tokens_per_second": raw_before["tokens"] / raw["seconds"],
        "check_exit": check["exit"],
        "decontam": decontam,
    }
    print(json.dumps(results))
    print(
        "\n| examples | tokens/example | raw `encode_batch` s | raw `tokenizer(texts)` s | `check --test` s | ratio to encode_batch "
        "| CPU s encode_batch / check | CPU ratio |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
        f"| {args.examples:,} | {results['tokens_per_example']:.0f} | {encode['seconds']:.1f} | {raw['seconds']:.1f} | "
        f"{check['seconds']:.1f} | {results['ratio']:.2f} | {encode['cpu_seconds']:.1f} / {check['cpu_seconds']:.1f} | "
        f"{results['cpu_ratio']:.2f} |\n"
        f"\n{_decontam_line(decontam)}"
    )
    return 0 if check["exit"] == 0 else 1


def _decontam_line(d: dict) -> str:
    return (
        f"decontamination: {d['train_examples']:,} training problems and their solutions ({d['characters'] / 1e6:.0f} M "
        f"characters) against {d['test_problems']:,} test problems in {d['seconds']:.1f} s, CPU {d['cpu_seconds']:.1f} s (index {d['index_seconds']:.1f} s, "
        f"problems {d['problems_seconds']:.1f} s, solutions {d['solutions_seconds']:.1f} s; planted matches found: "
        f"{d['planted_found']}, matches: {d['matches']})"
    )


if __name__ == "__main__":
    raise SystemExit(main())
