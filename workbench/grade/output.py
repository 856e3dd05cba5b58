"""What ``workbench grade`` writes, every file atomically and deterministically:

- ``gradebook.csv``: ``student,score,max_score,verdict,level,mistake,feedback``, one line per
  student in the answers' order (UTF-8, comma-separated, quoted where needed: the shape a
  Moodle "Import grades / CSV file" or a spreadsheet takes; map ``student`` to the ID number or
  email, ``score`` to the grade item and ``feedback`` to its feedback);
- ``students/ID.html``: each student's page (the answer as written, the verdict, the
  diagnosis, a counterexample, the first wrong step, the variant), in the class's language;
- ``summary.json`` and ``summary.html``: students per verdict and per mistake, each group's
  typical answer (its most frequent text), the score distribution, a bar chart (SVG).
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections import Counter
from pathlib import Path

from workbench.atomic import write_text
from workbench.grading_key import page_name

COLUMNS = ["student", "score", "max_score", "verdict", "level", "mistake", "feedback"]
VERDICTS = ["match", "mismatch", "undecided", "unreadable"]
TITLES = {
    "summary": {"en": "Class summary", "fr": "Bilan de la classe"},
    "student": {"en": "Feedback for", "fr": "Retour pour"},
    "answer": {"en": "Your answer, as written", "fr": "Votre réponse, telle qu'écrite"},
    "verdict": {"en": "Verdict", "fr": "Verdict"},
    "score": {"en": "Score", "fr": "Note"},
    "variant": {"en": "Your variant", "fr": "Votre variante"},
    "at": {"en": "Counterexample", "fr": "Contre-exemple"},
    "students": {"en": "students", "fr": "étudiants"},
    "mistake": {"en": "Mistake", "fr": "Erreur"},
    "typical": {"en": "Typical answer", "fr": "Réponse typique"},
    "count": {"en": "Students", "fr": "Étudiants"},
    "mean": {"en": "Mean score", "fr": "Note moyenne"},
    # the PDF pages (workbench.grade.pdf)
    "read": {"en": "As read", "fr": "Telle que lue"},
    "remark": {"en": "Remark", "fr": "Remarque"},
    "hand": {"en": "your answer", "fr": "votre réponse"},
    "true": {"en": "the right one", "fr": "la bonne"},
    "made": {"en": "Feedback made by workbench grade; every verdict is the verification "
                   "engine's (SymPy, autograd, finite differences).",
             "fr": "Retour produit par workbench grade ; chaque verdict est celui du moteur de "
                   "vérification (SymPy, autograd, différences finies)."},
    "match": {"en": "right", "fr": "juste"},
    "mismatch": {"en": "wrong", "fr": "fausse"},
    "undecided": {"en": "undecided", "fr": "indécise"},
    "unreadable": {"en": "unreadable", "fr": "illisible"},
}


def _t(key: str, lang: str) -> str:
    return TITLES[key][lang]


def write_all(out: Path, graded: list, key, lang: str) -> None:
    write_text(out / "gradebook.csv", gradebook_csv(graded))
    for g in graded:
        write_text(out / "students" / f"{page_name(g.student)}.html", student_page(g, lang))
    summary = summarize(graded)
    write_text(out / "summary.json", json.dumps(summary, indent=2, sort_keys=True,
                                                ensure_ascii=False) + "\n")
    write_text(out / "summary.html", summary_page(summary, key, lang))


def gradebook_csv(graded: list) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for g in graded:
        w.writerow([g.student, f"{g.score:g}", f"{g.max_score:g}", g.verdict, g.level,
                    g.mistake, g.feedback])
    return buf.getvalue()


def summarize(graded: list) -> dict:
    """The numbers a teacher asks for after an exam."""
    def group(attr):
        out = {}
        for value in sorted({getattr(g, attr) for g in graded if getattr(g, attr)}):
            members = [g for g in graded if getattr(g, attr) == value]
            typical = Counter(" | ".join(m.answer.values()).strip() for m in members)
            out[value] = {"count": len(members),
                          "typical_answer": min(typical.items(), key=lambda kv: (-kv[1], kv[0]))[0],
                          "students": [m.student for m in members]}
        return out
    scores = [g.score for g in graded]
    return {"students": len(graded), "max_score": graded[0].max_score if graded else 0,
            "mean_score": round(sum(scores) / len(scores), 3) if scores else 0,
            "verdicts": {v: sum(g.verdict == v for g in graded) for v in VERDICTS},
            "levels": dict(sorted(Counter(g.level for g in graded if g.level).items())),
            "mistakes": group("mistake"), "by_verdict": group("verdict"),
            "scores": dict(sorted(Counter(f"{g.score:g}" for g in graded).items(),
                                  key=lambda kv: float(kv[0])))}


_STYLE = ("body{font-family:sans-serif;max-width:52em;margin:2em auto;line-height:1.4}"
          "pre{background:#f4f4f4;padding:.6em;white-space:pre-wrap}"
          "td,th{padding:.2em .6em;text-align:left;vertical-align:top}"
          ".match{color:#176317}.mismatch{color:#a31515}.undecided,.unreadable{color:#8a5a00}")


def _page(title: str, body: str, lang: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>\n"
            f"<body>\n{body}\n</body></html>\n")


def student_page(g, lang: str) -> str:
    e = html.escape
    r = g.result
    rows = [f"<h1>{e(_t('student', lang))} {e(g.student)}</h1>",
            f"<h2>{e(_t('answer', lang))}</h2>"]
    rows += [f"<pre>{e(text)}</pre>" for text in g.answer.values()]
    rows.append(f'<p>{e(_t("verdict", lang))}: <b class="{e(g.verdict)}">{e(g.verdict)}</b>'
                + (f" ({e(g.level)})" if g.level else "") +
                f" &mdash; {e(_t('score', lang))}: {g.score:g} / {g.max_score:g}</p>")
    rows.append(f"<p>{e(g.feedback)}</p>")
    if g.mistake:
        rows.append(f"<p>{e(_t('mistake', lang))}: <code>{e(g.mistake)}</code></p>")
    ce = r.get("counterexample")
    if ce:
        point = ", ".join(f"{k} = {v}" for k, v in (ce.get("point") or {}).items())
        rows.append(f"<p>{e(_t('at', lang))}: {e(point)}; hand {e(str(ce.get('hand')))}, "
                    f"true {e(str(ce.get('true')))}</p>")
    if g.variant:
        rows.append(f"<p>{e(_t('variant', lang))}: " +
                    e(", ".join(f"{k} = {v}" for k, v in sorted(g.variant.items()))) + "</p>")
    return _page(f"{_t('student', lang)} {g.student}", "\n".join(rows), lang)


def bar_chart(counts: dict, width: int = 480, bar: int = 22) -> str:
    """Horizontal bars, one per label, as SVG (no library, the same bytes every run)."""
    most = max(counts.values(), default=0) or 1
    rows = []
    for i, (label, n) in enumerate(counts.items()):
        y = i * (bar + 6)
        w = round((width - 180) * n / most)
        rows.append(f'<text x="0" y="{y + bar - 6}" font-size="13">{html.escape(label)}</text>'
                    f'<rect x="150" y="{y}" width="{w}" height="{bar}" fill="#4a78b5"/>'
                    f'<text x="{156 + w}" y="{y + bar - 6}" font-size="13">{n}</text>')
    height = len(counts) * (bar + 6)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'role="img">' + "".join(rows) + "</svg>")


def summary_page(s: dict, key, lang: str) -> str:
    e = html.escape
    title = f"{_t('summary', lang)}: {key.variant(key.values_for('')).title}"
    verdicts = {k: v for k, v in s["verdicts"].items()}
    mistakes = {k: v["count"] for k, v in s["mistakes"].items()}
    rows = [f"<h1>{e(title)}</h1>",
            f"<p>{s['students']} {e(_t('students', lang))}; {e(_t('mean', lang))}: "
            f"{s['mean_score']:g} / {s['max_score']:g}</p>",
            f"<h2>{e(_t('verdict', lang))}</h2>", bar_chart(verdicts),
            f"<h2>{e(_t('mistake', lang))}</h2>", bar_chart(mistakes),
            f"<table><tr><th>{e(_t('mistake', lang))}</th><th>{e(_t('count', lang))}</th>"
            f"<th>{e(_t('typical', lang))}</th></tr>"]
    for code, group in s["mistakes"].items():
        rows.append(f"<tr><td><code>{e(code)}</code></td><td>{group['count']}</td>"
                    f"<td><pre>{e(group['typical_answer'])}</pre></td></tr>")
    rows.append("</table>")
    return _page(title, "\n".join(rows), lang)


__all__ = ["COLUMNS", "gradebook_csv", "summarize", "write_all"]
