"""A small inline SVG of a run's metric over its steps (no scripts, no external fonts or files)."""

from __future__ import annotations

from html import escape

from mlgym_tui.core.formats.grade import Grade


def _fmt(v: float) -> str:
    return f"{v:.4g}"


def metric_plot(g: Grade, width: int = 640, height: int = 240) -> str:
    """Validations as dots, the submission as a larger dot, the baseline as a dashed line.

    Returns an empty string when there is nothing to plot (no valid evaluation and no baseline).
    """
    points = [p for p in g.points if p.valid and p.score is not None]
    values = [p.score for p in points if p.score is not None]
    if g.baseline is not None:
        values.append(g.baseline)
    if not values:
        return ""
    left, right, top, bottom = 64, 16, 16, 36
    lo, hi = min(values), max(values)
    if hi == lo:
        pad = abs(hi) * 0.05 or 1.0
        lo, hi = lo - pad, hi + pad
    else:
        pad = (hi - lo) * 0.1
        lo, hi = lo - pad, hi + pad
    last_step = max([g.steps, *[p.step for p in points], 1])

    def x(step: int) -> float:
        return left + (width - left - right) * (step / last_step)

    def y(value: float) -> float:
        return top + (height - top - bottom) * (1 - (value - lo) / (hi - lo))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="metric-plot" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-label="{escape(g.metric)} by step">',
        f"<title>{escape(g.metric)} by step ({g.direction.word} is better)</title>",
        f'<rect x="{left}" y="{top}" width="{width - left - right}" height="{height - top - bottom}" class="frame"/>',
    ]
    for value in (lo, (lo + hi) / 2, hi):
        parts.append(f'<text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end" class="tick">{_fmt(value)}</text>')
    for step in sorted({0, last_step // 2, last_step}):
        parts.append(f'<text x="{x(step):.1f}" y="{height - bottom + 16}" text-anchor="middle" class="tick">{step}</text>')
    parts.append(f'<text x="{(left + width - right) / 2:.1f}" y="{height - 4}" text-anchor="middle" class="tick">step</text>')
    if g.baseline is not None:
        yb = y(g.baseline)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{yb:.1f}" y2="{yb:.1f}" class="baseline"/>')
        parts.append(f'<text x="{width - right - 4}" y="{yb - 4:.1f}" text-anchor="end" class="label">baseline {_fmt(g.baseline)}</text>')
    if len(points) > 1:
        path = " ".join(f"{x(p.step):.1f},{y(p.score):.1f}" for p in points if p.score is not None)
        parts.append(f'<polyline points="{path}" class="line"/>')
    for p in points:
        assert p.score is not None
        kind = "submission" if p.final else "validation"
        r = 6 if p.final else 4
        parts.append(
            f'<circle cx="{x(p.step):.1f}" cy="{y(p.score):.1f}" r="{r}" class="{kind}">'
            f"<title>step {p.step}: {kind} {_fmt(p.score)}</title></circle>"
        )
    parts.append("</svg>")
    return "\n".join(parts)
