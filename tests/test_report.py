"""`python -m grader report` and `evaluate`'s page: rendered in headless Chromium, numbers checked against the files.

The batch folder is made of real runs (tests/batch_fixture.py): real checks, one real training run,
real evaluations of the tiny model. Pages are opened by Chromium with no network; every page must
log no error, request nothing but itself, and show the plots and tables it promises. Numbers are
read back from the HTML (each cell keeps its raw value in ``data-value``) and compared with
grades.csv, summary.json and predictions.jsonl.
"""

from __future__ import annotations

import ast
import base64
import csv
import hashlib
import html
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import jinja2
import pytest

from grader.batch.layout import FINAL, BatchPaths
from grader.cli import main
from grader.batch.gradescope import check_results
from grader.report import page as report_page
from grader.report import plots
from tests.batch_fixture import CANARY, CLASS, build_runs, hidden_rows, make_batch_dir, write_grades
from tests.browser import CHROMIUM, render
from tests.conftest import ROOT, make_submission

pytestmark = pytest.mark.xdist_group("report")

NO_CHROMIUM = "chromium is not installed and could not be (.ci/run installs Debian's `chromium` package)"

PLOTS = "[...document.querySelectorAll('[data-plot]')].map(d => d.dataset.plot + ':' + d.querySelectorAll('svg').length)"
SVG_SIZES = "[...document.querySelectorAll('svg')].map(s => Math.round(s.getBoundingClientRect().width))"


def rows_in(table_id: str) -> str:
    return f"document.querySelectorAll('#{table_id} tbody tr').length"


# --- reading pages back --------------------------------------------------------------------------


@dataclass
class Table:
    headers: list[str] = field(default_factory=list)
    rows: list[list[tuple[str | None, str]]] = field(default_factory=list)  # (data-value, text) per cell

    def column(self, name: str) -> list[str | None]:
        index = self.headers.index(name)
        return [row[index][0] for row in self.rows]

    def text(self, name: str) -> list[str]:
        index = self.headers.index(name)
        return [row[index][1] for row in self.rows]


