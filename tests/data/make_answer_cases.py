"""Generate tests/data/answer_cases.jsonl from the real MATH-500 and GSM8K answers (run once, commit).

Every case is a full model-like output (the dataset's worked solution, whose final box is replaced)
plus the reference answer and what a fair human grader decides. Correct cases rewrite the reference
in another valid notation; wrong cases are near misses (off by one, swapped pair, flipped bracket,
truncated decimal, one root missing...). Some outputs get an earlier box or lose their box.

This script deliberately does not import the grader: the expectations must not come from the code
under test.

    python tests/data/make_answer_cases.py [--data ../shared/data] [--out tests/data/answer_cases.jsonl]
"""

from __future__ import annotations

import argparse
import json
import random
import re
from fractions import Fraction
from pathlib import Path

HERE = Path(__file__).resolve().parent


def last_box_span(text: str) -> tuple[int, int] | None:
    """(start of ``\\boxed{``, index after its closing brace) of the last box, by brace matching."""
    k = text.rfind("\\boxed{")
    if k < 0:
        return None
    depth = 0
    i = k + len("\\boxed")
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return k, i + 1
        i += 1
    return None


def with_answer(solution: str, answer: str | None, mode: str = "box", earlier: str | None = None) -> str:
    """The solution with its final box replaced: mode box, nobox (plain text), unclosed, empty."""
    span = last_box_span(solution)
    head, tail = (solution[: span[0]], solution[span[1] :]) if span else (solution + " The answer is $", "$.")
    if earlier is not None:
        head = f"At first I got $\\boxed{{{earlier}}}$, but let me double-check.\n" + head
    if mode == "box":
        return f"{head}\\boxed{{{answer}}}{tail}"
    if mode == "nobox":
        return f"{head}{answer}{tail}"
    if mode == "unclosed":
        return f"{head}\\boxed{{{answer}"  # generation cut at max tokens
    return f"{head}\\boxed{{}}{tail}"


_INT = re.compile(r"^-?\d+$")
_FRAC = re.compile(r"^(-?)\\[dt]?frac\s*\{?(\d+)\}?\s*\{?(\d+)\}?$")
_DEC = re.compile(r"^-?\d*\.\d+$")
_FIRST_NUMBER = re.compile(r"(?<![_^\\a-zA-Z])\d+")


def bump_first_number(ans: str) -> str | None:
    """Add one to the last digit of the first number (keeping its width): the classic near miss."""
    if re.search(r"\\frac\s*\d", ans):  # \frac59: bumping "59" would change the shape, not the value
        return None
    m = _FIRST_NUMBER.search(ans)
    if m is None:
        return None
    digits = m.group()
    bumped = str(int(digits) + 1).zfill(len(digits))
    return ans[: m.start()] + bumped + ans[m.end() :]


def split_top(s: str, seps: str = ",") -> list[str]:
    out, depth, cur = [], 0, ""
    for ch in s:
        depth += (ch in "([{") - (ch in ")]}")
        if ch in seps and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    return out + [cur]


def terminating(q: Fraction) -> bool:
    d = q.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    return d == 1


def decimal(q: Fraction) -> str:
    s = f"{float(q):.12f}".rstrip("0").rstrip(".")
    assert Fraction(s) == q, (q, s)
    return s


def rotate_terms(expr: str) -> str | None:
    """``a + b - c`` -> ``b - c + a``: the same sum in another order (a notation change)."""
    terms = re.findall(r"[+-]?[^+-]+", expr.replace(" ", ""))
    if len(terms) < 2 or any(t.count("(") != t.count(")") or t.count("{") != t.count("}") for t in terms):
        return None
    terms = [t if t[0] in "+-" else "+" + t for t in terms]
    rotated = terms[1:] + terms[:1]
    out = "".join(rotated)
    return out[1:] if out.startswith("+") else out


