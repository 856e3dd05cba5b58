"""The words of pages, pictures and reports in French and English: one table, one lookup.

Each entry is a key (``group.name``: ``page.`` labels of the explanation pages, ``rule.`` names
of the rules beside each step, ``route.`` words of the two-route picture of a trace, ``plot.``
the page's figure, ``index.`` the gallery's index, ``momentum.`` the answer of a momentum
analysis) and its text in each of :data:`LANGUAGES`, side by side. A text may hold fields
(``{points}``) that :func:`word` fills in. Rule names are LaTeX already (``$...$`` formulas).

French is the default language (the course is French).
"""

from __future__ import annotations

from workbench.errors import UserError

LANGUAGES = ("fr", "en")
DEFAULT_LANG = "fr"

WORDS: dict[str, tuple[str, str]] = {
    # the explanation page (workbench.explain.page)
    "page.statement": ("Énoncé", "Statement"),
    "page.function": ("Fonction", "Function"),
    "page.variables": ("Variables", "Variables"),
    "page.wrt": ("Dérivée par rapport à", "Differentiate with respect to"),
    "page.steps": ("Calcul pas à pas", "Step by step"),
    "page.result": ("Résultat", "Result"),
    "page.hand": ("Dérivation à la main", "Hand derivation"),
    "page.verdict": ("Verdict", "Verdict"),
    "page.diagnosis": ("Diagnostic", "Diagnosis"),
    "page.verification": ("Vérification numérique", "Numerical verification"),
    "page.figure": ("Figure", "Figure"),
    "page.trace": ("Graphe de calcul", "Computational graph"),
    "page.point": ("Point", "Point"),
    "page.hand-short": ("Main", "Hand"),
    "page.symbolic-status": ("comparaison symbolique :", "symbolic comparison:"),
    "page.symbolic": ("Symbolique", "Symbolic"),
    "page.autograd": ("Autograd", "Autograd"),
    "page.finite-difference": ("Diff. finies", "Finite diff."),
    "page.rel-error": ("Erreur rel.", "Rel. error"),
    "page.match": ("CORRECT", "MATCH"),
    "page.mismatch": ("INCORRECT", "MISMATCH"),
    "page.undecided": ("INDÉCIS", "UNDECIDED"),
    "page.level.proved": ("démontré", "proved"),
    "page.level.sampled": ("concorde sur des échantillons, sans démonstration",
                           "agrees on samples, not proved"),
    "page.level.confirmed": ("confirmé en haute précision", "confirmed in high precision"),
    "page.level.undecided": ("aucun verdict que les faits permettent", "no verdict the "
                             "evidence supports"),
    "page.how": ("Comment", "How"),
    "page.no-hand": ("Pas de dérivation à la main : le verdict porte sur le moteur lui-même "
                     "(symbolique, autograd et différences finies concordent ou non).",
                     "No hand derivation: the verdict is about the engine itself (symbolic, "
                     "autograd and finite differences agree or not)."),
    "page.expected-mismatch": ("Erreur volontaire : le vérificateur devait la trouver.",
                               "A deliberate mistake: the checker had to find it."),
    "page.checked-points": ("{points} points comparés à autograd, en {examples} lots tirés par "
                            "Hypothesis, {dtype}.",
                            "{points} points compared with autograd, in {examples} batches "
                            "drawn by Hypothesis, {dtype}."),
    "page.skipped": ("Points écartés, par raison :", "Points skipped, by reason:"),
    "page.skipped-other": ("{count} pour une autre raison (voir workbench check -v)",
                           "{count} for another reason (see workbench check -v)"),
    "page.skipped-scale": ("là où la plus grande entrée vaut {scale} en médiane, contre {compared} "
                           "aux points comparés",
                           "where the largest entry is {scale} at the median, against {compared} "
                           "at the points compared"),
    "page.fixed-sizes": ("tailles fixées", "fixed sizes"),
    "page.counterexample": ("Contre-exemple (réduit par Hypothesis)",
                            "Counterexample (shrunk by Hypothesis)"),
    "page.step-confirmed": ("vérifié", "checked"),
    "page.step-wrong": ("FAUX", "WRONG"),
    "page.step-unjustified": ("non justifié", "unjustified"),
    "page.steps-verified": ("Chaque égalité est vérifiée par SymPy ; la dernière est le "
                            "gradient dérivé par le moteur.",
                            "SymPy checks every equality; the last one is the gradient the "
                            "engine derived."),
    "page.steps-not-verified": ("Attention : une étape n'est pas justifiée, ou le calcul "
                                "n'aboutit pas au gradient dérivé.",
                                "Warning: a step is not justified, or the steps do not end at "
                                "the derived gradient."),
    "page.matrix-check": ("Égalités matricielles vérifiées en arithmétique exacte, en "
                          "{points} points aléatoires pour chacune des tailles {how}.",
                          "Matrix equalities checked in exact arithmetic at {points} random "
                          "points for each of the sizes {how}."),
    "page.where": ("où", "where"),
    "page.engine-form": ("Forme donnée par le moteur", "The engine's form"),
    "page.explicit-only": ("Le moteur ne donne ce gradient qu'en tailles explicites ; la forme "
                           "close ci-dessus est vérifiée contre lui.",
                           "The engine gives this gradient at explicit sizes only; the closed "
                           "form above is checked against it."),
    "page.no-closed-form": ("Pas de forme close : gradient en tailles explicites seulement.",
                            "No closed form: gradient at explicit sizes only."),
    "page.error": ("Erreur", "Error"),
    "page.notes": ("Remarques", "Notes"),
    "page.notes-elsewhere": ("Le moteur a laissé {count} autre(s) remarque(s) technique(s) : "
                             "voir workbench check -v.",
                             "The engine left {count} other technical note(s): see workbench "
                             "check -v."),
    # the engine's notes (workbench.derive), said on pages in the page's language (Note)
    "note.overflow": ("une constante de la fonction dépasse le domaine des flottants float64 "
                      "(environ 1,8 × 10^308) : les évaluations en flottants donnent l'infini, "
                      "et les valeurs exactes peuvent être hors de portée.",
                      "the constant {constant} is beyond float64's range (about 1.8e308): float "
                      "evaluations give inf or nan, and exact values may be out of reach"),
    "note.differentials": ("pour le gradient par rapport à {name}, le calcul matriciel de SymPy "
                           "échoue ; la forme close vient des différentielles matricielles (le "
                           "calcul pas à pas), vérifiée en tailles explicites.",
                           "d/d{name}: SymPy's matrix calculus {why}; the closed form comes from "
                           "matrix differentials instead, checked at explicit sizes"),
    "note.explicit": ("pour le gradient par rapport à {name}, ni le calcul matriciel de SymPy ni "
                      "les différentielles matricielles ne donnent de forme close : le gradient "
                      "est dérivé élément par élément, en tailles explicites.",
                      "d/d{name}: SymPy's matrix calculus {why}, and matrix differentials "
                      "{how}; using explicit sizes (elementwise differentiation) instead"),
    "note.twin": ("dérivé en tailles symboliques, puis spécialisé aux tailles fixées.",
                  "derived at symbolic sizes ({sizes}) and specialised to the fixed ones"),
    # why the numeric search skipped points (SampleEvidence.skipped; Note keys)
    "skip.not-finite": ("valeur ou gradient non fini en {dtype} (dépassement de capacité)",
                        "not finite in {dtype}"),
    "skip.kink": ("sur un point anguleux (les différences unilatérales divergent)",
                  "at a kink (one-sided differences disagree)"),
    "skip.steep": ("les différences unilatérales divergent alors que la fonction n'a pas de point "
                   "anguleux : pente raide, ou chiffres perdus à l'arrondi",
                   "one-sided differences disagree (steep, or lost to rounding: the expression "
                   "has no kink)"),
    "skip.fd": ("les différences finies centrées s'écartent d'autograd au-delà de leur tolérance "
                "(elles y perdent leurs chiffres)",
                "finite differences unreliable"),
    "skip.exact-kink": ("sur un point anguleux", "at a kink"),
    "skip.undefined": ("fonction non définie en ce point", "not defined there"),
    "skip.out-of-reach": ("hors de portée de la haute précision (n'a pas convergé)",
                          "out of reach in high precision (did not settle)"),
    "skip.budget": ("budget de temps de la recherche épuisé", "search time budget spent"),
    "page.generated": ("Page produite par workbench explain.", "Page made by workbench explain."),
    "page.symbolic.equal": ("Égalité exacte démontrée par SymPy.",
                            "Exact equality proved by SymPy."),
    "page.symbolic.different": ("SymPy trouve une différence exacte.",
                                "SymPy finds an exact difference."),
    "page.symbolic.undecided": ("Comparaison exacte non conclusive.",
                                "Exact comparison inconclusive."),
    "page.spd": ("symétrique définie positive", "symmetric positive definite"),
    "page.at": ("Valeurs aux points demandés", "Values at the points asked for"),
    # the diagnosis of a mismatch (workbench.explain.diagnosis)
    "diag.right": ("la dérivation à la main est juste.", "the hand derivation is right."),
    "diag.wrong": ("la dérivation à la main est fausse.", "the hand derivation is wrong."),
    "diag.sign": ("la dérivation à la main est l'opposé du gradient exact : une erreur de "
                  "signe.", "the hand derivation is minus the true gradient: a sign error."),
    "diag.transpose": ("la dérivation à la main est la transposée du gradient exact.",
                       "the hand derivation is the transpose of the true gradient."),
    "diag.shape-hand": ("la dérivation à la main est de taille", "the hand derivation has shape"),
    "diag.shape-true": ("le gradient de taille", "the gradient has shape"),
    "diag.shape-transposed": ("(une ligne au lieu d'une colonne, ou l'inverse ?)",
                              "(a row for a column, or the other way round?)"),
    "diag.factor": ("un facteur constant :", "a constant factor:"),
    "diag.factor-missing": ("il manque un facteur", "a missing factor"),
    "diag.factor-spurious": ("un facteur superflu", "a spurious factor"),
    "diag.hand": ("main", "hand"),
    "diag.true": ("exact", "true"),
    "diag.difference": ("Écart exact :", "Exact difference:"),
    "diag.correct": ("Gradient exact :", "True gradient:"),
    "diag.counterexample": ("Contre-exemple (confirmé à {digits} chiffres) : en",
                            "Counterexample (confirmed to {digits} digits): at"),
    "diag.hand-gives": ("la dérivation à la main donne", "the hand derivation gives"),
    "diag.true-gives": ("le gradient exact", "the true gradient"),
    # results shown in a notebook (workbench.api)
    "nb.at": ("En", "At"),
    "nb.oracles": ("symbolique {symbolic}, autograd {autograd}, diff. finies {fd}",
                   "symbolic {symbolic}, autograd {autograd}, finite difference {fd}"),
    "nb.node": ("nœud", "node"),
    "nb.operation": ("opération", "operation"),
    "nb.value": ("valeur", "value"),
    "nb.partials": ("dérivées locales", "local partials"),
    "nb.adjoint": ("adjoint", "adjoint"),
    "nb.tangent": ("tangente", "tangent"),
    "nb.input": ("entrée", "input"),
    "nb.written": ("Fichiers écrits :", "Files written:"),
    "nb.figure": ("Figure", "Figure"),
    "nb.setting": ("réglage", "setting"),
    "nb.lr": ("pas", "lr"),
    "nb.momentum": ("momentum", "momentum"),
    "nb.predicted": ("taux prédit", "predicted rate"),
    "nb.measured": ("taux mesuré", "measured rate"),
    "nb.diverges": ("diverge", "diverges"),
    "nb.hessian": ("Hessienne dérivée par SymPy, conditionnement", "Hessian derived by SymPy, "
                   "condition number"),
    "nb.speedup": ("Le momentum au réglage de Polyak demande {measured:.3g} fois moins "
                   "d'itérations que la descente de gradient à son meilleur pas (théorie : "
                   "{predicted:.3g}).",
                   "Momentum at Polyak's setting needs {measured:.3g} times fewer iterations "
                   "than gradient descent at its best step (theory: {predicted:.3g})."),
    "setting.course: lr 0.2": ("cours : pas 0.2", "course: lr 0.2"),
    "setting.course: momentum 0.3, lr 1.0": ("cours : momentum 0.3, pas 1.0",
                                             "course: momentum 0.3, lr 1.0"),
    "setting.lr 1.0 without momentum": ("pas 1.0 sans momentum", "lr 1.0 without momentum"),
    "setting.gradient descent, best step": ("descente de gradient, meilleur pas",
                                            "gradient descent, best step"),
    "setting.heavy ball, Polyak's optimum": ("momentum, optimum de Polyak",
                                             "heavy ball, Polyak's optimum"),
    # the exercise sheet (workbench.explain.sheet)
    "sheet.exercise": ("Exercice", "Exercise"),
    "sheet.compute": ("Calculer le gradient de $f$ par rapport à", "Compute the gradient of $f$ "
                      "with respect to"),
    "sheet.evaluate": ("Évaluer ce gradient en", "Evaluate this gradient at"),
    "sheet.student": ("Un élève propose la dérivation suivante. Est-elle juste ? Si elle est "
                      "fausse, dire où est l'erreur.",
                      "A student proposes the derivation below. Is it right? If it is wrong, "
                      "say where the mistake is."),
    "sheet.solutions": ("Corrigé", "Solutions"),
    "sheet.for": ("Élève : {student}", "Student: {student}"),
    "sheet.answer-at": ("En", "At"),
    "sheet.made": ("Fiche produite par workbench explain -{}-sheet ; chaque réponse du corrigé est "
                   "vérifiée par SymPy, autograd et les différences finies.",
                   "Sheet made by workbench explain -{}-sheet; every answer of the solutions is "
                   "checked by SymPy, autograd and finite differences."),
    # the names of the rules of the steps (workbench.explain.steps, matrix_steps)
    "rule.sum": ("somme", "sum rule"),
    "rule.constant-factor": ("facteur constant", "constant factor"),
    "rule.power": ("puissance", "power rule"),
    "rule.product": ("produit", "product rule"),
    "rule.quotient": ("quotient", "quotient rule"),
    "rule.chain": ("dérivée composée", "chain rule"),
    "rule.exp": ("exponentielle", "exponential"),
    "rule.exp-base": (r"exponentielle de base $a$ : $(a^u)' = a^u \ln a \, u'$",
                      r"exponential in base $a$: $(a^u)' = a^u \ln a \, u'$"),
    "rule.log": (r"logarithme : $(\ln u)' = u'/u$", r"logarithm: $(\ln u)' = u'/u$"),
    "rule.log-differentiation": (r"$u^v = e^{v \ln u}$", r"$u^v = e^{v \ln u}$"),
    "rule.trig": ("trigonométrie", "trigonometry"),
    "rule.inverse-trig": ("trigonométrie réciproque", "inverse trigonometry"),
    "rule.hyperbolic": ("fonctions hyperboliques", "hyperbolic functions"),
    "rule.abs": (r"$|u|' = \operatorname{sign}(u)\, u'$", r"$|u|' = \operatorname{sign}(u)\, u'$"),
    "rule.function": ("dérivée de la fonction (SymPy)", "derivative of the function (SymPy)"),
    "rule.simplify": ("simplification", "simplification"),
    "rule.engine": ("résultat du moteur, sans règle détaillée",
                    "the engine's result, no rule shown"),
    "rule.transpose": (r"$\mathrm{d}(U^\top) = (\mathrm{d}U)^\top$",
                       r"$\mathrm{d}(U^\top) = (\mathrm{d}U)^\top$"),
    "rule.trace": (r"$\mathrm{d}\,\operatorname{tr} U = \operatorname{tr} \mathrm{d}U$",
                   r"$\mathrm{d}\,\operatorname{tr} U = \operatorname{tr} \mathrm{d}U$"),
    "rule.jacobi": (r"Jacobi : $\mathrm{d} \det A = \det A \operatorname{tr}(A^{-1}\mathrm{d}A)$",
                    r"Jacobi: $\mathrm{d} \det A = \det A \operatorname{tr}(A^{-1}\mathrm{d}A)$"),
    "rule.inverse": (r"$\mathrm{d}A^{-1} = -A^{-1}\mathrm{d}A\,A^{-1}$",
                     r"$\mathrm{d}A^{-1} = -A^{-1}\mathrm{d}A\,A^{-1}$"),
    "rule.hadamard-power": (r"$\mathrm{d}(U^{\circ k}) = k U^{\circ (k-1)} \circ \mathrm{d}U$",
                            r"$\mathrm{d}(U^{\circ k}) = k U^{\circ (k-1)} \circ \mathrm{d}U$"),
    "rule.hadamard-product": ("produit de Hadamard", "Hadamard product"),
    "rule.elementwise": (r"terme à terme : $\mathrm{d}f(U) = f'(U) \circ \mathrm{d}U$",
                         r"elementwise: $\mathrm{d}f(U) = f'(U) \circ \mathrm{d}U$"),
    "rule.scalar-transpose": (r"un scalaire est sa transposée : $a^\top \mathrm{d}x = "
                              r"(\mathrm{d}x)^\top a$",
                              r"a scalar is its own transpose: $a^\top \mathrm{d}x = "
                              r"(\mathrm{d}x)^\top a$"),
    "rule.trace-cyclic": (r"trace cyclique : $\operatorname{tr}(ABC) = \operatorname{tr}(CAB)$",
                          r"cyclic trace: $\operatorname{tr}(ABC) = \operatorname{tr}(CAB)$"),
    "rule.collect": ("regroupement", "collecting terms"),
    "rule.identification": (r"identification : $\mathrm{d}f = \operatorname{tr}(G^\top "
                            r"\mathrm{d}X) \Rightarrow \nabla f = G$",
                            r"identification: $\mathrm{d}f = \operatorname{tr}(G^\top "
                            r"\mathrm{d}X) \Rightarrow \nabla f = G$"),
    "rule.substitution": ("on remplace la partie commune", "substituting the shared part back"),
    "rule.factor": ("mise en facteur", "factoring"),
    # the two routes of a computational graph (workbench.trace.tikz)
    "route.symbolic": ("Calcul symbolique", "Symbolic route"),
    "route.automatic": ("Différentiation automatique", "Automatic route"),
    "route.reverse": ("mode inverse, de la sortie vers les entrées",
                      "reverse mode, from the output back to the inputs"),
    "route.forward": ("mode direct, une passe par direction d'entrée",
                      "forward mode, one pass per input direction"),
    "route.at": ("en", "at"),
    "route.agree": ("les deux calculs concordent", "the two routes agree"),
    "route.disagree": ("les deux calculs divergent", "the two routes disagree"),
    "route.long": ("(trop long pour être affiché)", "(too long to show)"),
    "route.failed": ("n'a pas pu être évalué", "could not be evaluated"),
    "route.unavailable": ("indisponible", "not available"),
    # the figure of a page (workbench.explain.figure)
    "plot.symbolic": ("symbolique", "symbolic"),
    "plot.hand": ("main", "hand"),
    "plot.finite-difference": ("diff. finies", "finite diff."),
    "plot.function": ("fonction", "function"),
    "plot.derivative": ("dérivée", "derivative"),
    "plot.rel": ("erreur relative (log10) par rapport à autograd",
                 "relative error (log10) against autograd"),
    "plot.count": ("points", "points"),
    "plot.caption-curves": ("{what}.", "{what}."),
    "plot.caption-errors": ("erreur relative par rapport à autograd, en des points tirés, "
                            "{what}.",
                            "relative error against autograd at sampled points {what}."),
    "plot.error-symbolic": ("du gradient symbolique", "of the symbolic gradient"),
    "plot.error-hand": ("de la dérivation à la main", "of the hand derivation"),
    "plot.error-finite-difference": ("des différences finies", "of finite differences"),
    "plot.caption-empty": ("Aucun gradient à comparer à autograd.",
                           "No gradient to compare with autograd."),
    "plot.curve-function": ("la fonction", "the function"),
    "plot.curve-symbolic": ("la dérivée symbolique", "the symbolic derivative"),
    "plot.curve-hand": ("la dérivée à la main", "the hand derivative"),
    "plot.line-solid": ("trait plein", "solid"),
    "plot.line-dashed": ("tirets", "dashed"),
    "plot.line-dotted": ("pointillés", "dotted"),
    "plot.and": ("et", "and"),
    # the gallery's index.html (workbench.explain.index)
    "index.title": ("Galerie des dérivations", "Derivation gallery"),
    "index.intro": ("Chaque page explique un gradient pas à pas et le vérifie (symbolique, "
                    "autograd, différences finies).",
                    "Each page explains a gradient step by step and checks it (symbolic, "
                    "autograd, finite differences)."),
    "index.match": ("correct", "match"),
    "index.mismatch": ("incorrect", "mismatch"),
    "index.undecided": ("indécis", "undecided"),
    "index.error": ("erreur", "error"),
    "index.expected": ("erreur attendue", "expected mismatch"),
    "index.steps": ("étapes vérifiées", "steps verified"),
    "index.steps-no": ("étapes non toutes justifiées", "steps not all justified"),
    "index.no-preview": ("pas d'aperçu (pas de PDF)", "no preview (no PDF)"),
    "index.pdf": ("la page (PDF)", "the page (PDF)"),
    "index.figure-of": ("figure de {name}", "figure of {name}"),
    "index.chapter.course": ("Le cours", "The course"),
    "index.about.course": ("Les exercices du cours, dans l'ordre : f'(0) de 3x+5 et de 2^x, "
                           "les moindres carrés, le graphe de calcul.",
                           "The course's exercises in order: f'(0) of 3x+5 and of 2^x, least "
                           "squares, the computational graph."),
    "index.chapter.scalar": ("Fonctions scalaires", "Scalar functions"),
    "index.about.scalar": ("Les règles de dérivation classiques, d'une ou plusieurs variables.",
                           "The classic rules of differentiation, in one or several "
                           "variables."),
    "index.chapter.matrix": ("Calcul matriciel", "Matrix calculus"),
    "index.about.matrix": ("Gradients par rapport à des vecteurs et des matrices : traces, "
                           "normes, formes quadratiques, log-déterminant.",
                           "Gradients with respect to vectors and matrices: traces, norms, "
                           "quadratic forms, log-determinant."),
    "index.chapter.jacobian": ("Jacobiennes et hessiennes", "Jacobians and Hessians"),
    "index.about.jacobian": ("Dérivées de fonctions à valeurs vectorielles et dérivées "
                             "secondes.",
                             "Derivatives of vector-valued functions and second derivatives."),
    "index.chapter.momentum": ("Momentum", "Momentum"),
    "index.about.momentum": ("La descente avec momentum sur les moindres carrés du cours : "
                             "courbes de perte (une course qui diverge est coupée et marquée "
                             "d'une croix) et balayage (pas, momentum).",
                             "Descent with momentum on the course's least squares: loss curves "
                             "(a diverging run is cut and marked with a cross) and the "
                             "(step, momentum) sweep."),
    "index.none.momentum": ("aucune figure pour l'instant : lancer <code>workbench "
                            "momentum</code>, puis reconstruire la galerie",
                            "no figure yet: run <code>workbench momentum</code>, then rebuild "
                            "the gallery"),
    "index.chapter.cifar": ("CIFAR-10", "CIFAR-10"),
    "index.about.cifar": ("Le réseau convolutif du cours entraîné sur CIFAR-10 par l'oracle "
                          "de gradient.",
                          "The course's convolutional network trained on CIFAR-10 through the "
                          "gradient oracle."),
    "index.none.cifar": ("aucune figure pour l'instant : lancer <code>workbench train</code>, "
                         "puis reconstruire la galerie",
                         "no figure yet: run <code>workbench train</code>, then rebuild the "
                         "gallery"),
    "index.chapter.backprop": ("Rétropropagation", "Backpropagation"),
    "index.about.backprop": ("Les gradients des couches du réseau, dérivés à la main et "
                             "vérifiés.",
                             "The gradients of the network's layers, derived by hand and "
                             "checked."),
    "index.chapter.wrong": ("Erreurs à trouver", "Mistakes to find"),
    "index.about.wrong": ("Des dérivations fausses exprès : le diagnostic dit où est l'erreur.",
                          "Derivations wrong on purpose: the diagnosis says where the "
                          "mistake is."),
    # the answer of a momentum analysis (workbench.momentum.report), English first
    "momentum.question": ("Comment un momentum bien choisi peut-il accélérer l'optimisation ?",
                          "How can a well-chosen momentum speed up optimisation?"),
    "momentum.heading": ("## {label} : n = {n}, p = {p}, graine {seed}",
                         "## {label}: n = {n}, p = {p}, seed {seed}"),
    "momentum.rates": (
        "Hessienne (SymPy) `{hessian}`, valeurs propres de {lam_min:.4g} à {lam_max:.4g}, "
        "conditionnement kappa = {kappa:.4g}. Descente de gradient au meilleur pas {gd_lr:.4g} "
        ": taux {gd_rate:.4f} par itération (mesuré {gd_measured:.4f}) ; momentum au point de "
        "Polyak (pas {hb_lr:.4g}, momentum {hb_momentum:.4g}) : {hb_rate:.4f} (mesuré "
        "{hb_measured:.4f}), soit {measured:.3g} fois moins d'itérations.",
        "SymPy derives the Hessian `{hessian}`; at these data its eigenvalues run from "
        "{lam_min:.4g} to {lam_max:.4g}, so kappa = {kappa:.4g}. Plain gradient descent at its "
        "best step {gd_lr:.4g} shrinks the distance to the optimum by {gd_rate:.4f} per "
        "iteration (measured {gd_measured:.4f}); heavy ball at Polyak's step {hb_lr:.4g} and "
        "momentum {hb_momentum:.4g} by {hb_rate:.4f} (measured {hb_measured:.4f}). Momentum "
        "needs {measured:.3g} times fewer iterations for the same accuracy (theory: "
        "{predicted:.3g})."),
    "momentum.course": (
        "Les réglages du cours : lr 0.2 multiplie l'erreur par {slow:.4f} à chaque itération, "
        "momentum 0.3 avec lr 1.0 par {fast:.4f} ; sans momentum, lr 1.0 donne {alone:.4f} "
        "et {verdict}",
        "The course's settings: lr 0.2 multiplies the error by {slow:.4f} per iteration "
        "(it shrinks when that is below 1, grows above), momentum 0.3 with lr 1.0 by "
        "{fast:.4f}; without its momentum, lr 1.0 gives {alone:.4f} and {verdict}"),
    "momentum.converges": ("converge", "converges"),
    "momentum.stalls": ("ne converge pas", "does not converge"),
    "momentum.rescued": (" : c'est le momentum qui rend ce pas utilisable.",
                         ": momentum is what makes that step usable."),
    "momentum.why": (
        "Pourquoi : le long d'une valeur propre, l'erreur suit une récurrence d'ordre deux "
        "dont les racines complexes ont pour module sqrt(momentum). Le réglage de Polyak "
        "rend cela vrai pour toutes les valeurs propres, et le taux passe de environ "
        "1 - 2/kappa à environ 1 - 2/sqrt(kappa) : gain modeste si kappa est proche de 1, "
        "spectaculaire si les données sont mal conditionnées. Le momentum élargit aussi les "
        "pas stables (lr < 2(1 + momentum)/lam_max) ; trop de momentum ralentit tout.",
        "Why: along an eigenvalue lam the error obeys a two-term recurrence whose roots have "
        "modulus sqrt(momentum) when they are complex. Polyak's setting makes that true for "
        "every eigenvalue at once, so the rate goes from (kappa - 1)/(kappa + 1) ~ "
        "1 - 2/kappa to (sqrt(kappa) - 1)/(sqrt(kappa) + 1) ~ 1 - 2/sqrt(kappa): the gain "
        "is small when kappa is near 1 and grows like sqrt(kappa) for ill-conditioned data. "
        "Momentum also widens the stable steps to lr < 2(1 + momentum)/lam_max (the red "
        "line of the heatmaps); too much momentum slows every direction down to "
        "sqrt(momentum), too large a step diverges."),
    # pages of Jacobians and Hessians (workbench.explain.higher_page)
    "higher.jacobian": ("Jacobienne", "Jacobian"),
    "higher.hessian": ("Hessienne", "Hessian"),
    "higher.layout.jacobian": ("Disposition numérateur : une ligne par sortie, une colonne par "
                               "coordonnée de la variable, comme torch.autograd.functional."
                               "jacobian.",
                               "Numerator layout: one row per output, one column per entry of "
                               "the variable, as torch.autograd.functional.jacobian returns it."),
    "higher.layout.hessian": ("Ligne i, colonne j : la dérivée seconde par rapport aux "
                              "coordonnées i et j.",
                              "Row i, column j: the second derivative with respect to entries "
                              "i and j."),
    "higher.how": ("Vérifiée comme un gradient : pour tout u, J^T u est le gradient de u^T f "
                   "(pour une hessienne, H v est le gradient de v^T grad f), u et v étant "
                   "tirés comme les autres variables.",
                   "Checked as a gradient: for every u, J^T u is the gradient of u^T f (for a "
                   "Hessian, H v is the gradient of v^T grad f), with u and v sampled like the "
                   "other variables."),
    "higher.checks": ("Contrôles", "Checks"),
    "higher.torch": ("torch.autograd.functional concorde avec la forme close en {n} points.",
                     "torch.autograd.functional agrees with the closed form at {n} points."),
    "higher.symmetric": ("Symétrique.", "Symmetric."),
    "higher.not-symmetric": ("Votre hessienne n'est pas symétrique.",
                             "Your Hessian is not symmetric."),
    "higher.psd-proved": ("Semi-définie positive (démontré : somme de termes c A^T D A, c >= 0,"
                          " D diagonale positive).",
                          "Positive semidefinite (proved: a sum of terms c A^T D A with c >= 0 "
                          "and D diagonal and nonnegative)."),
    "higher.eigenvalues": ("Valeurs propres entre {lo} et {hi} aux points tirés.",
                           "Eigenvalues between {lo} and {hi} at the sampled points."),
    "higher.figure": ("La forme close en un point tiré (à gauche) et torch.autograd.functional "
                      "au même point (à droite).",
                      "The closed form at a sampled point (left) and "
                      "torch.autograd.functional at the same point (right)."),
}