class PageParser(HTMLParser):
    """Tables by id (headers, cells with their data-value and text) and every element's data-value by id."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, Table] = {}
        self.values: dict[str, str] = {}
        self._table: Table | None = None
        self._row: list | None = None
        self._cell: list | None = None
        self._head = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a and "data-value" in a:
            self.values[a["id"]] = a["data-value"]
        if tag == "table":
            self._table = self.tables.setdefault(a.get("id") or f"table-{len(self.tables)}", Table())
        elif tag == "tr" and self._table is not None:
            self._row, self._head = [], False
        elif tag in ("td", "th") and self._row is not None:
            self._cell, self._head = [a.get("data-value"), ""], tag == "th"

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[1] += data

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append((self._cell[0], self._cell[1].strip()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table is not None:
            if self._head:
                self._table.headers = [text for _, text in self._row]
            else:
                self._table.rows.append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None


def parse(path: Path) -> PageParser:
    return PageParser(path.read_text(encoding="utf-8"))


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def grades(batch: BatchPaths) -> dict[str, dict[str, str]]:
    with batch.grades.open(newline="") as handle:
        return {row["id"]: row for row in csv.DictReader(handle)}


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def report(*args) -> int:
    return main(["report", *map(str, args)])


def open_in_chromium(page: Path, png: Path, queries: dict[str, str]):
    if CHROMIUM is None:
        pytest.skip(NO_CHROMIUM)
    result = render(page, png, queries)
    assert result.errors == [], result.errors
    assert result.requests == [page.resolve().as_uri()]  # the page itself, nothing else
    assert png_size(png)[0] == 1280 and png_size(png)[1] > 600
    return result


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def runs(tiny_default, tmp_path_factory):
    return build_runs(tmp_path_factory.mktemp("report-runs"), tiny_default)


@pytest.fixture(scope="module")
def batch(runs, tiny_default, tmp_path_factory) -> BatchPaths:
    return make_batch_dir(tmp_path_factory.mktemp("report") / "batch", runs, hidden_rows(tiny_default))


@pytest.fixture(scope="module")
def reported(batch, tmp_path_factory) -> dict[str, Path]:
    """The report command as an instructor runs it: class report + feedback pages (problems: none)."""
    out = tmp_path_factory.mktemp("report-out")
    assert report(batch.root, "--out", out / "class.html", "--feedback", out / "feedback") == 0
    return {"class": out / "class.html", "feedback": out / "feedback", "out": out}


# --- the class report ----------------------------------------------------------------------------


def test_class_report_renders_offline_with_every_plot_and_table(batch, reported, tmp_path):
    graded = [s for s in CLASS if s.status == "graded"]
    result = open_in_chromium(reported["class"], tmp_path / "class.png", {
        "plots": PLOTS, "svg_widths": SVG_SIZES,
        "gradebook": rows_in("gradebook"), "failures": rows_in("failures"), "problems": rows_in("problems"),
        "by_subject": rows_in("by-subject"), "by_level": rows_in("by-level"), "by_source": rows_in("by-source"),
        "compute": rows_in("compute"),
        "pwned": "window.pwned === undefined && document.querySelectorAll('script').length",
        "grades_link": "document.querySelector('#gradebook').closest('section').querySelector('a').getAttribute('href')",
        "feedback_links": "[...document.querySelectorAll('#gradebook tbody a')].map(a => a.getAttribute('href'))",
    })  # fmt: skip
    values = result.values
    # Accuracy histogram, trained tokens vs accuracy, problem solve shares, a box plot per group with 2+ values
    # (source has one value: table only).
    assert values["plots"] == ["accuracy-histogram:1", "tokens-vs-accuracy:1", "solve-share-histogram:1",
                               "group-subject:1", "group-level:1"]  # fmt: skip
    assert all(width > 300 for width in values["svg_widths"]), values["svg_widths"]
    assert values["gradebook"] == len(CLASS) and values["failures"] == len(CLASS) - len(graded)
    assert values["problems"] == 16 and values["compute"] == len(graded)
    assert (values["by_subject"], values["by_level"], values["by_source"]) == (2, 3, 1)
    assert values["pwned"] == 1  # the canary's <script> is text, only the page's own script runs
    assert (reported["class"].parent / values["grades_link"]).resolve() == batch.grades.resolve()
    assert [(reported["class"].parent / href).resolve() for href in values["feedback_links"]] == [
        (reported["feedback"] / f"{s.id}.html").resolve() for s in CLASS]  # fmt: skip


def test_class_report_numbers_equal_grades_csv_and_summaries(batch, reported):
    page, rows = parse(reported["class"]), grades(batch)
    gradebook = page.tables["gradebook"]
    assert [cell[0] for cell in gradebook.rows[0]] == [rows["ada"][c] for c in rows["ada"]]  # every column
    for row in gradebook.rows:
        assert [value for value, _ in row] == list(rows[row[0][0]].values())
    # The displayed text is the raw value, formatted.
    shown = dict(zip(gradebook.column("id"), gradebook.text("accuracy")))
    assert shown["ada"] == f"{100 * float(rows['ada']['accuracy']):.1f}%" and shown["eve"] == "–"

    accuracies = [float(r["accuracy"]) for r in rows.values() if r["status"] == "graded"]
    assert float(page.values["mean-accuracy"]) == pytest.approx(statistics.fmean(accuracies))
    assert float(page.values["median-accuracy"]) == pytest.approx(statistics.median(accuracies))
    assert float(page.values["best-accuracy"]) == max(accuracies)
    baseline = json.loads((batch.baseline / "summary.json").read_text())
    assert float(page.values["baseline-accuracy"]) == baseline["accuracy"]
    statuses = [r["status"] for r in rows.values()]
    assert int(page.values["count-graded"]) == statuses.count("graded")
    assert int(page.values["count-invalid"]) == statuses.count("invalid")
    assert int(page.values["count-over-budget"]) == statuses.count("over_budget")
    assert int(page.values["count-failed"]) == sum(s in FINAL and s not in ("graded", "invalid", "over_budget") for s in statuses)

    failures = page.tables["failures"]
    assert failures.text("error") == [rows[i]["error"] for i in failures.text("submission")]

    # Per problem: solved counts from the graded submissions' predictions, the base model from its own.
    predictions = {i: {p["id"]: p["correct"] for p in jsonl(batch.submission(i).predictions)} for i in rows
                   if rows[i]["status"] == "graded"}  # fmt: skip
    base = {p["id"]: p["correct"] for p in jsonl(batch.baseline / "predictions.jsonl")}
    problems = page.tables["problems"]
    assert problems.text("id") == [r["id"] for r in jsonl(batch.test)]
    solved = [sum(p[pid] for p in predictions.values()) for pid in problems.text("id")]
    assert [int(v) for v in problems.column("solved by")] == solved
    assert [v == "1" for v in problems.column("base model")] == [base[pid] for pid in problems.text("id")]
    assert int(page.values["solved-by-nobody"]) == solved.count(0)
    assert int(page.values["solved-by-everybody"]) == solved.count(len(predictions))

    # Per level: the class median of each submission's summary.json by_level accuracy.
    summaries = {i: json.loads(batch.submission(i).summary.read_text()) for i in predictions}
    level = page.tables["by-level"]
    for key, median in zip(level.text("level"), level.column("class median")):
        assert float(median) == pytest.approx(statistics.median(s["by_level"][key]["accuracy"] for s in summaries.values()))
    compute = page.tables["compute"]
    for sid, never, no_box in zip(compute.text("submission"), compute.column("never stopped"), compute.column("no box")):
        assert (float(never), float(no_box)) == (summaries[sid]["never_stopped"], summaries[sid]["no_box"])
    assert compute.column("trained tokens") == [rows[sid]["trained_tokens"] for sid in compute.text("submission")]


def test_gradebook_sorts_on_click(batch, reported, tmp_path):
    if CHROMIUM is None:
        pytest.skip(NO_CHROMIUM)
    click = ("(() => { const th = [...document.querySelectorAll('#gradebook thead th')].find(h => h.textContent === 'accuracy');"
             " th.click(); const asc = [...document.querySelectorAll('#gradebook tbody tr')].map(r => r.cells[0].textContent);"
             " th.click(); const desc = [...document.querySelectorAll('#gradebook tbody tr')].map(r => r.cells[0].textContent);"
             " return [asc, desc]; })()")  # fmt: skip
    result = render(reported["class"], None, {"order": click})
    rows = grades(batch)
    graded = [i for i in rows if rows[i]["accuracy"]]
    blank = [i for i in rows if not rows[i]["accuracy"]]
    ascending = sorted(graded, key=lambda i: float(rows[i]["accuracy"]))
    descending = sorted(graded, key=lambda i: -float(rows[i]["accuracy"]))
    assert result.values["order"] == [ascending + blank, descending + blank]  # blanks stay last


# --- templates, escaping and the script policy ---------------------------------------------------

REPORT_PACKAGE = ROOT / "grader" / "report"
# An element a page could be made of, written inside a Python string: what "no HTML strings in Python" forbids.
HTML_TAG = re.compile(
    r"</?(?:a|b|i|p|br|hr|div|span|table|thead|tbody|tr|td|th|section|h[1-6]|pre|code|details|summary|label|input|"
    r"button|form|script|style|meta|link|html|head|body|title|svg|img|iframe|ul|ol|li|em|strong|small)\b[^<>]*>",
    re.IGNORECASE,
)


def _policy_and_script(text: str) -> tuple[dict[str, list[str]], str]:
    """A page's CSP as directive -> sources, and the exact text between its one <script> and </script>."""
    policy = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', text)
    assert policy and text.count("<script>") == 1, "one policy and one script per page"
    directives = {d.split()[0]: d.split()[1:] for d in html.unescape(policy.group(1)).split(";") if d.strip()}
    return directives, text[text.index("<script>") + len("<script>") : text.index("</script>")]


