"""The report as one self-contained HTML page: inline CSS, charts as PNG data URIs, no scripts, no fonts.

Every string that comes from the user's data (activity names, shoe names, rule messages) goes through
:func:`html.escape`. Sections carry ``id`` and ``data-section`` attributes, and each warning carries
``data-rule``, ``data-severity`` and ``data-period``, so tests (and scrapers) can find them.
"""

from __future__ import annotations

import base64
import datetime as dt
from html import escape

import pandas as pd

from .._version import __version__
from .data import finite
from .text import number_text, threshold_text

#: Section ids in page order (the issue's seven parts plus the professional-help box).
SECTIONS = (
    "headline",
    "weekly-km",
    "load-ratio",
    "terrain",
    "shoes",
    "calendar",
    "warnings",
    "see-a-professional",
)
CHART_SECTIONS = {
    "weekly_km": "weekly-km",
    "load_ratio": "load-ratio",
    "terrain": "terrain",
    "shoes": "shoes",
    "calendar": "calendar",
}

#: What the articles advise (FACTORS.md), in our own words.
GENERAL_ADVICE = (
    ("Progress gradually", "raise weekly distance, long runs and hills in small steps, with easier weeks."),
    ("Rest and recover", "keep easy days between hard efforts and at least one rest day a week."),
    ("Warm up", "about five minutes of dynamic drills (leg swings, skips, lunges) before running."),
    ("Even surfaces", "run on even ground (track, treadmill) while any pain settles; avoid cambered roads."),
    (
        "Strength",
        "strengthen core and hips: bridges, clamshells, side-lying leg raises, lateral band walks, "
        "single-leg deadlifts, step-ups.",
    ),
    ("Mobility", "keep hips, hamstrings and glutes mobile."),
    ("Shoes", "replace worn pairs; rotating more than one pair was linked with fewer injuries."),
    ("Cross-train", "keep fitness with low-impact sport (cycling, swimming) when you cut running."),
)

#: When to see a professional (FACTORS.md).
SEE_A_PROFESSIONAL = (
    "pain lasting more than a few days despite rest",
    "severe pain that limits walking or daily life",
    "swelling, bruising or deformity",
    "pain on weight-bearing (it can be a stress fracture)",
    "limited range of motion, catching or locking of the hip",
    "numbness, tingling or weakness",
    "pain returning where you injured your hip before",
)

SEVERITY_LABELS = {"high": "High", "caution": "Caution", "info": "Info"}

CSS = """
:root { --ink:#1b1b1b; --muted:#5f5f5f; --line:#dcdcdc; --bg:#fafafa;
  --high:#D55E00; --caution:#E69F00; --info:#0072B2; --ok:#009E73; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 20px 48px; }
header h1 { margin: 0 0 4px; font-size: 1.8rem; }
header p { margin: 0; color: var(--muted); }
section, aside { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 18px 22px;
  margin-top: 18px; }
h2 { margin: 0 0 10px; font-size: 1.25rem; }
h3 { margin: 0 0 6px; font-size: 1.05rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px;
  margin-bottom: 14px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
.card .num { font-size: 1.7rem; font-weight: 700; line-height: 1.2; }
.card .label { color: var(--muted); font-size: .9rem; }
.card .cmp { font-size: .85rem; color: var(--muted); }
figure { margin: 0; }
figure img { display: block; width: 100%; height: auto; }
figcaption, .explain { color: var(--muted); font-size: .92rem; margin-top: 8px; }
.sev { display: inline-block; min-width: 5.2em; text-align: center; border-radius: 4px; padding: 1px 6px;
  font-size: .8rem; font-weight: 700; text-transform: uppercase; letter-spacing: .03em; }
.sev-high { background: var(--high); color: #fff; }
.sev-caution { background: var(--caution); color: #000; }
.sev-info { background: var(--info); color: #fff; }
ul.standing { list-style: none; padding: 0; margin: 0; }
ul.standing li { padding: 6px 0; border-top: 1px solid var(--line); }
ul.standing li:first-child { border-top: 0; }
.none { color: var(--ok); font-weight: 600; }
.warning { border-left: 6px solid var(--line); padding: 8px 14px; margin: 12px 0; background: #fcfcfc; }
.warning.high { border-color: var(--high); }
.warning.caution { border-color: var(--caution); }
.warning.info { border-color: var(--info); }
.warning .meta { color: var(--muted); font-size: .88rem; }
.warning .advice { margin: 6px 0 0; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); }
th { color: var(--muted); font-weight: 600; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.advice-list { columns: 2 320px; padding-left: 1.2em; }
.advice-list li { break-inside: avoid; margin-bottom: 4px; }
aside.pro { border: 2px solid var(--info); background: #f3f8fc; }
aside.pro .tag { display: inline-block; background: var(--info); color: #fff; border-radius: 4px;
  padding: 1px 8px; font-size: .8rem; font-weight: 700; text-transform: uppercase; }
.notes { color: var(--muted); font-size: .88rem; }
footer { color: var(--muted); font-size: .85rem; margin-top: 24px; text-align: center; }
"""


