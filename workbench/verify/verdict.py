"""The verdict, decided in one place: a pure function from typed evidence to a verdict.

Four levels, and how each is reached:

- ``proved``: the hand gradient equals the derived one exactly (symbolic simplification, or an
  identity test: Schwartz-Zippel for rational functions, 30-digit random points for analytic
  ones, piece by piece across kinks; for matrices, entrywise at explicit sizes). Without a hand
  gradient, the derived gradient itself is the subject, and it is proved by its derivation.
- ``sampled``: "agrees on N samples": no exact decision, but the gradients agree at N points,
  whose ranges are named per variable.
- ``confirmed``: "mismatch confirmed": an exact witness, or a float disagreement re-evaluated in
  high precision, or shapes that do not fit.
- ``undecided``: with the reasons (every point skipped, disagreements that high precision could
  not settle, ``--require proof`` without a proof ...). Never a match by default.

Exit codes: 0 match, 1 mismatch, 2 bad input (not decided here), 3 a bug of ours (the
workbench's own oracles disagree), 4 undecided.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from workbench.verify.evidence import Evidence, PointCheck, SampleEvidence

MIN_AGREEING = 10
"""Fewer agreeing sample points than this is no basis for "agrees on N samples"."""
EXIT_CODES = {"match": 0, "mismatch": 1, "undecided": 4, "bug": 3}


@dataclass(frozen=True)
class Verdict:
    """``outcome`` (match, mismatch, undecided), ``level`` (proved, sampled, confirmed,
    undecided), ``how`` (one sentence), ``reasons`` (why undecided, or caveats)."""

    outcome: str
    level: str
    how: str
    reasons: tuple[str, ...] = field(default_factory=tuple)
    bug: bool = False

    @property
    def exit_code(self) -> int:
        return EXIT_CODES["bug"] if self.bug else EXIT_CODES[self.outcome]

    @property
    def label(self) -> str:
        """``match (proved)``, ``match (agrees on 1,024 samples)``, ``mismatch confirmed``,
        ``undecided``."""
        if self.outcome == "mismatch":
            return "mismatch confirmed"
        if self.outcome == "undecided":
            return "undecided"
        return f"match ({self.how.split(':')[0]})"


def decide(e: Evidence, min_agreeing: int | None = None) -> Verdict:
    """The verdict for evidence ``e`` (see module docstring); no side effects.
    ``min_agreeing``: agreeing points a sampled match needs (default :data:`MIN_AGREEING`;
    a check of one given point, as ``gradcheck``'s, needs that one)."""
    s = e.samples
    if e.shapes:
        return Verdict("mismatch", "confirmed", "; ".join(x.sentence() for x in e.shapes))
    if e.contract:
        return Verdict("mismatch", "confirmed", "; ".join(e.contract))
    if s is not None and s.engine is not None:
        return Verdict("undecided", "undecided",
                       f"the derived gradient and {s.engine.reference or s.reference} disagree",
                       (f"{_point_sentence(s.engine)}: a bug in the workbench (or in SymPy or "
                        f"torch), not in your derivation; please report it",), bug=True)
    if s is not None and s.failure is not None:
        return Verdict("mismatch", "confirmed",
                       f"{_point_sentence(s.failure)}, {_confirmed_how(s.failure)}")
    witnesses = [x for x in e.exact.values() if x.equality.different]
    if witnesses:
        w = witnesses[0]
        where = f" {w.scope}" if w.scope else ""
        gap = f" (hand - true = {w.equality.gap} there)" if w.equality.gap is not None else ""
        return Verdict("mismatch", "confirmed",
                       f"d/d{w.variable} differs exactly{where} at {_exact_point(w.equality)}: "
                       f"hand {w.equality.values[0]}, true {w.equality.values[1]}{gap}")
    proofs = {k: x for k, x in e.exact.items() if x.equality.equal}
    if e.has_hand and len(proofs) == len(e.wrt):
        return Verdict("match", "proved", "proved: " + "; ".join(
            f"d/d{k} by {x.equality.method}{_scope(x.scope)}" for k, x in proofs.items())
            + _sampled_suffix(s), _nothing_compared(s))
    if not e.has_hand:                # the derivation is the subject; samples corroborate it
        if s is None or s.agreeing > 0:
            return Verdict("match", "proved", "proved: derived by SymPy"
                           + _scope(e.derivation_scope) + _sampled_suffix(s, name_reference=True))
        return Verdict("undecided", "undecided", "the derived gradient could not be compared "
                       f"with {s.reference}", (_skipped_sentence(s),))
    caveats = tuple(f"d/d{k}: exact comparison undecided: {x.equality.reason}"
                    for k, x in e.exact.items() if x.equality.status == "undecided")
    if s is not None and s.unconfirmed:
        first = s.unconfirmed[0]
        return Verdict("undecided", "undecided", "float64 disagreements that high precision "
                       "could not settle", (f"{len(s.unconfirmed)} point(s), e.g. "
                                            f"{_point_sentence(first)} ({first.reason})",)
                       + caveats)
    if s is not None and s.agreeing >= (MIN_AGREEING if min_agreeing is None else min_agreeing):
        how = "agrees on " + _samples_sentence(s)
        if proofs:
            how += "; proved for " + ", ".join(f"d/d{k}" for k in proofs)
        if e.require_proof:
            return Verdict("undecided", "undecided", "not proved (a proof was required)",
                           (how,) + caveats)
        return Verdict("match", "sampled", how, caveats)
    return Verdict("undecided", "undecided", "no exact decision and too few points compared",
                   ((_skipped_sentence(s),) if s is not None else ()) + caveats)


def verdict_line(outcome: str, how: str, reasons=()) -> str:
    """The verdict in one line, as every report says it: ``match (proved: ...)``, ``match
    (agrees on ...)``, ``mismatch confirmed: ...``, ``undecided: ... (reasons)``."""
    if outcome == "match":
        return f"match ({how})"
    if outcome == "mismatch":
        return f"mismatch confirmed: {how}"
    return f"undecided: {how}" + (f" ({'; '.join(reasons)})" if reasons else "")


def _scope(scope: str) -> str:
    return f" {scope}" if scope else ""


def _sampled_suffix(s: SampleEvidence | None, name_reference: bool = False) -> str:
    """``; agrees on N samples (...)``, naming the reference when asked, or when it is not
    autograd."""
    if s is None or not s.agreeing:
        return ""
    against = f" with {s.reference}" if name_reference or s.reference != "autograd" else ""
    return f"; agrees{against} on {_samples_sentence(s)}"


def _samples_sentence(s: SampleEvidence) -> str:
    ranges = ", ".join(f"{k} in {r.text()}" for k, r in s.ranges.items())
    extra = f", {s.rescued} of them re-checked in high precision after float64 failed" \
        if s.rescued else ""
    return f"{s.agreeing:,} samples ({ranges}{extra})"


def _nothing_compared(s: SampleEvidence | None) -> tuple[str, ...]:
    """The caveat of a proof that no point corroborates (a function undefined wherever the
    points were drawn, say)."""
    if s is None or s.agreeing:
        return ()
    return (f"no point could be compared with {s.reference} ({_skipped_sentence(s)}): is the "
            f"function defined on the declared domain?",)


def _skipped_sentence(s: SampleEvidence | None) -> str:
    if s is None:
        return "no sample was drawn"
    why = ", ".join(f"{n:,} {reason}" for reason, n in s.skipped.items()) or "none drawn"
    return f"{s.agreeing} point(s) compared; skipped: {why}"


def _confirmed_how(p: PointCheck) -> str:
    """``confirmed in 60-digit arithmetic``, or, for a float confirmation by independent
    references (code checks), by whom."""
    if p.digits <= 16 and p.reason.startswith("by "):
        return f"confirmed {p.reason}"
    return f"confirmed in {p.digits}-digit arithmetic"


def _point_sentence(p: PointCheck) -> str:
    where = ", ".join(f"{k}={_short(v)}" for k, v in p.point.items())
    sizes = f" (sizes {', '.join(f'{k}={v}' for k, v in p.sizes.items())})" if p.sizes else ""
    got = p.precise_got or _short(p.got)
    true = p.precise_true or _short(p.true)
    who = "hand" if p.kind == "hand" else "derived"
    return f"d/d{p.variable} at {where}{sizes}: {who} {got}, true {true}"


def _exact_point(eq) -> str:
    return ", ".join(f"{k}={_short(v)}" for k, v in (eq.witness or {}).items())


def _short(v, limit: int = 48) -> str:
    text = str(v)
    return text if len(text) <= limit else text[:limit] + " ..."


__all__ = ["EXIT_CODES", "MIN_AGREEING", "Verdict", "decide", "verdict_line"]
