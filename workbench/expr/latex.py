"""Answers as students write them: LaTeX (``\\frac{2}{n}X^\\top(X\\beta - y)``), read by our own
parser into the same syntax tree as the expression language, never by SymPy's LaTeX parser.

The reader is a tokenizer and a recursive-descent parser over a whitelist: every command it
knows is in a table below (:data:`GREEK`, :data:`FUNCTION_COMMANDS`, the font, spacing and
delimiter commands); anything else is refused with the column and what was expected. It builds
Python ``ast`` nodes (``BinOp``, ``Call``, ``Name``, ``Attribute`` ``.T`` ...) located in the
text, which :mod:`workbench.expr.parser` then turns into SymPy under the same checks and limits
as the ASCII language. No SymPy here: a command checks syntax before loading it.

Reading rules (those of a page of mathematics):

- products may be implicit: ``2x``, ``X\\beta``, ``2X^\\top(y - X\\beta)``; ``\\cdot``,
  ``\\times`` and ``*`` are products, ``\\odot`` is ``hadamard``; a run of letters is split into
  the declared names it is made of (``xy`` is ``x*y`` when ``x`` and ``y`` are declared; a
  declared ``beta`` stays one name), single letters otherwise;
- ``x^{2}``, ``x^2``, ``e^{x}``; ``X^\\top``, ``X^T``, ``X^{\\top}``, ``X'`` transpose; ``A^{-1}``
  of a matrix is its inverse (other powers of a matrix are entrywise, as ``**``);
- ``\\frac{a}{b}``, ``\\sqrt{x}``, ``\\sqrt[3]{x}``, ``|x|``, ``\\|x\\|``, ``\\left( \\right)``;
- functions: ``\\exp``, ``\\ln``, ``\\log`` (``\\log_2``), ``\\sin`` ..., ``\\sigma`` (the
  sigmoid, unless ``sigma`` is a variable), ``\\det``, ``\\operatorname{tr}``, ``\\mathrm{tr}``;
  an argument without parentheses runs to the next sign or function (``\\sin 2x`` is sin(2x));
- names: Greek commands (``\\lambda`` is ``lam``), ``\\mathbf{X}``, ``\\boldsymbol{\\beta}``,
  subscripts (``z_1`` is ``z1``, or ``z_1`` where that is declared);
- matrices: ``\\begin{pmatrix} a & b \\\\ c & d \\end{pmatrix}`` (or ``bmatrix``, ``matrix``).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Container

from workbench.errors import ParseError

MAX_DEPTH = 48
"""Nesting (groups, calls, powers, signs) a reader sees, as in the ASCII language."""

GREEK = {
    "alpha": ("alpha",), "beta": ("beta",), "gamma": ("gamma",), "delta": ("delta",),
    "epsilon": ("epsilon", "eps"), "varepsilon": ("epsilon", "eps"), "zeta": ("zeta",),
    "eta": ("eta",), "theta": ("theta",), "vartheta": ("theta",), "iota": ("iota",),
    "kappa": ("kappa",), "lambda": ("lam", "lmbda", "lambda_"), "mu": ("mu",), "nu": ("nu",),
    "xi": ("xi",), "rho": ("rho",), "sigma": ("sigma",), "tau": ("tau",), "phi": ("phi",),
    "varphi": ("phi",), "chi": ("chi",), "psi": ("psi",), "omega": ("omega",),
    "Gamma": ("Gamma",), "Delta": ("Delta",), "Theta": ("Theta",), "Lambda": ("Lambda",),
    "Xi": ("Xi",), "Sigma": ("Sigma",), "Phi": ("Phi",), "Psi": ("Psi",), "Omega": ("Omega",),
}
"""Greek letters: the names they stand for, the first declared one taken (else the first)."""

FUNCTION_COMMANDS = {
    "exp": "exp", "ln": "ln", "log": "log", "sin": "sin", "cos": "cos", "tan": "tan",
    "arcsin": "asin", "arccos": "acos", "arctan": "atan", "sinh": "sinh", "cosh": "cosh",
    "tanh": "tanh", "det": "det", "max": "max", "min": "min", "tr": "tr", "sgn": "sign",
}
"""``\\exp`` ... and the function each calls (``\\sigma`` is handled with the Greek letters)."""

FUNCTION_WORDS = frozenset({
    "exp", "log", "ln", "sqrt", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh",
    "tanh", "sigmoid", "softplus", "relu", "abs", "sign", "max", "min", "tr", "trace", "det",
    "logdet", "inv", "sum", "mean", "norm", "dot", "hadamard", "softmax", "diag", "eye",
    "ones", "zeros"})
"""Functions of :mod:`workbench.expr.functions` a word may name (``\\operatorname{diag}``,
``sin x``); a test keeps this a part of that whitelist."""

CONSTANT_WORDS = ("pi", "e")
FONTS = frozenset({"mathbf", "boldsymbol", "bm", "mathrm", "mathit", "mathsf", "operatorname",
                   "text", "textrm", "mathnormal", "vec"})
SPACING = frozenset({"quad", "qquad", ",", ";", ":", "!", " ", "displaystyle", "big", "Big",
                     "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr"})
PRODUCTS = {"cdot": ast.Mult, "times": ast.Mult, "div": ast.Div}
MATRIX_ENVIRONMENTS = frozenset({"pmatrix", "bmatrix", "matrix", "Bmatrix", "vmatrix"})
TRANSPOSE_MARKS = frozenset({"top", "intercal", "T", "mathsf{T}", "mathrm{T}", "tau"})

_TOKEN = re.compile(r"(?P<space>\s+)|(?P<num>\d+(?:\.\d+)?|\.\d+)|(?P<word>[A-Za-z]+)"
                    r"|(?P<cmd>\\(?:[A-Za-z]+|.))|(?P<op>\*\*|.)")
LATEX_MARK = re.compile(r"[{}]")
_QUOTED_BRACE = re.compile(r"""["'][{}]|[{}]["']""")


def is_latex(text: str) -> bool:
    """Whether ``text`` is read as LaTeX: it has a backslash, or a brace not in a Python
    string (``f'{x}'`` is refused as the f-string it is). ASCII text has neither; ``^``
    alone is a power in the ASCII language too."""
    return "\\" in text or bool(LATEX_MARK.search(text)) and not _QUOTED_BRACE.search(text)


@dataclass(frozen=True)
class Token:
    kind: str          # num, word, cmd, op, end
    text: str
    start: int
    end: int


def tokenize(text: str, offset: int = 0) -> list[Token]:
    """Tokens of ``text`` (positions 0-based in ``text``), spacing dropped, an ``end`` last."""
    out = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        value = m.group()
        if kind == "space" or (kind == "cmd" and value[1:] in SPACING) or value == "~":
            continue
        if kind == "cmd" and value in ("\\left", "\\right"):
            continue                             # the delimiter that follows is read alone
        out.append(Token(kind, value, m.start(), m.end()))
    out.append(Token("end", "", len(text), len(text)))
    return out


def read_latex(text: str, names: Container[str] | None = None, offset: int = 0,
               matrices: Container[str] = ()) -> ast.Expression:
    """The syntax tree of the LaTeX ``text`` (stripped; ``offset``: its column in the line, for
    messages). ``names``: the declared names (variables and dimensions), used to split runs of
    letters and to tell ``\\sigma`` the variable from the sigmoid; ``matrices``: those that are
    matrices (``X_{1,0}`` then indexes). Raises :class:`ParseError` located by column."""
    reader = _Reader(text, tokenize(text), names, offset, matrices)
    body = reader.expression(0)
    if reader.peek.kind != "end":
        reader.expected("an operator or the end of the expression")
    return ast.Expression(body)


def _at(node: ast.AST, start: int, end: int) -> ast.AST:
    node.lineno, node.end_lineno, node.col_offset, node.end_col_offset = 1, 1, start, end
    return node


def _name(ident: str, start: int, end: int) -> ast.Name:
    return _at(ast.Name(id=ident, ctx=ast.Load()), start, end)


def _call(func: str, args: list, start: int, end: int) -> ast.Call:
    return _at(ast.Call(func=_name(func, start, end), args=args, keywords=[]), start, end)


def _binop(left, op, right) -> ast.BinOp:
    return _at(ast.BinOp(left=left, op=op(), right=right), left.col_offset,
               right.end_col_offset)


def _number(text: str, start: int, end: int) -> ast.Constant:
    return _at(ast.Constant(value=float(text) if "." in text else int(text)), start, end)


class _Reader:
    def __init__(self, text: str, tokens: list[Token], names, offset: int, matrices):
        self.text, self.tokens, self.i, self.offset = text, tokens, 0, offset
        self.names = set(names) if names is not None else None
        self.matrices = set(matrices)
        self.bars = {"|": 0, "\\|": 0}         # inside |...|: a bar closes, it does not open

    # ------------------------------------------------------------------ tokens
    @property
    def peek(self) -> Token:
        return self.tokens[self.i]

    def ahead(self, k: int = 1) -> Token:
        return self.tokens[min(self.i + k, len(self.tokens) - 1)]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i = min(self.i + 1, len(self.tokens) - 1)
        return tok

    def fail(self, message: str, pos: int | None = None) -> ParseError:
        return ParseError(message, f"col {self.offset + (self.peek.start if pos is None else pos) + 1}")

    def expected(self, what: str):
        tok = self.peek
        seen = "the end" if tok.kind == "end" else repr(tok.text)
        raise self.fail(f"expected {what}, found {seen}")

    def expect(self, text: str, what: str | None = None) -> Token:
        if self.peek.text != text:
            self.expected(what or repr(text))
        return self.take()

    def deeper(self, depth: int) -> int:
        if depth >= MAX_DEPTH:
            raise self.fail(f"nesting deeper than {MAX_DEPTH}")
        return depth + 1

    # ------------------------------------------------------------------ grammar
    def expression(self, depth: int) -> ast.expr:
        """A sum of terms."""
        node = self.term(depth)
        while self.peek.text in ("+", "-"):
            op = ast.Add if self.take().text == "+" else ast.Sub
            node = _binop(node, op, self.term(depth))
        return node

    def term(self, depth: int) -> ast.expr:
        """Factors multiplied or divided, explicitly or side by side."""
        node = self.signed(depth)
        while True:
            tok = self.peek
            if tok.text in ("*", "/", "@") or (tok.kind == "cmd" and tok.text[1:] in PRODUCTS):
                self.take()
                op = {"*": ast.Mult, "/": ast.Div, "@": ast.MatMult}.get(tok.text) or \
                    PRODUCTS[tok.text[1:]]
                node = _binop(node, op, self.signed(depth))
            elif tok.text in ("\\odot", "\\circ"):
                self.take()
                right = self.signed(depth)
                node = _call("hadamard", [node, right], node.col_offset, right.end_col_offset)
            elif self.starts_factor(tok):
                if tok.kind == "num" and isinstance(node, ast.Constant):
                    raise self.fail("two numbers side by side: write \\cdot or * between them")
                node = _binop(node, ast.Mult, self.power(depth))
            else:
                return node

    def signed(self, depth: int) -> ast.expr:
        tok = self.peek
        if tok.text in ("-", "+"):
            self.take()
            operand = self.signed(self.deeper(depth))
            op = ast.USub() if tok.text == "-" else ast.UAdd()
            return _at(ast.UnaryOp(op=op, operand=operand), tok.start, operand.end_col_offset)
        return self.power(depth)

    def starts_factor(self, tok: Token) -> bool:
        if tok.kind in ("num", "word"):
            return True
        if tok.kind == "cmd":
            name = tok.text[1:]
            if tok.text == "\\|":
                return self.bars["\\|"] == 0
            return name in GREEK or name in FUNCTION_COMMANDS or name in FONTS or name in (
                "frac", "dfrac", "tfrac", "sqrt", "pi", "lVert", "lvert", "begin")
        if tok.text == "|":
            return self.bars["|"] == 0
        return tok.text in ("(", "[", "{")

    def power(self, depth: int) -> ast.expr:
        """An atom with its superscripts: powers and transposes."""
        node = self.atom(depth)
        while True:
            tok = self.peek
            if tok.text == "'":
                self.take()
                node = _at(ast.Attribute(value=node, attr="T", ctx=ast.Load()),
                           node.col_offset, tok.end)
            elif tok.text in ("^", "**"):
                self.take()
                if self.transpose_mark():
                    node = _at(ast.Attribute(value=node, attr="T", ctx=ast.Load()),
                               node.col_offset, self.tokens[self.i - 1].end)
                else:
                    exponent = self.script(self.deeper(depth), signed=True)
                    node = _binop(node, ast.Pow, exponent)
                    node.inverse = _is_minus_one(exponent)   # A^{-1}: the inverse of a matrix
                if self.peek.text in ("^", "**") and not self.transpose_after():
                    raise self.fail("double superscript: group with braces, x^{a^{b}}")
            else:
                return node

    def transpose_after(self) -> bool:
        saved = self.i
        self.take()
        try:
            return self.transpose_mark()
        finally:
            self.i = saved

    def transpose_mark(self) -> bool:
        """Take ``\\top``, ``T``, ``{\\top}``, ``{T}``, ``{\\mathsf{T}}`` after a ``^``."""
        def mark_at(k: int) -> int:           # tokens the mark takes, starting at i + k
            tok = self.ahead(k)
            if tok.text in ("\\top", "\\intercal") or (tok.text == "T" and self._free("T")):
                return 1
            if tok.text in ("\\mathsf", "\\mathrm") and self.ahead(k + 1).text == "{" and \
                    self.ahead(k + 2).text == "T" and self.ahead(k + 3).text == "}":
                return 4
            return 0
        k = mark_at(0)
        if not k and self.peek.text == "{":
            inner = mark_at(1)
            k = inner + 2 if inner and self.ahead(inner + 1).text == "}" else 0
        self.i += k
        return bool(k)

    def _free(self, ident: str) -> bool:
        return self.names is None or ident not in self.names

    def script(self, depth: int, signed: bool = False) -> ast.expr:
        """What a ``^`` or ``_`` or a ``\\frac`` takes: a braced group or one token (one digit
        of a number: ``\\frac12``, ``x^23`` is x^2 3)."""
        tok = self.peek
        if tok.text == "{":
            return self.group(depth)
        if signed and tok.text in ("-", "+"):
            self.take()
            operand = self.script(self.deeper(depth))
            op = ast.USub() if tok.text == "-" else ast.UAdd()
            return _at(ast.UnaryOp(op=op, operand=operand), tok.start, operand.end_col_offset)
        if tok.kind == "num" and len(tok.text) > 1 and "." not in tok.text:
            self.tokens[self.i] = Token("num", tok.text[1:], tok.start + 1, tok.end)
            return _number(tok.text[0], tok.start, tok.start + 1)
        if tok.kind == "word" and len(tok.text) > 1:
            self.tokens[self.i] = Token("word", tok.text[1:], tok.start + 1, tok.end)
            return self.word(Token("word", tok.text[0], tok.start, tok.start + 1), depth)
        if tok.kind in ("num", "word", "cmd"):
            return self.atom(depth)
        self.expected("a group {...} or a single symbol")

    def group(self, depth: int) -> ast.expr:
        opening = self.expect("{")
        if self.peek.text == "}":
            raise self.fail("empty group {}: expected an expression")
        inner = self.expression(self.deeper(depth))
        if self.peek.text != "}":
            self.expected(f"}} to close the {{ at col {self.offset + opening.start + 1}")
        self.take()
        return inner

    def atom(self, depth: int) -> ast.expr:
        tok = self.peek
        if tok.kind == "num":
            self.take()
            return _number(tok.text, tok.start, tok.end)
        if tok.kind == "word":
            self.take()
            return self.word(tok, depth)
        if tok.text in ("(", "["):
            return self.parenthesised(depth)
        if tok.text == "{":
            return self.group(depth)
        if tok.text == "|" and self.bars["|"] == 0:
            return self.bars_of("|", "|", "abs", depth)
        if tok.text in ("\\|", "\\lVert"):
            return self.bars_of(tok.text, "\\|" if tok.text == "\\|" else "\\rVert", "norm",
                                depth)
        if tok.text == "\\lvert":
            return self.bars_of("\\lvert", "\\rvert", "abs", depth)
        if tok.kind == "cmd":
            return self.command(depth)
        if tok.kind == "end":
            self.expected("an expression")
        self.expected("a number, a name, a function or a group")

    def parenthesised(self, depth: int) -> ast.expr:
        opening = self.take()
        closing = ")" if opening.text == "(" else "]"
        inner = self.expression(self.deeper(depth))
        if self.peek.text != closing:
            self.expected(f"{closing} to close the {opening.text} at col "
                          f"{self.offset + opening.start + 1}")
        self.take()
        return inner

    def bars_of(self, opening: str, closing: str, func: str, depth: int) -> ast.expr:
        start = self.take().start
        counted = opening in self.bars
        self.bars[opening] = self.bars.get(opening, 0) + 1
        inner = self.expression(self.deeper(depth))
        self.bars[opening] -= 1
        if not counted:
            del self.bars[opening]
        end = self.expect(closing, f"{closing} to close the {opening} at col "
                                   f"{self.offset + start + 1}").end
        return _call(func, [inner], start, end)

    def command(self, depth: int) -> ast.expr:
        tok = self.take()
        name = tok.text[1:]
        if name in GREEK:
            if name == "sigma" and self._free("sigma") and (self.names is not None or
                                                            self.peek.text == "("):
                return self.apply("sigmoid", tok, depth)
            return self.subscripted(self.pick(GREEK[name]), tok.start, tok.end)
        if name == "pi":
            return _name("pi", tok.start, tok.end)
        if name in FUNCTION_COMMANDS:
            return self.apply(FUNCTION_COMMANDS[name], tok, depth)
        if name in ("frac", "dfrac", "tfrac"):
            top = self.script(self.deeper(depth))
            bottom = self.script(self.deeper(depth))
            return _at(ast.BinOp(left=top, op=ast.Div(), right=bottom), tok.start,
                       bottom.end_col_offset)
        if name == "sqrt":
            return self.root(tok, depth)
        if name in FONTS:
            return self.font(tok, depth)
        if name == "begin":
            return self.matrix(tok, depth)
        if name in ("nabla", "partial"):
            raise self.fail(f"{tok.text} is the left side of an answer (\\nabla_x f = ...), "
                            f"not part of it", tok.start)
        raise self.fail(f"{tok.text} is not a command this reader knows (expected a function "
                        f"such as \\exp, a Greek letter, \\frac, \\sqrt, \\cdot, ^\\top ...)",
                        tok.start)

    def pick(self, candidates: tuple[str, ...]) -> str:
        if self.names is not None:
            for c in candidates:
                if c in self.names:
                    return c
        return candidates[0]

    def subscripted(self, ident: str, start: int, end: int) -> ast.expr:
        """A name with an optional subscript: ``z_1`` (``z1`` or ``z_1``, whichever is
        declared), ``w_{1,0}`` an entry of a declared matrix."""
        node = _name(ident, start, end)
        if self.peek.text != "_":
            return node
        self.take()
        if self.peek.text == "{":
            opening = self.take()
            parts, stop = [], None
            while self.peek.text != "}":
                if self.peek.kind == "end":
                    self.expected(f"}} to close the {{ at col {self.offset + opening.start + 1}")
                parts.append(self.take())
            stop = self.take().end
        else:
            tok = self.take()
            if tok.kind not in ("num", "word", "cmd"):
                raise self.fail("expected a subscript after _", tok.start)
            if tok.kind != "cmd" and len(tok.text) > 1:       # x_12: the 1 only, as TeX
                self.i -= 1
                self.tokens[self.i] = Token(tok.kind, tok.text[1:], tok.start + 1, tok.end)
                tok = Token(tok.kind, tok.text[0], tok.start, tok.start + 1)
            parts, stop = [tok], tok.end
        texts = [p.text for p in parts]
        if ident in self.matrices and len(texts) == 3 and texts[1] == "," and \
                all(t.isdigit() for t in texts[::2]):
            index = _at(ast.Tuple(elts=[_number(t, p.start, p.end) for t, p in
                                        zip(texts[::2], parts[::2])], ctx=ast.Load()),
                        parts[0].start, parts[-1].end)
            return _at(ast.Subscript(value=node, slice=index, ctx=ast.Load()), start, stop)
        sub = "".join(GREEK[t[1:]][0] if t[1:] in GREEK else t for t in texts)
        if not re.fullmatch(r"[A-Za-z0-9]+", sub):
            raise self.fail(f"subscript {''.join(texts)!r}: expected letters or digits "
                            f"(a name such as x_1)", parts[0].start if parts else stop)
        for candidate in (ident + sub, f"{ident}_{sub}"):
            if self.names is not None and candidate in self.names:
                return _name(candidate, start, stop)
        return _name(ident + sub, start, stop)

    def word(self, tok: Token, depth: int) -> ast.expr:
        """A run of letters: the declared names, functions and constants it is made of, longest
        first; single letters otherwise (``xy`` is x times y, as on paper)."""
        text, pos = tok.text, 0
        known = set(FUNCTION_WORDS) | set(CONSTANT_WORDS) | (self.names or set())
        pieces = []
        while pos < len(text):
            size = next((k for k in range(len(text) - pos, 0, -1)
                         if text[pos:pos + k] in known), 1)
            pieces.append((text[pos:pos + size], tok.start + pos, tok.start + pos + size))
            pos += size
        node = None
        for k, (piece, start, end) in enumerate(pieces):
            last = k == len(pieces) - 1
            if piece in FUNCTION_WORDS and (self.names is None or piece not in self.names):
                if not last:
                    raise self.fail(f"{text}: the function {piece} needs its argument after "
                                    f"it", start)
                factor = self.apply(piece, Token("word", piece, start, end), depth)
            elif last:
                factor = self.subscripted(piece, start, end)
            else:
                factor = _name(piece, start, end)
            node = factor if node is None else _binop(node, ast.Mult, factor)
        return node

    def apply(self, func: str, tok: Token, depth: int) -> ast.expr:
        """A function and its argument: ``\\exp(x)``, ``\\log_2 x``, ``\\sin^2 x``, ``\\max(a,
        b)``; without parentheses, the factors up to the next sign or function."""
        depth = self.deeper(depth)
        base = exponent = None
        if self.peek.text == "_" and func == "log":
            self.take()
            base = self.script(depth)
        if self.peek.text in ("^", "**"):
            self.take()
            exponent = self.script(depth, signed=True)
        if self.peek.text == "(":
            opening = self.take()
            args = [self.expression(depth)]
            while self.peek.text == ",":
                self.take()
                args.append(self.expression(depth))
            end = self.expect(")", f") to close the ( at col {self.offset + opening.start + 1}").end
        else:
            if not self.starts_factor(self.peek):
                self.expected(f"the argument of {tok.text}")
            args = [self.power(depth)]
            while self.starts_factor(self.peek) and not self.is_function(self.peek):
                args[0] = _binop(args[0], ast.Mult, self.power(depth))
            end = args[0].end_col_offset
        if base is not None:
            args.append(base)
        node = _call(func, args, tok.start, end)
        if exponent is not None:
            node = _binop(node, ast.Pow, exponent)
        return node

    def is_function(self, tok: Token) -> bool:
        if tok.kind == "cmd":
            return tok.text[1:] in FUNCTION_COMMANDS or tok.text[1:] == "operatorname"
        return tok.kind == "word" and tok.text in FUNCTION_WORDS and self._free(tok.text)

    def root(self, tok: Token, depth: int) -> ast.expr:
        depth = self.deeper(depth)
        index = None
        if self.peek.text == "[":
            self.take()
            index = self.expression(depth)
            self.expect("]", "] to close the root's index")
        radicand = self.script(depth)
        if index is None:
            return _call("sqrt", [radicand], tok.start, radicand.end_col_offset)
        one = _at(ast.Constant(value=1), tok.start, tok.start)
        return _at(ast.BinOp(left=radicand, op=ast.Pow(),
                             right=_at(ast.BinOp(left=one, op=ast.Div(), right=index),
                                       index.col_offset, index.end_col_offset)),
                   tok.start, radicand.end_col_offset)

    def font(self, tok: Token, depth: int) -> ast.expr:
        """``\\mathbf{X}``, ``\\boldsymbol{\\beta}``: the name inside; ``\\operatorname{tr}``:
        the function."""
        if self.peek.text != "{":
            return self.script(self.deeper(depth))
        if self.ahead().kind == "word" and self.ahead(2).text == "}":
            self.take()
            word = self.take()
            end = self.take().end
            if word.text in FUNCTION_WORDS and self._free(word.text):
                return self.apply(word.text, Token("word", word.text, tok.start, end), depth)
            if tok.text == "\\operatorname":
                raise self.fail(f"unknown function {word.text!r}", word.start)
            return self.subscripted(word.text, word.start, word.end)
        return self.group(self.deeper(depth))

    def matrix(self, tok: Token, depth: int) -> ast.expr:
        env = self.environment_name()
        depth = self.deeper(depth)
        rows, row = [], [self.expression(depth)]
        while True:
            if self.peek.text == "&":
                self.take()
                row.append(self.expression(depth))
            elif self.peek.text == "\\\\":
                self.take()
                rows.append(row)
                if self.peek.text == "\\end":
                    break
                row = [self.expression(depth)]
            elif self.peek.text == "\\end":
                rows.append(row)
                break
            else:
                self.expected(f"&, \\\\ or \\end{{{env}}}")
        end_tok = self.take()
        if self.environment_name() != env:
            raise self.fail(f"\\end{{{env}}} expected", end_tok.start)
        node = _at(ast.List(elts=[_at(ast.List(elts=r, ctx=ast.Load()), r[0].col_offset,
                                      r[-1].end_col_offset) for r in rows], ctx=ast.Load()),
                   tok.start, self.tokens[self.i - 1].end)
        return node

    def environment_name(self) -> str:
        self.expect("{", "{ after \\begin or \\end")
        word = self.take()
        self.expect("}")
        if word.text not in MATRIX_ENVIRONMENTS:
            raise self.fail(f"environment {word.text!r}: expected one of "
                            f"{', '.join(sorted(MATRIX_ENVIRONMENTS))}", word.start)
        return word.text


def _is_minus_one(node: ast.AST) -> bool:
    return isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and \
        isinstance(node.operand, ast.Constant) and node.operand.value == 1


# ---------------------------------------------------------------------- ^ in ASCII

def carets_as_powers(text: str, names: Container[str] | None = None) -> tuple[str, list[int]]:
    """ASCII text with ``^`` read as ``**`` and ``X^T`` as ``X.T`` (when no ``T`` is declared):
    the text for Python's parser and, for each of its columns, the column in ``text``."""
    if "^" not in text:
        return text, list(range(len(text) + 1))
    out, cols = [], []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "^":
            if text[i + 1:i + 2] == "T" and not re.match(r"\w", text[i + 2:i + 3]) and \
                    (names is None or "T" not in names):
                out.append(".T")
                cols += [i, i + 1]
                i += 2
                continue
            out.append("**")
            cols += [i, i]
        else:
            out.append(ch)
            cols.append(i)
        i += 1
    cols.append(len(text))
    return "".join(out), cols


def restore_columns(tree: ast.AST, cols: list[int]) -> None:
    """Columns of a tree parsed from :func:`carets_as_powers`'s text, put back in the text
    the user wrote."""
    for node in ast.walk(tree):
        for attr in ("col_offset", "end_col_offset"):
            if getattr(node, attr, None) is not None:
                setattr(node, attr, cols[min(getattr(node, attr), len(cols) - 1)])


__all__ = ["carets_as_powers", "is_latex", "read_latex", "restore_columns", "tokenize"]