# -- small formatters ------------------------------------------------------------------------------------
def day_text(day) -> str:
    """``Mon 2 Mar 2026``."""
    d = pd.Timestamp(day)
    return f"{d:%a} {d.day} {d:%b %Y}"


def km_text(km, decimals: int = 1) -> str:
    v = finite(km)
    return "–" if v is None else f"{v:,.{decimals}f}"


def duration_text(seconds) -> str:
    v = finite(seconds)
    if v is None:
        return "–"
    s = int(round(v))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def pace_text(distance_km, seconds) -> str:
    km, t = finite(distance_km), finite(seconds)
    if not km or not t:
        return "–"
    s = int(round(t / km))
    return f"{s // 60}:{s % 60:02d} /km"


def _data_attrs(w) -> str:
    """``data-rule``, ``data-severity``, ``data-period`` and ``data-subject`` of a warning element."""
    attrs = {"rule": w.rule, "severity": w.severity, "period": w.period, "subject": w.subject or ""}
    return " ".join(f'data-{k}="{escape(str(v))}"' for k, v in attrs.items())


def sev_badge(severity: str) -> str:
    sev = severity if severity in SEVERITY_LABELS else "info"
    return f'<span class="sev sev-{sev}">{escape(SEVERITY_LABELS[sev])}</span>'


def rule_title(rule_id: str) -> str:
    from ..rules import RULES

    spec = RULES.get(rule_id)
    return spec.title if spec is not None else rule_id.replace("_", " ").capitalize()


