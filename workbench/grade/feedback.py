"""The remark a student reads, in the class's language, made from a result's typed facts
(verdict, mistake code, step, factor), never from the engine's English sentences."""

from __future__ import annotations

PHRASES = {
    "match": {"en": "Right.", "fr": "Juste."},
    "match-sampled": {"en": "Right (agrees at every point checked; not proved exactly).",
                      "fr": "Juste (concorde en tous les points essayés, sans preuve exacte)."},
    "unreadable": {"en": "Could not be read: {error}", "fr": "Illisible : {error}"},
    "undecided": {"en": "Not decided: {reason}. The teacher will look at it.",
                  "fr": "Non tranché : {reason}. L'enseignant le regardera."},
    "sign": {"en": "Wrong sign: your gradient is minus the true one.",
             "fr": "Erreur de signe : votre gradient est l'opposé du vrai."},
    "factor": {"en": "A constant factor: your gradient is {factor} times the true one.",
               "fr": "Un facteur constant : votre gradient vaut {factor} fois le vrai."},
    "missing-1/n": {"en": "A missing 1/{factor}: your gradient is {factor} times the true one "
                          "(the loss is a mean).",
                    "fr": "Il manque 1/{factor} : votre gradient vaut {factor} fois le vrai "
                          "(la perte est une moyenne)."},
    "transpose": {"en": "Transposed: your gradient is the transpose of the true one (a row for "
                        "a column, or the other layout).",
                  "fr": "Transposé : votre gradient est la transposée du vrai (une ligne pour "
                        "une colonne, ou l'autre convention)."},
    "shape": {"en": "The shapes do not fit: {error}",
              "fr": "Les tailles ne vont pas : {error}"},
    "wrong-component": {"en": "The derivative with respect to {variable} is wrong, the others "
                              "are right.",
                        "fr": "La dérivée par rapport à {variable} est fausse, les autres sont "
                              "justes."},
    "part-of-domain": {"en": "Right on part of the domain only.",
                       "fr": "Juste sur une partie du domaine seulement."},
    "tiny": {"en": "Wrong by a tiny amount, below what floats can see.",
             "fr": "Faux d'une quantité infime, sous la précision des flottants."},
    "wrong": {"en": "Wrong.", "fr": "Faux."},
    "step": {"en": "Step {prev} -> {step}: {what}.", "fr": "Étape {prev} -> {step} : {what}."},
    "step-changed": {"en": "the expression changed there", "fr": "l'expression y change"},
    "step-first": {"en": "Step 1 is already wrong.", "fr": "L'étape 1 est déjà fausse."},
    "consistent": {"en": "Every step follows from the one before; the first is already wrong.",
                   "fr": "Chaque étape découle de la précédente ; la première est déjà "
                         "fausse."},
    "final-right": {"en": "Your last step is right.", "fr": "Votre dernière étape est juste."},
    "correct": {"en": "Correct gradient: {correct}.", "fr": "Gradient correct : {correct}."},
    "at": {"en": "At {point}: yours {hand}, true {true}.",
           "fr": "En {point} : le vôtre {hand}, le vrai {true}."},
}
CHANGES = {
    "sign": {"en": "the sign flipped", "fr": "le signe a changé"},
    "factor": {"en": "a factor {factor} appeared", "fr": "un facteur {factor} est apparu"},
    "missing-1/n": {"en": "the 1/{factor} was lost", "fr": "le 1/{factor} a été perdu"},
    "transpose": {"en": "it was transposed", "fr": "elle a été transposée"},
}


def phrase(key: str, lang: str, **values) -> str:
    return PHRASES[key][lang].format(**values)


def feedback(result: dict, lang: str) -> str:
    """One line for the gradebook and the page."""
    verdict = result["verdict"]
    if verdict == "unreadable":
        return phrase("unreadable", lang, error=result.get("error", ""))
    if verdict == "undecided":
        reason = (result.get("reasons") or ["?"])[0]
        return phrase("undecided", lang, reason=reason if len(reason) <= 160 else
                      reason[:157] + "...")
    parts = []
    code = result.get("mistake", "")
    values = {"factor": result.get("factor", ""), "variable": result.get("variable", ""),
              "error": result.get("error", "")}
    step = result.get("step")
    if verdict == "match" and step:
        parts.append(phrase("final-right", lang))
    elif verdict == "match":
        parts.append(phrase("match" if result.get("level") == "proved" else "match-sampled",
                            lang))
    elif code and not (step and code == "wrong"):
        parts.append(PHRASES.get(code, PHRASES["wrong"])[lang].format(**values))
    if step:
        if step == 1:
            parts.append(phrase("step-first", lang))
        else:
            kind = result.get("step_mistake", "")
            what = CHANGES[kind][lang].format(factor=result.get("step_factor", "")) \
                if kind in CHANGES else phrase("step-changed", lang)
            parts.append(phrase("step", lang, prev=step - 1, step=step, what=what))
    elif result.get("consistent"):
        parts.append(phrase("consistent", lang))
    if verdict == "mismatch":
        correct = "; ".join(f"d/d{k} = {v}" for k, v in (result.get("correct") or {}).items())
        if correct:
            parts.append(phrase("correct", lang, correct=correct))
    return " ".join(parts)


__all__ = ["feedback", "phrase"]
