"""Generate tests/data/answer_cases_peers.jsonl: other graders' own test cases, plus dataset gold notations.

Two kinds of cases, each row naming its source:

* **Adopted** from the public test suites of other graders, with *their* expected verdicts. Each is
  (gold, prediction, expected) in the source; here the gold becomes the reference (its math
  delimiters stripped; a gold with several boxes becomes their contents joined by commas) and a
  prediction without a box gets one around its math (the course reads only the last box). Sources,
  pinned to the commit read, with their licences:

  - huggingface/Math-Verify @5d148cf, tests/test_all.py, test_numina_cases.py, test_open_thoughts.py,
    test_yujianll.py, test_strict.py (Apache-2.0; test_all.py also carries an MIT header). test_all.py's
    "Tests from qwen parser" are QwenLM/Qwen2.5-Math's evaluation/grader.py `_test_math_equal` (MIT).
  - NVIDIA/NeMo-Skills @0b012df, tests/test_math_equal.py (Apache-2.0); `math_equal` is symmetric and
    the suite asserts both orders, so each pair is adopted both ways.
  - hendrycks/math @5f3bf91, modeling/math_equivalence_test.py (MIT).
  - huggingface/lighteval @3fd1526, tests/unit/metrics/test_extractive_match.py (MIT): the one numina
    case it has beyond Math-Verify's copy.

* **Written here** from datasets' own gold notations (NuminaMath-style golds: `;` inside tuples and
  between alternatives, `or`/`and`, labelled values, relations in ASCII/LaTeX/Unicode, clock times,
  ratios) and from the real MATH-500 answers in ../shared/data (terms reordered inside the worked
  solution's final box), each with near misses.

`debatable` is empty for a case that counts, or says why it is excluded from the score: the source's
verdict rests on a policy the course rejects in docs/grading.md (rounding tolerance, several boxes read
together, lists compared in order, decimal commas), on a grader option, or is not settled mathematics.

This script does not import the grader: the expectations must not come from the code under test.

    python tests/data/make_answer_cases_peers.py [--data ../shared/data] [--out tests/data/answer_cases_peers.jsonl]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from make_answer_cases import with_answer  # noqa: E402

MV = "huggingface/Math-Verify@5d148cf (Apache-2.0)"
LIGHTEVAL = "huggingface/lighteval@3fd1526 tests/unit/metrics/test_extractive_match.py (MIT)"
MV_QWEN = "huggingface/Math-Verify@5d148cf tests/test_all.py, from QwenLM/Qwen2.5-Math evaluation/grader.py (MIT)"
NEMO = "NVIDIA/NeMo-Skills@0b012df tests/test_math_equal.py (Apache-2.0)"
HENDRYCKS = "hendrycks/math@5f3bf91 modeling/math_equivalence_test.py (MIT)"
OWN = "written for this project"

TOLERANCE = "policy: the source rounds; the course has no tolerance"
LAST_BOX = "policy: the source reads several boxes together; the course reads the last box"
ORDERED_LIST = "policy: the source compares bare lists in order; the course reads them as unordered solutions"
DECIMAL_COMMA = "policy: decimal comma; the course reads 1,22 as a list"
OPTION = "grader option of the source, not a verdict"
UNSETTLED = "not settled: the source's verdict is not what the mathematics says"

CASES: list[dict] = []


def strip_math(s: str) -> str:
    """The gold or prediction without its math delimiters ($, $$, \\( \\), \\[ \\])."""
    s = s.strip()
    for left, right in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if s.startswith(left) and s.endswith(right) and len(s) >= len(left) + len(right):
            s = s[len(left) : len(s) - len(right)].strip()
    return s


_MATH = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", re.S)


def as_output(pred: str) -> str:
    """The prediction as a model output: kept when it has a box; else the content of its last math
    segment is boxed in place (the answer the source's extractor reads), or the whole text is boxed."""
    if "\\boxed" in pred or "\\fbox" in pred:
        return pred
    segments = list(_MATH.finditer(pred))
    if not segments or (segments[-1].start() == 0 and segments[-1].end() == len(pred.strip())):
        return "The final answer is $\\boxed{" + strip_math(pred) + "}$."
    m = segments[-1]
    k = m.lastindex or 0
    return pred[: m.start(k)] + "\\boxed{" + m.group(k).strip() + "}" + pred[m.end(k) :]


def add(source: str, cls: str, reference: str, pred: str, expected: int | bool, debatable: str = "") -> None:
    CASES.append({"source": source, "class": cls, "reference": strip_math(reference), "output": as_output(pred),
                  "expected": bool(expected), "debatable": debatable})


# ----------------------------------------------------------------------------------------- Math-Verify
P = MV + " tests/test_all.py"
for gold, pred, exp, why in [
    # test_number_extraction (bare numbers; the free-text ones are about extraction and are left out)
    ("-5", "-5", 1, ""), ("7425000", "7,425,000", 1, ""), ("1000", "1 000", 1, ""), ("1000", "1000.0", 1, ""),
    ("1000.0", "1,000.0", 1, ""), ("1000.99", "1000,99", 1, DECIMAL_COMMA), ("1,22", "1.22", 1, DECIMAL_COMMA),
    ("0.4", ".4", 1, ""), ("1000.99", "1,000.99", 1, ""), ("1000.99", r"\$1,000.99", 1, ""),
    ("0,111", "0.111", 1, DECIMAL_COMMA), ("2", "AZYUK2A", 0, ""),
    # test_simple_fraction_notation, test_sets_handling
    ("10/9", r"\frac{10}{9}", 1, ""), ("-10/9", r"-\frac{10}{9}", 1, ""),
    ("$[0,1)$", "$[0,1)$", 1, ""), ("$[0,9)$", "$[0,1)$", 0, ""), ("$(0,9)$", "$[0,9)$", 0, ""), ("$1$", "$-[0,1)$", 0, ""),
    # test_latex_notation
    ("$9$", r"Answer \[ 9 \]", 1, ""), ("$10$", r"Answer \( (9+1) \)", 1, ""), ("$1/3$", r"$\frac13 $", 1, ""),
    ("$1$", r"$\frac3{3} $", 1, ""), (r"$\sqrt{3}$", r"$\sqrt3 $", 1, ""), ("$1/3$", r"$\cfrac{1}{3} $", 1, ""),
    ("$1/3$", r"$\dfrac{1}{3} $", 1, ""), ("$1/3$", r"$\tfrac{1}{3} $", 1, ""), ("$1/3$", "$ 1/3 $", 1, ""),
    ("$1/3$", r"$\left( \frac{1}{3} \right)$", 1, ""), ("$1/3$", r"$\boxed{\frac{1}{3}}$", 1, ""),
    ("$1/3$", r"$\frac{1}{3} \text{meters}$", 1, ""), ("$1/3$", r"$\frac{1}{3} \textbf{meters}$", 1, ""),
    ("$1/3$", r"$k = \frac{1}{3}$", 1, ""),
    # test_percent_notation
    (r"$28\%$", "28 percent", 1, ""), (r"$28\%$", "28 pct", 1, ""), (r"$28\%$", "28 %", 1, ""),
    (r"$28\%$", r"$\boxed{28 percentage}$", 1, ""),
]:
    add(P, "other", gold, pred, exp, why)

for gold, pred, exp in [  # test_latex_notation_math: MATH solutions (shortened to the sentence with the box)
    ("$2-2p$", r"If $2-x=p$, then $x=2-p$. Thus $x-p=\boxed{2-2p}$.", 1),
    (r"$\begin{pmatrix} 0 & 3 \\ 0 & -1 \end{pmatrix}$", "\\boxed{\n\\begin{pmatrix} 0 & 3 \\\\ 0 & -1 \\end{pmatrix}\n}.", 1),
    (r"$28\%$", r"making for a total loss of $\boxed{28\%}$.", 1),
    (r"$14{,}916$", r"Therefore, $\boxed{14{,}916}$ is our answer.", 1),
    (r"$(3, \frac{\pi}{2})$", r"Therefore, the polar coordinates are $\boxed{\left( 3, \frac{\pi}{2} \right)}.$", 1),
    (r"$\frac{14}{3}$", r"$f(-2)+f(-1)+f(0)=2+\frac{5}{3}+1=\boxed{\frac{14}{3}}$", 1),
    (r"$\text{Evelyn}$", r"Therefore, $\boxed{\text{Evelyn}}$ is our answer.", 1),
    (r"$90^\circ$", r"Hence, the angle between the lines is $\boxed{90^\circ}.$", 1),
    (r"$3\sqrt{13}$", r"\sqrt{117} = \boxed{3\sqrt{13}}.", 1),
    (r"$\frac{3}{56}$", r"so \[p(8) = \frac{q(8) + 8}{8^2 - 1} = \boxed{\frac{3}{56}}.\]", 1),
    (r"$15\mbox{ cm}^2$", r"$$\frac{1}{2}\times 3 \times 10 = \boxed{15\mbox{ cm}^2}.$$", 1),
    ("$-2,1$", r"Checking, we find that the only integer roots are $\boxed{-2,1}.$", 1),
    ("$9$", r"Then, $129^{34}+96^{38} \equiv \boxed{9} \pmod{11}.$", 1),
    ("$0$", r"Hence, the degree of $p(x)$ (which is the constant polynomial 1) is $\boxed{0}.$", 1),
    ("$204_5$", r"for a quotient of $\boxed{204_5}$.", 1),
    ("$(6,31,-1)$", r"Then solving the system of equations, we find $(p,q,r) = \boxed{(6,31,-1)}.$", 1),
    (r"$1 \pm \sqrt{19}$", r"By the quadratic formula, $x = \boxed{1 \pm \sqrt{19}}.$", 1),
    (r"$3 \pm 2 \sqrt{2}$", r"By the quadratic formula, the roots are $x = \boxed{3 \pm 2 \sqrt{2}}.$", 1),
    (r"$\{1\pm\sqrt{5},-2\}$", r"so the answer is $\boxed{\{1\pm\sqrt{5},-2\}}.$", 1),
    ("$f(2) < f(1) < f(4)$", r"Hence, $\boxed{f(2) < f(1) < f(4)}.$", 1),
    (r"$2 \sin b \cos a$", r"\[\sin (a + b) - \sin (a - b) = \boxed{2 \sin b \cos a}.\]", 1),
    (r"$\frac{\pi r}{h+r}$", r"The answer is $\boxed{\frac{\pi r}{h+r}}$.", 1),
    ("$125$ miles", r"The distance is $\boxed{125\textnormal{ miles}}.$", 1),
    (r"$[-1, -\frac{1}{2}) \cup (-\frac{1}{2}, 0) \cup (0, 1) \cup (1, \infty)$",
     r"The solution set is $\boxed{[-1, -\tfrac12) \cup (-\tfrac12, 0) \cup (0, 1) \cup (1, \infty)}.$", 1),
    (r"$\sqrt{2}+\sqrt{5}$", r"The answer is $\boxed{\sqrt 2+\sqrt 5}$", 1),
    (r"$\frac{9}{4}\pi$", r"Therefore $\boxed{\frac94\pi}$.", 1),
    (r"\{-1\} \cup [0,7)", r"x \in \boxed{\{-1\} \cup [0,7)}.$", 1),
]:
    add(P, "other", gold, pred, exp)

for gold, pred, exp, why in [  # test_relations_math
    ("$x >= 5$", r"Therefore $x \geq 5$ is the solution.", 1, ""),
    ("$x < 3$", r"We find that $x \lt 3$.", 1, ""),
    (r"$x \leq 2$", "Thus $x <= 2$ is our answer.", 1, ""),
    ("$x > 5$", r"Therefore $x \gt 5$ is the solution.", 1, ""),
    ("$x != 3$", r"We find that $x \neq 3$.", 1, ""),
    ("$x > 5$", "Therefore $x < 5$ is the solution.", 0, ""),
    (r"$x \geq 5$", r"The solution is $x \leq 5$", 0, ""),
    (r"$x \neq 5$", "The solution is $x != 5$", 1, ""),
    (r"$x \leq 5$", r"$5 \geq x$", 1, ""),
    (r"$x \geq 5$", r"$5 \leq x$", 1, ""),
    ("$x = 11$", "$x = 5+5+1 = 7 =11$", 1, ""),
    ("$7 = 11a+c$", "$11a+c$", 0, ""),
    ("$x = 1/3$", r"$x = 5+5+1 = 1/3 \approx 11$", 1, ""),
    ("$11$", "$x=11$", 1, ""),
    ("$11$", r"$x\approx11$", 1, "not settled: an approximation sign before the exact value"),
    ("$1/3$", r"$x=1/3\approx1.3$", 1, ""),
    ("$x < 1$", "$-x > -1$", 1, ""),
    ("$x < 1$", "$x > -1$", 0, ""),
    ("$x <= 1$", "$-x >= -1$", 1, ""),
    ("$a +3z = 0$", "$0$", 0, ""),
    (r"$1 = \zzz = x = 0$", "$0$", 1, UNSETTLED),
    ("$2x + z = 1$", "$1$", 0, ""),
    ("$a^2 + b = 0$", "$0$", 0, ""),
    ("$k=1$", "$1$", 1, ""),
    ("$1$", "$k=1$", 1, ""),
    ("$z = 1 + 1 = 2$", "$z = 3+3 = 2$", 1, ""),
    ("$2x+4y-3=0$", r"$y=-\frac{1}{2}x+\frac{3}{4}$", 1, ""),
    ("$x^2/4 + y^2/3 = 1$", "$x^2/16 + y^2/12 = 1/4$", 1, ""),
]:
    add(P, "relation", gold, pred, exp, why)

for gold, pred, exp, why in [  # test_matrix_extraction, test_complex_math_expressions (Qwen), precision tests
    (r"$\begin{pmatrix}1 & 0 \\ 0 & 1\end{pmatrix}$", r"The identity matrix is $ \begin{pmatrix}1 & 0 \\ 0 & 1\end{pmatrix} $.", 1, ""),
    (r"$\begin{bmatrix}0 & 0 \\0 & 0\end{bmatrix}$", r"Here is a zero matrix: $ \begin{pmatrix}0 & 0 \\0 & 0\end{pmatrix} $", 1, ""),
    (r"$\begin{pmatrix}1 & 2 \\3 & 4\end{pmatrix}$", r"Special matrix: $ \left[\begin{array}{cc}1 & 2 \\3 & 4\end{array}\right] $", 1, ""),
    (r"$\begin{pmatrix}\frac{1}{2} & \frac{3}{4} \\ \frac{5}{6} & \frac{7}{8}\end{pmatrix}$",
     r"Matrix with fractions: $ \begin{pmatrix}\frac{1}{2} & \frac{3}{4} \\ \frac{5}{6} & \frac{7}{8}\end{pmatrix} $", 1, ""),
    (r"$\begin{pmatrix}1 & 2 \\ 3 & 4\end{pmatrix}$", r"The matrix is $\begin{pmatrix}1 & 2 \\ 3 & 5\end{pmatrix}$", 0, ""),
    (r"$\frac{1}{3}$", "0.3333$", 1, TOLERANCE),
]:
    add(P, "other", gold, pred, exp, why)

P = MV_QWEN
for gold, pred, exp, why, cls in [
    (r"$\frac{1}{12}$", "$0.0833333333333333$", 1, TOLERANCE, "other"),
    (r"$(1,\frac{9}{2})$", "$(1,4.5)$", 1, "", "other"),
    (r"$\frac{x+2}{7}$", r"$\frac{x}{7}+\frac{2}{7}$", 1, "", "reorder"),
    (r"$\tan^2(y)+1$", r"$\sec^2(y)$", 1, "", "other"),
    (r"$\begin{pmatrix}\frac{1}{3\sqrt[3]{x}^2}&0&0\\0&1&0\\-\sin(x)&0&0\\\end{pmatrix}$",
     r"$\begin{pmatrix}\frac{1}{3x^{2/3}}&0&0\\0&1&0\\-\sin(x)&0&0\end{pmatrix}$", 1, "", "other"),
    ("$34x+45y-20z+100=0$", "$-34x-45y+20z-100=0$", 1, "", "reorder"),
    (r"$(\begin{pmatrix}\frac{1}{3}\\ \frac{1}{5} \end{pmatrix})$", r"$\begin{pmatrix}0.33\\0.2 \end{pmatrix}$", 1, TOLERANCE, "other"),
    (r"$\frac{\sqrt{\sqrt{11}+\sqrt{194}}}{15+2\sqrt{33}}$", r"$\frac{\sqrt{\sqrt{11}+\sqrt{194}}}{2\sqrt{33}+15}$", 1, "", "reorder"),
    ("$(a+5)(b+2)$", "$(+5)(b+2)$", 0, "", "reorder"),
    ("$2$", r"$\frac{1+\sqrt{5}}{2}$", 0, "", "other"),
    ("$4$", r"$\frac{34}{16}+\frac{\sqrt{1358}}{16}$", 0, "", "other"),
    (r"$1\sqrt{19}$", "$1$", 0, "", "other"),
    (r"$(\frac{3}{5},\frac{8}{3}]$", "$(0.6,2.6667]$", 1, TOLERANCE, "other"),
    ("$x+2n+1$", "$x+1$", 0, "", "reorder"),
]:
    add(P, cls, gold, pred, exp, why)

P = MV + " tests/test_all.py"
for gold, pred, exp, why in [  # test_math_extraction_*: the cases whose prediction has a box
    (r"$\left( \frac{4}{3}, -\frac{1}{3} \right)$",
     r"Isolating $\overrightarrow{P},$ we find \[\overrightarrow{P} = \frac{4}{3} \overrightarrow{A} - \frac{1}{3} \overrightarrow{B}.\]Thus, $(t,u) = \boxed{\left( \frac{4}{3}, -\frac{1}{3} \right)}.$", 1, ""),
    ("$(3,1)$", "${1,3}$", 0, ""),
    ("$(1,3)$", "${1,3}$", 1, "policy: a tuple against a bare list; the course tells them apart"),
    ("$[-4,0]$", r"Thus, the values of \( k \) for which the quadratic has real roots are: \[ \boxed{[-4, 0]} \]", 1, ""),
    (r"\text{C}", r"$\boxed{\text{(C)}}.$", 1, ""),
    ("11111111100", r"is $\boxed{11,\! 111,\! 111,\! 100}$", 1, ""),
    ("32349", r"is $\boxed{32,\! 349}$", 1, ""),
    ("32349", r"is $\boxed{32, 349}$", 0, ""),
    (r"(2, 12) \cup (12, 102)", r"Thus, the answer is $x \in \boxed{(2,12) \cup (12,102)}$", 1, ""),
    (r"$\text{E}$", "$E$", 1, ""),
    ("1, 2", r"$\boxed{1,2}$", 1, ""),
    ("1,-2", r"So the integers are: \[ \boxed{-2} \quad \text{and} \quad \boxed{1}. \]", 1, LAST_BOX),
    # test_set_rel_assymetry (allow_set_relation_comp=True and False), float and sqrt precision
    (r"$-2 \le x \le 7$", r"$x \in [-2,7]$", 1, ""),
    (r"$x \in [-2,7]$", r"$-2 \le x \le 7$", 1, ""),
    (r"$x \in [-2,7]$", r"$-2 \le x \le 7$", 0, OPTION),
    ("4.123105625617661", r"$\sqrt{17}$", 1, TOLERANCE),
    ("$4$", r"$4\sqrt{2}$", 0, ""),
]:
    add(P, "relation" if "\\le " in gold + pred else "other", gold, pred, exp, why)

P = MV + " tests/test_numina_cases.py"
for gold, pred, exp, why, cls in [
    ("$(37,3,3,13),(17,3,3,7),(3,37,3,13),(3,17,3,7),(3,3,2,3)$",
     r"$\boxed{(3, 37, 3, 13), (3, 17, 3, 7), (3, 3, 2, 3), (3,17,3,7), (17,3,3,7), (37,3,3,13)}$", 1, "", "notation"),
    ("$(p,q)=(3,2)$", "$(3,2)$", 1, "", "named"),
    ("$(0;0;0),(0;-2;0),(0;0;6),(0;-2;6),(4;0;0),(4;-2;0),(4;0;6),(4;-2;6)$",
     r"\boxed{(4, 0, 6), (4, -2, 6), (0, 0, 6), (0, -2, 6), (4, 0, 0), (4, -2, 0), (0, 0, 0), (0, -2, 0)}", 1, "", "notation"),
    (r"$1\leq|z|\leq \frac{3}{2}$", r"$z \in \left[-\frac{3}{2}, -1\right] \cup \left[1, \frac{3}{2}\right]$", 1,
     "not settled: a complex z makes it an annulus", "relation"),
    ("$-12;-11;-10;-8;-7;-6$", r"$\boxed{\{-12, -11, -10, -8, -7, -6\}}$", 1, "", "notation"),
    ("$AB=4,CD=5$", r"$\boxed{4, 5}$", 1, "", "named"),
    ("$(11,7)or(7,11)$", r"$\boxed{(7,11),\ (11,7)}$", 1, "", "notation"),
    ("$S_{MBCN}:S=7:32$", r"$\boxed{7:32}$", 1, "", "named"),
    (r"$\frac{NO}{BO}=\frac{1}{\sqrt{6}}$", r"$\frac{1}{\sqrt{6}}$", 1, "", "named"),
    ("$p=5,q=2;p=7,q=2$", "$(5,2),(7,2)$", 1, "", "notation"),
    ("$(p,q,r)=(3,2,7)$", "$(3,2,7)$", 1, "", "named"),
    ("$V_{1}:V_{2}=11:21$", "$11:21$", 1, "", "named"),
    ("$(2,1),(1,2),(-1,-20),(-20,-1)$",
     "solutions are:\n\n\\[\n\\boxed{(1, 2)}, \\boxed{(2, 1)}, \\boxed{(-1, -20)}, \\boxed{(-20, -1)}\n\\]", 1, LAST_BOX, "notation"),
    ("1, -2", r"$\boxed{-2,1}$.", 1, "", "notation"),
    (r"$\text{odd}$", "$odd$", 1, "", "other"),
    (r"$\text{e}$", "$e$", 1, "", "other"),
    (r"$\text{E}$", "$E$", 1, "", "other"),
    ("$d$", r"$\text{E}$", 0, "", "other"),
    ("$1$ and $2$ and $3$", r"$\boxed{1,2,3}$", 1, "", "notation"),
    ("$(37,3,3),(17,3,3,7),(3,37,3,13),(3,17,3,7),(3,3,2,3)$",
     r"$\boxed{(3, 37, 3, 13), (3, 17, 3, 7), (3, 3, 2, 3), (3,17,3,7), (17,3,3,7), (37,3,3,13)}$", 0, "", "notation"),
    ("$(p,q)=(3,2)$", r"$\boxed{(3, 2)}$", 1, "", "named"),
    (r"x = -5,\ p = \frac{14}{3}", r"$\boxed{-5, \frac{14}{3}}$", 1, "", "named"),
    (r"a=4,\,-8,\,-10", r"$\boxed{-10,-8,4}$", 1, "", "named"),
    (r"W(n) = 1 \text{ and } W(n) = -1", "W(x)=1orW(x)=-1", 1, "", "notation"),
    ("$21,16$ or $11$", "$21,16,11$", 1, "", "notation"),
    (r"p = -1 \text{ and } p = \dfrac{15}{8}", r"$p=-1,p=\frac{15}{8}$", 1, "", "notation"),
    ("$0<f(x)<1$", "$(0,1)$", 1, "", "relation"),
    (r"6 \text{ and } 8", r"$\boxed{6,8}$", 1, "", "notation"),
    (r"$\text{Even}$", "$Even$", 1, "", "other"),
]:
    add(P, cls, gold, pred, exp, why)

P = MV + " tests/test_open_thoughts.py"
for gold, pred, exp, why, cls in [
    ("2, 3, 5, 7, 13", "$${2, 3, 5, 7, 13}$$", 1, "", "notation"),
    ("$$f(y) = y$$", "$$f(y) = y$$", 1, "", "named"),
    ("$$-793 < a < 10$$", "$$(-793, 10)$$", 1, "", "relation"),
    (r"$$\text{The midpoints form a regular hexagon}$$", r"$$\text{The midpoints form a regular hexagon}$$", 1, "", "other"),
    ("$$a_3 = 2, a_{37} = 19$$", r"$$\boxed{a_{37} = 19, \quad a_3 = 2}$$", 1, "", "named"),
    ("$$(2, 2), (1, 3), (3, 3)$$", r"$$\boxed{(2, 2), (1, 3), (3, 3)}$$", 1, "", "notation"),
    (r"$$(1, +\infty)$$", r"$$(1, +\infty)$$", 1, "", "other"),
    (r"$$x = \frac{1}{2}, x = \frac{-1 \pm \sqrt{13}}{4}$$", r"$$\boxed{x = \frac{1}{2}, x = \frac{-1 \pm \sqrt{13}}{4}}$$", 1, "", "notation"),
    (r"$$0.06 \text{ yuan}$$", r"$$\boxed{0.06 \text{ yuan}}$$", 1, "", "other"),
    ("$$(5, 8), (8, 5)$$", r"$$\boxed{(x, y) = (5, 8) \quad \text{and} \quad (8, 5)}$$", 1, "", "notation"),
    ("$$667$$", r"$$\boxed{667}$$", 1, "", "other"),
    (r"$$6 \text{ and } 8$$", r"$$\boxed{6 \text{ and } 8}$$", 1, "", "notation"),
    ("$$(2, 2), (6, 2)$$", r"$$\boxed{(2, 2)} \quad \text{and} \quad \boxed{(6, 2)}$$", 1, LAST_BOX, "notation"),
    ("$$(98, 2), (99, 503)$$", r"$$\boxed{(98, 2)} \quad \text{and} \quad \boxed{(99, 503)}$$", 1, LAST_BOX, "notation"),
    ("$$(3, 3), (1, 1)$$", r"$$\boxed{(3, 3)} \text{ for part (a) and } \boxed{(1, 1)}$$", 1, LAST_BOX, "notation"),
    (r"$$k \ge 2$$", r"$$\boxed{k \ge 2}$$", 1, "", "relation"),
    ("$$k = 45, n = 2$$", r"$$\boxed{k = 45} \quad \text{and} \quad \boxed{n = 2}$$", 1, LAST_BOX, "named"),
    ("$${1,2,3}$$", r"\boxed{1} and \boxed{2} and \boxed{3}", 1, LAST_BOX, "notation"),
    ("$${1,2,3}$$", r"\boxed{1},\boxed{2},\boxed{3}", 1, LAST_BOX, "notation"),
    ("$$|AB|=1$$", "$$1$$", 1, "", "named"),
    ("$$A:B=1$$", "$$1$$", 1, "", "named"),
    ("$$f(x)=1$$", "$$1$$", 1, "", "named"),
    (r"$x_{1}=10^{\frac{-5+\sqrt{13}}{6}},\quadx_{2}=10^{\frac{-5-\sqrt{13}}{6}}$",
     r"$\boxed{10^{\frac{\sqrt{13} - 5}{6}}} \quad \text{and} \quad \boxed{10^{-\frac{5 + \sqrt{13}}{6}}}$", 1, LAST_BOX, "named"),
    (r"$y_{1}=-2 x^{2}+4 x+3, y_{2}=3 x^{2}+12 x+10$",
     r"\($y_1 = \boxed{-2(x - 1)^2 + 5} \) and \( y_2 = \boxed{3(x + 2)^2 - 2} \) ", 1, LAST_BOX, "named"),
    (r"$x_{1}=\frac{1}{2}+\frac{31\sqrt{5}}{216},\quadx_{2}=\frac{1}{2}-\frac{31\sqrt{5}}{216}$",
     r"$\boxed{\dfrac{108 + 31\sqrt{5}}{216}} \quad \text{and} \quad \boxed{\dfrac{108 - 31\sqrt{5}}{216}}$", 1, LAST_BOX, "named"),
    ("1, 2", r"$\boxed{1,2}$", 1, "", "notation"),
]:
    add(P, cls, gold, pred, exp, why)

P = MV + " tests/test_yujianll.py"
for gold, pred, exp, why, cls in [
    ("$n=1, 2, 3$", "$n=1, 2, 3$", 1, "", "named"),
    ("$n=2, 3, 4$", "$n=1, 2, 3$", 0, "", "named"),
    ("$D = (0, 1)$", "$D = (0, 1)$", 1, "", "named"),
    ("$D = (0, 1)$", "$D = (0, 1.5)$", 0, "", "named"),
    (r"$F_n = \sum_{k=0}^{n-1} F_k F_{n-k-1}$", r"$F_n = \sum_{k=0}^{n-2} F_k F_{n-k-2}$", 0, "", "reorder"),
    (r"$F_n = \sum_{k=0}^{n-1} F_k F_{n-k-1}$", r"$F_n = \sum_{k=0}^{n-1} F_{n-k-1} F_k$", 1, "", "reorder"),
    ("$19, 46, and 82$", r"$19, 46, \text{ and } 82$", 1, "", "notation"),
    ("$19, 46, and 82$", "$21, 36, and 82$", 0, "", "notation"),
    (r"$1 - \frac{1}{\mathrm{e}}$", r"$1 - \frac{1}{\mathrm{e}}$", 1, "", "other"),
    (r"$1 - \frac{1}{\mathrm{e}}$", r"$1 + \frac{1}{\mathrm{e}}$", 1, UNSETTLED, "other"),
    (r"$\pm 2021$", "$2021$", 0, "", "other"),
    (r"$\pm 2021$", "${-2021, 2021}$", 1, "", "other"),
    ("$12:00$", "$1:00$", 0, "", "clock"),
    ("$12:00$", "$12:00$", 1, "", "clock"),
]:
    add(P, cls, gold, pred, exp, why)

P = MV + " tests/test_strict.py"
add(P, "other", "$f(x)$", "$f(y)$", 0)
add(P, "other", "$f(x)$", "$f(y)$", 1, OPTION)

# ----------------------------------------------------------------------------------------- NeMo-Skills
for a, b in [
    ("5", "5"), ("5", "5.0"), ("1/2", "0.5"), (r"\frac{1}{2}", "0.5"), (r"918\frac{1}{2}", "918.5"),
    ("x^2+2x+1", "x^2 + 2*x + 1"), ("x^2+2x+1", "x^2 + 2*x - (-1)"), ("y = x^2+2x+1", "2x+ 1+x^2"),
    ("E", r"\mathrm{E}"), ("A", r"\textbf{A}"), ("f'", "f'"), (".185", "0.185"),
    (r"\frac {1}{2}", "0.5"), (r"17\text{ any text}", "17"), (r"\$10", "10"), ("10%", "10"), (r"10\%", "10"),
    ("2.5", r"\frac{5}{2}"), (r"\frac{1}{3}", r"\dfrac{1}{3}"), ("(r+5)(r+5)", "(r+5)^2"),
    (r"\frac{\sqrt{3}}{3}", r"\frac{\sqrt{3}}{3} \approx 0.577"),
    (r"\begin{pmatrix}0&0&0\\0&1&0\\0&0&1\end{pmatrix}", r"\begin{bmatrix} 0 & 0 & 0 \\ 0 & 1 & 0 \\ 0 & 0 & 1 \end{bmatrix}"),
]:
    cls = "reorder" if a.startswith(("x^2", "y =")) else "other"
    add(NEMO, cls, a, b, 1)
    add(NEMO, cls, b, a, 1)
add(NEMO, "other", "185\\", "185", 1)  # the other orders would put a lone backslash before the box's closing brace
for a, b in [("5", "5.001"), ("x^2+2x+1", "x^3+2x+1"), ("odd", r"\text{oddd}"), ("E", r"\mathrm{E}*2"),
             (r"\sqrt{67},-\sqrt{85}", r"\sqrt{67}")]:
    add(NEMO, "other", a, b, 0)
    add(NEMO, "other", b, a, 0)

# ----------------------------------------------------------------------------------------- hendrycks/math
for a, b, exp, why in [
    (r"\tfrac{1}{2} + \frac1{72}", r"\frac{1}{2} + 2/3", 0, ""),
    ("10, 4, -2", "4, 10, -2", 0, ORDERED_LIST), ("10, 4, 2", "4, 12, 2", 0, ""),
    (r"\tfrac{1}{2} +\! \frac1{72}", r"\dfrac{1}{2} +\frac{1}{72}", 1, ""),
    (r"10\text{ units}", "10 ", 1, ""), (r"10\text{ units}", "100 ", 0, ""), ("10", r"\$10", 1, ""),
    (r"\left(x-2\right)\left(x+2\right)", "(x-2)(x+2)", 1, ""), ("0.1, 4, 2", "4, .1, 2", 0, ORDERED_LIST),
    ("0.1", ".1", 1, ""), (r"10\%", "10", 1, ""), (r"10\sqrt{3} + \sqrt4", r"10\sqrt3 + \sqrt{4}", 1, ""),
    (r"\frac34i", r"\frac{3}{4}i", 1, ""), (r"\tfrac83", r"\frac{8}{3}", 1, ""),
    ("5x - 7y + 11z + 4 = 0", "x + y - z + 2 = 0", 0, ""), ("1/2", r"\frac{1}{2}", 1, ""),
]:
    add(HENDRYCKS, "other", a, b, exp, why)


add(LIGHTEVAL, "notation", r"\boxed{ p = 5, q = 2 \quad \text{and} \quad p = 7, q = 2}", "$p=5,q=2;p=7,q=2$", 1)

# ----------------------------------------------------------------------------------------- written here
def own(cls: str, pairs: list[tuple[str, str, int]], why: str = "") -> None:
    for reference, box, exp in pairs:
        add(OWN + f" ({cls}: dataset gold notation)", cls, reference, "So the answer is $\\boxed{" + box + "}$.", exp, why)


own("relation", [
    # ASCII, LaTeX and Unicode forms of one relation, either side
    (r"x \geq 5", "x>=5", 1), (r"x \ge 5", "x => 5", 1), ("x>=5", r"x\geqslant 5", 1), ("x >= 5", "x ≥ 5", 1),
    (r"x \leq -1", "x<=-1", 1), (r"x \le -1", "x =< -1", 1), ("x <= -1", r"x \leqslant -1", 1), ("x<=-1", "x ≤ -1", 1),
    (r"a \neq 0", "a != 0", 1), ("a != 0", "a ≠ 0", 1), (r"a \ne 0", r"a \not= 0", 1), (r"a \neq 0", r"0 \neq a", 1),
    (r"m \geq 2", "2 <= m", 1), (r"m \leq 2", "2 >= m", 1), (r"k > -3", r"-3 \lt k", 1), ("k < 4", r"4 \gt k", 1),
    (r"-1 \leq x \leq 3", "-1 <= x <= 3", 1), (r"-1 \le x < 3", "-1 <= x < 3", 1), (r"0 < t \leq 2", "0<t<=2", 1),
    (r"-1 \leq x \leq 3", "3 >= x >= -1", 1), (r"x \geq 5", r"x \in [5, \infty)", 1), (r"x > 5", r"(5, +\infty)", 1),
    (r"-1 \le x < 3", "[-1, 3)", 1), (r"x \in [-1, 3)", r"-1 \leq x < 3", 1), (r"(-\infty, 2]", "x <= 2", 1),
    (r"\{x \mid x \geq 2\}", r"[2, +\infty)", 1), (r"\{x | -1 < x < 1\}", "(-1, 1)", 1),
    (r"x < -1 \text{ or } x > 3", r"(-\infty, -1) \cup (3, \infty)", 1), (r"(-\infty,-2]\cup[2,+\infty)", r"m \leq -2 \text{ or } m \geq 2", 1),
    (r"a \geq \frac{1}{2}", r"a>=\frac12", 1), (r"x \geq \sqrt{2}", r"x >= \sqrt 2", 1),
    # near misses: direction, strictness, value, variable
    (r"x \geq 5", "x<=5", 0), (r"x \geq 5", "x > 5", 0), ("x >= 5", r"x \gt 5", 0), (r"x \leq -1", "x<-1", 0),
    (r"a \neq 0", "a = 0", 0), (r"a \neq 0", "a != 1", 0), (r"m \geq 2", "m >= -2", 0), (r"x \geq 5", "y >= 5", 0),
    (r"-1 \leq x \leq 3", "-1 < x <= 3", 0), (r"-1 \leq x \leq 3", "-3 <= x <= 1", 0), (r"x > 5", r"[5, +\infty)", 0),
    (r"x \geq 5", r"(5, \infty)", 0), (r"-1 \le x < 3", "(-1, 3)", 0), (r"\{x \mid x \geq 2\}", r"(2, +\infty)", 0),
    (r"x < -1 \text{ or } x > 3", r"(-\infty, -1] \cup [3, \infty)", 0), (r"k > -3", "k < -3", 0), (r"x \geq 5", "5", 0),
    ("x ≥ 5", r"x \leq 5", 0), (r"a \geq \frac{1}{2}", r"a > \frac12", 0), (r"m \leq 2", "2 <= m", 0),
    (r"x \neq 0", r"(-\infty,0)\cup(0,\infty)", 1), (r"k<0 \text{ or } k>4", r"(-\infty,0]\cup[4,+\infty)", 0),
    (r"\{x \in \mathbb{R} \mid x > 2\}", r"(2, \infty)", 1), (r"\{x \mid x < -1 \text{ or } x > 3\}", r"(-\infty,-1)\cup(3,\infty)", 1),
    (r"y \geq 5", r"x \in [5,\infty)", 0), (r"-\infty < x < 3", "x<3", 1), (r"\frac{1}{2} < x < 1", "(0.5, 1)", 1),
    ("x>2", r"x \geq 2", 0), (r"x \neq 0", r"(-\infty,0]\cup[0,\infty)", 0),
    (r"x \in (-\infty, -2] \cup [2, \infty)", r"x \leq -2 \text{ or } x \geq 2", 1),
    (r"x \in (-\infty, -2] \cup [2, \infty)", r"x < -2 \text{ or } x > 2", 0),
])
own("named", [
    ("AB=4, CD=5", "4,5", 1), ("AB=4, CD=5", "AB=4, CD=5", 1), ("AB=4, CD=5", "CD = 5, AB = 4", 1),
    ("AB=4, CD=5", "5, 4", 0), ("AB=4, CD=5", "4, 6", 0), ("AB=4, CD=5", "AB=5, CD=4", 0),
    ("|AB|=2\\sqrt{5}", "2\\sqrt5", 1), ("|AB|=2\\sqrt{5}", "\\sqrt{20}", 1), ("|AB|=2\\sqrt{5}", "2\\sqrt3", 0),
    ("BC=7", "7", 1), ("BC = 7", "BC=7", 1), ("BC = 7", "8", 0), ("AC=\\frac{3}{2}", "1.5", 1),
    ("\\angle ABC = 60^\\circ", "60", 1), ("\\angle ABC = 60^{\\circ}", "60^\\circ", 1), ("\\angle ABC = 60^\\circ", "30", 0),
    ("m\\angle A = 30^\\circ", "30^\\circ", 1), ("\\angle A=45^{\\circ}", "135", 0),
    ("V_{1}:V_{2}=11:21", "11:21", 1), ("V_{1}:V_{2}=11:21", "21:11", 0), ("V_1:V_2 = 1:2", "V_1:V_2=1:2", 1),
    ("AM:MC=1:2", "1:2", 1), ("AM:MC=1:2", "2:1", 0), ("x:y:z=1:2:3", "1:2:3", 1), ("x:y:z=1:2:3", "1:3:2", 0),
    ("\\frac{AE}{EC}=\\frac{2}{3}", "\\frac{2}{3}", 1), ("\\frac{AE}{EC}=\\frac{2}{3}", "\\frac{3}{2}", 0),
    ("\\frac{a}{b} = 4", "4", 1), ("\\frac{NO}{BO}=\\frac{1}{\\sqrt{6}}", "\\frac{\\sqrt6}{6}", 1),
    ("\\frac{NO}{BO}=\\frac{1}{\\sqrt{6}}", "\\sqrt6", 0), ("S_{\\triangle ABC} = 6", "6", 1),
    ("S_{ABCD}=12", "12", 1), ("S_{ABCD}=12", "24", 0), ("P(A) = \\frac{1}{3}", "\\frac13", 1),
    ("a_n = 2n+1", "2n+1", 1), ("a_n = 2n+1", "1+2n", 1), ("a_n=2n+1", "2n-1", 0), ("f(x)=x^2-1", "x^2-1", 1),
    ("x = 2, y = -1", "2, -1", 1), ("x = 2, y = -1", "-1, 2", 0), ("x = 2, y = -1", "(2, -1)", 1),
    ("x=2,y=-1", "y=-1, x=2", 1), ("x=2,y=-1", "x=-1, y=2", 0), ("a=1, b=-2, c=3", "1, -2, 3", 1),
    ("a=1, b=-2, c=3", "1, 3, -2", 0), ("\\cos A = \\frac{3}{5}", "\\frac35", 1), ("\\cos A = \\frac{3}{5}", "\\frac45", 0),
    # an equation is not a named quantity
    ("x + y = 4", "4", 0), ("2x+z=1", "1", 0), ("3 = a + b", "a+b", 0), ("x^2 + y^2 = 25", "25", 0),
    ("BD/DC = 3/4", "\\frac34", 1), ("\\text{Area} = 12", "12", 1), ("a=1, b=2", "b=1, a=2", 0), ("a=1, b=2", "a=1, c=2", 0),
    ("x_1=2, x_2=3", "2, 3", 1), ("f(x) = x^2", "f(y) = x^2", 0), ("W(x)=1", "W(n) = 1", 1), ("y=2x+3", "2y=4x+6", 1),
    ("y=2x+3", "y=4x+6", 0), ("x^2 = 4", "x = 2", 0),
    ("f(x)_{\\max} = 3", "3", 1), ("f(x)_{\\max} = 3", "-3", 0), ("y_{\\min}=2", "2", 1),
    ("\\sin\\alpha = \\frac{3}{5}", "\\frac35", 1),
])
own("notation", [
    ("(1;2)", "(1,2)", 1), ("(1;2)", "(2,1)", 0), ("(1;-1;2)", "(1, -1, 2)", 1), ("(2;3),(3;2)", "(3,2),(2,3)", 1),
    ("(2;3),(3;2)", "(2,3)", 0), ("(2;3);(3;2)", "(3,2), (2,3)", 1), ("(2;3);(3;2)", "(3,2), (2,4)", 0),
    ("1;2;3", "3,2,1", 1), ("1;2;3", "1,2", 0), ("-1;3", "x=-1 \\text{ or } x=3", 1), ("-1;3", "-1, -3", 0),
    ("x=1 \\text{ or } x=-3", "-3, 1", 1), ("x=1 \\text{ or } x=-3", "1", 0), ("2 \\text{ or } 3", "2,3", 1),
    ("2 or 3", "3 \\text{ and } 2", 1), ("2 or 3", "2, 4", 0), ("(1,2)or(2,1)", "(2,1),(1,2)", 1),
    ("(1,2)or(2,1)", "(1,2)", 0), ("(1,2) \\text{ or } (2,1)", "(1,2), (2,1)", 1), ("(1,2)and(2,1)", "(2,1),(1,2)", 1),
    ("p=5,q=2;p=7,q=2", "(7,2),(5,2)", 1), ("p=5,q=2;p=7,q=2", "(5,2),(7,3)", 0), ("p=5,q=2;p=7,q=2", "(2,5),(2,7)", 0),
    ("p=5,q=2;p=7,q=2", "(5,2)", 0), ("x=1,y=2;x=2,y=1", "(1,2),(2,1)", 1), ("x=1,y=2;x=2,y=1", "(1,2),(1,2)", 0),
    ("a=2,b=3;a=3,b=2", "a=3,b=2;a=2,b=3", 1), ("a=1,b=2 \\text{ or } a=2,b=1", "(2,1),(1,2)", 1),
    ("(1,2),(3,4),(5,6)", "(5,6),(1,2),(3,4)", 1), ("(1,2),(3,4),(5,6)", "(5,6),(2,1),(3,4)", 0),
    ("(1,2),(3,4)", "(3,4),(1,2),(3,4)", 1), ("(1,2),(3,4)", "(3,4),(1,2),(5,6)", 0),
    ("\\{(1,2),(3,4)\\}", "(3,4),(1,2)", 1), ("(0,0,0),(1,1,1)", "(1,1,1),(0,0,0)", 1),
    ("(0;0;0),(1;1;1)", "(1,1,1), (0,0,0)", 1), ("(0;0;0),(1;1;1)", "(1,1,1), (0,0,1)", 0),
    ("(-\\infty;1)\\cup(2;+\\infty)", "(-\\infty,1)\\cup(2,\\infty)", 1), ("x=2\\text{ or }x=3", "x = 3, 2", 1),
    ("32349", "32, 349", 0), ("1000", "1,000", 1),
])
own("clock", [
    ("12:00", "1:00", 0), ("1:00", "12:00", 0), ("12:00", "12:00", 1), ("3:45", "3:45", 1), ("9:30", "09:30", 1),
    ("3:45", "3:54", 0), ("3:45", "15:45", 0), ("3:45", "7:105", 0), ("4:30", "4.5", 0), ("4:30", "\\frac{9}{2}", 0),
    ("3:45\\text{ p.m.}", "3:45", 1), ("3:45\\text{ p.m.}", "3:45 \\text{ PM}", 1), ("3:45\\text{ p.m.}", "3:45 \\text{ a.m.}", 0),
    ("3:45\\text{ p.m.}", "15:45", 1), ("3:45\\text{ p.m.}", "4:45\\text{ p.m.}", 0), ("10:00 \\text{ AM}", "10:00", 1),
    ("10:00\\text{ a.m.}", "10:00 pm", 0), ("6:00", "6:00 \\text{ a.m.}", 1), ("6:00", "18:00", 0), ("2:15", "2:30", 0),
    ("12:30", "12:30", 1), ("12:30", "1:30", 0), ("11:59", "11:59", 1), ("11:59", "11:58", 0),
    # ratios stay ratios: equal when proportional
    ("7:32", "7:32", 1), ("7:3", "14:6", 1), ("12:5", "24:10", 1), ("7:3", "3:7", 0), ("3:2", "6:4", 1), ("3:2", "3:1", 0),
    ("1:2:3", "2:4:6", 1), ("1:2:3", "1:2:4", 0), ("1:\\sqrt{2}", "\\sqrt{2}:2", 1), ("2:3", "\\frac{2}{3}", 1),
    ("2:3", "\\frac{3}{2}", 0), ("1:4", "1:2", 0),
    ("\\text{1:00 PM}", "13:00", 1), ("1:00 \\text{ PM}", "1:00 \\text{ AM}", 0), ("10:30", "10\\!:\\!30", 1),
    ("12:00 \\text{ a.m.}", "0:00", 1), ("12:00", "12", 0), ("2:1", "1:2", 0), ("0:1:2", "0:1:3", 0),
    ("3:00 \\text{ PM}", "3 PM", 1), ("3:00 \\text{ PM}", "3 \\text{ AM}", 0), ("3 PM", "15:00", 1),
])
own("reorder", [
    ("\\sqrt{\\sqrt{11}+\\sqrt{194}}", "\\sqrt{\\sqrt{194}+\\sqrt{11}}", 1),
    ("\\frac{\\sqrt{2+\\sqrt{3}}}{1+\\sqrt{5}}", "\\frac{\\sqrt{\\sqrt3+2}}{\\sqrt5+1}", 1),
    ("\\frac{\\sqrt{2+\\sqrt{3}}}{1+\\sqrt{5}}", "\\frac{\\sqrt{\\sqrt3+3}}{\\sqrt5+1}", 0),
    ("\\sqrt{5+2\\sqrt{6}}+\\sqrt{7}", "\\sqrt{7}+\\sqrt{2\\sqrt{6}+5}", 1),
    ("\\sqrt{5+2\\sqrt{6}}+\\sqrt{7}", "\\sqrt{7}+\\sqrt{2\\sqrt{6}+6}", 0),
    ("\\frac{\\sqrt{\\sqrt{13}+\\sqrt{17}+\\sqrt{19}}}{3+\\sqrt{7}+\\sqrt{11}}", "\\frac{\\sqrt{\\sqrt{19}+\\sqrt{13}+\\sqrt{17}}}{\\sqrt{11}+\\sqrt{7}+3}", 1),
    ("\\frac{\\sqrt{\\sqrt{13}+\\sqrt{17}+\\sqrt{19}}}{3+\\sqrt{7}+\\sqrt{11}}", "\\frac{\\sqrt{\\sqrt{19}+\\sqrt{13}+\\sqrt{17}}}{\\sqrt{11}+\\sqrt{7}+2}", 0),
    ("\\sqrt[3]{2+\\sqrt{5}}+\\sqrt[3]{2-\\sqrt{5}}", "\\sqrt[3]{-\\sqrt{5}+2}+\\sqrt[3]{\\sqrt{5}+2}", 1),
    ("2\\pi r h + 2\\pi r^2", "2\\pi r^2+2 \\pi r h", 1), ("2\\pi r h + 2\\pi r^2", "2\\pi r^2+ \\pi r h", 0),
    ("\\frac{\\pi r}{h+r}", "\\frac{r\\pi}{r+h}", 1), ("\\frac{\\pi r}{h+r}", "\\frac{\\pi h}{h+r}", 0),
    ("a^2 b + a b^2", "ab^2+a^2b", 1), ("a^2 b + a b^2", "ab^2+a^2b^2", 0), ("xyz", "zyx", 1), ("3xy-2", "-2+3yx", 1),
    ("(x+1)(x+2)(x+3)", "(x+3)(x+1)(x+2)", 1), ("(x+1)(x+2)(x+3)", "(x+3)(x+1)(x+4)", 0),
    ("e^{\\pi}+\\pi^{e}", "\\pi^e+e^\\pi", 1), ("\\sqrt{3}+\\sqrt{2}i", "i\\sqrt2+\\sqrt3", 1),
    ("\\frac{1+\\sqrt{5}}{2}", "\\frac{\\sqrt{5}+1}{2}", 1), ("\\frac{1+\\sqrt{5}}{2}", "\\frac{\\sqrt{5}-1}{2}", 0),
    ("\\sin x \\cos y + \\cos x \\sin y", "\\cos x\\sin y+\\sin x\\cos y", 1),
    ("4\\sqrt{2}+3\\sqrt{3}+2\\sqrt{5}+\\sqrt{7}", "\\sqrt7+2\\sqrt5+3\\sqrt3+4\\sqrt2", 1),
    ("4\\sqrt{2}+3\\sqrt{3}+2\\sqrt{5}+\\sqrt{7}", "\\sqrt7+2\\sqrt5+3\\sqrt2+4\\sqrt3", 0),
    ("6 - 5i", "7-5i", 0), ("\\log(2+x)", "\\log(x+2)", 1), ("e^{x+1}", "e^{1+x}", 1), ("\\sin 2x", "x\\sin 2", 0),
    ("\\frac{\\sqrt{6}-\\sqrt{2}}{4}", "\\frac{\\sqrt{2}-\\sqrt{6}}{4}", 0), ("(1+\\sqrt{2})^2", "(\\sqrt2-1)^2", 0),
    ("f(x+1)", "f(1+x)", 1),
])


def math500_reorders(data: Path) -> None:
    """Real MATH-500 worked solutions whose final box holds the answer with its terms reordered, or a near miss."""
    rows = {json.loads(line)["id"]: json.loads(line) for line in (data / "math500_test.jsonl").open(encoding="utf-8")}
    for pid, right, wrong in [
        ("test/precalculus/1281.json", r"11+11\sqrt{5}", r"11+5\sqrt{11}"),
        ("test/geometry/686.json", r"2\pi+18", r"2\pi+16"),
        ("test/geometry/711.json", r"2\sqrt{3}+1", r"2\sqrt{3}-1"),
        ("test/intermediate_algebra/431.json", "(b+2)(a+5)", "(a+2)(b+5)"),
        ("test/algebra/2735.json", r"\frac{9a+11}{20}", r"\frac{9a+11}{2}"),
        ("test/intermediate_algebra/1467.json", "1+4n+8n^2", "1+8n+4n^2"),
        ("test/algebra/2046.json", "-6+3x+x^3", "6+3x+x^3"),
        ("test/intermediate_algebra/1210.json", "3-13x", "13x-3"),
        ("test/prealgebra/1924.json", "2+2k", "2k+1"),
        ("test/algebra/1098.json", "9i+6", "6i+9"),
        ("test/precalculus/779.json", "7i-2", "2-7i"),
        ("test/intermediate_algebra/1063.json", "274i+1", "247i+1"),
        ("test/intermediate_algebra/1217.json", "x-1+x^3-x^2+x^5-x^4", "x-1+x^3-x^2+x^4-x^5"),
        ("test/intermediate_algebra/199.json", "1+x+x^2+x^3+x^4+x^5+x^6+x^7+x^8", "1+x+x^2+x^3+x^4+x^5+x^6+x^7"),
        ("test/precalculus/323.json", "y = 3 + 2x", "y = 2 + 3x"),
        ("test/precalculus/659.json", "11z - 7y + 5x + 4 = 0", "11z - 7y + 5x - 4 = 0"),
        ("test/algebra/2193.json", "5 = x", "x = -5"),
    ]:
        row = rows[pid]
        for box, exp in ((right, 1), (wrong, 0)):
            CASES.append({"source": f"{OWN} (reorder: MATH-500 {pid}, worked solution with its box replaced)",
                          "class": "reorder", "reference": row["answer"], "output": with_answer(row["solution"], box),
                          "expected": bool(exp), "debatable": ""})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=HERE.parents[2] / "shared" / "data")
    parser.add_argument("--out", type=Path, default=HERE / "answer_cases_peers.jsonl")
    args = parser.parse_args()
    math500_reorders(args.data)
    with args.out.open("w", encoding="utf-8") as f:
        for i, case in enumerate(CASES):
            f.write(json.dumps({"id": f"peer-{i:04d}", **case}, ensure_ascii=False) + "\n")
    counted = [c for c in CASES if not c["debatable"]]
    print(f"{len(CASES)} cases ({len(counted)} counted, {len(CASES) - len(counted)} debatable) -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