def correct_variants(ans: str, problem: str) -> list[tuple[str, str]]:
    """Valid rewrites of a reference answer, each with its category."""
    out: list[tuple[str, str]] = []
    a = ans.strip()
    m = _FRAC.match(a)
    if m:
        sign, p, q = m.groups()
        val = Fraction(int(p), int(q)) * (-1 if sign else 1)
        out += [("fraction", f"{sign}{p}/{q}"), ("fraction", f"{sign}\\dfrac{{{p}}}{{{q}}}")]
        if terminating(val):
            out.append(("decimal", decimal(val)))
        if sign:
            out.append(("fraction", f"\\frac{{-{p}}}{{{q}}}"))
        return out
    if _INT.match(a):
        n = int(a)
        out.append(("assignment", f"x = {n}"))
        if "degree" in problem:
            out.append(("units", f"{n}^\\circ"))
        if "$" in problem and "\\$" in problem:
            out.append(("units", f"\\${n}"))
        if abs(n) >= 1000:
            out.append(("grouping", f"{n:,}"))
            out.append(("grouping", f"{n:,}".replace(",", "{,}")))
        out += [("spacing", f"\\; {n} \\;"), ("text", f"\\text{{{n}}}"), ("decimal", f"{n}.0"),
                ("spacing", f"\\displaystyle {n}"), ("spacing", f"\\mathbf{{{n}}}"), ("spacing", f"${n}$")]
        return out
    if _DEC.match(a):
        val = Fraction(a if not a.startswith(".") else "0" + a)
        out += [("decimal", f"\\frac{{{val.numerator}}}{{{val.denominator}}}"), ("decimal", a + "0")]
        return out
    if a.endswith("^\\circ"):
        base = a[: -len("^\\circ")]
        return [("units", base), ("units", base + "^{\\circ}"), ("units", base + " \\text{ degrees}")]
    m = re.match(r"^\\text\{\(([A-E])\)\}$", a)
    if m:
        return [("text", m.group(1)), ("text", f"({m.group(1)})"), ("text", f"\\textbf{{({m.group(1)})}}")]
    m = re.match(r"^\\text\{([A-Za-z ]+)\}$", a)
    if m:
        word = m.group(1)
        return [("text", word), ("text", word.capitalize()), ("text", f"\\textbf{{{word}}}")]
    if a.startswith("\\$"):
        plain = a[2:].replace(",\\!", "")
        return [("units", plain), ("units", plain + " \\text{ dollars}")]
    if re.match(r"^\d{1,3}(,\d{3})+$", a):
        return [("grouping", a.replace(",", "")), ("grouping", a.replace(",", "\\,"))]
    if ",\\!" in a:
        plain = a.replace(",\\!", "").replace(" ", "")
        return [("grouping", plain), ("grouping", a.replace(",\\!", "{,}").replace(" ", ""))]
    if "\\begin{pmatrix}" in a:
        out.append(("matrix", a.replace("pmatrix", "bmatrix")))
        fr = re.sub(r"(-?)(\d+)/(\d+)", r"\1\\frac{\2}{\3}", a)
        if fr != a:
            out.append(("matrix", fr))
        return out
    m = re.match(r"^(\d+)_\{?(\d+)\}?$", a)
    if m:
        return [("base", f"{m.group(1)}_{{{m.group(2)}}}"), ("base", m.group(1))]
    if a.startswith("\\{") and a.endswith("\\}"):
        inner = a[2:-2]
        return [("set", inner.replace("1\\pm\\sqrt{5}", "1+\\sqrt{5}, 1-\\sqrt{5}"))]
    if "\\pm" in a:
        left, right = a.split("\\pm")
        return [("pm", f"{left.strip()} + {right.strip()}, {left.strip()} - {right.strip()}"),
                ("pm", f"{left.strip()} - {right.strip()}, {left.strip()} + {right.strip()}")]
    if "\\cup" in a:
        parts = [p.strip() for p in a.split("\\cup")]
        return [("interval", " \\cup ".join(reversed(parts))), ("interval", a.replace(" ", ""))]
    if a.startswith("\\left") or (a[:1] in "([" and a[-1:] in ")]" and len(split_top(a[1:-1])) > 1):
        plain = a.replace("\\left", "").replace("\\right", "").replace(" ", "")
        out.append(("tuple", plain))
        if not a.startswith("\\left"):
            out = [("tuple", "\\left" + a[0] + " " + a[1:-1].replace(",", ", ") + " \\right" + a[-1])]
        return out
    if a.startswith("x \\in"):
        return [("interval", a[len("x \\in"):].strip())]
    if "=" in a:
        lhs, rhs = a.split("=")
        rot = rotate_terms(rhs)
        if lhs.strip() in ("x", "y") and rot:
            return [("equation", f"{lhs.strip()} = {rot}"), ("assignment", rhs.strip())]
        return [("spacing", a.replace(" ", ""))]
    parts = split_top(a)
    if len(parts) > 1:
        return [("list", ", ".join(p.strip() for p in reversed(parts))),
                ("list", " \\text{ and } ".join(p.strip() for p in parts))]
    if re.search(r"\\text|\\mbox", a):
        num = re.sub(r"\\(?:text|mbox)\{[^}]*\}(\^2)?", "", a).strip()
        return [("units", num)]
    m = re.match(r"^\\frac\{(\d*)\\sqrt\{(\d+)\}\}\{(\d+)\}$", a)
    if m:
        out.append(("symbolic", f"\\frac{{{m.group(1) or 1}}}{{{m.group(3)}}}\\sqrt{{{m.group(2)}}}"))
    m = re.match(r"^(\d+)\s*\\sqrt\{?(\d+)\}?$", a)
    if m:
        out.append(("symbolic", f"\\sqrt{{{m.group(2)}}} \\cdot {m.group(1)}"))
    rot = rotate_terms(a)
    if rot and rot != a and not a.startswith("\\frac"):
        out.append(("symbolic", rot))
    out.append(("spacing", a.replace(" ", "") if " " in a else " ".join(re.findall(r"\d+|\\[A-Za-z]+|\S", a))))
    return out