def test_only_the_kits_own_script_may_run(batch, reported, tmp_path):
    """script-src is the SHA-256 of the page's own script: an inline <script> that slipped into a page is refused."""
    pages = [reported["class"], *sorted(reported["feedback"].iterdir())]
    for page in pages:
        policy, script = _policy_and_script(page.read_text(encoding="utf-8"))
        digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
        assert policy["script-src"] == [f"'sha256-{digest}'"], page.name  # and no 'unsafe-inline'
        assert policy["default-src"] == ["'none'"] and "addEventListener" in script
    if CHROMIUM is None:
        pytest.skip(NO_CHROMIUM)
    text = reported["class"].read_text(encoding="utf-8")
    title = html.unescape(re.search("<title>(.*?)</title>", text).group(1))
    injected = text.replace("<h1>", "<script>document.title='pwned'</script><h1>", 1)
    (tmp_path / "injected.html").write_text(injected, encoding="utf-8")
    click = "(() => { const th = document.querySelector('#gradebook thead th'); th.click(); return th.dataset.dir; })()"
    result = render(tmp_path / "injected.html", None, {"title": "document.title", "sorted": click})
    assert title == batch.root.name and result.values == {"title": title, "sorted": "asc"}  # the kit's script ran
    assert any("Content Security Policy" in error for error in result.errors), result.errors
    # The control: without the policy, the same payload runs.
    unprotected = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", injected)
    (tmp_path / "open.html").write_text(unprotected, encoding="utf-8")
    assert render(tmp_path / "open.html", None, {"title": "document.title"}).values["title"] == "pwned"


