"""The shell every report page shares: the templates, number formats, and the parts pages are made of.

Pages are single files that open from disk: CSS and the one small script are inline, plots are
inline SVG, and a Content-Security-Policy forbids every fetch and every script but the kit's own
(allowed by its SHA-256), so a page can never reach the network and nothing that slipped into it
can run. The markup lives in ``templates/`` (Jinja2, autoescaped): Python hands over text and
numbers only, so every piece of text from a submission, a model or the hidden set is escaped
without anyone remembering to. The one exception is the kit's own SVG (``plots``), marked
``Markup`` where matplotlib writes it.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import math
import os
from dataclasses import dataclass
from typing import Collection, Iterable, Sequence

import jinja2
from markupsafe import Markup

from grader.atomic import write_text_atomic
from grader.batch.gradebook import duration

SCRIPT = "page.js"  # the kit's script: base.html includes it between <script> and </script>


def _escaped(value: object) -> object:
    """Escaped as ``html.escape`` does (quotes too, ``'`` as ``&#x27;``), as the pages always were; None is empty."""
    if hasattr(value, "__html__"):  # a macro's output or the kit's SVG: already markup
        return value
    return Markup(html.escape("" if value is None else str(value), quote=True))


@functools.cache
def environment() -> jinja2.Environment:
    """The templates shipped in the package; a missing variable is an error, not an empty string."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("grader.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        finalize=_escaped,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@functools.cache
def script_hash() -> str:
    """The CSP source that lets the kit's script run and nothing else: the SHA-256 of its text as rendered."""
    text = environment().get_template(SCRIPT).render()
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def render(template: str, **values: object) -> str:
    """A whole page from ``templates/<template>`` (which extends base.html: title and subtitle required)."""
    return environment().get_template(template).render(script_hash=script_hash(), **values)


def is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def pct(share: float | None, digits: int = 1) -> str:
    return "–" if not is_number(share) else f"{100 * share:.{digits}f}%"


def count(value: float | int | None) -> str:
    return "–" if not is_number(value) else f"{int(value):,}"


seconds = duration  # a duration people read at a glance: 42.0 s, 12.5 min, 3.2 h (as `status` prints them)


def number(value: float | None, digits: int = 3) -> str:
    return "–" if not is_number(value) else f"{value:.{digits}g}" if abs(value) < 1e4 else f"{value:,.0f}"


def shorten(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Cell:
    """One table cell: ``text`` is shown, ``value`` is what sorting and tests read (``data-value``).

    At most one of ``href`` (a link), ``tag`` (a label coloured "good" or "bad"), ``title`` (the
    whole text on hover) and ``muted`` dresses the text.
    """

    text: str
    value: str | None = None
    numeric: bool = False
    href: str | None = None
    tag: str | None = None
    title: str | None = None
    muted: bool = False


def text_cell(text: object) -> Cell:
    return Cell("" if text is None else str(text))


def num_cell(value: float | int | None, shown: str, raw: str | None = None) -> Cell:
    """A right-aligned number shown formatted; ``raw`` (default: ``value``) is kept in data-value."""
    raw = raw if raw is not None else ("" if value is None else repr(value) if isinstance(value, float) else str(value))
    return Cell(shown, raw, numeric=True)


def pct_cell(share: float | None) -> Cell:
    return num_cell(share, pct(share))


def count_cell(value: float | int | None) -> Cell:
    return num_cell(value, count(value))


@dataclass(frozen=True)
class Table:
    """A table whose cells carry their raw values (``data-value``) for sorting and for checking."""

    columns: Sequence[str]
    rows: Sequence[Sequence[Cell]]
    id: str | None = None
    sortable: bool = True
    row_classes: Sequence[str | None] | None = None
    numeric_columns: Collection[int] = ()
    scroll: bool = False  # at most ~460 px high, scrolling inside
    wide: bool = False  # no wrapping, scrolling sideways


def table(
    columns: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    *,
    table_id: str | None = None,
    sortable: bool = True,
    row_classes: Sequence[str | None] | None = None,
    numeric_columns: Iterable[int] = (),
    scroll: bool = False,
    wide: bool = False,
) -> Table:
    return Table(list(columns), [list(row) for row in rows], table_id, sortable, row_classes, frozenset(numeric_columns),
                 scroll, wide)  # fmt: skip


@dataclass(frozen=True)
class Card:
    """A headline number; ``raw`` goes to data-value so tests read the number, not its formatting."""

    label: str
    value: str
    note: str = ""
    id: str | None = None
    raw: object = None
    tone: str = ""  # "good", "bad" or ""


def card(label: str, value: str, note: str = "", *, card_id: str | None = None, raw: object = None, tone: str = "") -> Card:
    return Card(label, value, note, card_id, raw, tone)


@dataclass(frozen=True)
class Plot:
    """One of the kit's SVG plots (``plots``), named in data-plot; ``svg`` None: not drawn (no matplotlib here)."""

    svg: Markup | None
    name: str


def plot(svg: Markup | None, name: str) -> Plot:
    return Plot(svg, name)


@dataclass(frozen=True)
class Breakdown:
    """Accuracy per value of one group field (source, subject, level): a plot beside a table, or the table alone."""

    field: str
    plot: Plot | None
    table: Table


def write_page(path: str | os.PathLike[str], text: str) -> None:
    """Atomically, and readable by others (pages are meant to be shared; temp files start private)."""
    write_text_atomic(path, text)
    os.chmod(path, 0o644)