def wrong_variants(ans: str, others: list[str]) -> list[tuple[str, str]]:
    """Near misses of a reference answer, each with its category."""
    a = ans.strip()
    out: list[tuple[str, str]] = []
    m = _FRAC.match(a)
    if m:
        sign, p, q = m.groups()
        val = Fraction(int(p), int(q)) * (-1 if sign else 1)
        if not terminating(val):
            out.append(("no_tolerance", f"{float(val):.2f}"))
            out.append(("no_tolerance", f"{float(val):.4f}"))
        if p != q:
            out.append(("fraction", f"{sign}\\frac{{{q}}}{{{p}}}"))
    m = re.match(r"^\\text\{\(([A-E])\)\}$", a)
    if m:
        return [("text", "(" + "ABCDE"[("ABCDE".index(m.group(1)) + 1) % 5] + ")")]
    m = re.match(r"^\\text\{([A-Za-z ]+)\}$", a)
    if m:
        return [("text", next(o for o in others if o != m.group(1)))]
    if "\\pm" in a:
        left, right = a.split("\\pm")
        out.append(("pm", f"{left.strip()} + {right.strip()}"))
    if a[:1] in "([" and a[-1:] in ")]" and "\\infty" not in a and "\\cup" not in a:
        inner = split_top(a[1:-1])
        if len(inner) == 2 and inner[0].strip() != inner[1].strip():
            out.append(("tuple", a[0] + inner[1].strip() + "," + inner[0].strip() + a[-1]))
    opener = re.match(r"^(?:\\left)?\s*([(\[])", a)
    if opener and a[-1:] in ")]" and "\\cup" not in a and ("\\infty" in a or "(]" in opener.group(1) + a[-1]
                                                              or "[)" in opener.group(1) + a[-1] or a[0] == "["
                                                              or a.startswith("\\left[")):
        flip = {"(": "[", "[": "(", ")": "]", "]": ")"}
        k = opener.start(1) if "\\infty" in split_top(a)[-1] else len(a) - 1
        out.append(("interval", a[:k] + flip[a[k]] + a[k + 1 :]))
    parts = split_top(a)
    if len(parts) > 2 and not a.startswith(("(", "\\left", "\\{")):
        out.append(("list", ", ".join(parts[:-1])))
    if "\\pi" in a and re.search(r"\d\s*\\pi", a):
        out.append(("symbolic", re.sub(r"(\d)\s*\\pi", r"\1", a, count=1)))
    bumped = bump_first_number(a)
    if bumped and bumped != a:
        out.append(("near_miss", bumped))
    return out


