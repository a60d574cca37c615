"""Geometry of the report's inline SVG charts, computed here so the template only places numbers.

The per-layer chart is the figure people draw in provenance disputes (similarity of each layer to a
published model), with one addition that changes how it reads: the band of similarities that two
*independently* trained models produce. A layer inside the band is what independence looks like; a
line far above it is shared origin. Without the band, a cosine of 0.99 between LayerNorm gains looks
like evidence of copying, when any two models have it.

All coordinates are formatted here with fixed precision, so the same report gives the same bytes.
A non-finite statistic (a NaN from a constant tensor) is listed as "n/a" and not drawn: it has no
place on an axis, and guessing one would draw evidence that does not exist.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from scanner.report.model import LineageStatistics, TokenizerLineage

frozen = dataclass(frozen=True, slots=True, kw_only=True)

NULL_BAND_Z = 3.0
"""Half-width of the drawn null band in standard deviations of a tensor similarity under independence."""

TOKENIZER_METRICS = (
    ("jaccard", "vocabulary Jaccard"),
    ("id_aligned_fraction", "tokens at the same ids"),
    ("merge_jaccard", "merge rules shared"),
)
"""Statistics drawn as bars (all fractions in 0..1); the full statistics are in the table beside the chart."""

MAX_TOKENIZER_ROWS = 8
_LAYER_LABELS_MAX = 12


def _f(value: float) -> str:
    return f"{value:.1f}"


@frozen
class Tick:
    position: str
    label: str


@frozen
class LayerPoint:
    x: str
    y: str
    layer: str
    reference_layer: str
    similarity: str
    z: str
    tensors: int
    outside_band: bool
    drawn: bool


@frozen
class LayerChart:
    """A per-layer similarity chart: points, the null band and the axes, in SVG user units."""

    width: int
    height: int
    left: int
    right: str
    top: int
    bottom: str
    plot_width: str
    x_label_y: str
    band_top: str
    band_height: str
    band_half_width: str
    band_label_x: str
    band_label_y: str
    zero_y: str
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    points: tuple[LayerPoint, ...]
    polyline: str
    outside: int
    description: str


def layer_chart(stats: LineageStatistics, *, width: int = 720, height: int = 260) -> LayerChart | None:
    """The chart for one lineage, or None when the lineage carries no per-layer similarities."""
    layers = stats.per_layer
    if not layers:
        return None
    left, right_margin, top, bottom_margin = 56, 16, 14, 46
    plot_w, plot_h = width - left - right_margin, height - top - bottom_margin
    band = NULL_BAND_Z * stats.null_sd if math.isfinite(stats.null_sd) else 0.0
    finite = [layer.similarity for layer in layers if math.isfinite(layer.similarity)]
    lowest = min([*finite, -band])
    low = max(-1.0, min(-0.2, math.floor((lowest - 0.05) * 10) / 10))
    high = 1.05

    def y_of(value: float) -> float:
        clamped = min(high, max(low, value))
        return top + (high - clamped) / (high - low) * plot_h

    def x_of(index: int) -> float:
        return left + (index + 0.5) * plot_w / len(layers)

    points = tuple(
        LayerPoint(x=_f(x_of(i)), y=_f(y_of(layer.similarity)) if math.isfinite(layer.similarity) else "",
                   layer=layer.layer, reference_layer=layer.reference_layer,
                   similarity=_stat(layer.similarity, ".3f"), z=_stat(layer.z, ".1f"), tensors=layer.tensors,
                   outside_band=math.isfinite(layer.similarity) and abs(layer.similarity) > band,
                   drawn=math.isfinite(layer.similarity))
        for i, layer in enumerate(layers))
    step = max(1, math.ceil(len(layers) / _LAYER_LABELS_MAX))
    short = len(layers) > 8
    x_ticks = tuple(Tick(position=_f(x_of(i)), label=_short_label(layer.layer) if short else layer.layer)
                    for i, layer in enumerate(layers) if i % step == 0)
    y_ticks = []
    tick = 1.0
    while tick >= low - 1e-9:
        y_ticks.append(Tick(position=_f(y_of(tick)), label=f"{tick:.1f}"))
        tick = round(tick - 0.2, 10)
    outside = sum(p.outside_band for p in points)
    band_top, band_bottom = y_of(band), y_of(-band)
    undrawn = len(layers) - len(finite)
    description = (f"{len(layers)} layers; {outside} outside the band of ±{NULL_BAND_Z:g} standard deviations "
                   f"(±{band:.3f}) that independent weights fall in; median similarity {_stat(stats.effect_size, '.3f')}."
                   + (f" {undrawn} without a finite similarity, not drawn." if undrawn else ""))
    return LayerChart(width=width, height=height, left=left, right=_f(left + plot_w), top=top,
                      bottom=_f(top + plot_h), plot_width=_f(plot_w), x_label_y=_f(top + plot_h + 15),
                      band_top=_f(band_top), band_height=_f(band_bottom - band_top), band_half_width=f"{band:.3f}",
                      band_label_x=_f(left + plot_w - 4), band_label_y=_f(max(top + 10, band_top - 4)),
                      zero_y=_f(y_of(0.0)), y_ticks=tuple(y_ticks),
                      x_ticks=x_ticks, points=points, polyline=" ".join(f"{p.x},{p.y}" for p in points if p.drawn),
                      outside=outside, description=description)


def _stat(value: float, spec: str) -> str:
    return format(value, spec) if math.isfinite(value) else "n/a"


def _short_label(layer: str) -> str:
    """'blocks.31' -> '31': long charts label layers by index; the table beside them has full names."""
    return layer.rsplit(".", 1)[-1]


@frozen
class Bar:
    y: str
    text_y: str
    width: str
    value_x: str
    metric: str
    value: str


@frozen
class TokenizerRow:
    label_y: str
    catalog_id: str
    relation: str
    bars: tuple[Bar, ...]
    missing: tuple[str, ...]


@frozen
class TokenizerChart:
    width: int
    height: int
    bar_left: int
    bar_width: int
    axis_bottom: str
    axis_label_y: str
    ticks: tuple[Tick, ...]
    rows: tuple[TokenizerRow, ...]
    description: str


def tokenizer_chart(lineage: tuple[TokenizerLineage, ...], *, width: int = 720) -> TokenizerChart | None:
    """Grouped bars of vocabulary overlap per catalog tokenizer (closest first), or None without lineage."""
    shown = lineage[:MAX_TOKENIZER_ROWS]
    if not shown:
        return None
    bar_left, bar_h, gap, top = 210, 12, 18, 10
    bar_width = width - bar_left - 60
    rows = []
    y = float(top)
    for item in shown:
        bars, missing = [], []
        label_y = y + bar_h * len(TOKENIZER_METRICS) / 2 + 4
        for metric, name in TOKENIZER_METRICS:
            value = _fraction(item.statistics, metric)
            if value is None:
                missing.append(name)
            else:
                bars.append(Bar(y=_f(y), text_y=_f(y + 9), width=_f(value * bar_width), value_x=_f(bar_left + value * bar_width + 4),
                                metric=name, value=f"{value:.1%}"))
            y += bar_h
        rows.append(TokenizerRow(label_y=_f(label_y), catalog_id=item.catalog_id, relation=item.relation.value,
                                 bars=tuple(bars), missing=tuple(missing)))
        y += gap
    axis_bottom = y - gap + 6
    ticks = tuple(Tick(position=_f(bar_left + f * bar_width), label=f"{f:.0%}") for f in (0.0, 0.25, 0.5, 0.75, 1.0))
    closest = shown[0]
    jaccard = _fraction(closest.statistics, "jaccard")
    description = (f"Vocabulary overlap with {len(shown)} catalog tokenizers; closest {closest.catalog_id} "
                   f"({closest.relation.value}"
                   + (f", Jaccard {jaccard:.1%})." if jaccard is not None else ")."))
    return TokenizerChart(width=width, height=math.ceil(axis_bottom + 24), bar_left=bar_left,
                          bar_width=bar_width, axis_bottom=_f(axis_bottom), axis_label_y=_f(axis_bottom + 14), ticks=ticks, rows=tuple(rows),
                          description=description)


def _fraction(statistics: Mapping[str, float], key: str) -> float | None:
    value = statistics.get(key)
    if value is None or not math.isfinite(value):
        return None
    return min(1.0, max(0.0, float(value)))
