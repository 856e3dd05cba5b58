"""The grouped graph: each node one function with its sign changes and constant shifts or scales
folded in, as the course's figure draws ``-ln(1/(1 + e^(-a x)))``:

    elementary:  a*x -> -v1 -> exp(v2) -> 1 + v3 -> 1/v4 -> log(v5) -> -v6
    grouped:     a*x -> exp(-v1) -> 1/(1 + v2) -> -log(v3)

A *decoration* is an elementwise step with one operand in the graph that only changes sign or
adds, subtracts, multiplies or divides by a constant. It joins the operation that reads it when
that operation has no other operand in the graph, else the one it reads when nothing else reads
that; a grouped node keeps at most one operation that is not a decoration, and hides no value
that another node needs. The local partial of a grouped node is the product of its steps'
partials (the chain rule inside the node), so adjoints and gradients do not change.
"""

from __future__ import annotations

from workbench.trace.graph import PREV, Const, Graph, Node, Step, fresh_prefix, label
from workbench.trace.ops import OPS

_SHIFTS = ("add", "sub", "mul")


def _node_slots(node: Node) -> list[int]:
    return [a for a in node.steps[0].args if isinstance(a, int)]


def is_decoration(node: Node) -> bool:
    """A sign change, or a shift or scale by a constant, of a single node."""
    step = node.steps[0]
    if len(node.steps) != 1 or step.op not in OPS or len(_node_slots(node)) != 1:
        return False
    return step.op == "neg" or step.op in _SHIFTS or \
        (step.op == "div" and isinstance(step.args[1], Const))


def _elementwise(node: Node) -> bool:
    return all(s.op in OPS for s in node.steps)


def group(graph: Graph) -> Graph:
    """The grouped view of an elementary graph (see the module docstring)."""
    nodes = graph.nodes
    chain: dict[int, list[int]] = {n.index: [n.index] for n in nodes if not n.is_input}

    def cores(members: list[int]) -> int:
        return sum(not is_decoration(nodes[i]) for i in members)

    def merge(first: list[int], second: list[int]) -> None:
        joined = first + second
        for i in joined:
            chain[i] = joined

    for d in (n for n in nodes if not n.is_input and is_decoration(n)):
        mine = chain[d.index]
        readers = graph.consumers[d.index]
        if graph.uses(d.index) == 1:
            c = nodes[readers[0]]
            if _elementwise(c) and len(_node_slots(c)) == 1 and chain[c.index] == [c.index] \
                    and cores(mine) + cores([c.index]) <= 1:
                merge(mine, [c.index])
                continue
        p = _node_slots(nodes[mine[0]])[0]
        theirs = chain.get(p)
        if theirs and theirs[-1] == p and graph.uses(p) == 1 and \
                all(_elementwise(nodes[i]) for i in theirs) and cores(theirs + mine) <= 1:
            merge(theirs, mine)
    return _rebuild(graph, chain)


def _rebuild(graph: Graph, chain: dict[int, list[int]]) -> Graph:
    chains = sorted({tuple(c) for c in chain.values()}, key=lambda c: c[-1])
    inputs = list(graph.inputs)
    order = [n.index for n in inputs] + [c[-1] for c in chains]
    new_index = {old: k for k, old in enumerate(order)}
    taken = {n.name for n in inputs}
    prefix = fresh_prefix(len(chains), taken)
    out: dict[int, Node] = {new_index[n.index]: Node(new_index[n.index], n.name, n.shape)
                            for n in inputs}
    for k, members in enumerate(chains):
        steps = []
        for pos, old in enumerate(members):
            step = graph.nodes[old].steps[0]
            if pos == 0:
                args = tuple(new_index[a] if isinstance(a, int) else a for a in step.args)
            else:
                args = tuple(PREV if a == members[pos - 1] else a for a in step.args)
            steps.append(Step(step.op, args))
        index = new_index[members[-1]]
        text, tex, _ = label(steps, out)
        out[index] = Node(index, f"{prefix}{k + 1}", graph.nodes[members[-1]].shape,
                          tuple(steps), text, tex)
    return Graph(graph.text, tuple(out[i] for i in range(len(order))), grouped=True)