def test_plot_labels_are_drawn_as_text_never_parsed():
    """matplotlib escapes the SVG's text: a group value that looks like markup stays a label."""
    label = "<script>alert(1)</script>"
    for svg in (plots.group_boxes("subject", {label: [0.2, 0.4], "b & c": [0.5, 0.6]}, {label: 0.1}),
                plots.group_bars("subject", {label: 0.3, "b & c": 0.6}, {label: 0.2}, None)):  # fmt: skip
        tree = ElementTree.fromstring(str(svg))
        assert "script" not in {element.tag.rsplit("}", 1)[-1] for element in tree.iter()}
        texts = ["".join(element.itertext()) for element in tree.iter("{http://www.w3.org/2000/svg}text")]
        assert label in texts and "b & c" in texts
        assert "&lt;script&gt;" in svg and "<script" not in svg



@pytest.mark.parametrize("label", [r"$\frac{1}{0$", "cost $5 and $6", "$x^2$"])
def test_dollar_signs_in_group_values_are_text_not_mathtext(label):
    """A test set's group value with dollar signs once stopped the whole report (matplotlib's mathtext)."""
    for svg in (plots.group_boxes("source", {label: [0.2, 0.4], "b": [0.5, 0.6]}, {label: 0.1}),
                plots.group_bars("source", {label: 0.3, "b": 0.6}, {label: 0.2}, None)):  # fmt: skip
        texts = ["".join(e.itertext()) for e in ElementTree.fromstring(str(svg)).iter("{http://www.w3.org/2000/svg}text")]
        assert label in texts


def _html_strings(tree: ast.AST) -> list[str]:
    """String literals (docstrings aside: they are never output) with an HTML element in them; f-strings joined."""
    documented = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    docstrings = {
        id(node.body[0].value) for node in ast.walk(tree)
        if isinstance(node, documented) and node.body and isinstance(node.body[0], ast.Expr)
    }  # fmt: skip
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(part.value if isinstance(part, ast.Constant) else "x" for part in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            text = node.value
        else:
            continue
        if HTML_TAG.search(text):
            found.append(text)
    return found


def test_no_html_in_the_reports_python():
    """The markup lives in templates/ (autoescaped); the report's Python hands over text and numbers only."""
    assert _html_strings(ast.parse('cell = f\'<td class="num">{value}</td>\'')) != []  # the check can fail
    assert _html_strings(ast.parse('"""<b>doc</b>"""\nhelp = "DIR2/<id>.html"')) == []
    modules = sorted(REPORT_PACKAGE.glob("*.py"))
    assert len(modules) >= 8
    for module in modules:
        assert _html_strings(ast.parse(module.read_text(encoding="utf-8"))) == [], module.name


def test_a_value_missing_from_a_template_is_an_error():
    with pytest.raises(jinja2.UndefinedError):
        report_page.render("feedback.html", title="t", subtitle="s")


def test_templates_ship_in_the_wheel(tmp_path):
    """A non-editable install finds its templates: built as a wheel, unpacked, and a page rendered from there."""
    pytest.importorskip("setuptools")
    source = tmp_path / "source"
    for folder in ("grader", "tools/pin"):  # tools/pin/: the build backend
        shutil.copytree(ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", source)
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation", "--no-index",
                    "--disable-pip-version-check", "-q", "-w", str(tmp_path / "dist")], check=True, timeout=300)  # fmt: skip
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(tmp_path / "site")
        names = set(archive.namelist())
    templates = {f"grader/report/templates/{p.name}" for p in (REPORT_PACKAGE / "templates").iterdir()}
    assert len(templates) >= 6 and templates <= names, templates - names
    code = ("import grader; from grader.report.page import render; print(grader.__file__);"
            "print(render('feedback.html', title='T <x>', subtitle='s', headline=[], not_graded=None, breakdowns=[],"
            " training=None, reasons=None, examples=None))")  # fmt: skip
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(tmp_path / "site")},
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    location, page = proc.stdout.split("\n", 1)
    assert Path(location).is_relative_to(tmp_path / "site")
    assert "<title>T &lt;x&gt;</title>" in page and _policy_and_script(page)[1] in page


