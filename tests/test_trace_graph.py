"""The computational graph: built from the text as typed, shared subexpressions as one node,
the course's grouping, every whitelisted function covered, hostile text refused."""

import pytest
import sympy

from workbench.errors import ParseError, ShapeError, UnsupportedExpression, UserError
from workbench.expr import FUNCTIONS, Variable
from workbench.trace import build_graph, group
from workbench.trace.graph import tex_name
from workbench.trace.matrix import MATRIX_FUNCTIONS
from workbench.trace.ops import FUNCTION_OPS, OPS

COURSE = "-log(1/(1 + exp(-a*x)))"
AX = [Variable.scalar("a"), Variable.scalar("x")]


def ops_of(graph):
    return [n.text for n in graph.nodes if not n.is_input]


def test_course_graph_keeps_what_was_typed_not_sympys_canonical_form():
    # SymPy would give log(1 + exp(-a*x)): no 1/..., no outer minus.
    g = build_graph(COURSE, AX)
    assert [n.name for n in g.inputs] == ["a", "x"]
    assert ops_of(g) == ["a*x", "-v1", "exp(v2)", "1 + v3", "1/v4", "log(v5)", "-v6"]
    assert g.spelled_out()[0] == COURSE


def test_course_grouping_is_the_courses_chain():
    g = group(build_graph(COURSE, AX))
    assert ops_of(g) == ["a*x", "exp(-v1)", "1/(1 + v2)", "-log(v3)"]
    assert [s.op for s in g.nodes[-1].steps] == ["log", "neg"]
    assert g.grouped and g.spelled_out()[0] == COURSE


def test_shared_subexpression_is_one_node_with_fan_out():
    g = build_graph("x*exp(x)", [Variable.scalar("x")])
    x = g.node("x")
    assert len(g.consumers[x.index]) == 2
    g = build_graph("(y - X@beta).T@(y - X@beta)",
                    [Variable.matrix("X", "n", "p"), Variable.matrix("y", "n", 1),
                     Variable.matrix("beta", "p", 1)], {"n": 3, "p": 2})
    assert ops_of(g) == ["X @ beta", "y - v1", "v2.T", "v3 @ v2"]
    assert len(g.consumers[g.node("v2").index]) == 2


def test_minus_binds_like_mathematics_and_constants_fold():
    xy = [Variable.scalar("x"), Variable.scalar("y")]
    assert ops_of(build_graph("-x*y", xy)) == ["x*y", "-v1"]
    assert ops_of(build_graph("-2*x", xy)) == ["-2*x"]
    assert ops_of(build_graph("x*3/10", xy)) == ["x*3", "v1/10"]
    assert ops_of(build_graph("x + log(2)*pi", xy)) == ["x + log(2)*pi"]
    assert ops_of(build_graph("2**-x", xy)) == ["-x", "2**v1"]
    assert ops_of(build_graph("a - (b - c)", [Variable.scalar(n) for n in "abc"])) == \
        ["b - c", "a - v1"]


def test_grouping_folds_decorations_only_where_no_value_is_lost():
    x = [Variable.scalar("x"), Variable.scalar("y")]
    assert ops_of(group(build_graph("(1 - x)**2 + 100*(y - x**2)**2", x))) == \
        ["(1 - x)**2", "x**2", "y - v2", "100*v3**2", "v1 + v4"]
    # -x is read twice: folding it into either reader would hide a value the other needs.
    assert ops_of(group(build_graph("exp(-x) + sin(-x)", x))) == \
        ["-x", "exp(v1)", "sin(v1)", "v2 + v3"]


def test_dimension_names_are_constants_with_their_size():
    vs = [Variable.matrix("X", "n", "p"), Variable.matrix("y", "n", 1),
          Variable.matrix("beta", "p", 1)]
    g = build_graph("sum((X@beta - y)**2)/n", vs, {"n": 3, "p": 2})
    last = g.nodes[-1].steps[0]
    assert last.op == "div" and last.args[1].value == 3 and g.nodes[-1].text == "v4/n"
    with pytest.raises(ShapeError, match="dimension n"):
        build_graph("sum((X@beta - y)**2)/n", vs, {})


def test_every_whitelisted_function_has_a_trace_rule():
    from workbench.trace.build import HAND_ONLY
    assert set(FUNCTIONS) <= set(FUNCTION_OPS) | set(MATRIX_FUNCTIONS) | {"log", "ln"} | \
        {"softmax"} | set(HAND_ONLY)
    assert set(FUNCTION_OPS.values()) <= set(OPS)


def test_softmax_is_traced_and_hand_only_functions_are_refused_by_name():
    z = [Variable.matrix("z", 3, 1)]
    g = build_graph("sum(softmax(z))", z)
    assert {s.op for n in g.nodes for s in n.steps} >= {"exp", "sum"}
    for name, text in [("diag", "sum(diag(z))"), ("eye", "sum(eye(3)@z)"),
                       ("ones", "sum(ones(3,1))"), ("zeros", "sum(zeros(3,1)+z)")]:
        with pytest.raises(UnsupportedExpression, match=name):
            build_graph(text, z)


@pytest.mark.parametrize("text, error", [
    ("__import__('os').system('true')", ParseError),
    ("x.__class__", ParseError),
    ("9**9**9**9", ParseError),
    ("lambda: 1", ParseError),
    ("foo(x)", ParseError),
    ("3 + 4", UnsupportedExpression),
    ("log(0) + x", ParseError),
])
def test_bad_text_is_refused_with_a_named_error(text, error):
    with pytest.raises(error):
        build_graph(text, [Variable.scalar("x")])


def test_matrix_valued_function_is_refused():
    with pytest.raises(UserError):
        build_graph("X@b", [Variable.matrix("X", 2, 2), Variable.matrix("b", 2, 1)])


def test_tex_names():
    assert tex_name("beta") == r"\beta" and tex_name("v12") == "v_{12}"
    assert tex_name("x_1") == r"\mathit{x\_1}" and tex_name("x") == "x"
    assert sympy.latex(sympy.Symbol("x")) == tex_name("x")
