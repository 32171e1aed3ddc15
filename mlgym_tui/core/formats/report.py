"""Readable graded reports: Markdown, and a single offline HTML file.

Both show the task, agent and model, the score against the baseline, how the episode ended, what it
cost, the metric over the steps, and every step with thought, action and observation, long outputs
folded (``<details>``) so the report stays skimmable.
"""

from __future__ import annotations

from html import escape

from mlgym_tui.core.formats.grade import Grade, grade
from mlgym_tui.core.formats.loaded import LoadedRun, Step
from mlgym_tui.core.formats.svg import metric_plot

FOLD_LINES = 12
"""Observations longer than this many lines (or FOLD_CHARS characters) are folded."""
FOLD_CHARS = 1500
MAX_SHOWN_CHARS = 200_000
"""A longer observation is shown cut in the middle (the JSON export keeps it whole)."""

STAND_IN = "stand-in data: scores are not comparable with published MLGym-Bench numbers"


def _num(v: float | None) -> str:
    return "-" if v is None else f"{v:.6g}"


def _fence(text: str) -> str:
    ticks = "```"
    while ticks in text:
        ticks += "`"
    return ticks


def _shown(text: str) -> str:
    if len(text) <= MAX_SHOWN_CHARS:
        return text
    half = MAX_SHOWN_CHARS // 2
    return f"{text[:half]}\n[… {len(text) - 2 * half} characters not shown …]\n{text[-half:]}"


def _long(text: str) -> bool:
    return text.count("\n") >= FOLD_LINES or len(text) > FOLD_CHARS


def _summary_rows(g: Grade) -> list[tuple[str, str]]:
    arrow = g.direction.word
    rows = [
        ("task", g.task + (f" ({STAND_IN})" if g.stand_in else "")),
        ("agent", g.agent),
        ("model", g.model or "-"),
        ("score", f"{g.metric} {_num(g.score)} ({g.verdict}; {arrow} is better)"),
        ("baseline", _num(g.baseline)),
        ("best validation or submission", _num(g.best)),
        ("exit status", f"{g.exit_status} ({g.exit_group})" if g.finished else "unfinished (the run has not ended)"),
        ("steps", str(g.steps)),
        ("wall time", f"{g.wall_time:.1f} s"),
        ("cost", f"${g.cost:.4f} ({g.tokens_in} tokens in, {g.tokens_out} out)"),
    ]
    if g.source != "mlgym-tui":
        rows.append(("source", f"imported from {g.source}"))
    return rows


def _evaluation_line(step: Step) -> str:
    out = []
    for e in step.evaluations:
        what = str(e.kind)
        if e.data.get("valid"):
            out.append(f"{what}: {e.data.get('metric', 'score')} = {_num(e.data.get('score'))}")
        else:
            out.append(f"{what}: invalid ({e.data.get('error') or 'no score'})")
    return "; ".join(out)


# -- Markdown ---------------------------------------------------------------------------------------

def export_markdown(run: LoadedRun) -> str:
    g = grade(run)
    lines = [f"# {g.task}: {g.agent}" + (f" ({g.model})" if g.model else ""), ""]
    lines += ["| | |", "|---|---|"]
    lines += ["| " + k + " | " + v.replace("|", "\\|") + " |" for k, v in _summary_rows(g)]
    lines.append("")
    points = [p for p in g.points if p.score is not None or not p.valid]
    if points:
        lines += ["## Metric", "", f"| step | {g.metric} | kind |", "|---|---|---|"]
        for p in points:
            kind = "submission" if p.final else "validation"
            lines.append(f"| {p.step} | {_num(p.score) if p.valid else 'invalid'} | {kind} |")
        lines.append("")
    task_text = run.task_text
    if task_text:
        fence = _fence(task_text)
        lines += ["## Task", "", "<details><summary>task description</summary>", "", fence, task_text, fence, "",
                  "</details>", ""]
    lines += ["## Steps", ""]
    for s in run.steps():
        lines.append(f"### Step {s.index}" + (f" ({s.duration:.2f} s)" if s.duration else ""))
        lines.append("")
        if s.thought:
            lines += [s.thought.strip(), ""]
        if s.action:
            fence = _fence(s.action)
            lines += [fence + "bash", s.action, fence, ""]
        obs = _shown(s.observation)
        fence = _fence(obs)
        if _long(obs):
            lines += [f"<details><summary>output ({obs.count(chr(10)) + 1} lines)</summary>", "", fence, obs, fence,
                      "", "</details>", ""]
        elif obs:
            lines += [fence, obs, fence, ""]
        if s.evaluations:
            lines += [f"**{_evaluation_line(s)}**", ""]
    if run.problems:
        lines += ["## Problems reading the run", ""] + [f"- {p}" for p in run.problems] + [""]
    return "\n".join(lines)