# --- feedback pages ------------------------------------------------------------------------------


def test_feedback_page_renders_with_curves_groups_and_numbers(batch, reported, tmp_path):
    page = reported["feedback"] / "ada.html"
    result = open_in_chromium(page, tmp_path / "ada.png", {
        "plots": PLOTS, "examples": "document.querySelectorAll('details.ex').length",
        "by_level": rows_in("by-level"), "data": rows_in("data-stats"),
    })  # fmt: skip
    assert result.values["plots"] == ["bars-subject:1", "bars-level:1", "loss-curves:1"]
    assert result.values["examples"] == 0 and result.values["by_level"] == 3 and result.values["data"] == 2

    parsed, summary = parse(page), json.loads(batch.submission("ada").summary.read_text())
    record = json.loads(batch.submission("ada").training_record.read_text())
    assert float(parsed.values["accuracy"]) == summary["accuracy"]
    assert int(parsed.values["correct"]) == summary["correct"]
    assert (float(parsed.values["never-stopped"]), float(parsed.values["no-box"])) == (summary["never_stopped"], summary["no_box"])
    assert float(parsed.values["final-train-loss"]) == record["final_train_loss"]
    eval_losses = [e["eval_loss"] for e in record["log_history"] if "eval_loss" in e]
    assert len(eval_losses) >= 2 and float(parsed.values["last-eval-loss"]) == eval_losses[-1]
    level = parsed.tables["by-level"]
    assert level.column("accuracy") == [repr(summary["by_level"][k]["accuracy"]) for k in level.text("level")]
    class_page = parse(reported["class"]).tables["by-level"]
    assert level.column("class median") == class_page.column("class median")
    check = json.loads(batch.submission("ada").check.read_text())
    assert parsed.tables["data-stats"].column("examples") == [str(check["train"]["examples"]), str(check["val"]["examples"])]


def test_failed_submission_page_says_why(batch, reported, tmp_path):
    page = reported["feedback"] / "eve.html"
    result = open_in_chromium(page, tmp_path / "eve.png", {"violations": rows_in("violations"), "plots": PLOTS})
    check = json.loads(batch.submission("eve").check.read_text())
    assert result.values["violations"] == len(check["violations"]) >= 2 and result.values["plots"] == []
    gus = (reported["feedback"] / "gus.html").read_text()
    assert "RuntimeError: &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; the loss" in gus
    assert "<script>alert" not in gus and gus.count("<script>") == 1


def _hidden_texts(batch: BatchPaths) -> list[str]:
    """Every piece of hidden-set text a page must not show: problems, outputs, the canary's answer."""
    texts = [r["problem"] for r in jsonl(batch.test)] + [CANARY["answer"]]
    for sid in (s.id for s in CLASS if s.status == "graded"):
        texts += [p["output"].strip() for p in jsonl(batch.submission(sid).predictions) if p["output"].strip()]
    return texts


def _leaks(text: str, hidden: list[str]) -> list[str]:
    import html

    return [h for h in hidden if h in text or html.escape(h) in text or html.escape(h, quote=False) in text]


def test_show_problems_none_shows_no_hidden_text(batch, reported):
    hidden = _hidden_texts(batch)
    assert len(hidden) > 40
    for page in reported["feedback"].iterdir():
        assert _leaks(page.read_text(), hidden) == [], page.name
    for sid in (s.id for s in CLASS):
        assert _leaks(batch.submission(sid).results.read_text(), hidden) == [], sid


def test_show_problems_wrong_and_all_show_worked_examples(batch, tmp_path):
    for show in ("wrong", "all"):
        out = tmp_path / show
        assert report(batch.root, "--out", out / "class.html", "--feedback", out, "--show-problems", show, "--no-gradescope") == 0
        predictions = jsonl(batch.submission("ada").predictions)
        expected = [p for p in predictions if show == "all" or not p["correct"]]
        page = (out / "ada.html").read_text()
        assert page.count('<details class="ex') == len(expected)
        assert _leaks(page, _hidden_texts(batch))  # the positive control: the hidden text is there now...
        assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in page and "<script>window.pwned" not in page  # ...escaped


# --- Gradescope ----------------------------------------------------------------------------------

