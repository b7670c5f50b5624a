"""Plots as inline SVG, drawn with matplotlib (imported on first use; no pyplot state, no display, no files).

Text stays text (``svg.fonttype: none``) so a plot is a few kilobytes and uses the page's font;
each plot gets its own hash salt so the ids inside two plots on one page never collide; and no
date is written, so the same data gives the same bytes. Plots summarize (one histogram, one box
per group); per-problem detail goes into tables, which stay light at 500 problems.

The SVG is the one piece of markup the page templates take as it is (``Markup``): matplotlib
writes it, and escapes every label in it (group values come from the test set).
"""

from __future__ import annotations

import functools
import io
import re
import statistics
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

from markupsafe import Markup

if TYPE_CHECKING:
    from matplotlib.figure import Figure

BLUE, GREY, RED, GREEN, ORANGE = "#0969da", "#8c959f", "#cf222e", "#1a7f37", "#bc4c00"
_RC = {
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e6e8eb",
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
    "legend.frameon": False,
}


@functools.cache
def _matplotlib():
    """matplotlib, imported on first use and set to draw off-screen; None where it is not installed.

    ``evaluate`` writes a feedback page in the vLLM virtualenv too, which need not have matplotlib:
    there every plot is None, the page says where it would be, and everything else is on it.
    """
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")  # never a window, whatever the environment says
    # Labels come from the test set: "$5 and $6" is text, never mathtext (a stray "$\frac{" would raise).
    matplotlib.rcParams["text.parse_math"] = False
    import matplotlib.figure  # noqa: F401  (the submodules are not imported with the package)
    import matplotlib.ticker  # noqa: F401

    return matplotlib


def drawn(plot: Callable[..., Markup]) -> Callable[..., Markup | None]:
    """A plot function, run with the kit's style; None without matplotlib (the page says so in its place)."""

    @functools.wraps(plot)
    def draw(*args, **kwargs) -> Markup | None:
        mpl = _matplotlib()
        if mpl is None:
            return None
        with mpl.rc_context(_RC):
            return plot(*args, **kwargs)

    return draw


def _svg(fig: Figure, name: str) -> Markup:
    buffer = io.StringIO()
    with _matplotlib().rc_context({**_RC, "svg.hashsalt": name}):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]  # drop the XML declaration and doctype: the SVG sits inside HTML
    return Markup(re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S))  # matplotlib's own, labels escaped


def _figure(width: float = 5.6, height: float = 2.6) -> Figure:
    return _matplotlib().figure.Figure(figsize=(width, height), layout="constrained")


def _percent_axis(ax, which: str = "x") -> None:
    """Shares as percentages: whole numbers unless the axis spans less than 5 points."""
    low, high = ax.get_xlim() if which == "x" else ax.get_ylim()
    formatter = _matplotlib().ticker.PercentFormatter(xmax=1.0, decimals=0 if high - low >= 0.05 else 1)
    (ax.xaxis if which == "x" else ax.yaxis).set_major_formatter(formatter)


@drawn
def accuracy_histogram(accuracies: Sequence[float], baseline: float | None) -> Markup:
    """The class's accuracies in 5-point bins, with mean, median and the untrained base model marked."""
    fig = _figure()
    ax = fig.add_subplot()
    top = max([*accuracies, baseline or 0.0, 0.05])
    width = 0.05 if top > 0.25 else 0.01 if top <= 0.05 else 0.025
    bins = [i * width for i in range(int(min(1.0, top) / width) + 2)]
    ax.hist(accuracies, bins=bins, color=BLUE, alpha=0.8, edgecolor="white", label="submissions")
    mean, median = statistics.fmean(accuracies), statistics.median(accuracies)
    ax.axvline(mean, color=ORANGE, linestyle="--", linewidth=1.4, label=f"mean {mean:.1%}")
    ax.axvline(median, color=GREEN, linewidth=1.6, label=f"median {median:.1%}")
    if baseline is not None:
        ax.axvline(baseline, color=RED, linestyle=":", linewidth=1.8, label=f"base model {baseline:.1%}")
    _percent_axis(ax)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel("accuracy on the hidden test set")
    ax.set_ylabel("submissions")
    fig.legend(loc="outside upper center", ncols=4, fontsize=8)
    return _svg(fig, "accuracy-histogram")


@drawn
def solve_share_histogram(shares: Sequence[float]) -> Markup:
    """How many problems each share of the class solves: the two ends are the interesting ones."""
    fig = _figure()
    ax = fig.add_subplot()
    bins = [i / 10 for i in range(11)]
    counts, _, patches = ax.hist(shares, bins=bins, color=BLUE, alpha=0.8, edgecolor="white")
    if len(patches):
        patches[0].set_facecolor(RED)
        patches[-1].set_facecolor(GREEN)
    _percent_axis(ax)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel("share of graded submissions that solve the problem")
    ax.set_ylabel("problems")
    return _svg(fig, "solve-share-histogram")


