"""Generate tests/data/answer_cases_blind.jsonl: a blind, hand-labelled held-out set.

Every case takes its reference verbatim from the real data files in ../shared/data
(looked up by problem id); the model outputs and the expected labels are written by hand
against the course rule: the LAST \\boxed{...}/\\fbox{...} must be mathematically
equivalent to the reference; no box, an empty last box or an unclosed (truncated) last box
is wrong.  Notes start with a category tag: equiv, wrong, multibox, trunc, nobox.

Run: python tests/data/make_answer_cases_blind.py   (rewrites the jsonl next to it)
"""
import json
import os
from fractions import Fraction

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "..", "shared", "data")

REFS = {}
for name in ("math500_test", "gsm8k_test", "aime24_test", "amc23_test"):
    with open(os.path.join(DATA, name + ".jsonl"), encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            REFS[row["id"]] = row["answer"]

CASES = []


def add(pid, output, expected, note, ref=None):
    reference = REFS[pid]
    if ref is not None:  # guard: the reference we wrote the case against is the real one
        assert reference == ref, (pid, reference, ref)
    CASES.append({"output": output, "reference": reference, "expected": expected,
                  "note": f"{note} [{pid}]"})


T, F = True, False
M = "test/"

# ---------------------------------------------------------------- precalculus / coordinates
p = M + "precalculus/807.json"
add(p, r"Here $r=\sqrt{0^2+3^2}=3$ and the point lies on the positive $y$-axis, so $\theta=\frac{\pi}{2}$. The polar coordinates are $\boxed{(3,\frac{\pi}{2})}$.", T, "equiv: tuple without \\left\\right", r"\left( 3, \frac{\pi}{2} \right)")
add(p, r"$r = 3$, $\theta = \pi/2$. So the answer is $\boxed{\left(3, \pi/2\right)}$.", T, "equiv: tuple with slash fraction")
add(p, r"The point is on the $y$-axis below... no, above the origin, and I get $\theta = \frac{3\pi}{2}$, so $\boxed{\left(3, \frac{3\pi}{2}\right)}$.", F, "wrong: angle 3pi/2 instead of pi/2")
add(p, r"The angle is $\frac{\pi}{2}$ and the radius is $3$: $\boxed{\left(\frac{\pi}{2}, 3\right)}$.", F, "wrong: tuple components swapped")
add(p, r"$r = 0^2 + 3^2 = 9$ and $\theta = \frac{\pi}{2}$, giving $\boxed{(9, \frac{\pi}{2})}$.", F, "wrong: forgot square root for r")

p = M + "intermediate_algebra/1994.json"
add(p, r"Rewriting the double sum in terms of the two series gives $\boxed{-q + p}$.", T, "equiv: reordered expression p - q", "p - q")
add(p, r"After swapping the order of summation we get $\boxed{q - p}$.", F, "wrong: sign flipped expression")

p = M + "algebra/2584.json"
add(p, r"Solving the linear equation gives $x = \frac{14}{3}$, i.e. $\boxed{4\frac{2}{3}}$.", T, "equiv: mixed number for 14/3", r"\frac{14}{3}")
add(p, r"So $x = \boxed{14/3}$.", T, "equiv: slash fraction")
add(p, r"Therefore $x \approx \boxed{4.67}$.", F, "wrong: rounded decimal for 14/3")
add(p, r"Dividing, $x = 4.666\ldots = \boxed{4.\overline{6}}$.", T, "equiv: repeating decimal 4.(6)")
add(p, r"Cross-multiplying carelessly, $x = \boxed{\frac{3}{14}}$.", F, "wrong: reciprocal")

p = M + "algebra/1349.json"
add(p, r"Evelyn covers the most distance in the least time, so the answer is $\boxed{\text{Evelyn}}$.", T, "equiv: identical text", r"\text{Evelyn}")
add(p, r"Comparing slopes of the lines through the origin, the greatest average speed belongs to $\boxed{Evelyn}$.", T, "equiv: text without \\text")
add(p, r"Carla's point has the steepest slope, so $\boxed{\text{Carla}}$.", F, "wrong: different student")

p = M + "prealgebra/1622.json"
add(p, r"Each side is $21/3 = 7$ inches, and the hexagon has 6 sides, so the perimeter is $\boxed{42 \text{ inches}}$.", T, "equiv: units in box", "42")
add(p, r"The hexagon is made of six triangles, so its perimeter is $6 \cdot 21 = \boxed{126}$.", F, "wrong: multiplied triangle perimeter")

p = M + "number_theory/515.json"
add(p, r"Checking the cases one by one, the count is $\boxed{27}$.", T, "equiv: plain integer", "27")
add(p, r"Checking the cases one by one, the count is $\boxed{28}$.", F, "wrong: off by one")

p = M + "precalculus/927.json"
add(p, r"The dot product of the direction vectors is $0$, so the angle is $\boxed{90}$.", T, "equiv: degrees dropped", r"90^\circ")
add(p, r"The dot product is zero, so the lines meet at $\boxed{90^{\circ}}$.", T, "equiv: ^{\\circ} braces")
add(p, r"The cosine of the angle is $\frac{\sqrt2}{2}$, so the angle is $\boxed{45^\circ}$.", F, "wrong: 45 degrees")

p = M + "algebra/2036.json"
add(p, r"The distance is $\sqrt{6^2 + 9^2} = \boxed{\sqrt{117}}$.", T, "equiv: unsimplified radical sqrt(117) = 3 sqrt 13", r"3\sqrt{13}")
add(p, r"The distance simplifies to $\boxed{3\sqrt{31}}$.", F, "wrong: digits swapped under radical")
add(p, r"The distance is $\boxed{\sqrt{39}}$.", F, "wrong: radical 3*13 not 9*13")

p = M + "number_theory/1032.json"
add(p, r"Adding the valid values gives $\boxed{2{,}220}$.", T, "equiv: {,} digit grouping", "2220")
add(p, r"Adding the valid values gives $\boxed{2200}$.", F, "wrong: dropped term")

p = M + "intermediate_algebra/1197.json"
add(p, r"Telescoping the sum gives $\boxed{\dfrac{3}{56}}$.", T, "equiv: dfrac", r"\frac{3}{56}")
add(p, r"Telescoping the sum gives $\boxed{\frac{3}{65}}$.", F, "wrong: denominator digits swapped")

p = M + "precalculus/1303.json"
add(p, r"$|\mathbf{a}+\mathbf{b}|^2 = 51$, so the magnitude is $\boxed{51^{1/2}}$.", T, "equiv: power 1/2 form of sqrt(51)", r"\sqrt{51}")
add(p, r"$|\mathbf{a}+\mathbf{b}|^2 = 51$, so the answer is $\boxed{51}$.", F, "wrong: forgot square root")

p = M + "precalculus/990.json"
add(p, r"Rotating and translating, the image is $\boxed{-5i + 6}$.", T, "equiv: complex number reordered", "6 - 5i")
add(p, r"The resulting complex number is $\boxed{6 + 5i}$.", F, "wrong: sign of imaginary part")

p = M + "intermediate_algebra/134.json"
add(p, r"The sum of the coefficients is $\boxed{50}$.", F, "wrong: sign error", "-50")
add(p, r"Plugging in $x=1$ yields $\boxed{-50}$.", T, "equiv: identical")

p = M + "precalculus/1199.json"
add(p, r"The function has period $\boxed{\pi}$.", T, "equiv: identical", r"\pi")
add(p, r"Since $\sin x$ has period $2\pi$, the period is $\boxed{2\pi}$.", F, "wrong: 2pi instead of pi")

p = M + "algebra/1098.json"
add(p, r"Expanding, $(1+2i)\cdot 3 + \ldots = \boxed{9i+6}$.", T, "equiv: complex reordered", "6+9i")
add(p, r"Expanding gives $\boxed{6-9i}$.", F, "wrong: conjugate")

p = M + "intermediate_algebra/607.json"
add(p, r"The value is $\boxed{13,535}$.", T, "equiv: comma thousands separator for single number", "13535")
add(p, r"The value is $\boxed{13,553}$.", F, "wrong: digits swapped with comma grouping")

p = M + "algebra/2193.json"
add(p, r"Squaring gives $x^2 - 6x + 5 = 0$, so $x = 1$ or $x=5$; only $x=5$ works. $\boxed{5}$", T, "equiv: bare value for x=5", "x=5")
add(p, r"Only one root survives the check: $\boxed{x = 5}$.", T, "equiv: identical with spaces")
add(p, r"The quadratic gives the solutions $\boxed{x=5, x=3}$.", F, "wrong: extraneous root included")
add(p, r"Thus $\boxed{x=-5}$.", F, "wrong: sign")

p = M + "intermediate_algebra/1388.json"
add(p, r"Setting $f(n) = n$ gives $n^2 + n - 2 = 0$, so $\boxed{-2, 1}$.", T, "equiv: list reordered", "1,-2")
add(p, r"We find $n^2+n-2=0$, so $n = \boxed{1}$.", F, "wrong: missing solution -2")
add(p, r"We find $n^2-3n+2=0$, so $\boxed{1, 2}$.", F, "wrong: 2 instead of -2")
add(p, r"The integers are $\boxed{-2,\ 1}$.", T, "equiv: list with spacing")

p = M + "precalculus/779.json"
add(p, r"Rotating by $90^\circ$ about $c$ gives $w = \boxed{7i - 2}$.", T, "equiv: complex reordered", r"-2 + 7i")
add(p, r"The image is $w = \boxed{2 - 7i}$.", F, "wrong: negated")

p = M + "number_theory/864.json"
add(p, r"$6 \cdot 7 = 42 = 5\cdot 8 + 2$, so the product is $\boxed{52_{8}}$.", T, "equiv: base subscript with braces", "52_8")
add(p, r"$6 \cdot 7 = 42$, so the product is $\boxed{42_8}$.", F, "wrong: decimal digits written as base 8")

p = M + "prealgebra/1302.json"
add(p, r"The diagonal is $11\sqrt{2}$, so $\boxed{11\sqrt{2}}$.", T, "equiv: \\sqrt{2} braces", r"11\sqrt2")
add(p, r"The diagonal is $\sqrt{121 + 121} = \boxed{\sqrt{242}}$.", T, "equiv: unsimplified radical")
add(p, r"The diagonal is $\boxed{11\sqrt{3}}$.", F, "wrong: sqrt3 instead of sqrt2")

p = M + "algebra/1072.json"
add(p, r"$(3/5)^5 = 243/3125$... times 5 gives $\boxed{0.3888}$.", T, "equiv: exact terminating decimal of 243/625", r"\frac{243}{625}")
add(p, r"So the answer is about $\boxed{0.389}$.", F, "wrong: rounded decimal")

p = M + "counting_and_probability/119.json"
add(p, r"The constant term is $\binom{5}{3}\cdots = \boxed{125}$.", F, "wrong: sign error", "-125")
add(p, r"The constant term is $\boxed{-125}$.", T, "equiv: identical")

p = M + "intermediate_algebra/428.json"
add(p, r"Since $a^3+b^3=(a+b)^3$ forces $3ab(a+b)=0$, the roots are $\boxed{7, 5, 3}$.", T, "equiv: roots listed in another order", "3, 5, 7")
add(p, r"From $ab(a+b)=0$ we get $\boxed{3, 7}$.", F, "wrong: missing root 5")
add(p, r"The roots are $\boxed{\{3,5,7\}}$.", T, "equiv: set braces for list of roots")
add(p, r"The roots are $\boxed{357}$.", F, "wrong: digits run together")

p = M + "prealgebra/1558.json"
add(p, r"Dividing, we get $\boxed{\frac{5}{4}}$.", T, "equiv: fraction for 1.25", "1.25")
add(p, r"Dividing, we get $\boxed{1.2}$.", F, "wrong: truncated decimal")
add(p, r"That is $\boxed{1\frac{1}{4}}$.", T, "equiv: mixed number for 1.25")
add(p, r"Dividing, we get $\boxed{1.52}$.", F, "wrong: digits swapped")

p = M + "intermediate_algebra/1217.json"
add(p, r"The remainder is $\boxed{-1 + x - x^2 + x^3 - x^4 + x^5}$.", T, "equiv: polynomial terms reordered", "x^5 - x^4 + x^3 - x^2 + x - 1")
add(p, r"The remainder is $\boxed{x^5 + x^4 + x^3 + x^2 + x + 1}$.", F, "wrong: all signs positive")
add(p, r"The remainder is $\boxed{x^5 - x^4 + x^3 - x^2 + x + 1}$.", F, "wrong: constant sign")

p = M + "precalculus/1105.json"
add(p, r"$\arcsin(-1/2) = \boxed{-\pi/6}$.", T, "equiv: slash form", r"-\frac{\pi}{6}")
add(p, r"$\arcsin(-1/2) = \boxed{\frac{\pi}{6}}$.", F, "wrong: sign")
add(p, r"$\arcsin(-1/2) = \boxed{\frac{-\pi}{6}}$.", T, "equiv: minus in numerator")
add(p, r"$\arcsin(-1/2) = \boxed{\frac{11\pi}{6}}$.", F, "wrong: coterminal angle outside arcsin range")

p = M + "prealgebra/572.json"
add(p, r"The probability is $\frac{3}{20}$, i.e. $\boxed{\frac{3}{20}}$.", T, "equiv: fraction for 0.15", "0.15")
add(p, r"The answer is $\boxed{0.015}$.", F, "wrong: misplaced decimal point")
add(p, r"The answer is $\boxed{.15}$.", T, "equiv: no leading zero")

p = M + "algebra/722.json"
add(p, r"$99^2 + 99 + 1 = \boxed{9,901}$.", T, "equiv: comma grouping", "9901")
add(p, r"$99^2 + 99 + 1 = \boxed{9910}$.", F, "wrong: digits")

p = M + "intermediate_algebra/956.json"
add(p, r"Comparing coefficients, $(a,b,c) = \boxed{(6, 31, -1)}$.", T, "equiv: triple with spaces", "(6,31,-1)")
add(p, r"Comparing coefficients, $\boxed{(6,-1,31)}$.", F, "wrong: triple order")
add(p, r"Comparing coefficients, $\boxed{(6,31,1)}$.", F, "wrong: sign in triple")

p = M + "intermediate_algebra/1247.json"
add(p, r"The minimum is $-2^8 = \boxed{-2^8}$.", T, "equiv: unevaluated power -(2^8) = -256", "-256")
add(p, r"The minimum is $\boxed{256}$.", F, "wrong: sign")

p = M + "precalculus/1146.json"
add(p, r"The probability is $\frac{35}{64} = \boxed{0.546875}$.", T, "equiv: exact decimal of 35/64", r"\frac{35}{64}")
add(p, r"The probability is approximately $\boxed{0.547}$.", F, "wrong: rounded decimal")

p = M + "algebra/2046.json"
add(p, r"Adding the polynomials, $\boxed{x^3 + 3x - 6}$.", T, "equiv: spacing", "x^3+3x-6")
add(p, r"Adding the polynomials, $\boxed{-6 + 3x + x^3}$.", T, "equiv: reordered polynomial")
add(p, r"Adding the polynomials, $\boxed{x^3-3x+6}$.", F, "wrong: signs")

p = M + "number_theory/46.json"
add(p, r"$36 = 4\cdot 9$, so in base 9 it is $\boxed{40_{9}}$.", T, "equiv: subscript braces", "40_9")
add(p, r"So in base 9 it is $\boxed{41_9}$.", F, "wrong: off by one digit")

p = M + "number_theory/516.json"
add(p, r"Converting, we get $\boxed{2516_{8}}$.", T, "equiv: subscript braces", "2516_8")
add(p, r"Converting, we get $\boxed{2516_{7}}$.", F, "wrong: different base subscript")

p = M + "algebra/2253.json"
add(p, r"The area is $\boxed{\frac{3}{4}\sqrt{3}}$.", T, "equiv: coefficient outside", r"\frac{3\sqrt{3}}{4}")
add(p, r"The area is $\boxed{\frac{\sqrt{27}}{4}}$.", T, "equiv: unsimplified radical")
add(p, r"The area is $\boxed{\frac{3\sqrt{3}}{2}}$.", F, "wrong: denominator")
add(p, r"The area is $\boxed{\frac{\sqrt{3}}{4}}$.", F, "wrong: dropped coefficient")

p = M + "precalculus/24313.json"
add(p, r"Simplifying, the expression equals $\boxed{\cot(x)}$.", T, "equiv: parentheses on argument", r"\cot x")
add(p, r"Simplifying, the expression equals $\boxed{\frac{\cos x}{\sin x}}$.", T, "equiv: cos/sin")
add(p, r"Simplifying, the expression equals $\boxed{\tan x}$.", F, "wrong: tan")

p = M + "counting_and_probability/1114.json"
add(p, r"The probability is $\frac{11}{36} = \boxed{0.30\overline{5}}$.", T, "equiv: repeating decimal of 11/36", r"\frac{11}{36}")
add(p, r"The probability is $\boxed{0.305}$.", F, "wrong: truncated decimal")

p = M + "intermediate_algebra/47.json"
add(p, r"Matching coefficients, $\boxed{(-2,\,1)}$.", T, "equiv: thin space in pair", "(-2,1)")
add(p, r"Matching coefficients, $\boxed{(1,-2)}$.", F, "wrong: pair reversed")
add(p, r"Matching coefficients gives $\boxed{(a,b) = (-2, 1)}$.", T, "equiv: labelled pair")

p = M + "geometry/353.json"
add(p, r"By the Pythagorean theorem the length is $\boxed{\sqrt5}$.", T, "equiv: \\sqrt5 no braces", r"\sqrt{5}")
add(p, r"By the Pythagorean theorem the length is $\boxed{5}$.", F, "wrong: forgot root")

p = M + "prealgebra/1761.json"
add(p, r"The ratio is $\boxed{1.5}$.", T, "equiv: decimal 3/2", r"\frac{3}{2}")
add(p, r"The ratio is $\boxed{1\tfrac{1}{2}}$.", T, "equiv: mixed number with tfrac")
add(p, r"The ratio is $\boxed{\frac{2}{3}}$.", F, "wrong: reciprocal")

p = M + "counting_and_probability/377.json"
add(p, r"The probability is $\frac{448}{15625} = \boxed{0.028672}$.", T, "equiv: exact decimal", r"\frac{448}{15625}")
add(p, r"The probability is $\boxed{\frac{448}{16625}}$.", F, "wrong: denominator typo")

p = M + "intermediate_algebra/662.json"
add(p, r"By the quadratic formula, $x = \boxed{1+\sqrt{19},\ 1-\sqrt{19}}$.", T, "equiv: pm expanded into list", r"1 \pm \sqrt{19}")
add(p, r"Only the positive root is relevant... $\boxed{1+\sqrt{19}}$.", F, "wrong: missing one root")
add(p, r"The solutions are $\boxed{1-\sqrt{19}, 1+\sqrt{19}}$.", T, "equiv: pm expanded, reordered")
add(p, r"The solutions are $\boxed{1 \pm \sqrt{17}}$.", F, "wrong: radicand")

p = M + "prealgebra/105.json"
add(p, r"$2250 = 6\cdot 360 + 90$, so she turns a net $90^\circ$ right: $\boxed{\text{east}}$.", T, "equiv: identical text", r"\text{east}")
add(p, r"Net rotation is $90^\circ$ to the right, so she faces $\boxed{\text{East}}$.", T, "equiv: capitalised text")
add(p, r"Net rotation is $90^\circ$ to the left, so she faces $\boxed{\text{west}}$.", F, "wrong: direction")

p = M + "prealgebra/1924.json"
add(p, r"The sum is $\boxed{2(k+1)}$.", T, "equiv: factored form of 2k+2", "2k+2")
add(p, r"The sum is $\boxed{2k+1}$.", F, "wrong: constant")

p = M + "precalculus/1300.json"
add(p, r"Solving the system, $\mathbf{v} = \boxed{\begin{pmatrix} -\frac{1}{3} \\ \frac{2}{3} \\ \frac{5}{3} \end{pmatrix}}$.", T, "equiv: matrix entries as \\frac", r"\begin{pmatrix} -1/3 \\ 2/3 \\ 5/3 \end{pmatrix}")
add(p, r"Solving, $\mathbf{v} = \boxed{\begin{bmatrix} -1/3 \\ 2/3 \\ 5/3 \end{bmatrix}}$.", T, "equiv: bmatrix")
add(p, r"Solving, $\mathbf{v} = \boxed{\begin{pmatrix} 1/3 \\ 2/3 \\ 5/3 \end{pmatrix}}$.", F, "wrong: sign of first entry")
add(p, r"Solving, $\mathbf{v} = \boxed{\begin{pmatrix} -1/3 \\ 5/3 \\ 2/3 \end{pmatrix}}$.", F, "wrong: entries permuted")

p = M + "geometry/183.json"
add(p, r"The angle is $180^\circ - 35^\circ = \boxed{145}$.", T, "equiv: degree sign dropped", r"145^\circ")
add(p, r"The angle is $\boxed{135^\circ}$.", F, "wrong: value")

p = M + "intermediate_algebra/431.json"
add(p, r"Grouping, $b(a+5) + 2(a+5) = \boxed{(b+2)(a+5)}$.", T, "equiv: factors swapped", "(a+5)(b+2)")
add(p, r"Grouping, $\boxed{(a+2)(b+5)}$.", F, "wrong: constants swapped between factors")

p = M + "intermediate_algebra/558.json"
add(p, r"The solution set is $\boxed{(3, 4]}$.", T, "equiv: interval with space", "(3,4]")
add(p, r"The solution set is $\boxed{(3,4)}$.", F, "wrong: open right end")
add(p, r"The solution set is $\boxed{[3,4)}$.", F, "wrong: brackets reversed")
add(p, r"The solution set is $\boxed{x \in (3,4]}$.", T, "equiv: x \\in prefix")

p = M + "intermediate_algebra/515.json"
add(p, r"The minimum value is $\boxed{\frac{4}{3}}$.", T, "equiv: braces", r"\frac43")
add(p, r"The minimum value is $\boxed{1.33}$.", F, "wrong: rounded")
add(p, r"The minimum value is $\boxed{1.\overline{3}}$.", T, "equiv: repeating decimal")

p = M + "precalculus/44.json"
add(p, r"$\cos\theta = -\frac12$, so $\theta = \boxed{120}$.", T, "equiv: degree sign dropped", r"120^\circ")
add(p, r"$\cos\theta = \frac12$, so $\theta = \boxed{60^\circ}$.", F, "wrong: supplementary angle")

p = M + "intermediate_algebra/128.json"
add(p, r"Composing odd and even functions, the result is $\boxed{\text{even}}$.", T, "equiv: identical", r"\text{even}")
add(p, r"Since $g$ appears inside, the function is $\boxed{even}$.", T, "equiv: no \\text")
add(p, r"An odd number of odd functions makes it $\boxed{\text{odd}}$.", F, "wrong: odd")
add(p, r"So it is $\boxed{\text{neither}}$.", F, "wrong: neither")

p = M + "intermediate_algebra/1063.json"
add(p, r"Multiplying out, $\boxed{274i + 1}$.", T, "equiv: reordered complex", "1+274i")
add(p, r"Multiplying out, $\boxed{1 - 274i}$.", F, "wrong: conjugate")

p = M + "number_theory/847.json"
add(p, r"Converting $555$ to base 5: $\boxed{4210_5}$.", T, "equiv: subscript without braces", r"4210_{5}")
add(p, r"Converting $555$ to base 5: $\boxed{4201_5}$.", F, "wrong: digits")

p = M + "geometry/1140.json"
add(p, r"The area is $\frac{3840}{289} \approx \boxed{13.29}$.", F, "wrong: rounded decimal last", r"\frac{3840}{289}")
add(p, r"The area is $\boxed{\dfrac{3840}{289}}$.", T, "equiv: dfrac")

p = M + "number_theory/1257.json"
add(p, r"In base 5 this is $\boxed{204_{5}}$.", T, "equiv: subscript braces", "204_5")
add(p, r"In base 5 this is $\boxed{203_5}$.", F, "wrong: digit")

p = M + "counting_and_probability/430.json"
add(p, r"The probability is $\boxed{0.333}$.", F, "wrong: 0.333 not 1/3", r"\frac{1}{3}")
add(p, r"The probability is $\boxed{0.\overline{3}}$.", T, "equiv: repeating decimal")
add(p, r"The probability is $\boxed{0.33}$.", F, "wrong: 0.33 not 1/3")
add(p, r"The probability is $\boxed{0.3333}$.", F, "wrong: 0.3333 not 1/3")
add(p, r"There are 2 good outcomes out of 6, so $\boxed{\frac{2}{6}}$.", T, "equiv: unreduced fraction")
add(p, r"The probability is $\boxed{1/3}$.", T, "equiv: slash fraction")

p = M + "counting_and_probability/159.json"
add(p, r"$5! \cdot 4! \cdot 10 = \boxed{28{,}800}$.", T, "equiv: {,} grouping", "28800")
add(p, r"$5! \cdot 4! = \boxed{2880}$.", F, "wrong: missing factor 10")

p = M + "precalculus/43.json"
add(p, r"Solving the system, $\boxed{(15, -29)}$.", T, "equiv: spacing", "(15,-29)")
add(p, r"Solving the system, $\boxed{(-29, 15)}$.", F, "wrong: reversed pair")
add(p, r"Solving the system, $\boxed{(15,29)}$.", F, "wrong: sign")

p = M + "algebra/1519.json"
add(p, r"So the value is $\boxed{\frac{1}{\sqrt{3}}}$.", T, "equiv: unrationalized denominator", r"\frac{\sqrt{3}}{3}")
add(p, r"So the value is $\boxed{\frac{\sqrt{3}}{2}}$.", F, "wrong: denominator")

p = M + "counting_and_probability/230.json"
add(p, r"The probability is $\boxed{0.\overline{095238}}$.", T, "equiv: repeating decimal of 2/21", r"\frac{2}{21}")
add(p, r"The probability is $\boxed{\frac{2}{27}}$.", F, "wrong: denominator")

p = M + "geometry/880.json"
add(p, r"The diagonal is $\sqrt{16^2+14^2} = \boxed{\sqrt{452}}$.", T, "equiv: unsimplified radical", r"2\sqrt{113}")
add(p, r"The diagonal is $\boxed{2\sqrt{13}}$.", F, "wrong: radicand")

p = M + "counting_and_probability/803.json"
add(p, r"The probability is $\boxed{0.25}$.", T, "equiv: decimal 1/4", r"\frac{1}{4}")
add(p, r"The probability is $\boxed{\frac{1}{2}}$.", F, "wrong: value")

p = M + "precalculus/117.json"
add(p, r"The angle is $\boxed{30}$.", T, "equiv: degree sign dropped", r"30^\circ")
add(p, r"The angle is $\boxed{150^\circ}$.", F, "wrong: supplementary")

p = M + "intermediate_algebra/1410.json"
add(p, r"The maximum is $\boxed{1.2}$.", T, "equiv: decimal 6/5", r"\frac65")
add(p, r"The maximum is $\boxed{\frac{5}{6}}$.", F, "wrong: reciprocal")

p = M + "algebra/621.json"
add(p, r"Evaluating, $\boxed{3.210}$.", T, "equiv: trailing zero", "3.21")
add(p, r"Evaluating, $\boxed{3.2}$.", F, "wrong: rounded")
add(p, r"Evaluating, $\boxed{\frac{321}{100}}$.", T, "equiv: fraction of exact decimal")

p = M + "prealgebra/1655.json"
add(p, r"As a fraction, $\boxed{0.34}$... i.e. $\boxed{0.34}$.", T, "equiv: decimal for 17/50 (two equal boxes)", r"\dfrac{17}{50}")
add(p, r"That is $\boxed{\frac{17}{50}}$.", T, "equiv: frac vs dfrac")
add(p, r"That is $\boxed{\frac{17}{5}}$.", F, "wrong: denominator")

p = M + "algebra/2517.json"
add(p, r"Solving, $x = \boxed{-3.\overline{8}}$.", T, "equiv: repeating decimal of -35/9", r"-\frac{35}{9}")
add(p, r"Solving, $x = \boxed{\frac{35}{9}}$.", F, "wrong: sign")
add(p, r"Solving, $x \approx \boxed{-3.89}$.", F, "wrong: rounded")

p = M + "precalculus/697.json"
add(p, r"$\tan 120^\circ = \boxed{-\sqrt3}$.", T, "equiv: \\sqrt3 no braces", r"-\sqrt{3}")
add(p, r"$\tan 120^\circ = \boxed{\sqrt{3}}$.", F, "wrong: sign")

p = M + "prealgebra/1356.json"
add(p, r"The decimal is $\boxed{0.\overline{4}}$.", T, "equiv: repeating decimal 4/9", r"\frac{4}{9}")
add(p, r"The decimal is about $\boxed{0.44}$.", F, "wrong: truncated decimal")

p = M + "prealgebra/1003.json"
add(p, r"$\angle BAC = 360^\circ - 90^\circ - \frac{900^\circ}{7} \ldots = \boxed{\frac{270}{7}}$.", T, "equiv: degrees text dropped", r"\frac{270}7\text{ degrees}")
add(p, r"So $\angle BAC = \boxed{\frac{270}{7}^\circ}$.", T, "equiv: degree sign instead of text")
add(p, r"So $\angle BAC = \boxed{38\frac{4}{7}}$ degrees.", T, "equiv: mixed number")
add(p, r"So $\angle BAC = \boxed{\frac{360}{7}}$.", F, "wrong: value")
add(p, r"So $\angle BAC \approx \boxed{38.57^\circ}$.", F, "wrong: rounded decimal")

p = M + "prealgebra/1272.json"
add(p, r"Converting, $\boxed{0.8\overline{6}}$.", T, "equiv: repeating decimal 13/15", r"\frac{13}{15}")
add(p, r"Converting, $\boxed{0.87}$.", F, "wrong: rounded")

p = M + "number_theory/598.json"
add(p, r"The product is $\boxed{0.0000672}$.", T, "equiv: leading zero", ".0000672")
add(p, r"The product is $\boxed{6.72 \times 10^{-5}}$.", T, "equiv: scientific notation exact")
add(p, r"The product is $\boxed{0.000672}$.", F, "wrong: decimal place")

p = M + "precalculus/659.json"
add(p, r"The normal vector is $(5,-7,11)$, so the plane is $\boxed{5x-7y+11z+4=0}$.", T, "equiv: spacing of equation", "5x - 7y + 11z + 4 = 0")
add(p, r"So the plane is $\boxed{5x - 7y + 11z - 4 = 0}$.", F, "wrong: constant sign")

p = M + "algebra/1275.json"
add(p, r"The value is $\boxed{\sqrt{3}/3}$.", T, "equiv: slash", r"\frac{\sqrt{3}}{3}")
add(p, r"The value is $\boxed{\sqrt{3}}$.", F, "wrong: missing denominator")

p = M + "intermediate_algebra/183.json"
add(p, r"The domain is $\boxed{(2, \infty)}$.", T, "equiv: spacing", r"(2,\infty)")
add(p, r"The domain is $\boxed{[2,\infty)}$.", F, "wrong: closed endpoint")
add(p, r"The domain is $\boxed{(2,+\infty)}$.", T, "equiv: +infinity")

p = M + "counting_and_probability/51.json"
add(p, r"The probability is $\boxed{0.7\overline{2}}$.", T, "equiv: repeating decimal 13/18", r"\frac{13}{18}")
add(p, r"The probability is $\boxed{\frac{13}{36}}$.", F, "wrong: denominator")

p = M + "counting_and_probability/508.json"
add(p, r"$\frac{8!}{2!\,2!} = \boxed{10080}$.", T, "equiv: no separator", r"10,\!080")
add(p, r"$\frac{8!}{2!\,2!} = \boxed{10,080}$.", T, "equiv: plain comma")
add(p, r"The count is $\boxed{10,800}$.", F, "wrong: digits")

p = M + "precalculus/263.json"
add(p, r"The cross product is $\boxed{\begin{bmatrix} -2 \\ -14 \\ -7 \end{bmatrix}}$.", T, "equiv: bmatrix", r"\begin{pmatrix} -2 \\ -14 \\ -7 \end{pmatrix}")
add(p, r"The cross product is $\boxed{\begin{pmatrix} 2 \\ -14 \\ -7 \end{pmatrix}}$.", F, "wrong: first entry sign")

p = M + "precalculus/541.json"
add(p, r"Hence $(a,b) = \boxed{(1.5, -13)}$.", T, "equiv: decimal entry", r"\left( \frac{3}{2}, -13 \right)")
add(p, r"Hence $\boxed{\left(\frac{3}{2}, 13\right)}$.", F, "wrong: sign")
add(p, r"Hence $\boxed{(3/2,-13)}$.", T, "equiv: slash fraction in pair")

p = M + "number_theory/417.json"
add(p, r"The number is $\boxed{11111111100}$.", T, "equiv: no separators", r"11,\! 111,\! 111,\! 100")
add(p, r"The number is $\boxed{11{,}111{,}111{,}100}$.", T, "equiv: {,} separators")
add(p, r"The number is $\boxed{1111111100}$.", F, "wrong: one digit fewer")

p = M + "algebra/864.json"
add(p, r"The midpoint is $\left(\frac{-5+3}{2}, \frac{5+7}{2}\right) = \boxed{(-1, 6)}$.", T, "equiv: spacing", "(-1,6)")
add(p, r"The midpoint is $\boxed{(-1, 12)}$.", F, "wrong: forgot to halve")
add(p, r"The midpoint is $\boxed{[-1, 6]}$.", F, "wrong: brackets make it an interval")

p = M + "precalculus/819.json"
add(p, r"Fixing $z$ gives a plane, so $\boxed{C}$.", T, "equiv: bare letter", r"\text{(C)}")
add(p, r"Fixing $z$ gives a plane: $\boxed{(C)}$.", T, "equiv: letter in parentheses")
add(p, r"Fixing $z$ gives a plane: $\boxed{\textbf{(C)}}$.", T, "equiv: textbf")
add(p, r"It is a cylinder: $\boxed{\text{(E)}}$.", F, "wrong: letter")

p = M + "precalculus/1056.json"
add(p, r"The volume is $\boxed{288\pi}$.", T, "equiv: spacing", r"288 \pi")
add(p, r"The volume is $\boxed{288}$.", F, "wrong: missing pi")
add(p, r"The volume is $\boxed{144\pi}$.", F, "wrong: factor 2")

p = M + "intermediate_algebra/1354.json"
add(p, r"The sum is $\boxed{998.5}$.", T, "equiv: decimal", r"\frac{1997}{2}")
add(p, r"The sum is $\boxed{998}$.", F, "wrong: off by half")

p = M + "prealgebra/153.json"
add(p, r"The fraction is $\boxed{\frac{5}{9}}$.", T, "equiv: braces", r"\frac 59")
add(p, r"The fraction is about $\boxed{0.56}$.", F, "wrong: rounded")
add(p, r"The fraction is $\boxed{0.\overline{5}}$.", T, "equiv: repeating decimal")

p = M + "algebra/2626.json"
add(p, r"$24000(1.01)^{30} \approx \boxed{32348}$.", T, "equiv: no dollar, no separator", r"\$32,\!348")
add(p, r"To the nearest dollar: $\boxed{\$32,348}$.", T, "equiv: dollar and plain comma")
add(p, r"To the nearest dollar: $\boxed{\$32,\!349}$.", F, "wrong: off by one")
add(p, r"To the nearest dollar: $\boxed{32{,}348 \text{ dollars}}$.", T, "equiv: unit word")

p = M + "intermediate_algebra/1210.json"
add(p, r"The remainder is $\boxed{3 - 13x}$.", T, "equiv: reordered", "-13x+3")
add(p, r"The remainder is $\boxed{-13x - 3}$.", F, "wrong: constant sign")

p = M + "precalculus/920.json"
add(p, r"Rotation by $180^\circ$ has matrix $\boxed{\begin{bmatrix}-1&0\\0&-1\end{bmatrix}}$.", T, "equiv: bmatrix compact", r"\begin{pmatrix} -1 & 0 \\ 0 & -1 \end{pmatrix}")
add(p, r"The matrix is $\boxed{\begin{pmatrix} 1 & 0 \\ 0 & -1 \end{pmatrix}}$.", F, "wrong: reflection matrix")
add(p, r"The matrix is $\boxed{\begin{pmatrix} -1 & 0 \\ 0 & 1 \end{pmatrix}}$.", F, "wrong: entry sign")

p = M + "precalculus/452.json"
add(p, r"$r^2\cos 2\theta = x^2 - y^2 = 4$ is a hyperbola: $\boxed{\textbf{(E)}}$.", T, "equiv: textbf", r"\text{(E)}")
add(p, r"It is a hyperbola, option $\boxed{E}$.", T, "equiv: bare letter")
add(p, r"It is an ellipse: $\boxed{\text{(D)}}$.", F, "wrong: letter")

p = M + "geometry/473.json"
add(p, r"The area is $\boxed{864}$.", T, "equiv: units dropped", r"864 \mbox{ inches}^2")
add(p, r"The area is $\boxed{864 \text{ in}^2}$.", T, "equiv: other unit spelling")
add(p, r"The area is $\boxed{846}$.", F, "wrong: digits")

p = M + "geometry/826.json"
add(p, r"$BH = \boxed{1 \frac45}$.", T, "equiv: mixed number with \\frac45", r"1\frac{4}{5}")
add(p, r"$BH = \boxed{\frac{9}{5}}$.", T, "equiv: improper fraction")
add(p, r"$BH = \boxed{\frac{4}{5}}$.", F, "wrong: dropped integer part")
add(p, r"$BH = \boxed{1.8}$.", T, "equiv: decimal")

p = M + "prealgebra/1742.json"
add(p, r"As a decimal, $\boxed{0.33}$.", T, "equiv: exact decimal of 33/100", r"\dfrac{33}{100}")
add(p, r"The fraction is $\boxed{\frac{1}{3}}$.", F, "wrong: 1/3 is not 33/100")

p = M + "geometry/226.json"
add(p, r"The angles sum to $\boxed{180}$.", T, "equiv: degree dropped", r"180^\circ")
add(p, r"The angles sum to $\boxed{360^\circ}$.", F, "wrong: value")

p = M + "geometry/686.json"
add(p, r"The perimeter is $\boxed{2\pi + 18}$.", T, "equiv: reordered", r"18+2\pi")
add(p, r"The perimeter is $\boxed{18+\pi}$.", F, "wrong: coefficient of pi")

p = M + "prealgebra/1512.json"
add(p, r"The area is $\boxed{7\pi \text{ square units}}$.", T, "equiv: units text", r"7\pi")
add(p, r"The area is $\boxed{14\pi}$.", F, "wrong: factor 2")

p = M + "prealgebra/260.json"
add(p, r"Each exterior angle is $\boxed{36 \text{ degrees}}$.", T, "equiv: degrees word", r"36^\circ")

p = M + "precalculus/768.json"
add(p, r"The solutions are $\boxed{3+2\sqrt{2}, 3-2\sqrt{2}}$.", T, "equiv: pm expanded", r"3 \pm 2 \sqrt{2}")
add(p, r"The solution is $\boxed{3+2\sqrt{2}}$.", F, "wrong: missing one")

p = M + "algebra/2486.json"
add(p, r"Thus $x \in \boxed{(3/5, 8/3]}$.", T, "equiv: slash fractions", r"\left(\frac{3}{5},\frac{8}{3}\right]")
add(p, r"Thus $\boxed{\left(0.6, \frac{8}{3}\right]}$.", T, "equiv: exact decimal endpoint")
add(p, r"Thus $\boxed{\left[\frac{3}{5},\frac{8}{3}\right)}$.", F, "wrong: brackets swapped")
add(p, r"Thus $\boxed{\left(\frac{3}{5},\frac{8}{3}\right)}$.", F, "wrong: open right end")

p = M + "intermediate_algebra/754.json"
add(p, r"Smallest base gives largest $x$, so $\boxed{B}$.", T, "equiv: bare letter", r"\text{(B)}")
add(p, r"Choice $\boxed{\text{(E)}}$ has the largest solution.", F, "wrong: letter")

p = M + "precalculus/881.json"
add(p, r"$\boxed{\begin{pmatrix}-18\\-49\\96\end{pmatrix}}$", T, "equiv: compact spacing", r"\begin{pmatrix} -18 \\ -49 \\ 96 \end{pmatrix}")
add(p, r"$\boxed{\begin{pmatrix} -18 \\ 49 \\ 96 \end{pmatrix}}$", F, "wrong: sign of middle entry")

p = M + "prealgebra/1044.json"
add(p, r"The average price is $\boxed{5.4}$ cents.", T, "equiv: units outside box", r"5.4 \text{ cents}")
add(p, r"The average is $\boxed{5.4\text{ cents}}$.", T, "equiv: identical-ish")
add(p, r"The average is $\boxed{5.5 \text{ cents}}$.", F, "wrong: value")

p = M + "algebra/2257.json"
add(p, r"$\boxed{\frac{9}{19}}$", T, "equiv: braces", r"\frac9{19}")
add(p, r"$\boxed{\frac{19}{9}}$", F, "wrong: reciprocal")

p = M + "precalculus/695.json"
add(p, r"The range is $\boxed{(-\infty,0]}$.", T, "equiv: spacing", r"(-\infty, 0]")
add(p, r"The range is $\boxed{(-\infty, 0)}$.", F, "wrong: open endpoint")

p = M + "geometry/711.json"
add(p, r"The radius is $\boxed{2\sqrt{3}+1}$.", T, "equiv: reordered", r"1+2\sqrt{3}")
add(p, r"The radius is $\boxed{1+\sqrt{3}}$.", F, "wrong: coefficient")
add(p, r"The radius is $\boxed{1+\sqrt{12}}$.", T, "equiv: unsimplified radical")

p = M + "intermediate_algebra/1714.json"
add(p, r"The solution is $\boxed{(-\infty, 5)}$.", F, "wrong: complement", r"(5,\infty)")
add(p, r"The solution is $\boxed{(5, \infty)}$.", T, "equiv: spacing")

p = M + "prealgebra/1423.json"
add(p, r"The circumference is $\boxed{12 \pi}$.", T, "equiv: spacing", r"12\pi")
add(p, r"The circumference is $\boxed{6\pi}$.", F, "wrong: radius vs diameter")

p = M + "geometry/1108.json"
add(p, r"Reflecting gives $(2,0)$, then $(2,4)$: $\boxed{(2, 4)}$.", T, "equiv: spacing", "(2,4)")
add(p, r"The final point is $\boxed{(4,2)}$.", F, "wrong: swapped")
add(p, r"The final point is $\boxed{(2,-4)}$.", F, "wrong: sign")

p = M + "algebra/2735.json"
add(p, r"Combining, $\boxed{\frac{9a+11}{20}}$.", T, "equiv: reordered numerator", r"\frac{11+9a}{20}")
add(p, r"Combining, $\boxed{\frac{11+9a}{10}}$.", F, "wrong: denominator")
add(p, r"Combining, $\boxed{\frac{9a}{20} + \frac{11}{20}}$.", T, "equiv: split fraction")

p = M + "geometry/947.json"
add(p, r"$\cos 2\theta = \boxed{-0.96}$.", T, "equiv: exact decimal", r"-\frac{24}{25}")
add(p, r"$\cos 2\theta = \boxed{\frac{24}{25}}$.", F, "wrong: sign")

p = M + "number_theory/368.json"
add(p, r"In base 6: $\boxed{4343_{6}}$.", T, "equiv: braces", "4343_6")
add(p, r"In base 6: $\boxed{4334_6}$.", F, "wrong: digits")

p = M + "intermediate_algebra/1566.json"
add(p, r"The answer is $\boxed{k}$.", F, "wrong: missing factor 2", "2k")
add(p, r"The answer is $\boxed{2k}$.", T, "equiv: identical")

p = M + "precalculus/801.json"
add(p, r"The angle is $\boxed{55}$.", T, "equiv: degree dropped", r"55^\circ")
add(p, r"The angle is $\boxed{35^\circ}$.", F, "wrong: complement")

p = M + "counting_and_probability/737.json"
add(p, r"The count is $\boxed{58500}$.", T, "equiv: no separator", "58,500")
add(p, r"The count is $\boxed{5850}$.", F, "wrong: factor 10")

p = M + "algebra/1547.json"
add(p, r"Expanding, $\boxed{-24 - 4r + 6r^2}$.", T, "equiv: reordered", "6r^2-4r-24")
add(p, r"Expanding, $\boxed{6r^2-4r+24}$.", F, "wrong: constant sign")

p = M + "precalculus/1281.json"
add(p, r"The perimeter is $\boxed{11(\sqrt{5}+1)}$.", T, "equiv: factored", r"11 \sqrt{5} + 11")
add(p, r"The perimeter is $\boxed{11\sqrt{5} - 11}$.", F, "wrong: sign")

p = M + "algebra/1078.json"
add(p, r"So $\boxed{(-\sqrt3,\sqrt3)}$.", T, "equiv: no braces", r"(-\sqrt{3}, \sqrt{3})")
add(p, r"So $\boxed{[-\sqrt{3}, \sqrt{3}]}$.", F, "wrong: closed interval")
add(p, r"So $\boxed{(-3, 3)}$.", F, "wrong: missing roots")

p = M + "intermediate_algebra/860.json"
add(p, r"Both squared terms are positive with different coefficients: $\boxed{\mathrm{ellipse}}$.", T, "equiv: mathrm", r"\text{ellipse}")
add(p, r"It is a $\boxed{\text{circle}}$.", F, "wrong: circle")

p = M + "intermediate_algebra/1405.json"
add(p, r"The maximum is $\boxed{\sqrt{768}}$.", T, "equiv: unsimplified radical", r"16 \sqrt{3}")
add(p, r"The maximum is $\boxed{8\sqrt{3}}$.", F, "wrong: factor 2")

p = M + "intermediate_algebra/690.json"
add(p, r"$(a,b,c,d) = \boxed{(1, -16, -4, 43)}$.", T, "equiv: spacing", "(1,-16,-4,43)")
add(p, r"$(a,b,c,d) = \boxed{(1,-16,4,43)}$.", F, "wrong: sign")

p = M + "algebra/2264.json"
add(p, r"Dividing, $\boxed{2+i}$.", F, "wrong: swapped parts", "1+2i")
add(p, r"Dividing, $\boxed{1 + 2i}$.", T, "equiv: spacing")

p = M + "intermediate_algebra/1992.json"
add(p, r"The domain is $\boxed{(9,36) \cup (0,9)}$.", T, "equiv: union order swapped", r"(0,9) \cup (9,36)")
add(p, r"The domain is $\boxed{(0,36)}$.", F, "wrong: missing the excluded point 9")
add(p, r"The domain is $\boxed{(0, 9) \cup (9, 36)}$.", T, "equiv: spacing")

p = M + "intermediate_algebra/1111.json"
add(p, r"The area is $\boxed{20000/\pi}$.", T, "equiv: slash", r"\frac{20000}{\pi}")
add(p, r"The area is $\boxed{\frac{20000}{\pi^2}}$.", F, "wrong: pi squared")

p = M + "algebra/101.json"
add(p, r"Factor: $(x-7)(x+2)\le 0$, so $\boxed{[-2,7]}$.", T, "equiv: interval without x \\in", r"x \in [-2,7]")
add(p, r"So $\boxed{(-2,7)}$.", F, "wrong: open interval")
# (inequality form '-2 \le x \le 7' left out: the problem asks for interval notation, so a
#  human grader might reasonably refuse it; genuinely ambiguous)

p = M + "prealgebra/1298.json"
add(p, r"Simplifying, $\boxed{-80 + 15x}$.", T, "equiv: reordered", "15x - 80")
add(p, r"Simplifying, $\boxed{15x - 8}$.", F, "wrong: constant")

p = M + "geometry/795.json"
add(p, r"$\sin D = \boxed{\sqrt{21}/5}$.", T, "equiv: slash", r"\frac{\sqrt{21}}{5}")
add(p, r"$\sin D = \boxed{\frac{\sqrt{21}}{25}}$.", F, "wrong: denominator")

p = M + "prealgebra/1991.json"
add(p, r"Navin earns about \$39.57, more than the others: $\boxed{Navin}$.", T, "equiv: no \\text", r"\text{Navin}")
add(p, r"Luka earns the most: $\boxed{\text{Luka}}$.", F, "wrong: name")

p = M + "prealgebra/1784.json"
add(p, r"$\boxed{\frac{653}{2}}$", T, "equiv: fraction", "326.5")
add(p, r"$\boxed{326}$", F, "wrong: truncated")

p = M + "precalculus/398.json"
add(p, r"$\mathbf{v} = \boxed{\begin{pmatrix} 0.2 \\ -3.6 \end{pmatrix}}$.", T, "equiv: decimal entries", r"\begin{pmatrix} 1/5 \\ -18/5 \end{pmatrix}")
add(p, r"$\mathbf{v} = \boxed{\begin{pmatrix} -18/5 \\ 1/5 \end{pmatrix}}$.", F, "wrong: entries swapped")

p = M + "intermediate_algebra/1797.json"
add(p, r"The minimum distance is $\boxed{\sqrt{20}}$.", T, "equiv: unsimplified radical", r"2 \sqrt{5}")
add(p, r"The minimum distance is $\boxed{\sqrt{10}}$.", F, "wrong: value")

p = M + "algebra/2680.json"
add(p, r"$\boxed{5r^{5}}$", T, "equiv: exponent braces", "5r^5")
add(p, r"$\boxed{5r^4}$", F, "wrong: exponent")

p = M + "precalculus/625.json"
add(p, r"$\boxed{\begin{pmatrix} \frac{16}{49} \\ \frac{48}{49} \\ \frac{24}{49} \end{pmatrix}}$", T, "equiv: \\frac entries", r"\begin{pmatrix} 16/49 \\ 48/49 \\ 24/49 \end{pmatrix}")
add(p, r"$\boxed{\begin{pmatrix} 16/7 \\ 48/7 \\ 24/7 \end{pmatrix}}$", F, "wrong: divided by |b| not |b|^2")

p = M + "intermediate_algebra/2015.json"
add(p, r"The roots are $\boxed{-2, 1+\sqrt{5}, 1-\sqrt{5}}$.", T, "equiv: list of roots reordered", r"\{1\pm\sqrt{5},-2\}")
add(p, r"The roots are $\boxed{1+\sqrt{5}, 1-\sqrt{5}}$.", F, "wrong: missing -2")
add(p, r"The roots are $\boxed{\{-2,\ 1-\sqrt5,\ 1+\sqrt5\}}$.", T, "equiv: set reordered")

p = M + "precalculus/1133.json"
add(p, r"$\boxed{3R^{2}}$", T, "equiv: braces", "3R^2")
add(p, r"$\boxed{2R^2}$", F, "wrong: coefficient")

p = M + "geometry/843.json"
add(p, r"The length is $\boxed{\sqrt{72}}$.", T, "equiv: unsimplified radical", r"6\sqrt{2}")

p = M + "prealgebra/2019.json"
add(p, r"The mean is $\boxed{\frac{9}{2}}$.", T, "equiv: fraction", "4.5")
add(p, r"The mean is $\boxed{45}$.", F, "wrong: decimal point")
add(p, r"The mean is $\boxed{4\frac12}$.", T, "equiv: mixed number")

p = M + "precalculus/499.json"
add(p, r"The range is $\boxed{[\pi^2/8, 5\pi^2/4]}$.", T, "equiv: slash fractions", r"\left[ \frac{\pi^2}{8}, \frac{5 \pi^2}{4} \right]")
add(p, r"The range is $\boxed{\left(\frac{\pi^2}{8}, \frac{5\pi^2}{4}\right)}$.", F, "wrong: open interval")

p = M + "number_theory/410.json"
add(p, r"$\boxed{0.35625}$", T, "equiv: leading zero", ".35625")
add(p, r"$\frac{57}{160} = \boxed{\frac{57}{160}}$", T, "equiv: exact fraction")
add(p, r"$\boxed{0.3562}$", F, "wrong: truncated")

p = M + "algebra/2043.json"
add(p, r"$\boxed{(-\infty,2)\cup(3,\infty)}$", T, "equiv: spacing", r"(-\infty, 2) \cup (3, \infty)")
add(p, r"$\boxed{(-\infty,2]\cup[3,\infty)}$", F, "wrong: closed endpoints")
add(p, r"$\boxed{(2,3)}$", F, "wrong: complement")

p = M + "intermediate_algebra/199.json"
add(p, r"The remainder is $\boxed{1 + x + x^2 + x^3 + x^4 + x^5 + x^6 + x^7 + x^8}$.", T, "equiv: ascending order", "x^8 + x^7 + x^6 + x^5 + x^4 + x^3 + x^2 + x + 1")
add(p, r"The remainder is $\boxed{x^8 + x^7 + x^6 + x^5 + x^3 + x^2 + x + 1}$.", F, "wrong: missing x^4 term")

p = M + "precalculus/323.json"
add(p, r"The line is $\boxed{y=3+2x}$.", T, "equiv: reordered rhs", "y = 2x + 3")
add(p, r"The line is $\boxed{y = 2x - 3}$.", F, "wrong: intercept sign")

p = M + "intermediate_algebra/1102.json"
add(p, r"The integer roots are $\boxed{1, -2}$.", T, "equiv: reordered", "-2,1")
add(p, r"The integer roots are $\boxed{-2, 1, 7}$.", F, "wrong: extra root")

p = M + "algebra/2780.json"
add(p, r"The total is $\boxed{18.9}$.", T, "equiv: dropped trailing zero and dollar", r"\$18.90")
add(p, r"The total is $\boxed{\$18.90}$.", T, "equiv: identical")
add(p, r"The total is $\boxed{\$18.09}$.", F, "wrong: digits")

p = M + "prealgebra/914.json"
add(p, r"$\boxed{75 \text{ degrees}}$", T, "equiv: degrees word", r"75^\circ")
add(p, r"$\boxed{105^\circ}$", F, "wrong: supplement")

p = M + "precalculus/703.json"
add(p, r"The area is $\boxed{8\pi}$.", T, "equiv: spacing", r"8 \pi")
add(p, r"The area is $\boxed{8}$.", F, "wrong: missing pi")

p = M + "prealgebra/1114.json"
add(p, r"The area is $\boxed{15}$.", T, "equiv: units dropped", r"15\mbox{ cm}^2")
add(p, r"The area is $\boxed{15\text{ cm}^2}$.", T, "equiv: \\text units")
add(p, r"The area is $\boxed{30 \text{ cm}^2}$.", F, "wrong: forgot 1/2")

p = M + "algebra/2470.json"
add(p, r"$50 \cdot 2.75 = \boxed{137.5}$.", T, "equiv: decimal", r"137 \frac{1}{2}")
add(p, r"$\boxed{\frac{275}{2}}$", T, "equiv: improper fraction")
add(p, r"$\boxed{137}$", F, "wrong: dropped half")
add(p, r"$\boxed{137\frac12 \text{ miles}}$", T, "equiv: mixed number with units")

p = M + "intermediate_algebra/1279.json"
add(p, r"$\boxed{\frac{4}{2010}}$", T, "equiv: unreduced fraction", r"\frac{2}{1005}")
add(p, r"$\boxed{\frac{2}{1001}}$", F, "wrong: denominator")

p = M + "intermediate_algebra/1467.json"
add(p, r"$\boxed{1 + 4n + 8n^2}$", T, "equiv: reordered", "8n^2 + 4n + 1")
add(p, r"$\boxed{8n^2+4n-1}$", F, "wrong: constant sign")

p = M + "prealgebra/1203.json"
add(p, r"$0.4x = 14.40$, so $x = \boxed{36}$.", T, "equiv: dollar dropped", r"\$36")
add(p, r"$x = \boxed{\$36.00}$", T, "equiv: cents shown")
add(p, r"$x = \boxed{\$24}$", F, "wrong: used 60% instead of 40%")

p = M + "precalculus/356.json"
add(p, r"$\boxed{y=-2x}$", T, "equiv: spacing", "y = -2x")
add(p, r"$\boxed{y = 2x}$", F, "wrong: sign")

p = M + "intermediate_algebra/1981.json"
add(p, r"$\boxed{(2,102)}$", F, "wrong: missing excluded point 12", r"(2,12) \cup (12,102)")
add(p, r"$\boxed{(2, 12) \cup (12, 102)}$", T, "equiv: spacing")

p = M + "geometry/615.json"
add(p, r"$\angle = \boxed{106}$", T, "equiv: degree dropped", r"106^\circ")
add(p, r"$\boxed{74^\circ}$", F, "wrong: supplement")

p = M + "prealgebra/1233.json"
add(p, r"New area is $0.6 \cdot 1.5 = 0.9$ of the old, a decrease of $\boxed{10\%}$.", T, "equiv: percent sign", "10")

p = M + "algebra/2427.json"
add(p, r"The minimal interest rate is $\boxed{10\%}$.", T, "equiv: percent sign", "10")
add(p, r"The minimal interest rate is $\boxed{11\%}$.", F, "wrong: off by one")

p = M + "algebra/1937.json"
add(p, r"$\boxed{1,600}$", T, "equiv: comma grouping", "1600")
p = M + "counting_and_probability/1060.json"
add(p, r"$\boxed{1\,260}$", T, "equiv: thin-space grouping", "1260")
p = M + "prealgebra/993.json"
add(p, r"$\boxed{\$1,250}$", T, "equiv: dollar and comma", "1250")
p = M + "algebra/297.json"
add(p, r"$\boxed{1,763}$", F, "wrong: digits swapped with comma", "1736")
p = M + "intermediate_algebra/158.json"
add(p, r"$\boxed{27\,648}$", T, "equiv: thin-space grouping", "27648")
p = M + "algebra/2592.json"
add(p, r"$\boxed{26,000}$", T, "equiv: comma grouping", "26000")
add(p, r"$\boxed{2,600}$", F, "wrong: factor 10")
p = M + "counting_and_probability/216.json"
add(p, r"$\boxed{1{,}940}$", T, "equiv: {,} grouping", "1940")

p = M + "algebra/2058.json"
add(p, r"Let $n$ be the number: $\boxed{n = 13}$.", T, "equiv: variable prefix", "13")
p = M + "intermediate_algebra/1898.json"
add(p, r"So $\boxed{k=-5}$.", T, "equiv: variable prefix", "-5")
add(p, r"So $\boxed{k=5}$.", F, "wrong: sign with prefix")
p = M + "prealgebra/1733.json"
add(p, r"$\boxed{\mathbf{-9}}$", T, "equiv: bold", "-9")
p = M + "algebra/1255.json"
add(p, r"$$\boxed{\displaystyle 6}$$", T, "equiv: displaystyle", "6")
p = M + "intermediate_algebra/1791.json"
add(p, r"$\boxed{-0.375}$", T, "equiv: decimal", r"-\frac{3}{8}")
add(p, r"$\boxed{\frac{3}{8}}$", F, "wrong: sign", r"-\frac{3}{8}")
add(p, r"$\boxed{\frac{-3}{8}}$", T, "equiv: minus in numerator")
p = M + "precalculus/190.json"
add(p, r"$\boxed{0.03515625}$", T, "equiv: exact decimal 9/256", r"\frac{9}{256}")
p = M + "intermediate_algebra/1123.json"
add(p, r"$\boxed{0.\overline{90}}$", T, "equiv: repeating decimal 10/11", r"\frac{10}{11}")
add(p, r"$\boxed{0.91}$", F, "wrong: rounded", r"\frac{10}{11}")
p = M + "precalculus/1082.json"
add(p, r"$\boxed{0.5\overline{3}}$", T, "equiv: repeating decimal 8/15", r"\frac{8}{15}")
p = M + "prealgebra/1961.json"
add(p, r"$\boxed{0.\overline{592}}$", T, "equiv: repeating decimal 16/27", r"\frac{16}{27}")
add(p, r"$\boxed{0.592}$", F, "wrong: truncated", r"\frac{16}{27}")
p = M + "precalculus/96.json"
add(p, r"$\boxed{1\frac{3}{4}}$", T, "equiv: mixed number", r"\frac{7}{4}")
add(p, r"$\boxed{1.75}$", T, "equiv: decimal", r"\frac{7}{4}")
add(p, r"$\boxed{\frac{4}{7}}$", F, "wrong: reciprocal", r"\frac{7}{4}")
p = M + "intermediate_algebra/960.json"
add(p, r"$\boxed{\frac{21}{17}}$", F, "wrong: reciprocal", r"\frac{17}{21}")
p = M + "intermediate_algebra/1232.json"
add(p, r"$\boxed{\frac{5}{12}}$", F, "wrong: denominator", r"\frac{5}{13}")
p = M + "geometry/561.json"
add(p, r"$\boxed{3.5}$", T, "equiv: decimal", r"\frac{7}{2}")
p = M + "intermediate_algebra/1806.json"
add(p, r"$\boxed{3.25}$", T, "equiv: decimal", r"\frac{13}{4}")
p = M + "intermediate_algebra/986.json"
add(p, r"$\boxed{3.2}$", T, "equiv: decimal", r"\frac{16}{5}")
add(p, r"$\boxed{3.1}$", F, "wrong: decimal", r"\frac{16}{5}")
p = M + "algebra/509.json"
add(p, r"$\boxed{2\frac{1}{6}}$", T, "equiv: mixed number", r"\frac{13}{6}")
p = M + "algebra/291.json"
add(p, r"$\boxed{0.67}$", F, "wrong: rounded 2/3", r"\frac{2}{3}")
add(p, r"$\boxed{0.6667}$", F, "wrong: rounded 2/3", r"\frac{2}{3}")
add(p, r"$\boxed{\frac{4}{6}}$", T, "equiv: unreduced", r"\frac{2}{3}")
p = M + "precalculus/742.json"
add(p, r"$\boxed{0.09}$", T, "equiv: decimal", r"\frac{9}{100}")
add(p, r"$\boxed{0.9}$", F, "wrong: decimal place", r"\frac{9}{100}")
p = M + "precalculus/826.json"
add(p, r"$\boxed{0.0625}$", T, "equiv: decimal", r"\frac{1}{16}")
p = M + "prealgebra/1458.json"
add(p, r"$\boxed{0.125}$", T, "equiv: decimal", r"\frac{1}{8}")
add(p, r"$\boxed{0.12}$", F, "wrong: rounded", r"\frac{1}{8}")
p = M + "prealgebra/1995.json"
add(p, r"$\boxed{\frac{16}{42}}$", T, "equiv: unreduced", r"\frac{8}{21}")
p = M + "precalculus/1291.json"
add(p, r"$\boxed{1+12i}$", F, "wrong: conjugate", "1 - 12i")
add(p, r"$\boxed{-12i+1}$", T, "equiv: reordered", "1 - 12i")
p = M + "precalculus/1202.json"
add(p, r"$\boxed{27}$ and a check: $3^3 = 27$.", T, "equiv: trailing text after box", "27")
p = M + "geometry/538.json"
add(p, r"$\boxed{(-2,8)}$", F, "wrong: swapped", "(8,-2)")
add(p, r"$\boxed{(8, -2)}$", T, "equiv: spacing", "(8,-2)")
p = M + "number_theory/459.json"
add(p, r"$\boxed{15.975}$", T, "equiv: exact decimal", r"\frac{639}{40}")

# ---------------------------------------------------------------- GSM8K
g = "gsm8k-test-"
add(g + "0", r"She sells $16-3-4=9$ eggs at \$2 each, making $\boxed{\$18}$.", T, "equiv: dollar sign", "18")
add(g + "0", r"She sells $16-4=12$... $16 - 3 - 4 = 8$ eggs, so $\boxed{\$16}$.", F, "wrong: arithmetic slip")
add(g + "1", r"$2 + 1 = \boxed{3 \text{ bolts}}$", T, "equiv: unit word", "3")
add(g + "2", r"Value $= 80000 \cdot 2.5 = 200000$; cost $130000$; profit $\boxed{\$70,000}$.", T, "equiv: dollar and comma", "70000")
add(g + "2", r"Profit $= 200{,}000 - 130{,}000 = \boxed{70{,}000}$.", T, "equiv: {,} grouping")
add(g + "2", r"Profit $= \boxed{7000}$.", F, "wrong: dropped a zero")
add(g + "2", r"The house is now worth $80000\cdot1.5=120000$, so profit $= 120000-130000 = \boxed{-10{,}000}$.", F, "wrong: misread 150% increase")
add(g + "3", r"$3 \cdot 3 \cdot 60 = \boxed{540 \text{ meters}}$.", T, "equiv: units", "540")
add(g + "3", r"$3 \cdot 60 = \boxed{180}$.", F, "wrong: forgot times per week")
add(g + "4", r"$3\cdot 20 - 15 - 25 = \boxed{20.0}$ cups.", T, "equiv: exact decimal 20.0", "20")
add(g + "5", r"8 full-price glasses and 8 at \$3: $40 + 24 = \fbox{64}$.", T, "equiv: fbox", "64")
add(g + "5", r"16 glasses at \$5 is $\boxed{80}$.", F, "wrong: ignored discount", "64")
add(g + "6", r"$20 + 80 + 160 = \boxed{26}$", F, "wrong: dropped digit", "260")
add(g + "6", r"Seattle 20, Charleston 80, Toulouse 160: total $\boxed{260 \text{ sheep}}$.", T, "equiv: units", "260")
add(g + "8", r"He ends $\boxed{45.00}$ miles from home.", T, "equiv: trailing zeros", "45")
add(g + "9", r"$400 + 5 \cdot 12 = \boxed{\$406}$... wait, $5\cdot12=60$, so $\boxed{\$460}$.", T, "multibox: wrong then corrected", "460")
add(g + "9", r"$400 + 5 \cdot 12 = \boxed{\$460}$. Hmm, overtime is $1.2\times$, so $400 + 60 = \boxed{\$406}$.", F, "multibox: right then wrong last", "460")
add(g + "10", r"$60 + 180 + 126 = \boxed{366}$", T, "equiv: identical", "366")
add(g + "10", r"$60 + 180 + 54 = \boxed{294}$", F, "wrong: took 30% instead of 70%", "366")
add(g + "12", r"Profit per year $7\cdot1.5-3=7.5$; $90/7.5=12$, so he starts earning in year $\boxed{13}$.", T, "equiv: identical", "13")
add(g + "12", r"$90/7.5 = \boxed{12}$ years.", F, "wrong: off by one", "13")
add(g + "17", r"$50(35\cdot20 + 15\cdot30) = \boxed{57,500}$", T, "equiv: comma grouping", "57500")
add(g + "17", r"$\boxed{575}$", F, "wrong: factor 100", "57500")
add(g + "489", r"$(-48 + 21 - 3)/3 = \boxed{-10}$ degrees.", T, "equiv: negative", "-10")
add(g + "489", r"$(48 + 21 - 3)/3 = \boxed{22}$.", F, "wrong: sign", "-10")
add(g + "489", r"The average is $\boxed{10}$ degrees below... so $\boxed{10}$.", F, "wrong: sign dropped", "-10")
add(g + "1113", r"$2 - 8 + 3 = \boxed{-3}$", T, "equiv: identical", "-3")
add(g + "1113", r"$2 - 8 + 3 = \boxed{-3^\circ\text{C}}$", T, "equiv: units", "-3")
add(g + "1113", r"$8 - 2 - 3 = \boxed{3}$", F, "wrong: sign", "-3")
add(g + "611", r"Total: $\boxed{1,450,000}$", T, "equiv: comma grouping", "1450000")
add(g + "611", r"Total: $\boxed{1.45 \times 10^6}$", T, "equiv: exact scientific notation", "1450000")
add(g + "611", r"Total: $\boxed{145000}$", F, "wrong: dropped a zero", "1450000")
add(g + "796", r"$\boxed{\$2,880,000}$", T, "equiv: dollar and comma", "2880000")
add(g + "796", r"$\boxed{2,880}$", F, "wrong: grouping hides factor 1000", "2880000")
add(g + "641", r"$\boxed{262\,500}$", T, "equiv: thin-space grouping", "262500")
add(g + "1086", r"$\boxed{131,205}$", F, "wrong: digits", "131250")
add(g + "201", r"$104000 + 5200 + 5000 = \boxed{\$114{,}200}$", T, "equiv: dollar and {,}", "114200")
add(g + "15", r"$8000 \cdot 0.012 = 96$ vs $5000 \cdot 0.025 = 125$, so $\boxed{125}$.", T, "equiv: identical", "125")
add(g + "15", r"$8000 \cdot 0.012 = \boxed{96}$", F, "wrong: picked other option", "125")

# ---------------------------------------------------------------- AIME 2024
a = "aime24-"
add(a + "67", r"Thus $xy = \boxed{25}$.", T, "equiv: no leading zero", "025")
add(a + "67", r"Thus $xy = \boxed{025}$.", T, "equiv: identical padded")
add(a + "67", r"Thus $xy = \boxed{52}$.", F, "wrong: digits swapped")
add(a + "67", r"Thus $xy = \boxed{250}$.", F, "wrong: extra zero")
add(a + "75", r"$\boxed{73}$", T, "equiv: no leading zero", "073")
add(a + "75", r"$\boxed{37}$", F, "wrong: swapped", "073")
add(a + "78", r"$m+n = \boxed{23}$", T, "equiv: no leading zero", "023")
add(a + "78", r"$m+n = \boxed{24}$", F, "wrong: off by one", "023")
add(a + "83", r"$\boxed{45}$", T, "equiv: no leading zero", "045")
add(a + "84", r"$\boxed{033}$", T, "equiv: identical", "033")
add(a + "84", r"$\boxed{32}$", F, "wrong: off by one", "033")
add(a + "85", r"$\boxed{80}$", T, "equiv: no leading zero", "080")
add(a + "85", r"$\boxed{8}$", F, "wrong: dropped zero", "080")
add(a + "86", r"$\boxed{55}$", T, "equiv: no leading zero", "055")
add(a + "60", r"She walks for 204 minutes: $\boxed{204}$.", T, "equiv: identical", "204")
add(a + "60", r"$\boxed{203}$", F, "wrong: off by one", "204")
add(a + "61", r"$AP = \frac{100}{13}$, so $m+n=\boxed{113}$.", T, "equiv: identical", "113")
add(a + "61", r"$AP = \frac{100}{13}$, so the answer is $\boxed{\frac{100}{13}}$.", F, "wrong: gave fraction not m+n", "113")
add(a + "66", r"$\boxed{127}$", F, "wrong: digits reversed", "721")
add(a + "88", r"$\boxed{126}$", F, "wrong: off by one", "127")
add(a + "89", r"$\boxed{902}$", T, "equiv: identical", "902")
add(a + "74", r"First estimate $\boxed{400}$; refining with the hyperbola bound gives $\boxed{480}$.", T, "multibox: wrong then right", "480")
add(a + "74", r"The bound gives $\boxed{480}$, but checking the rhombus again I get $\boxed{460}$.", F, "multibox: right then wrong", "480")

# ---------------------------------------------------------------- AMC 2023
c = "amc23-"
add(c + "3", r"$\boxed{3{,}159}$", T, "equiv: {,} grouping", "3159")
add(c + "3", r"$\boxed{3195}$", F, "wrong: digits", "3159")
add(c + "17", r"$\boxed{-1}$", T, "equiv: identical", "-1")
add(c + "17", r"$\boxed{1}$", F, "wrong: sign", "-1")
add(c + "44", r"$\boxed{1,625}$", T, "equiv: comma grouping", "1625")
add(c + "43", r"$\boxed{149}$", F, "wrong: digits", "194")
add(c + "47", r"$\boxed{901}$", T, "equiv: identical", "901")
add(c + "0", r"$\boxed{27}$", T, "equiv: identical", "27")
add(c + "0", r"$\boxed{28}$", F, "wrong: off by one", "27")

# ---------------------------------------------------------------- multi-box
p = M + "algebra/2058.json"
add(p, r"My first count gave $\boxed{12}$, but I missed the case $n=0$, so the answer is $\boxed{13}$.", T, "multibox: earlier wrong, last right", "13")
add(p, r"I get $\boxed{13}$. Rechecking, the case $n=0$ is not allowed, so the answer is $\boxed{12}$.", F, "multibox: earlier right, last wrong", "13")
p = M + "intermediate_algebra/47.json"
add(p, r"We find $a=\boxed{-2}$ and $b = \boxed{1}$, so the ordered pair is $\boxed{(-2,1)}$.", T, "multibox: components then pair last", "(-2,1)")
add(p, r"The ordered pair is $\boxed{(-2,1)}$, where $a = -2$ and $b = \boxed{1}$.", F, "multibox: pair then component last", "(-2,1)")
p = M + "precalculus/807.json"
add(p, r"$r = \boxed{3}$ and $\theta = \boxed{\frac{\pi}{2}}$.", F, "multibox: last box is only theta", r"\left( 3, \frac{\pi}{2} \right)")
p = M + "prealgebra/1622.json"
add(p, r"Side of triangle: $\boxed{7}$. Perimeter of hexagon: $6 \cdot 7 = \boxed{42}$.", T, "multibox: intermediate then final", "42")
add(p, r"Perimeter of hexagon: $\boxed{42}$. Side length of hexagon: $\boxed{7}$.", F, "multibox: final then intermediate last", "42")
p = M + "counting_and_probability/430.json"
add(p, r"The probability is $\boxed{\frac{1}{3}} \approx \boxed{0.333}$.", F, "multibox: exact then rounded last", r"\frac{1}{3}")
add(p, r"The probability is about $\boxed{0.333}$, exactly $\boxed{\frac{1}{3}}$.", T, "multibox: rounded then exact last", r"\frac{1}{3}")
p = M + "algebra/2584.json"
add(p, r"$x = \boxed{\frac{14}{3}}$, and as a check $3x = \boxed{14}$.", F, "multibox: check value last", r"\frac{14}{3}")
p = M + "precalculus/819.json"
add(p, r"At first glance a circle $\boxed{\text{(B)}}$, but $z=c$ is a plane: $\boxed{\text{(C)}}$.", T, "multibox: corrected letter", r"\text{(C)}")
add(p, r"$z=c$ is a plane $\boxed{\text{(C)}}$... no, in cylindrical coordinates it is a circle, $\boxed{\text{(B)}}$.", F, "multibox: right letter then wrong", r"\text{(C)}")
p = M + "intermediate_algebra/558.json"
add(p, r"Tentatively $\boxed{(3,4)}$; but $x=4$ satisfies it, so $\boxed{(3,4]}$.", T, "multibox: corrected bracket", "(3,4]")
add(p, r"So $\boxed{(3,4]}$. Wait, $x=4$ makes the denominator zero, so $\boxed{(3,4)}$.", F, "multibox: bracket changed wrongly", "(3,4]")
p = M + "number_theory/864.json"
add(p, r"$6\cdot 7 = 42$ in base 10, $\boxed{42}$; in base 8 that is $\boxed{52_8}$.", T, "multibox: decimal then base 8 last", "52_8")
p = M + "algebra/2626.json"
add(p, r"$24000 \cdot 1.01^{30} = \boxed{32347.82}$, to the nearest dollar $\boxed{32348}$.", T, "multibox: unrounded then rounded last", r"\$32,\!348")
add(p, r"To the nearest dollar $\boxed{32348}$; precisely $\boxed{32347.82}$.", F, "multibox: unrounded last", r"\$32,\!348")
p = M + "intermediate_algebra/1388.json"
add(p, r"$n=1$ works: $\boxed{1}$. Also $n=-2$ works, so all integers are $\boxed{1,-2}$.", T, "multibox: partial then full", "1,-2")
add(p, r"All integers are $\boxed{1,-2}$; the positive one is $\boxed{1}$.", F, "multibox: full then partial last", "1,-2")
p = M + "geometry/1140.json"
add(p, r"$\boxed{13.29}$ is approximate; the exact area is $\boxed{\frac{3840}{289}}$.", T, "multibox: approximate then exact", r"\frac{3840}{289}")
p = M + "algebra/101.json"
add(p, r"The endpoints are $\boxed{-2}$ and $\boxed{7}$.", F, "multibox: endpoints as separate boxes", r"x \in [-2,7]")
p = M + "number_theory/515.json"
add(p, r"The answer is $\fbox{26}$... recounting, $\boxed{27}$.", T, "multibox: fbox then boxed", "27")
add(p, r"The answer is $\boxed{27}$... recounting, $\fbox{26}$.", F, "multibox: fbox last wrong", "27")
add(p, r"The answer is $\boxed{27}$. Wait, I should double check. Actually it's 28.", T, "multibox: unboxed afterthought does not count", "27")
p = M + "precalculus/1199.json"
add(p, r"The period is $\boxed{\pi}$. Final answer: $\boxed{\pi}$", T, "multibox: repeated same box", r"\pi")
p = M + "prealgebra/1558.json"
add(p, r"So the answer is $\boxed{1.25}$ or $\boxed{1.5}$, depending on interpretation.", F, "multibox: hedged two boxes, last wrong", "1.25")
p = M + "algebra/2193.json"
add(p, r"The candidates are $x = 1$ and $x = 5$, so $\boxed{x = 5 \text{ or } x = 1}$.", F, "wrong: hedged answer with extraneous root", "x=5")

# ---------------------------------------------------------------- empty / truncated / no box
p = M + "algebra/2584.json"
add(p, r"Solving $3x - 14 = 0$, the answer is $\boxed{\frac{14}{3", F, "trunc: unclosed last box", r"\frac{14}{3}")
add(p, r"$x = \boxed{\frac{14}{3}}$. To double-check, let me restate: $\boxed{\frac{14}{3}", F, "trunc: earlier right box, unclosed last box", r"\frac{14}{3}")
add(p, r"Solving, $x = \frac{14}{3}$. So the answer is $\frac{14}{3}$.", F, "nobox: answer not boxed", r"\frac{14}{3}")
p = M + "prealgebra/1622.json"
add(p, r"Six sides of length 7 give $\boxed{42", F, "trunc: unclosed box", "42")
add(p, r"So the perimeter is $\boxed{42}$. Putting it in the final box: $\boxed{}$", F, "empty: empty last box after right one", "42")
add(p, r"The perimeter is 42 inches.", F, "nobox: plain text answer", "42")
add(p, r"**Final Answer:** 42", F, "nobox: markdown final answer", "42")
add(p, r"Each triangle has side $7$, so the hexagon has perimeter $6 \times", F, "trunc: cut off mid reasoning, no box", "42")
p = M + "precalculus/819.json"
add(p, r"Answer: \text{(C)}", F, "nobox: text answer only", r"\text{(C)}")
add(p, r"$\boxed{ }$", F, "empty: whitespace-only box", r"\text{(C)}")
p = M + "precalculus/1300.json"
add(p, r"$\mathbf{v} = \boxed{\begin{pmatrix} -1/3 \\ 2/3 \\ 5/3 \end{pmatrix}", F, "trunc: matrix box unclosed", r"\begin{pmatrix} -1/3 \\ 2/3 \\ 5/3 \end{pmatrix}")
p = M + "intermediate_algebra/558.json"
add(p, r"The solution set is $\boxed{(3,4]", F, "trunc: interval box unclosed", "(3,4]")
p = M + "intermediate_algebra/1197.json"
add(p, r"$\boxed{\frac{3}{56}", F, "trunc: outer brace missing", r"\frac{3}{56}")
p = M + "intermediate_algebra/428.json"
add(p, r"The roots are $\boxed{3, 5, 7", F, "trunc: list box unclosed", "3, 5, 7")
add(p, r"$$x = 3,\ 5,\ 7$$", F, "nobox: display math only", "3, 5, 7")
p = M + "precalculus/1199.json"
add(p, r"$\boxed{}$", F, "empty: empty box only", r"\pi")
add(p, r"The period is $\boxed{\pi}$, and doubling for the absolute value... $\boxed{", F, "trunc: right box then truncated open box", r"\pi")
add(p, r"The period is $\pi$.", F, "nobox: inline math answer", r"\pi")
g = "gsm8k-test-"
add(g + "0", r"She makes \$18 every day.", F, "nobox: gsm8k plain answer", "18")
add(g + "0", r"She sells 9 eggs for \$2 each, $9 \times 2 = \boxed{18", F, "trunc: gsm8k unclosed box", "18")
add(g + "3", r"The final answer is 540.", F, "nobox: gsm8k 'final answer is'", "540")
add(a + "60", r"$\boxed{204}$ minutes for $s$, then for $s + \tfrac12$ we get $\boxed{", F, "trunc: AIME right then unclosed", "204")
add(a + "67", r"Therefore $xy = 25$.", F, "nobox: AIME", "025")
add(c + "3", r"The answer is $\boxed{}$", F, "empty: AMC empty box", "3159")
add(c + "17", r"$\boxed{-1}$ ... then the final answer is \boxed{", F, "trunc: AMC right then unclosed", "-1")
add(M + "algebra/2626.json", r"$\boxed{\$32,\!348", F, "trunc: money box unclosed", r"\$32,\!348")
add(M + "intermediate_algebra/1992.json", r"$\boxed{(0,9) \cup (9,36)}$. Double-checking the endpoint $x=36$: $\boxed{(0,9) \cup (9,36", F, "trunc: union box unclosed after right one", r"(0,9) \cup (9,36)")

# ---------------------------------------------------------------- more equivalent forms
add(g + "14", r"$20\%$ contemporary (4), $25\%$ of 16 jazz (4), so 12 hip-hop: $\boxed{60\%}$.", T, "equiv: percent sign on a percentage question", "60")
add(g + "14", r"12 of 20 students: $\boxed{12}$.", F, "wrong: count instead of percentage", "60")
add(g + "13", r"Working backwards: $5\cdot 2 = 10$, $10+2=12$, $12 \cdot \frac32 = \boxed{18 \text{ vacuum cleaners}}$.", T, "equiv: unit words", "18")
add(g + "16", r"$80 + 150 = \boxed{230\ \text{miles}}$", T, "equiv: unit with spacing", "230")
add(g + "7", r"$40 + 20 + 100 = \boxed{160}$ minutes.", T, "equiv: identical", "160")
add(M + "algebra/1265.json", r"$\boxed{\tfrac{3}{2}}$", T, "equiv: tfrac", r"\frac{3}{2}")
add(M + "algebra/2700.json", r"$\boxed{3/2}$", T, "equiv: slash", r"\frac{3}{2}")
add(M + "counting_and_probability/282.json", r"$\boxed{0.5}$", T, "equiv: decimal 1/2", r"\frac{1}{2}")
add(M + "counting_and_probability/188.json", r"$\boxed{\dfrac12}$", T, "equiv: dfrac12", r"\frac{1}{2}")
add(M + "algebra/972.json", r"$\boxed{5\frac{1}{2}}$", T, "equiv: mixed number", r"\frac{11}{2}")
add(M + "algebra/1031.json", r"$\boxed{5.5}$", T, "equiv: decimal", r"\frac{11}{2}")
add(M + "geometry/817.json", r"$\boxed{\frac{28}{6}}$", T, "equiv: unreduced", r"\frac{14}{3}")
add(M + "intermediate_algebra/2196.json", r"$\boxed{\tfrac14}$", T, "equiv: tfrac14", r"\frac{1}{4}")
add(M + "intermediate_algebra/1930.json", r"$\boxed{1/4}$", T, "equiv: slash", r"\frac{1}{4}")
add(M + "counting_and_probability/14.json", r"$\boxed{\frac{1}{4}}$", T, "equiv: braces", r"\frac14")
add(M + "algebra/518.json", r"$\boxed{0.75}$", T, "equiv: decimal", r"\frac 34")
add(M + "precalculus/681.json", r"$\boxed{2^{-3}}$", T, "equiv: negative power", r"\frac{1}{8}")
add(M + "intermediate_algebra/1454.json", r"$\boxed{\sqrt{9800}}$", T, "equiv: unsimplified radical", r"70 \sqrt{2}")
add(M + "precalculus/477.json", r"$\boxed{\sqrt{45}}$", T, "equiv: unsimplified radical", r"3 \sqrt{5}")
add(M + "prealgebra/1834.json", r"$\boxed{\sqrt{53}\text{ units}}$", T, "equiv: units text", r"\sqrt{53}")
add(M + "geometry/347.json", r"$\boxed{76}$", T, "equiv: degree dropped", r"76^\circ")
add(M + "precalculus/580.json", r"$\boxed{120^{\circ}}$", T, "equiv: braced degree", r"120^\circ")
add(M + "geometry/65.json", r"$\boxed{30 \text{ degrees}}$", T, "equiv: degrees word", r"30^\circ")
add(M + "geometry/846.json", r"$\boxed{90}$", T, "equiv: degree dropped", r"90^\circ")
add(M + "number_theory/533.json", r"$\boxed{1,030}$", T, "equiv: comma grouping", "1030")
add(M + "algebra/524.json", r"$\boxed{4{,}005}$", T, "equiv: {,} grouping", "4005")
add(M + "counting_and_probability/116.json", r"$\boxed{4,495}$", T, "equiv: comma grouping", "4495")
add(M + "counting_and_probability/238.json", r"$\boxed{10,\!080}$", T, "equiv: ,\\! grouping in output", "10080")
add(M + "algebra/2593.json", r"$\boxed{8{,}000}$", T, "equiv: {,} grouping", "8000")
add(M + "number_theory/1002.json", r"$\boxed{1\,440}$", T, "equiv: thin-space grouping", "1440")
add(a + "70", r"$\boxed{104}$", T, "equiv: identical", "104")
add(c + "48", r"$\boxed{144}$", T, "equiv: identical", "144")
add(c + "28", r"$|z|^2 = a^2 + b^2 = 10 + 40 = \boxed{50}$.", T, "equiv: identical", "50")

# ---------------------------------------------------------------- harder but unambiguous forms
add(M + "precalculus/819.json", r"$z = c$ is a horizontal plane: $\boxed{\text{(C) Plane}}$.", T, "equiv: letter with option text", r"\text{(C)}")
add(M + "precalculus/819.json", r"$\boxed{\text{C}}$", T, "equiv: letter in \\text", r"\text{(C)}")
add(M + "number_theory/627.json", r"$\boxed{3.0}$", T, "equiv: exact decimal 3.0", "3")
add(M + "number_theory/627.json", r"$\boxed{2.99}$", F, "wrong: close decimal", "3")
add(M + "intermediate_algebra/1102.json", r"$\boxed{\left\{ -2, 1 \right\}}$", T, "equiv: set with \\left\\{", "-2,1")
add(M + "intermediate_algebra/558.json", r"$\boxed{\left(3,4\right]}$", T, "equiv: \\left(...\\right]", "(3,4]")
add(M + "counting_and_probability/430.json", r"$\boxed{0.3}$", F, "wrong: 0.3 not 1/3", r"\frac{1}{3}")
add(M + "intermediate_algebra/1111.json", r"$\boxed{6366.2}$", F, "wrong: rounded decimal of 20000/pi", r"\frac{20000}{\pi}")
add(M + "precalculus/1056.json", r"$\boxed{904.78}$", F, "wrong: rounded decimal of 288 pi", r"288 \pi")
add(M + "precalculus/1303.json", r"$\boxed{7.14}$", F, "wrong: rounded decimal of sqrt 51", r"\sqrt{51}")
add(M + "intermediate_algebra/662.json", r"$\boxed{-1 \pm \sqrt{19}}$", F, "wrong: sign of the 1", r"1 \pm \sqrt{19}")
add(M + "intermediate_algebra/2015.json", r"$\boxed{1\pm\sqrt5, -2}$", T, "equiv: pm list without set braces", r"\{1\pm\sqrt{5},-2\}")
add(M + "prealgebra/1003.json", r"$\boxed{\dfrac{270}{7}\text{ degrees}}$", T, "equiv: dfrac with unit text", r"\frac{270}7\text{ degrees}")
add(a + "67", r"$\boxed{25.0}$", T, "equiv: exact decimal for padded integer", "025")
add(M + "intermediate_algebra/134.json", r"$\boxed{-50.0}$", T, "equiv: exact decimal", "-50")
add(M + "prealgebra/1558.json", r"$\boxed{1.250}$", T, "equiv: trailing zero", "1.25")
add(M + "algebra/2780.json", r"$\boxed{\$18.9}$", T, "equiv: dollar, dropped trailing zero", r"\$18.90")
add(M + "prealgebra/1924.json", r"$\boxed{2(k+2)}$", F, "wrong: factored incorrectly", "2k+2")
add(M + "precalculus/24313.json", r"$\boxed{\frac{1}{\tan x}}$", T, "equiv: reciprocal of tan", r"\cot x")
add(M + "intermediate_algebra/431.json", r"$\boxed{(5+a)(2+b)}$", T, "equiv: terms inside factors reordered", "(a+5)(b+2)")
add(M + "algebra/2735.json", r"$\boxed{\frac{11+9b}{20}}$", F, "wrong: wrong variable", r"\frac{11+9a}{20}")
add(M + "intermediate_algebra/1566.json", r"$\boxed{2n}$", F, "wrong: wrong variable", "2k")
add(M + "algebra/1547.json", r"$\boxed{6x^2-4x-24}$", F, "wrong: wrong variable", "6r^2-4r-24")
add(M + "intermediate_algebra/1467.json", r"$\boxed{8k^2+4k+1}$", F, "wrong: wrong variable", "8n^2 + 4n + 1")
add(M + "prealgebra/1298.json", r"$\boxed{5(3x - 16)}$", T, "equiv: factored", "15x - 80")
add(M + "precalculus/1133.json", r"$\boxed{3R}$", F, "wrong: missing square", "3R^2")
add(M + "geometry/880.json", r"$\boxed{21.26}$", F, "wrong: rounded decimal of 2 sqrt 113", r"2\sqrt{113}")
add(M + "intermediate_algebra/1168.json", r"$\boxed{2^4}$", T, "equiv: unevaluated power", "16")
add(M + "algebra/864.json", r"$\boxed{\left(-1,6\right)}$", T, "equiv: \\left(\\right)", "(-1,6)")
add(M + "precalculus/541.json", r"$\boxed{\left(\tfrac32,-13\right)}$", T, "equiv: tfrac in pair", r"\left( \frac{3}{2}, -13 \right)")
add(M + "precalculus/541.json", r"$\boxed{\left(-13, \frac{3}{2}\right)}$", F, "wrong: pair reversed", r"\left( \frac{3}{2}, -13 \right)")
add(M + "intermediate_algebra/1992.json", r"$\boxed{(0,9] \cup [9,36)}$", F, "wrong: includes 9", r"(0,9) \cup (9,36)")
add(M + "algebra/2043.json", r"$\boxed{(3,\infty)\cup(-\infty,2)}$", T, "equiv: union order swapped", r"(-\infty, 2) \cup (3, \infty)")
add(M + "precalculus/920.json", r"$\boxed{\begin{pmatrix} -1 & 0 \\ 0 & -1 \\ \end{pmatrix}}$", T, "equiv: trailing row separator", r"\begin{pmatrix} -1 & 0 \\ 0 & -1 \end{pmatrix}")
add(M + "precalculus/920.json", r"$\boxed{\begin{pmatrix} -1 & 0 & 0 \\ 0 & -1 & 0 \end{pmatrix}}$", F, "wrong: shape", r"\begin{pmatrix} -1 & 0 \\ 0 & -1 \end{pmatrix}")
add(M + "precalculus/263.json", r"$\boxed{\begin{pmatrix} -2 & -14 & -7 \end{pmatrix}}$", F, "wrong: row vector instead of column", r"\begin{pmatrix} -2 \\ -14 \\ -7 \end{pmatrix}")


def _self_check():
    # numeric spot checks of the repeating/exact decimals used above
    def rep(intpart, nonrep, rep_digits):
        n = len(nonrep)
        base = Fraction(int(intpart + nonrep or "0"), 10 ** n)
        r = Fraction(int(rep_digits), (10 ** len(rep_digits) - 1) * 10 ** n)
        return base + r
    assert rep("0", "", "095238") == Fraction(2, 21)
    assert rep("0", "30", "5") == Fraction(11, 36)
    assert rep("0", "7", "2") == Fraction(13, 18)
    assert rep("3", "", "8") == Fraction(35, 9)
    assert rep("0", "8", "6") == Fraction(13, 15)
    assert rep("0", "", "90") == Fraction(10, 11)
    assert rep("0", "5", "3") == Fraction(8, 15)
    assert rep("0", "", "592") == Fraction(16, 27)
    assert rep("4", "", "6") == Fraction(14, 3)
    assert rep("1", "", "3") == Fraction(4, 3)
    assert rep("0", "", "5") == Fraction(5, 9)
    assert Fraction("0.3888") == Fraction(243, 625)
    assert Fraction("0.028672") == Fraction(448, 15625)
    assert Fraction("0.546875") == Fraction(35, 64)
    assert Fraction("0.03515625") == Fraction(9, 256)
    assert Fraction("0.35625") == Fraction(57, 160)
    assert Fraction("15.975") == Fraction(639, 40)
    assert Fraction("6.72e-5") == Fraction("0.0000672")
    assert 117 == 9 * 13 and 242 == 121 * 2 and 452 == 4 * 113 and 768 == 256 * 3
    assert 72 == 36 * 2 and 20 == 4 * 5 and 12 == 4 * 3 and 27 == 9 * 3


if __name__ == "__main__":
    _self_check()
    out = os.path.join(HERE, "answer_cases_blind.jsonl")
    with open(out, "w", encoding="utf-8") as f:
        for case in CASES:
            f.write(json.dumps(case, ensure_ascii=False) + "\n")
    n = len(CASES)
    t = sum(c["expected"] for c in CASES)
    print(f"{n} cases, {t} expected-correct ({t / n:.0%}), {n - t} expected-wrong")
    cats = {}
    for case in CASES:
        key = (case["note"].split(":")[0], case["expected"])
        cats[key] = cats.get(key, 0) + 1
    for key in sorted(cats):
        print(key, cats[key])