def repeating(q: Fraction) -> str | None:
    """``1/6`` -> ``0.1\\overline{6}`` by long division; None for long periods or terminating values."""
    sign, q = ("-" if q < 0 else ""), abs(q)
    whole, rem, den = q.numerator // q.denominator, q.numerator % q.denominator, q.denominator
    digits, seen = [], {}
    while rem and rem not in seen:
        seen[rem] = len(digits)
        rem *= 10
        digits.append(str(rem // den))
        rem %= den
    if not rem or len(digits) - seen[rem] > 6:
        return None
    start = seen[rem]
    return f"{sign}{whole}.{''.join(digits[:start])}\\overline{{{''.join(digits[start:])}}}"


def rule_cases(math: list[dict], gsm: list[dict]) -> list[dict]:
    """Cases aimed at each rule of docs/grading.md, applied to every real answer it fits."""
    cases: list[dict] = []

    def add(row: dict, category: str, answer: str, expected: bool) -> None:
        cases.append(dict(source=row["id"], category=category, output=with_answer(row["solution"], answer),
                          reference=row["answer"], expected=expected))

    big = [r for r in gsm if int(r["answer"]) >= 1000]
    for i, r in enumerate(big[:40]):
        n = int(r["answer"])
        form = (",", "{,}", "\\,", " ", ",\\!")[i % 5]
        add(r, "grouping", f"{n:,}".replace(",", form), True)
        if i % 4 == 0:
            add(r, "grouping", f"{n + 1000:,}".replace(",", form), False)
    for r in [r for r in gsm if int(r["answer"]) >= 100_000][:10]:
        add(r, "big_integer", str(int(r["answer"]) + 1), False)
    percent = [r for r in gsm if re.search(r"[Ww]hat percent|percentage", r["problem"])]
    for i, r in enumerate(percent[:30]):
        n = int(r["answer"])
        if i % 2:
            add(r, "percent", f"{n}\\%", True)
        elif n % 100:
            add(r, "no_percent_leniency", decimal(Fraction(n, 100)), False)
    for r in math:
        a = r["answer"].strip()
        m = _FRAC.match(a)
        if m:
            sign, p, q = m.groups()
            val = Fraction(int(p), int(q)) * (-1 if sign else 1)
            if terminating(val):
                dec = decimal(val)
                if len(dec.split(".")[-1]) >= 4:  # a near miss far down the decimals
                    add(r, "decimal", dec, True)
                    add(r, "no_tolerance", dec[:-1] + str((int(dec[-1]) + 1) % 10), False)
            else:
                rep = repeating(val)
                if rep:
                    add(r, "repeating_decimal", rep, True)
                add(r, "no_tolerance", f"{float(val):.6f}", False)
        if _DEC.match(a) and len(a.split(".")[-1]) >= 4:
            add(r, "no_tolerance", a[:-1] + str((int(a[-1]) + 1) % 10), False)
        m = re.match(r"^(\d+)_\{?(\d+)\}?$", a)
        if m:
            add(r, "base", m.group(1), True)
            add(r, "base", f"{m.group(1)}_{{{int(m.group(2)) + 1}}}", False)
        m = re.match(r"^\\text\{\(([A-E])\)\}$", a)
        if m:
            add(r, "text", f"\\text{{{m.group(1)}}}", True)
            add(r, "text", "\\text{(" + "ABCDE"[("ABCDE".index(m.group(1)) + 2) % 5] + ")}", False)
        if a.endswith("^\\circ"):
            add(r, "units", a[: -len("^\\circ")] + "^{\\circ}", True)
        if _INT.match(a) and re.search(r"\b(cm|inches|feet|meters|units)\b", r["problem"]):
            unit = re.search(r"\b(cm|inches|feet|meters|units)\b", r["problem"]).group(1)
            power = "^2" if "area" in r["problem"] else ""
            add(r, "units", f"{a} \\text{{ {unit}}}{power}", True)
        m = re.match(r"^(-?\d+)\s*([+-])\s*(\d*)i$", a)
        if m:
            add(r, "complex", f"{m.group(1)} {m.group(2)} {m.group(3)} i", True)
            add(r, "complex", f"{m.group(1)} {'-' if m.group(2) == '+' else '+'} {m.group(3)}i", False)
        m = re.match(r"^(\d+)\s*\\frac\{(\d+)\}\{(\d+)\}$", a)
        if m:
            val = int(m.group(1)) + Fraction(int(m.group(2)), int(m.group(3)))
            add(r, "mixed_number", f"\\frac{{{val.numerator}}}{{{val.denominator}}}", True)
            add(r, "mixed_number", decimal(val), True)
            add(r, "mixed_number", f"\\frac{{{m.group(2)}}}{{{m.group(3)}}}", False)
        spaced = a.replace(" ", "").replace("\\left", "\\left ").replace("\\right", " \\right")
        if re.match(r"^(\\left)?\s*[(\[].*[)\]]$", a) and ("\\infty" in a or a[-1] == "]" or "\\cup" in a) \
                and spaced != a:
            add(r, "interval", spaced, True)
    return cases



def math_cases(rows: list[dict], rng: random.Random) -> list[dict]:
    cases = []
    texts = sorted({m.group(1) for r in rows if (m := re.match(r"^\\text\{([A-Za-z ]+)\}$", r["answer"]))
                    and not re.match(r"^\([A-E]\)$", m.group(1))})
    for i, r in enumerate(rows):
        ans, sol = r["answer"], r["solution"]
        good = correct_variants(ans, r["problem"])
        bad = wrong_variants(ans, [t for t in texts if t not in ans])
        cat, variant = rng.choice(good)
        cases.append(dict(source=r["id"], category=cat, output=with_answer(sol, variant), reference=ans, expected=True))
        if bad:
            cat, variant = rng.choice(bad)
            cases.append(dict(source=r["id"], category=cat, output=with_answer(sol, variant), reference=ans, expected=False))
            if i % 5 == 0:
                cases.append(dict(source=r["id"], category="multi_box", reference=ans, expected=True,
                                  output=with_answer(sol, rng.choice(good)[1], earlier=variant)))
            elif i % 5 == 1:
                cases.append(dict(source=r["id"], category="multi_box", reference=ans, expected=False,
                                  output=with_answer(sol, variant, earlier=ans)))
        if i % 20 == 2:
            mode = ("nobox", "unclosed", "empty")[(i // 20) % 3]
            cases.append(dict(source=r["id"], category="extraction", reference=ans, expected=False,
                              output=with_answer(sol, ans, mode=mode)))
    return cases


def gsm8k_cases(rows: list[dict]) -> list[dict]:
    """One case per sampled problem, cycling through forms a course model actually produces."""
    def forms(n: int, problem: str) -> list[tuple[str, str, bool, str | None, str]]:
        big = abs(n) >= 1000
        return [  # (category, boxed text, expected, earlier box, extraction mode)
            ("plain", f"{n}", True, None, "box"),
            ("units", f"\\${n}", True, None, "box"),
            ("units", f"{n} \\text{{ dollars}}" if "$" in problem else f"{n} \\text{{ units}}", True, None, "box"),
            ("grouping", f"{n:,}" if big else f"{n}.00", True, None, "box"),
            ("grouping", f"{n:,}".replace(",", "\\,") if big else f"{n}.0", True, None, "box"),
            ("assignment", f"x = {n}", True, None, "box"),
            ("multi_box", f"{n}", True, f"{n + 7}", "box"),
            ("multi_box", f"{n * 2 + 1}", False, f"{n}", "box"),
            ("near_miss", f"{n + 1}", False, None, "box"),
            ("near_miss", f"{n - 1}", False, None, "box"),
            ("grouping", f"{n + 1000:,}" if big else f"{n}.5", False, None, "box"),
            ("extraction", f"{n}", False, None, "nobox"),
            ("extraction", f"{n}", False, None, "unclosed"),
            ("extraction", f"{n}", False, None, "empty"),
            ("units", f"{n}\\%", True, None, "box"),
            ("no_percent_leniency", f"{Fraction(n, 100)}" if n % 100 else f"{n // 100}", False, None, "box"),
            ("bare_box", f"{n}", True, None, "bare"),
        ]

    cases = []
    for i, r in enumerate(rows[::6]):
        n = int(r["answer"])
        cat, text, expected, earlier, mode = forms(n, r["problem"])[i % 17]
        if cat == "no_percent_leniency" and (n == 0 or text == str(n)):
            continue
        if mode == "bare":
            out = r["solution"].replace(f"\\boxed{{{n}}}", f"\\boxed {text}")
        else:
            out = with_answer(r["solution"], text, mode=mode, earlier=earlier)
        cases.append(dict(source=r["id"], category=cat, output=out, reference=r["answer"], expected=expected))
    return cases


def shorten(solution: str, keep: int = 600) -> str:
    """The end of a long worked solution (from a line start), so the committed file stays small."""
    span = last_box_span(solution)
    cut = max(0, (span[0] if span else len(solution)) - keep)
    if cut == 0:
        return solution
    line = solution.find("\n", cut)
    return solution[line + 1 :] if 0 <= line < (span[0] if span else len(solution)) else solution[cut:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=HERE.parents[2] / "shared" / "data")
    parser.add_argument("--out", type=Path, default=HERE / "answer_cases.jsonl")
    args = parser.parse_args()
    load = lambda name: [json.loads(line) for line in (args.data / name).open(encoding="utf-8")]  # noqa: E731
    math, gsm = load("math500_test.jsonl"), load("gsm8k_test.jsonl")
    for row in math:
        row["solution"] = shorten(row["solution"])
    cases = math_cases(math, random.Random(0)) + gsm8k_cases(gsm) + rule_cases(math, gsm)
    with args.out.open("w", encoding="utf-8") as f:
        for k, case in enumerate(cases):
            f.write(json.dumps({"id": f"case-{k:04d}", **case}, ensure_ascii=False) + "\n")
    print(f"wrote {len(cases)} cases to {args.out}")


if __name__ == "__main__":
    main()