# https://gradescope-autograders.readthedocs.io/en/latest/specs/ : field -> accepted types.
NUMBER = (int, float)
SPEC_TOP = {"score": NUMBER, "execution_time": NUMBER, "output": str, "output_format": str, "test_output_format": str,
            "test_name_format": str, "visibility": str, "stdout_visibility": str, "extra_data": dict, "tests": list,
            "leaderboard": list}  # fmt: skip
SPEC_TEST = {"score": NUMBER, "max_score": NUMBER, "status": str, "name": str, "name_format": str, "number": str,
             "output": str, "output_format": str, "tags": list, "visibility": str, "extra_data": dict}  # fmt: skip
SPEC_LEADERBOARD = {"name": str, "value": (int, float, str), "order": str}
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}


def assert_follows_spec(result: dict) -> None:
    def typed(obj: dict, spec: dict, where: str) -> None:
        assert set(obj) <= set(spec), f"{where}: unknown fields {set(obj) - set(spec)}"
        for key, value in obj.items():
            assert isinstance(value, spec[key]) and not isinstance(value, bool), f"{where}.{key}: {value!r}"

    typed(result, SPEC_TOP, "results")
    assert "score" in result or all("score" in t for t in result["tests"])
    for key in ("visibility", "stdout_visibility"):
        assert result.get(key, "visible") in VISIBILITY
    for index, test in enumerate(result.get("tests", [])):
        typed(test, SPEC_TEST, f"tests[{index}]")
        assert test.get("status", "passed") in ("passed", "failed") and test.get("visibility", "visible") in VISIBILITY
        assert 0 <= test["score"] <= test["max_score"]
    for index, entry in enumerate(result.get("leaderboard", [])):
        typed(entry, SPEC_LEADERBOARD, f"leaderboard[{index}]")
        assert {"name", "value"} <= set(entry) and entry.get("order", "desc") in ("asc", "desc")


def test_gradescope_results_follow_the_spec(batch, reported):
    rows = grades(batch)
    for student in CLASS:
        result = json.loads(batch.submission(student.id).results.read_text())
        assert_follows_spec(result)
        if student.status == "graded":
            accuracy = float(rows[student.id]["accuracy"])
            assert result["score"] == round(100 * accuracy, 4)
            assert result["leaderboard"] == [{"name": "Accuracy", "value": round(100 * accuracy, 2), "order": "desc"}]
            assert sum(t["max_score"] for t in result["tests"]) == 100
        else:
            assert result["score"] == 0 and "leaderboard" not in result
            assert student.error in result["output"]
    eve = json.loads(batch.submission("eve").results.read_text())
    check = next(t for t in eve["tests"] if t["name"].startswith("Submission check"))
    assert check["status"] == "failed" and "unknown key 'foo'" in check["output"]


# --- odd batches ---------------------------------------------------------------------------------


def _render_batch(root: Path, tmp_path: Path, queries: dict[str, str]):
    out = tmp_path / "out"
    assert report(root, "--out", tmp_path / "class.html", "--feedback", out) == 0
    classes = open_in_chromium(tmp_path / "class.html", tmp_path / "class.png", queries)
    pages = sorted(out.iterdir())
    feedback = open_in_chromium(pages[0], tmp_path / "first.png", {"plots": PLOTS})
    return classes, feedback


def test_a_batch_where_every_submission_failed(runs, tiny_default, tmp_path):
    failed = [s for s in CLASS if s.status != "graded"]
    batch = make_batch_dir(tmp_path / "batch", runs, hidden_rows(tiny_default), failed)
    classes, feedback = _render_batch(batch.root, tmp_path, {"plots": PLOTS, "failures": rows_in("failures"),
                                                             "gradebook": rows_in("gradebook")})  # fmt: skip
    assert classes.values == {"plots": [], "failures": len(failed), "gradebook": len(failed)}
    page = parse(tmp_path / "class.html")
    assert page.values["count-graded"] == "0" and "mean-accuracy" not in page.values
    assert "No submission was graded" in (tmp_path / "class.html").read_text()
    assert feedback.values["plots"] == []