def img_tag(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{escape(alt)}">'


# -- sections ----------------------------------------------------------------------------------------------
def _headline(rep) -> str:
    h = rep.headline
    p = rep.period
    to_date = "" if p.complete else " so far"
    prev = h["prev_distance_km"]
    cmp_prev = f"last week {km_text(prev)} km"
    if not p.complete:
        cmp_prev += f" ({km_text(h['prev_to_date_km'])} km by {pd.Timestamp(p.as_of):%a})"
    ratio = h.get("load_ratio")
    cards = [
        (km_text(h["distance_km"]), f"running km{to_date}", cmp_prev),
        (str(h["runs"]), "runs", f"longest {km_text(h['longest_km'])} km"),
        (str(h["rest_days"]), "rest days", f"of {h['days']} days"),
        (f"{km_text(h['descent_m'], 0)} m", "descent", f"trail {km_text(h['trail_km'])} km"),
        (f"{ratio:.2f}" if ratio is not None else "–", "load ratio", "acute ÷ chronic"),
    ]
    card_html = "".join(
        f'<div class="card"><div class="num">{escape(num)}</div><div class="label">{escape(label)}</div>'
        f'<div class="cmp">{escape(cmp)}</div></div>'
        for num, label, cmp in cards
    )
    alerts = rep.alerts
    if alerts:
        items = "".join(
            f"<li {_data_attrs(w)}>"
            f"{sev_badge(w.severity)} <strong>{escape(rule_title(w.rule))}</strong>: "
            f"{escape(number_text(w.value, w.unit))} ({escape(threshold_text(w.value, w.threshold, w.unit))})"
            f"{escape(_where(w, p))}</li>"
            for w in alerts
        )
        standing = (
            f'<h3>Warnings standing on {escape(day_text(p.as_of))}</h3><ul class="standing">{items}</ul>'
        )
    else:
        standing = (
            f"<h3>Warnings standing on {escape(day_text(p.as_of))}</h3>"
            '<p class="none">None: no training pattern flagged.</p>'
        )
    notes = ""
    if rep.history_notes:
        names = ", ".join(rule_title(w.rule).lower() for w in rep.history_notes)
        notes = f'<p class="notes">Not enough history yet to judge: {escape(names)}.</p>'
    return (
        '<section id="headline" data-section="headline"><h2>This week</h2>'
        f'<div class="cards">{card_html}</div>{standing}{notes}{_runs_table(rep)}</section>'
    )


def _where(w, period) -> str:
    """What a warning is about: `` · Road A`` (a shoe), `` · from 2024-W12``, `` · run of 2024-03-31``."""
    if w.subject and w.subject != "history":
        return f" · {w.subject}"
    if w.period == period.week:
        return ""
    if w.period.count("-W") == 1:
        return f" · from {w.period}"
    if w.activity_id:
        return f" · run of {w.period}"
    return f" · since {w.period}" if w.period != pd.Timestamp(period.as_of).strftime("%Y-%m-%d") else ""


def _runs_table(rep) -> str:
    runs = rep.tables.get("runs")
    if runs is None or len(runs) == 0:
        return ""
    rows = []
    for r in runs.itertuples():
        kind = r.sub_sport if r.is_running else r.sport
        rows.append(
            "<tr>"
            f"<td>{escape(pd.Timestamp(r.start_local).strftime('%a %d %b %H:%M'))}</td>"
            f"<td>{escape(str(r.name or ''))}</td><td>{escape(str(kind or ''))}</td>"
            f'<td class="n">{km_text(r.distance_km, 2)}</td><td class="n">{duration_text(r.moving_s)}</td>'
            f'<td class="n">{pace_text(r.distance_km, r.moving_s) if r.is_running else "–"}</td>'
            f'<td class="n">{km_text(r.descent_m, 0)}</td><td>{escape(str(r.shoe or ""))}</td>'
            "</tr>"
        )
    return (
        '<h3 style="margin-top:14px">Activities this week</h3><table><thead><tr><th>start</th><th>name</th>'
        '<th>type</th><th class="n">km</th><th class="n">time</th><th class="n">pace</th>'
        '<th class="n">descent m</th><th>shoe</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table>"
    )


def _chart_section(key: str, title: str, alt: str, png: bytes | None, caption: str) -> str:
    sid = CHART_SECTIONS[key]
    body = img_tag(png, alt) if png else '<p class="notes">(chart not drawn)</p>'
    return (
        f'<section id="{sid}" data-section="{sid}"><h2>{escape(title)}</h2>'
        f"<figure>{body}<figcaption>{escape(caption)}</figcaption></figure></section>"
    )


def _captions(rep) -> dict[str, str]:
    s = rep.settings
    wi, lr, dv = s["weekly_increase"], s["load_ratio"], s["downhill_volume"]
    shoe = s["shoe_mileage"]
    broke = rep.tables["weeks"]["broke"].sum()
    return {
        "weekly_km": (
            f"Bars: running km per week (the report's week outlined). Orange: from the reference week's km "
            f"up to +{wi['caution_pct']:g} % (the reference is last week, or the "
            f"{int(wi['baseline_weeks'])}-week average after a break week). Hatched bars ({int(broke)} here) "
            f"are weeks the weekly-increase rule flagged. The {wi['caution_pct']:g} % rule is a coaching "
            f"convention with weak evidence; rises above {wi['high_pct']:g} % were linked with injury "
            "(Nielsen 2014)."
        ),
        "load_ratio": (
            f"Last {int(lr['acute_days'])} days' load against the last {int(lr['chronic_days'])} days'. "
            f"Green: {lr['detraining_ratio']:g}–{lr['caution_ratio']:g}, the range Gabbett 2016 called a "
            f"“sweet spot”; dotted red: above {lr['high_ratio']:g}. Below {lr['detraining_ratio']:g} you are "
            "running well under your usual level. The measure is disputed (Impellizzeri 2020) and was not a "
            "risk marker for runners in Frandsen 2025: read it as context, not a verdict."
        ),
        "terrain": (
            f"Bars: each week's descent and trail km, hatched when the downhill or trail rule flagged the "
            f"week; dashed: the mean of the previous "
            f"{int(dv['baseline_weeks'])} weeks, the baseline the downhill and trail rules compare against "
            f"(descent flagged when more than {dv['caution_pct']:g} % above it with at least "
            f"{dv['min_descent_m']:g} m). Downhill running raises impact and braking forces "
            "(Gottschall & Kram 2005)."
        ),
        "shoes": (
            f"Km per pair (start km plus runs), as of {day_text(rep.period.as_of)}. Practitioners advise "
            f"replacing shoes between {shoe['caution_km']:g} and {shoe['high_km']:g} km: a convention, not "
            "a trial result."
        ),
        "calendar": (
            "Each square is a day: km run (×2 = two runs), darker = longer; red = a hard session (the "
            "recovery rules' definition: enough minutes above threshold); black outline = a long run; "
            "yellow triangle = a single-run spike warning; grey = rest."
        ),
    }


def _warnings_section(rep) -> str:
    alerts = rep.alerts
    if alerts:
        cards = []
        for w in alerts:
            subject = f" · {escape(w.subject)}" if w.subject else ""
            cards.append(
                f'<div class="warning {escape(w.severity)}" {_data_attrs(w)}>'
                f"<h3>{sev_badge(w.severity)} {escape(rule_title(w.rule))}{subject}</h3>"
                f"<p>{escape(w.message)}</p>"
                f'<p class="advice"><strong>What helps:</strong> {escape(w.advice)}</p>'
                f'<p class="meta">Evidence: {escape(w.evidence)} — {escape(w.source)} · '
                f"detected {escape(w.date)} · period {escape(w.period)}</p></div>"
            )
        body = "".join(cards)
    else:
        body = '<p class="none">No warning stands for this week.</p>'
    advice = "".join(f"<li><strong>{escape(k)}:</strong> {escape(v)}</li>" for k, v in GENERAL_ADVICE)
    notes = "".join(f'<p class="notes">{escape(n)}</p>' for n in rep.notes)
    return (
        '<section id="warnings" data-section="warnings"><h2>Warnings, evidence and what helps</h2>'
        '<p class="explain">Each warning is a training pattern the running-injury literature links with '
        "injury, with the strength of that evidence. It is not a diagnosis.</p>"
        f'{body}<h3 style="margin-top:16px">What the articles advise</h3>'
        f'<ul class="advice-list">{advice}</ul>{notes}</section>'
    )


def _professional() -> str:
    items = "".join(f"<li>{escape(x)}</li>" for x in SEE_A_PROFESSIONAL)
    return (
        '<aside id="see-a-professional" data-section="see-a-professional" class="pro">'
        '<span class="tag">Information, not diagnosis</span>'
        '<h2 style="margin-top:8px">When to see a professional</h2>'
        "<p>hiprisk reads training data; it cannot tell what causes pain. See a doctor or "
        "physiotherapist if you have:</p>"
        f"<ul>{items}</ul></aside>"
    )


def render(rep, images: dict[str, bytes]) -> str:
    """The whole page for a :class:`hiprisk.report.WeeklyReport`, with ``images[chart] = PNG bytes``."""
    from . import CHARTS

    p = rep.period
    span = f"{day_text(p.start)} – {day_text(p.end)}"
    sub = span + (f" · to date, as of {day_text(p.as_of)}" if not p.complete else "")
    captions = _captions(rep)
    charts = "".join(
        _chart_section(key, title, alt, images.get(key), captions[key])
        for key, (title, alt) in CHARTS.items()
    )
    made = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>hiprisk report · {escape(p.week)}</title><style>{CSS}</style></head>"
        f"<body><main><header><h1>Training report · {escape(p.week)}</h1><p>{escape(sub)}</p></header>"
        f"{_headline(rep)}{charts}{_warnings_section(rep)}{_professional()}"
        f"<footer>hiprisk {escape(__version__)} · made {escape(made)} · flags training patterns linked with "
        "injury; it does not diagnose.</footer></main></body></html>\n"
    )