@drawn
def group_boxes(field: str, groups: Mapping[str, Sequence[float]], baseline: Mapping[str, float] | None) -> Markup:
    """Per value of ``field``: the spread of the class's accuracies, the base model as a red mark."""
    labels = list(groups)
    fig = _figure(5.6, max(1.6, 0.34 * len(labels) + 0.9))
    ax = fig.add_subplot()
    positions = list(range(len(labels), 0, -1))
    ax.boxplot(
        [list(groups[k]) for k in labels], positions=positions, orientation="horizontal", widths=0.55,
        patch_artist=True, boxprops={"facecolor": "#ddf4ff", "edgecolor": BLUE},
        medianprops={"color": GREEN, "linewidth": 1.6}, flierprops={"markersize": 3},
    )  # fmt: skip
    if baseline:
        points = [(baseline[k], p) for k, p in zip(labels, positions) if k in baseline]
        if points:
            ax.scatter(*zip(*points), marker="|", s=140, color=RED, linewidths=2, label="base model", zorder=3)
            ax.legend(loc="lower right", fontsize=8)
    ax.set_yticks(positions, [label[:28] for label in labels])
    ax.set_xlim(-0.02, 1.02)
    _percent_axis(ax)
    ax.set_xlabel(f"accuracy per {field} (one point per submission)")
    return _svg(fig, f"group-{field}")


@drawn
def tokens_vs_accuracy(tokens: Sequence[float], accuracies: Sequence[float]) -> Markup:
    """Does training on more tokens pay? One dot per graded submission."""
    fig = _figure()
    ax = fig.add_subplot()
    ax.scatter(tokens, accuracies, s=16, color=BLUE, alpha=0.75)
    if tokens and max(tokens) > 0 and min(tokens) > 0 and max(tokens) / min(tokens) > 50:
        ax.set_xscale("log")
    _percent_axis(ax, "y")
    if ax.get_xscale() == "linear":
        ax.xaxis.set_major_formatter(_matplotlib().ticker.StrMethodFormatter("{x:,.0f}"))
    ax.set_xlabel("trained tokens")
    ax.set_ylabel("accuracy")
    return _svg(fig, "tokens-vs-accuracy")


@drawn
def loss_curves(train: Sequence[tuple[float, float]], validation: Sequence[tuple[float, float]]) -> Markup:
    """Training and validation loss against the optimizer step (the trainer's log history)."""
    fig = _figure()
    ax = fig.add_subplot()
    if train:
        ax.plot(*zip(*train), color=BLUE, linewidth=1.5, marker="." if len(train) < 30 else None, label="training loss")
    if validation:
        ax.plot(*zip(*validation), color=ORANGE, linewidth=1.5, marker="o", markersize=4, label="validation loss")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.legend(loc="upper right", fontsize=8)
    return _svg(fig, "loss-curves")


@drawn
def group_bars(
    field: str, mine: Mapping[str, float], median: Mapping[str, float] | None, baseline: Mapping[str, float] | None
) -> Markup:
    """One submission's accuracy per group beside the class median (and the base model when known)."""
    labels = list(mine)
    series = [("this submission", mine, BLUE)]
    if median:
        series.append(("class median", median, GREY))
    if baseline:
        series.append(("base model", baseline, RED))
    fig = _figure(5.6, max(1.6, (0.16 * len(series) + 0.2) * len(labels) + 0.9))
    ax = fig.add_subplot()
    height = 0.8 / len(series)
    for index, (name, values, color) in enumerate(series):
        ys = [len(labels) - i + ((len(series) - 1) / 2 - index) * height for i in range(len(labels))]
        ax.barh(ys, [values.get(k, 0.0) for k in labels], height=height * 0.92, color=color, label=name)
    ax.set_yticks([len(labels) - i for i in range(len(labels))], [label[:28] for label in labels])
    ax.set_xlim(0, 1)
    _percent_axis(ax)
    ax.set_xlabel(f"accuracy per {field}")
    ax.legend(loc="lower right", fontsize=8)
    return _svg(fig, f"bars-{field}")


@drawn
def token_histogram(counts: Sequence[int], bin_tokens: int, over: int, limit: int, label: str) -> Markup:
    """Token lengths of one split's examples in bins, the limit as a red line, the examples over it as a red bar."""
    fig = _figure()
    ax = fig.add_subplot()
    end = len(counts) * bin_tokens
    ax.bar([i * bin_tokens for i in range(len(counts))], counts, width=bin_tokens, align="edge", color=BLUE,
           alpha=0.85, edgecolor="white", linewidth=0.3, label=f"{label} examples")  # fmt: skip
    if over:
        ax.bar([end], [over], width=2 * bin_tokens, align="edge", color=RED, label=f"over {end:,} tokens: {over:,}")
    ax.axvline(limit, color=RED, linestyle="--", linewidth=1.4, label=f"limit: {limit:,} tokens")
    ax.set_xlim(0, end + 3 * bin_tokens)
    ax.xaxis.set_major_formatter(_matplotlib().ticker.StrMethodFormatter("{x:,.0f}"))
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel("tokens per example (prompt + solution + end of text)")
    ax.set_ylabel("examples")
    fig.legend(loc="outside upper center", ncols=3, fontsize=8)
    return _svg(fig, f"lengths-{label}")