def test_a_batch_with_a_single_submission(runs, tiny_default, tmp_path):
    batch = make_batch_dir(tmp_path / "batch", runs, hidden_rows(tiny_default), CLASS[:1])
    classes, feedback = _render_batch(batch.root, tmp_path, {"plots": PLOTS, "gradebook": rows_in("gradebook")})
    assert classes.values["plots"] == ["accuracy-histogram:1", "solve-share-histogram:1", "group-subject:1", "group-level:1"]
    assert classes.values["gradebook"] == 1
    page, row = parse(tmp_path / "class.html"), grades(batch)["ada"]
    assert page.values["mean-accuracy"] == page.values["median-accuracy"] == repr(float(row["accuracy"]))
    assert feedback.values["plots"] == ["bars-subject:1", "bars-level:1", "loss-curves:1"]


def test_a_test_set_without_source_subject_or_level(runs, tiny_default, tmp_path):
    batch = make_batch_dir(tmp_path / "batch", runs, hidden_rows(tiny_default, groups=False), CLASS[:2] + CLASS[-1:])
    classes, feedback = _render_batch(batch.root, tmp_path, {"plots": PLOTS, "groups": "document.querySelectorAll('#groups').length",
                                                             "problems": rows_in("problems")})  # fmt: skip
    assert classes.values == {"plots": ["accuracy-histogram:1", "tokens-vs-accuracy:1", "solve-share-histogram:1"],
                              "groups": 0, "problems": 16}  # fmt: skip
    assert parse(tmp_path / "class.html").tables["problems"].headers[:3] == ["#", "id", "problem"]
    assert feedback.values["plots"] == ["loss-curves:1"]


def test_a_batch_still_running_without_grades_csv(batch, tmp_path):
    """Before grades.csv exists, the gradebook comes from state.json: the same numbers."""
    copy = tmp_path / "batch"
    shutil.copytree(batch.root, copy)
    (copy / "grades.csv").unlink()
    assert report(copy, "--no-gradescope") == 0
    parsed = parse(copy / "report.html").tables["gradebook"]
    expected = grades(batch)
    assert [[value for value, _ in row] for row in parsed.rows] == [list(row.values()) for row in expected.values()]


# --- evaluate's page -----------------------------------------------------------------------------


def test_evaluate_writes_the_same_feedback_page(runs, batch, tmp_path, capsys):
    out = tmp_path / "eval"
    assert main(["evaluate", str(runs.checkpoint), "--data", str(batch.test), "--out", str(out), "--max-new-tokens", "48"]) == 0
    assert f"{out / 'report.html'}" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == [
        "generation.json", "generations.jsonl", "predictions.jsonl", "report.html", "summary.json",
    ]  # fmt: skip
    result = open_in_chromium(out / "report.html", tmp_path / "eval.png", {
        "plots": PLOTS, "examples": "document.querySelectorAll('details.ex').length",
        "pwned": "window.pwned === undefined", "title": "document.title",
        "only_wrong": "(() => { const box = document.querySelector('input[data-only-wrong]'); box.click();"
                      " return [...document.querySelectorAll('details.ex')].filter(d => !d.hidden).length; })()",
    })  # fmt: skip
    rows, summary = jsonl(out / "predictions.jsonl"), json.loads((out / "summary.json").read_text())
    assert result.values["plots"] == ["bars-subject:1", "bars-level:1", "loss-curves:1"]
    assert result.values["examples"] == len(rows) == 16 and result.values["pwned"] is True
    assert result.values["only_wrong"] == sum(not r["correct"] for r in rows)
    page = parse(out / "report.html")
    assert float(page.values["accuracy"]) == summary["accuracy"] and "class median" not in (out / "report.html").read_text()
    assert "Quentin has 3 zebras and gets 4 more. &lt;b&gt;How many&lt;/b&gt;" in (out / "report.html").read_text()


# --- size and speed at class scale ----------------------------------------------------------------


def test_class_report_stays_light_for_200_submissions_and_500_problems(runs, tmp_path):
    """200 submissions x 500 problems: the page stays a few hundred KB and renders in seconds."""
    from grader.tiny import make_sample

    sample = make_sample(tmp_path / "sample", n_train=0, n_val=0, n_test=500, seed=1)
    rows = [dict(r, subject=["algebra", "geometry", "counting"][i % 3], level=1 + i % 5) for i, r in enumerate(jsonl(sample["test"]))]
    batch = make_batch_dir(tmp_path / "batch", runs, rows, CLASS[:1], baseline=False)
    ada = batch.submission("ada")
    for n in range(199):  # the same real predictions under 200 ids: what matters here is the volume
        shutil.copytree(ada.root, batch.submission(f"s{n:03d}").root)
    write_grades(batch)
    start = time.monotonic()
    assert report(batch.root, "--no-gradescope") == 0
    seconds = time.monotonic() - start
    size = (batch.root / "report.html").stat().st_size
    assert size < 1_500_000, size
    assert seconds < 60, seconds
    assert len(parse(batch.root / "report.html").tables["problems"].rows) == 500


