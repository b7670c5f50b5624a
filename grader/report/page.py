"""The HTML shell every report shares: escaping, number formats, headline cards, sortable tables.

Pages are single files that open from disk: CSS and the one small script are inline, plots are
inline SVG, and a Content-Security-Policy forbids every fetch, so a page can never reach the
network even if something slipped through. Every piece of text that comes from a submission,
a model or the hidden set goes through :func:`esc`; only this module's own markup is raw.
"""

from __future__ import annotations

import html
import math
import os
from dataclasses import dataclass
from typing import Iterable, Sequence

from grader.atomic import write_text_atomic

# Nothing may be fetched: no scripts, styles, images, fonts or frames from anywhere.
CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"

STYLE = """
:root { --fg:#1f2328; --muted:#656d76; --line:#d0d7de; --bg2:#f6f8fa; --good:#1a7f37; --bad:#cf222e;
        --goodbg:#dafbe1; --badbg:#ffebe9; --accent:#0969da; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--fg);
       margin: 0 auto; max-width: 1180px; padding: 18px 22px 60px; }
h1 { font-size: 22px; margin: 0 0 2px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--line);
     padding-bottom: 4px; } h3 { font-size: 14px; margin: 16px 0 6px; }
.sub { color: var(--muted); margin: 0 0 14px; } .muted { color: var(--muted); } .small { font-size: 12px; }
a { color: var(--accent); }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 10px 0 4px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 8px 14px; min-width: 128px; background: #fff; }
.card .v { font-size: 22px; font-weight: 600; } .card .l { color: var(--muted); font-size: 12px; }
.card .n { color: var(--muted); font-size: 12px; }
.card.good .v { color: var(--good); } .card.bad .v { color: var(--bad); }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 460px), 1fr)); gap: 8px 22px;
        align-items: start; } .grid > div { min-width: 0; overflow-x: auto; }
.pair { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1.2fr); gap: 8px 22px; align-items: start; }
.pair > div { min-width: 0; overflow-x: auto; }
.solo { overflow-x: auto; } .solo table { width: auto; min-width: 50%; }
@media (max-width: 900px) { .pair { grid-template-columns: minmax(0, 1fr); } }
.plot svg { max-width: 100%; height: auto; display: block; }
.wide { overflow-x: auto; } .wide td, .wide th { white-space: nowrap; }
.scroll { max-height: 460px; overflow: auto; border: 1px solid var(--line); border-radius: 6px; }
table { border-collapse: collapse; font-size: 13px; width: 100%; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
thead th { background: var(--bg2); position: sticky; top: 0; z-index: 1; }
table.sortable th { cursor: pointer; user-select: none; white-space: nowrap; }
table.sortable th::after { content: " \\2195"; color: #b0b7bf; font-size: 11px; }
table.sortable th[data-dir=asc]::after { content: " \\2191"; color: var(--fg); }
table.sortable th[data-dir=desc]::after { content: " \\2193"; color: var(--fg); }
tbody tr:nth-child(even) { background: #fbfcfd; }
tr.none td { background: var(--badbg); } tr.all td { background: var(--goodbg); }
.tag { display: inline-block; padding: 0 6px; border-radius: 10px; font-size: 12px; background: var(--bg2);
       border: 1px solid var(--line); white-space: nowrap; }
.tag.good { background: var(--goodbg); border-color: #aceebb; } .tag.bad { background: var(--badbg); border-color: #ffcecb; }
pre { white-space: pre-wrap; word-break: break-word; background: var(--bg2); border: 1px solid var(--line);
      border-radius: 6px; padding: 6px 8px; margin: 4px 0 8px; font-size: 12px; max-height: 340px; overflow: auto; }
details.ex { border: 1px solid var(--line); border-radius: 6px; margin: 6px 0; padding: 4px 10px; }
details.ex summary { cursor: pointer; }
.note { background: var(--bg2); border-left: 3px solid var(--line); padding: 6px 10px; margin: 8px 0; }
"""

# Click a header to sort by it (numbers by data-value, then text); click again to reverse.
SCRIPT = """
document.querySelectorAll('table.sortable thead th').forEach(function (th) {
  th.addEventListener('click', function () {
    var table = th.closest('table'), body = table.tBodies[0], i = th.cellIndex;
    var dir = th.dataset.dir === 'asc' ? 'desc' : 'asc';
    table.querySelectorAll('thead th').forEach(function (h) { delete h.dataset.dir; });
    th.dataset.dir = dir;
    function key(row) {
      var td = row.cells[i], v = td.dataset.value !== undefined ? td.dataset.value : td.textContent.trim();
      var n = Number(v);
      return v === '' ? [2, 0] : (isFinite(n) ? [0, n] : [1, v.toLowerCase()]);
    }
    var rows = Array.prototype.slice.call(body.rows).map(function (r) { return [key(r), r]; });
    rows.sort(function (a, b) {
      if (a[0][0] !== b[0][0]) return a[0][0] - b[0][0];
      var c = a[0][1] < b[0][1] ? -1 : a[0][1] > b[0][1] ? 1 : 0;
      return dir === 'asc' ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r[1]); });
  });
});
document.querySelectorAll('input[data-only-wrong]').forEach(function (box) {
  box.addEventListener('change', function () {
    document.querySelectorAll('details.ex.right').forEach(function (d) { d.hidden = box.checked; });
  });
});
"""