# -- HTML -------------------------------------------------------------------------------------------

_CSS = """
:root { color-scheme: light dark; --fg: #1d1f21; --bg: #ffffff; --muted: #6a737d; --code: #f5f5f7;
  --good: #1a7f37; --bad: #cf222e; --accent: #0969da; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --muted: #8b949e;
  --code: #161b22; --good: #3fb950; --bad: #f85149; --accent: #58a6ff; } }
body { font: 15px/1.5 system-ui, sans-serif; color: var(--fg); background: var(--bg); max-width: 980px;
  margin: 2rem auto; padding: 0 1rem; }
table.summary td:first-child { color: var(--muted); padding-right: 1.5rem; }
pre { background: var(--code); padding: .6rem .8rem; overflow-x: auto; white-space: pre-wrap;
  word-break: break-word; border-radius: 6px; }
.step { border-top: 1px solid var(--muted); padding-top: .4rem; margin-top: 1rem; }
.thought { font-style: italic; white-space: pre-wrap; }
.eval { font-weight: 600; }
.better { color: var(--good); } .worse { color: var(--bad); }
.standin { color: var(--bad); font-weight: 600; }
details > summary { cursor: pointer; color: var(--accent); }
svg.metric-plot .frame { fill: none; stroke: var(--muted); }
svg.metric-plot .tick, svg.metric-plot .label { fill: var(--muted); font-size: 11px; }
svg.metric-plot .baseline { stroke: var(--muted); stroke-dasharray: 5 4; }
svg.metric-plot .line { fill: none; stroke: var(--accent); stroke-width: 1.5; }
svg.metric-plot .validation { fill: var(--accent); }
svg.metric-plot .submission { fill: var(--good); stroke: var(--fg); }
"""

# The only script: marks the page ready, so a headless browser test can tell the page ran cleanly.
_SCRIPT = "document.documentElement.setAttribute('data-report-ready', 'yes');"


def _pre(text: str, cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f"<pre{attr}>{escape(text)}</pre>"


def export_html(run: LoadedRun) -> str:
    g = grade(run)
    title = f"{g.task}: {g.agent}" + (f" ({g.model})" if g.model else "")
    verdict_cls = "better" if (g.gain or 0) > 0 else "worse" if g.gain is not None and g.gain < 0 else ""
    rows = []
    for key, value in _summary_rows(g):
        cls = f' class="{verdict_cls}"' if key == "score" and verdict_cls else ""
        rows.append(f'<tr><td>{escape(key)}</td><td id="{key.split()[0]}"{cls}>{escape(value)}</td></tr>')
    body = [f"<h1>{escape(title)}</h1>"]
    if g.stand_in:
        body.append(f'<p class="standin">{escape(STAND_IN)}</p>')
    body.append(f'<table class="summary">{"".join(rows)}</table>')
    plot = metric_plot(g)
    if plot:
        body += ["<h2>Metric</h2>", plot]
    if run.task_text:
        body.append(f"<h2>Task</h2><details><summary>task description</summary>{_pre(run.task_text)}</details>")
    body.append("<h2>Steps</h2>")
    for s in run.steps():
        head = f"Step {s.index}" + (f" <small>({s.duration:.2f} s)</small>" if s.duration else "")
        parts = [f'<section class="step" id="step-{s.index}"><h3>{head}</h3>']
        if s.thought:
            parts.append(f'<p class="thought">{escape(s.thought.strip())}</p>')
        if s.action:
            parts.append(_pre(s.action, "action"))
        obs = _shown(s.observation)
        if _long(obs):
            parts.append(f"<details><summary>output ({obs.count(chr(10)) + 1} lines)</summary>{_pre(obs)}</details>")
        elif obs:
            parts.append(_pre(obs))
        if s.evaluations:
            parts.append(f'<p class="eval">{escape(_evaluation_line(s))}</p>')
        parts.append("</section>")
        body.append("".join(parts))
    if run.problems:
        body.append("<h2>Problems reading the run</h2><ul>" + "".join(f"<li>{escape(p)}</li>" for p in run.problems) + "</ul>")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<meta name=\"generator\" content=\"mlgym-tui\"><title>{escape(title)}</title>"
        f"<style>{_CSS}</style></head><body>\n" + "\n".join(body) + f"\n<script>{_SCRIPT}</script>\n</body></html>\n"
    )
