"""Planted mistakes, by class, each with its truth: the corpus the verdict is tested on.

Every case is ``(function, wrt, hand, truth, variables)``: ``truth`` is ``match`` for a correct
hand derivative (often one that float64 cannot evaluate everywhere) and ``mismatch`` for a
planted mistake (often one that float64 cannot see). ``variables`` declares matrices and
domains as the command line does (``X=n,n`` matrices, ``x=positive`` domains).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Case:
    function: str
    wrt: str
    hand: tuple[str, ...]
    truth: str
    matrices: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    note: str = ""

    @property
    def id(self) -> str:
        return f"{self.function} | {', '.join(self.hand)} | {self.truth}"[:90]


def _far_kinks() -> list[Case]:
    out = []
    for c in ("5", "10", "50", "700", "1000", "12345", "10**6", "-7", "-300", "-10**5"):
        out += [
            Case(f"relu(x - {c})", "x", ("0",), "mismatch", note="right only below the kink"),
            Case(f"relu(x - {c})", "x", ("(1 + sign(x - " + c + "))/2",), "match"),
            Case(f"Abs(x - {c})", "x", ("-1",), "mismatch"),
            Case(f"Abs(x - {c})", "x", ("sign(x - " + c + ")",), "match"),
        ]
    for c in ("6", "100", "2500", "-40"):
        out += [
            Case(f"Max(x, {c})", "x", ("0",), "mismatch"),
            Case(f"Min(x, {c})", "x", ("1",), "mismatch"),
            Case(f"relu(2*x - {c})**2", "x", ("4*relu(2*x - " + c + ")",), "match"),
            Case(f"Abs(3*x - {c})", "x", ("-3",), "mismatch"),
        ]
    return out


def _saturating_tails() -> list[Case]:
    out = []
    for c in ("20", "40", "100", "300"):
        out += [
            # right in the typical range, wrong where exp(x - c) is no longer negligible
            Case("softplus(x)", "x", (f"sigmoid(x) + exp(x - {c})",), "mismatch"),
            Case("sigmoid(x)", "x", (f"sigmoid(x)*(1 - sigmoid(x)) + exp(x - {c})",),
                 "mismatch"),
            Case("tanh(x)", "x", (f"1 - tanh(x)**2 + exp(-x - {c})",), "mismatch"),
            Case("log(1 + exp(-x))", "x", (f"-sigmoid(-x) + exp(-x - {c})",), "mismatch"),
        ]
    forms = [
        ("softplus(x)", "exp(x)/(1 + exp(x))"),
        ("softplus(x)", "1/(1 + exp(-x))"),
        ("sigmoid(x)", "exp(-x)/(1 + exp(-x))**2"),
        ("sigmoid(x)", "sigmoid(x)*(1 - sigmoid(x))"),
        ("log(1 + exp(-x))", "-exp(-x)/(1 + exp(-x))"),
        ("log(cosh(x))", "tanh(x)"),
        ("log(cosh(x))", "(exp(x) - exp(-x))/(exp(x) + exp(-x))"),
        ("tanh(x)", "4/(exp(x) + exp(-x))**2"),
        ("x*sigmoid(x)", "sigmoid(x) + x*sigmoid(x)*(1 - sigmoid(x))"),
        ("log(sigmoid(x))", "1 - sigmoid(x)"),
        ("exp(-x**2)", "-2*x*exp(-x**2)"),
        ("log(1 + exp(3*x))", "3*exp(3*x)/(1 + exp(3*x))"),
    ]
    out += [Case(f, "x", (h,), "match", note="correct; float64 overflows in a tail")
            for f, h in forms]
    wrong = [
        ("softplus(x)", "exp(x)"),                       # the tail approximation
        ("sigmoid(x)", "exp(-x)"),
        ("tanh(x)", "1 - tanh(x)"),
        ("log(cosh(x))", "sign(x)"),                     # the limit, used everywhere
        ("log(1 + exp(-x))", "-exp(-x)"),
        ("x*sigmoid(x)", "sigmoid(x)"),
        ("log(sigmoid(x))", "-sigmoid(x)"),
        ("exp(-x**2)", "-2*exp(-x**2)"),
    ]
    out += [Case(f, "x", (h,), "mismatch") for f, h in wrong]
    out += [
        Case("softplus(x - 800)", "x", ("sigmoid(x - 800)",), "match"),
        Case("softplus(x - 800)", "x", ("0",), "mismatch", note="right below x = 760"),
        Case("sigmoid(5*x)", "x", ("5*sigmoid(5*x)*(1 - sigmoid(5*x))",), "match"),
        Case("sigmoid(5*x)", "x", ("sigmoid(5*x)*(1 - sigmoid(5*x))",), "mismatch"),
        Case("tanh(x/100)", "x", ("(1 - tanh(x/100)**2)/100",), "match"),
        Case("tanh(x/100)", "x", ("1 - tanh(x/100)**2",), "mismatch"),
    ]
    return out


def _tiny_relative() -> list[Case]:
    out = []
    functions = [("x**2", "2*x"), ("exp(x)", "exp(x)"), ("sin(x)", "cos(x)"),
                 ("x**3 + x", "3*x**2 + 1"), ("log(1 + x**2)", "2*x/(1 + x**2)"),
                 ("atan(x)", "1/(1 + x**2)"), ("sigmoid(x)", "sigmoid(x)*(1 - sigmoid(x))")]
    for f, g in functions:
        for k in (7, 8, 9, 10, 11, 12):
            out.append(Case(f, "x", (f"({g})*(1 + 10**-{k})",), "mismatch",
                            note=f"off by 1e-{k} relative"))
    out += [Case(f, "x", (g,), "match") for f, g in functions]
    return out


def _float_trouble() -> list[Case]:
    """Correct forms that overflow, underflow or cancel in float64 (and wrong ones that look
    the same)."""
    right = [
        ("log(1 - sigmoid(x))", "-sigmoid(x)"),
        ("log(1 - sigmoid(x))", "sigmoid(x) - 1 + (1 - sigmoid(x)) - sigmoid(x)"),
        ("log(1 - sigmoid(x))", "-1/(1 + exp(-x))"),
        ("log(1 - sigmoid(x))", "-exp(x)/(1 + exp(x))"),
        ("-y*log(sigmoid(w*x)) - (1 - y)*log(1 - sigmoid(w*x))", "(sigmoid(w*x) - y)*x"),
        ("-y*log(sigmoid(w*x)) - (1 - y)*log(1 - sigmoid(w*x))",
         "x*(1 - y)*sigmoid(w*x) - x*y*(1 - sigmoid(w*x))"),
        ("exp(x)*exp(-x)", "0"),
        ("(1 + x)**2 - x**2", "2"),
        ("(x + 10**8)**2", "2*x + 2*10**8"),
        ("sqrt(x**2 + 1) - x", "x/sqrt(x**2 + 1) - 1"),
        ("log(exp(x) + exp(-x))", "(exp(x) - exp(-x))/(exp(x) + exp(-x))"),
        ("exp(x)/(1 + exp(x))", "exp(x)/(1 + exp(x))**2"),
        ("x**10", "10*x**9"),
        ("exp(exp(x/100))", "exp(x/100)*exp(exp(x/100))/100"),
        ("cosh(x)**2 - sinh(x)**2", "0"),
        ("log(x**2)", "2/x"),
        ("1/x", "-1/x**2"),
        ("x*log(x)", "log(x) + 1"),
        ("sqrt(x)", "1/(2*sqrt(x))"),
        ("exp(x**2)", "2*x*exp(x**2)"),
    ]
    domains = {"log(x**2)": ("x=nonzero",), "1/x": ("x=nonzero",),
               "x*log(x)": ("x=positive",), "sqrt(x)": ("x=positive",)}
    out = []
    for f, h in right:
        wrt = "w" if "w*x" in f else "x"
        out.append(Case(f, wrt, (h,), "match", domains=domains.get(f, ())))
    wrong = [
        ("log(1 - sigmoid(x))", "sigmoid(x) - 1"),
        ("log(1 - sigmoid(x))", "-1/(1 + exp(x))"),
        ("-y*log(sigmoid(w*x)) - (1 - y)*log(1 - sigmoid(w*x))", "(y - sigmoid(w*x))*x"),
        ("-y*log(sigmoid(w*x)) - (1 - y)*log(1 - sigmoid(w*x))", "sigmoid(w*x) - y"),
        ("exp(x)*exp(-x)", "exp(x)*exp(-x)"),
        ("(1 + x)**2 - x**2", "2 + 1/10**20"),
        ("(x + 10**8)**2", "2*x + 2*10**8 + 1/10**9"),
        ("sqrt(x**2 + 1) - x", "x/sqrt(x**2 + 1)"),
        ("x**10", "10*x**9 + x**10/10**14"),
        ("exp(x**2)", "2*exp(x**2)"),
        ("log(x**2)", "1/x"),
        ("1/x", "1/x**2"),
        ("x*log(x)", "log(x)"),
        ("sqrt(x)", "1/sqrt(x)"),
        ("cosh(x)**2 - sinh(x)**2", "10**-30*x"),
        ("exp(x)/(1 + exp(x))", "exp(x)/(1 + exp(x))"),
        ("exp(exp(x/100))", "exp(exp(x/100))/100"),
        ("log(exp(x) + exp(-x))", "sign(x)"),
        ("(x + 10**8)**2", "2*x"),
        ("exp(x)*exp(-x)", "10**-15"),
    ]
    for f, h in wrong:
        wrt = "w" if "w*x" in f else "x"
        out.append(Case(f, wrt, (h,), "mismatch", domains=domains.get(f, ())))
    return out


def _singular_draws() -> list[Case]:
    cases = [
        ("det(X)", "det(X)*inv(X).T", "match"),
        ("det(X)", "det(X)*inv(X)", "mismatch"),
        ("det(X)", "inv(X).T", "mismatch"),
        ("logdet(X)", "inv(X).T", "match"),
        ("logdet(X)", "inv(X)", "mismatch"),
        ("logdet(X)", "-inv(X).T", "mismatch"),
        ("Trace(inv(X))", "-(inv(X)@inv(X)).T", "match"),
        ("Trace(inv(X))", "-inv(X)@inv(X)", "mismatch"),
        ("Trace(inv(X))", "(inv(X)@inv(X)).T", "mismatch"),
        ("Trace(A@inv(X))", "-(inv(X)@A@inv(X)).T", "match"),
        ("Trace(A@inv(X))", "-(inv(X)@A@inv(X))", "mismatch"),
        ("Trace(A@inv(X))", "-inv(X)@A@inv(X)@X", "mismatch"),
        ("Trace(A@inv(X)@B)", "-(inv(X)@B@A@inv(X)).T", "match"),
        ("Trace(A@inv(X)@B)", "-(inv(X)@A@B@inv(X)).T", "mismatch"),
        ("Trace(A@inv(X)@B)", "-inv(X).T@A.T@B.T@inv(X).T", "match"),
        ("Trace(A@inv(X)@B)", "inv(X).T@A.T@B.T@inv(X).T", "mismatch"),
        ("det(X)**2", "2*det(X)**2*inv(X).T", "match"),
        ("det(X)**2", "2*det(X)*inv(X).T", "mismatch"),
        ("log(det(X)**2)", "2*inv(X).T", "match"),
        ("log(det(X)**2)", "inv(X).T", "mismatch"),
        ("sum(inv(X))", "-(inv(X)@ones@inv(X)).T", None),
        ("Trace(X@inv(A))", "inv(A).T", "match"),
        ("Trace(X@inv(A))", "inv(A)", "mismatch"),
        ("Trace(inv(X)@inv(X))", "-2*(inv(X)@inv(X)@inv(X)).T", "match"),
        ("Trace(inv(X)@inv(X))", "-2*inv(X)@inv(X)@inv(X)", "mismatch"),
        ("Trace(inv(X)@inv(X))", "-(inv(X)@inv(X)@inv(X)).T", "mismatch"),
        ("logdet(X) + Trace(X)", "inv(X).T + eye", None),
        ("det(X)*Trace(X)", "det(X)*Trace(X)*inv(X).T + det(X)*X**0", None),
        ("Trace(inv(X).T@A)", "-(inv(X)@A.T@inv(X)).T", "match"),
        ("Trace(inv(X).T@A)", "-(inv(X)@A@inv(X)).T", "mismatch"),
        ("det(2*X)", "2**n*det(X)*inv(X).T", None),
        ("Trace(inv(X)@A@X)", "0*X", None),
        ("logdet(X)", "inv(X).T + 10**-12*X", "mismatch"),
        ("det(X)", "det(X)*inv(X).T*(1 + 10**-9)", "mismatch"),
        ("Trace(inv(X))", "-(inv(X)@inv(X)).T*(1 + 10**-10)", "mismatch"),
        ("logdet(X)**2", "2*logdet(X)*inv(X).T", "match"),
        ("logdet(X)**2", "2*inv(X).T", "mismatch"),
        ("Trace(A@inv(X))**2", "-2*Trace(A@inv(X))*(inv(X)@A@inv(X)).T", "match"),
        ("Trace(A@inv(X))**2", "-2*(inv(X)@A@inv(X)).T", "mismatch"),
        ("det(X)*det(A)", "det(X)*det(A)*inv(X).T", "match"),
        ("det(X)*det(A)", "det(A)*inv(X).T", "mismatch"),
        ("det(X)+det(A)", "det(X)*inv(X).T", "match"),
        ("det(X)+det(A)", "det(A)*inv(A).T", "mismatch"),
        ("logdet(X@X.T)", "2*inv(X).T", "match"),
        ("logdet(X@X.T)", "inv(X).T", "mismatch"),
        ("Trace(inv(X.T@X))", "-2*X@inv(X.T@X)@inv(X.T@X)", "match"),
        ("Trace(inv(X.T@X))", "-X@inv(X.T@X)@inv(X.T@X)", "mismatch"),
    ]
    out = []
    for f, h, truth in cases:
        if truth is None:
            continue
        mats = ["X=n,n"] + (["A=n,n"] if "A" in f or "A" in h else []) + \
            (["B=n,n"] if "B" in f or "B" in h else [])
        out.append(Case(f, "X", (h,), truth, tuple(mats)))
    return out


def _oscillation() -> list[Case]:
    out = []
    for k in ("10**6", "10**10", "10**15", "10**20", "10**30", "3*10**12"):
        out += [
            Case(f"sin({k}*x)", "x", (f"{k}*cos({k}*x)",), "match"),
            Case(f"sin({k}*x)", "x", ("0",), "mismatch"),
            Case(f"sin({k}*x)", "x", (f"cos({k}*x)",), "mismatch"),
            Case(f"sin({k}*x)", "x", (f"-{k}*cos({k}*x)",), "mismatch"),
            Case(f"cos({k}*x)**2", "x", (f"-2*{k}*sin({k}*x)*cos({k}*x)",), "match"),
            Case(f"cos({k}*x)**2", "x", (f"-{k}*sin(2*{k}*x)",), "match"),
            Case(f"cos({k}*x)**2", "x", (f"2*{k}*sin({k}*x)*cos({k}*x)",), "mismatch"),
            Case(f"x*sin({k}*x)", "x", (f"sin({k}*x) + {k}*x*cos({k}*x)",), "match"),
        ]
    return out


CLASSES = {
    "far kinks": _far_kinks(),
    "saturating tails": _saturating_tails(),
    "tiny relative errors": _tiny_relative(),
    "float64 overflow and cancellation": _float_trouble(),
    "singular matrix draws": _singular_draws(),
    "oscillation beyond float resolution": _oscillation(),
}