def esc(value: object) -> str:
    """Text as HTML: every ``<``, ``>``, ``&`` and quote escaped (model outputs, problems, ids, errors)."""
    return html.escape("" if value is None else str(value), quote=True)


def is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def pct(share: float | None, digits: int = 1) -> str:
    return "–" if not is_number(share) else f"{100 * share:.{digits}f}%"


def count(value: float | int | None) -> str:
    return "–" if not is_number(value) else f"{int(value):,}"


def seconds(value: float | None) -> str:
    """A duration people read at a glance: 42.0 s, 12.5 min, 3.2 h."""
    if not is_number(value):
        return "–"
    if value < 120:
        return f"{value:.1f} s"
    if value < 7200:
        return f"{value / 60:.1f} min"
    return f"{value / 3600:.1f} h"


def number(value: float | None, digits: int = 3) -> str:
    return "–" if not is_number(value) else f"{value:.{digits}g}" if abs(value) < 1e4 else f"{value:,.0f}"


def shorten(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Cell:
    """One table cell: ``html`` is shown (already escaped), ``value`` is what sorting and tests read."""

    html: str
    value: str | None = None
    numeric: bool = False


def text_cell(text: object) -> Cell:
    return Cell(esc(text))


def num_cell(value: float | int | None, shown: str, raw: str | None = None) -> Cell:
    """A right-aligned number shown formatted; ``raw`` (default: ``value``) is kept in data-value."""
    raw = raw if raw is not None else ("" if value is None else repr(value) if isinstance(value, float) else str(value))
    return Cell(esc(shown), raw, numeric=True)


def pct_cell(share: float | None) -> Cell:
    return num_cell(share, pct(share))


def count_cell(value: float | int | None) -> Cell:
    return num_cell(value, count(value))


def table(
    columns: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    *,
    table_id: str | None = None,
    sortable: bool = True,
    row_classes: Sequence[str | None] | None = None,
    numeric_columns: Sequence[int] = (),
    scroll: bool = False,
    wide: bool = False,
) -> str:
    """A table whose cells carry their raw values (``data-value``) for sorting and for checking."""
    attrs = f' id="{esc(table_id)}"' if table_id else ""
    classes = "sortable" if sortable else ""
    head = "".join(f'<th class="num">{esc(c)}</th>' if i in numeric_columns else f"<th>{esc(c)}</th>" for i, c in enumerate(columns))
    body = []
    for index, row in enumerate(rows):
        klass = row_classes[index] if row_classes else None
        cells = []
        for item in row:
            data = f' data-value="{esc(item.value)}"' if item.value is not None else ""
            cells.append(f'<td class="num"{data}>{item.html}</td>' if item.numeric else f"<td{data}>{item.html}</td>")
        body.append((f'<tr class="{klass}">' if klass else "<tr>") + "".join(cells) + "</tr>")
    out = f'<table{attrs} class="{classes}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
    wrappers = " ".join(name for name, on in (("scroll", scroll), ("wide", wide)) if on)
    return f'<div class="{wrappers}">{out}</div>' if wrappers else out


def card(label: str, value: str, note: str = "", *, card_id: str | None = None, raw: object = None, tone: str = "") -> str:
    """A headline number; ``raw`` goes to data-value so tests read the number, not its formatting."""
    attrs = f' id="{esc(card_id)}"' if card_id else ""
    data = f' data-value="{esc(raw)}"' if raw is not None else ""
    note_html = f'<div class="n">{esc(note)}</div>' if note else ""
    return (
        f'<div class="card {esc(tone)}"{attrs}{data}><div class="l">{esc(label)}</div>'
        f'<div class="v">{esc(value)}</div>{note_html}</div>'
    )


def cards(items: Iterable[str]) -> str:
    return f'<div class="cards">{"".join(items)}</div>'


def section(title: str, *parts: str, section_id: str | None = None) -> str:
    attrs = f' id="{esc(section_id)}"' if section_id else ""
    return f"<section{attrs}><h2>{esc(title)}</h2>{''.join(parts)}</section>"


def plot(svg: str, name: str) -> str:
    return f'<div class="plot" data-plot="{esc(name)}">{svg}</div>'


def grid(*parts: str) -> str:
    """Side by side while the page is wide enough, stacked when it is not."""
    return '<div class="grid">' + "".join(f"<div>{part}</div>" for part in parts if part) + "</div>"


def pair(figure: str, table_html: str) -> str:
    """A plot and its table side by side (the table gets the wider half); alone, the table is only as wide as it needs."""
    if not figure:
        return f'<div class="solo">{table_html}</div>'
    return f'<div class="pair"><div>{figure}</div><div>{table_html}</div></div>'


def note(text_html: str) -> str:
    return f'<p class="note">{text_html}</p>'


def document(title: str, subtitle: str, body: str) -> str:
    """A whole page: no external resource of any kind (the CSP forbids them too)."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{STYLE}</style></head>\n"
        f'<body><h1>{esc(title)}</h1><p class="sub">{esc(subtitle)}</p>\n{body}\n'
        f"<script>{SCRIPT}</script></body></html>\n"
    )


def write_page(path: str | os.PathLike[str], text: str) -> None:
    """Atomically, and readable by others (pages are meant to be shared; temp files start private)."""
    write_text_atomic(path, text)
    os.chmod(path, 0o644)