# --- the Gradescope autograder example -----------------------------------------------------------


def _autograder(root: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "KIT": str(ROOT), "PYTHON": sys.executable, "PYTHONPATH": str(ROOT)}
    return subprocess.run([str(ROOT / "docs" / "gradescope" / "run_autograder")], env=env, capture_output=True, text=True,
                          timeout=600)  # fmt: skip


def test_run_autograder_hands_over_offline_results_or_checks(batch, reported, tiny_default, tmp_path):
    # Graded offline: the batch's results.json for this submission id, as it is.
    root = tmp_path / "gradescope"
    (root / "source" / "graded" / "submission_77").mkdir(parents=True)
    shutil.copy(batch.submission("ada").results, root / "source" / "graded" / "submission_77" / "results.json")
    (root / "submission_metadata.json").write_text(json.dumps({"id": 77, "users": [{"name": "Ada"}]}))
    (root / "submission").mkdir()
    proc = _autograder(root)
    assert proc.returncode == 0, proc.stderr
    assert (root / "results" / "results.json").read_text() == batch.submission("ada").results.read_text()

    # Not graded yet: checked on the spot, and an invalid submission hears why.
    rows = jsonl(tiny_default["train"])[:20]
    (root / "submission_metadata.json").write_text(json.dumps({"id": 78}))
    make_submission(root / "submission", train_rows=rows, val_rows=rows[:2], config="foo: 1\n")
    proc = _autograder(root)
    assert proc.returncode == 0, proc.stderr
    result = json.loads((root / "results" / "results.json").read_text())
    assert_follows_spec(result)
    assert result["score"] == 0 and result["tests"][0]["status"] == "failed" and "breaks the rules" in result["output"]
    assert "unknown key 'foo'" in result["tests"][0]["output"]


def test_check_results_for_a_valid_submission(runs):
    result = check_results(runs.check)
    assert_follows_spec(result)
    assert result["score"] == 0 and result["tests"][0]["status"] == "passed" and "is valid" in result["output"]
    assert f"train: {runs.check.train.examples:,} examples" in result["tests"][0]["output"]


# --- mistakes ------------------------------------------------------------------------------------


def test_report_mistakes_are_one_line_errors(batch, tmp_path, capsys):
    assert report(tmp_path / "missing") == 2
    assert report(tmp_path) == 2  # a folder, but not a batch
    (tmp_path / "file").write_text("x")
    assert report(batch.root, "--out", tmp_path / "file" / "report.html") == 2
    assert report(batch.root, "--feedback", tmp_path / "file") == 2
    err = capsys.readouterr().err.splitlines()
    assert [line.split(":")[0] for line in err] == ["error"] * 4, err
    assert "not a folder" in err[0] and "not a batch folder" in err[1]
    with pytest.raises(SystemExit):
        report(batch.root, "--show-problems", "some")


def test_the_python_api_evaluates_and_reports_like_the_commands(runs, batch, tmp_path, capsys):
    """grader.api without argparse: evaluate returns the Summary it saved (and writes its page); report what it wrote."""
    from grader import api, records
    from grader.evaluation.evaluate import Summary

    summary = api.evaluate(runs.checkpoint, batch.test, out=tmp_path / "eval", max_new_tokens=48)
    assert summary == records.load(tmp_path / "eval" / "summary.json", Summary)
    assert summary.n == 16 and (tmp_path / "eval" / "report.html").is_file()
    assert main(["evaluate", str(runs.checkpoint), "--data", str(batch.test), "--out", str(tmp_path / "cli"),
                 "--max-new-tokens", "48"]) == 0  # fmt: skip
    cli = records.load(tmp_path / "cli" / "summary.json", Summary)
    assert (cli.correct, cli.predictions_sha256) == (summary.correct, summary.predictions_sha256)
    result = api.report(batch.root, out=tmp_path / "class.html", feedback=tmp_path / "pages", gradescope=False)
    assert result.page == tmp_path / "class.html" and result.page.is_file() and result.results_written == 0
    assert sorted(result.feedback) == sorted(s.id for s in CLASS)
    assert result.counts["graded"] == sum(s.status == "graded" for s in CLASS) == 4