def check_lang(lang: str) -> str:
    """``lang`` itself if it is one of :data:`LANGUAGES`."""
    if lang not in LANGUAGES:
        raise UserError(f"unknown language {lang!r}; expected one of {', '.join(LANGUAGES)}",
                        "--lang")
    return lang


def word(key: str, lang: str, **fields) -> str:
    """The text of ``key`` in ``lang``, with ``fields`` filled in."""
    text = WORDS[key][LANGUAGES.index(check_lang(lang))]
    return text.format(**fields) if fields else text


class Note(str):
    """A sentence of the engine's that a page can say in its own language: the English text
    itself (so that reports, ``--json`` and tables print, join and count it as before), with
    its ``key`` in :data:`WORDS` and its ``fields``. ``say("fr")`` is the French text, which
    leaves out English-only details (SymPy's own failure); a page may replace a field
    (``name=`` the variable typeset)."""

    key: str
    fields: dict

    def __new__(cls, key: str, **fields):
        self = super().__new__(cls, word(key, "en", **fields))
        self.key, self.fields = key, fields
        return self

    def __reduce__(self):                      # pickled as its key and fields, not its text
        return _note, (self.key, self.fields)

    def say(self, lang: str, **fields) -> str:
        """The note in ``lang``, ``fields`` replacing its own (see the class docstring)."""
        return word(self.key, lang, **{**self.fields, **fields})


def _note(key: str, fields: dict) -> Note:
    return Note(key, **fields)
