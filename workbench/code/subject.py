"""The code under check: the user's function (torch or numpy), its inputs, and the gradient
being checked.

Three kinds, one interface (:class:`Code`):

- ``hand``: ``grad(*args)`` returns one gradient per input of a scalar ``fn`` (one array for a
  single differentiated input); for an ``fn`` with several output elements ``grad`` takes the
  cotangent(s) as extra last argument(s) and returns the vector-Jacobian product(s);
- ``function``: ``fn`` is ``SomeFunction.apply`` of a ``torch.autograd.Function``: its
  ``backward`` is the subject, reached through ``torch.autograd.grad``;
- ``module``: an ``nn.Module`` (or any torch callable with ``grad=None``): the gradients that
  autograd computes through it (custom Functions and backward hooks inside), for every input
  and parameter, of the loss ``<cotangent, output>``.

Every value passes through :meth:`Code.call` as a point (name -> tensor, float64 or complex128)
and is converted to the backend the user's example had (torch tensor, numpy array, number).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import torch

from workbench.code.inputs import CodeDomain, CodeError, InputPlan, Slot, labels_count
from workbench.code.promote import Promote, dtype_clash

COTANGENT = "cotangent{}"
"""Name of the i-th output's cotangent in a point."""


def _function_class(fn) -> type | None:
    owner = getattr(fn, "__self__", None)
    if isinstance(owner, type) and issubclass(owner, torch.autograd.Function) \
            and getattr(fn, "__name__", "") == "apply":
        return owner
    return None


def _names(fn, count: int) -> list[str]:
    """Parameter names of ``fn`` for ``count`` positional inputs (``x0``, ``x1`` ... beyond)."""
    target = fn
    cls = _function_class(fn)
    if cls is not None:
        target = cls.forward
    elif isinstance(fn, torch.nn.Module):
        target = fn.forward
    try:
        params = [p for p in inspect.signature(target).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    names = [p.name for p in params]
    if cls is not None and names:
        names = names[1:]                       # ctx
    names = names[:count]
    return names + [f"x{i}" for i in range(len(names), count)]


def _backend(value, where: str) -> tuple[str, str, tuple[int, ...], np.ndarray]:
    if isinstance(value, torch.Tensor) and value.layout != torch.strided:
        raise CodeError(f"a {value.layout} tensor is not supported; pass .to_dense() and "
                        f"rebuild the layout inside fn", where)
    if isinstance(value, torch.Tensor) and value.is_complex():
        raise CodeError("complex inputs are not supported; pass the real and imaginary parts "
                        "as two real tensors and build the complex one inside fn", where)
    if isinstance(value, torch.Tensor):
        dtype = str(value.dtype).removeprefix("torch.")
        array = value.detach().cpu()
        array = array.double() if value.is_floating_point() else array.long()
        return "torch", dtype, tuple(value.shape), array.numpy()
    if isinstance(value, (np.ndarray, np.generic)):
        a = np.asarray(value)
        if a.dtype.kind == "f":
            return "numpy", str(a.dtype), a.shape, a.astype(np.float64)
        if a.dtype.kind in "iub":
            return "numpy", str(a.dtype), a.shape, a.astype(np.int64)
    elif isinstance(value, (bool, int, float)):
        dtype = "float64" if isinstance(value, float) else "int64"
        return "python", dtype, (), np.asarray(value, dtype=dtype)
    raise CodeError(f"expected a torch tensor, a numpy array or a number, got "
                    f"{type(value).__name__}", where)


def _domains(domain, names: Sequence[str]) -> dict[str, str]:
    if domain is None:
        return {}
    if isinstance(domain, str):
        return {n: domain for n in names}
    if isinstance(domain, Mapping):
        unknown = [k for k in domain if k not in names]
        if unknown:
            raise CodeError(f"unknown input(s) {', '.join(map(str, unknown))}; inputs are "
                            f"{', '.join(names)}", "domain")
        return dict(domain)
    if isinstance(domain, (list, tuple)) and len(domain) <= len(names):
        return {n: d for n, d in zip(names, domain) if d is not None}
    raise CodeError("expected a domain word, a dict {input: domain} or one domain per input, "
                    f"got {domain!r:.60}", "domain")


def _slot(name, position, value, domain_text, wrt) -> Slot:
    backend, dtype, shape, example = _backend(value, f"input {name}")
    is_float = dtype.startswith(("float", "bfloat"))
    if domain_text is not None:
        domain = CodeDomain.parse(domain_text, f"domain of {name}")
    elif is_float:
        domain = CodeDomain()
    elif dtype != "bool":
        domain = CodeDomain("labels", classes=labels_count(example))
    else:
        domain = CodeDomain("fixed")
    if domain.kind == "labels" and domain.classes == 0:
        domain = CodeDomain("labels", classes=labels_count(example))
    if domain.kind == "spd" and (len(shape) < 2 or shape[-1] != shape[-2]):
        raise CodeError(f"spd needs square matrices, the example is {shape}", f"domain of {name}")
    if domain.kind == "labels" and is_float:
        raise CodeError("labels need an integer example", f"domain of {name}")
    if domain.kind not in ("fixed", "labels") and not is_float:
        raise CodeError(f"domain {domain} needs a float example, got {dtype}", f"domain of {name}")
    return Slot(name, position, backend, dtype, shape, domain,
                is_float and (wrt is None or name in wrt), example)


@dataclass
class Code:
    """The user's code, ready to run on points. ``kind``: hand, function or module."""

    fn: Callable
    kind: str
    plan: InputPlan
    grad: Callable | None = None
    module: torch.nn.Module | None = None
    device: torch.device = torch.device("cpu")
    title: str = ""
    differentiable: set[int] | None = None
    """Outputs torch differentiates (None: all); found at the example (:meth:`find_outputs`)."""
    scalar_example: bool | None = None
    """A hand gradient's example output is a single element (set by :meth:`find_outputs`)."""
    promote: bool = False
    """Closed-over lower-precision tensors are promoted in float64 runs
    (:mod:`workbench.code.promote`; set by :meth:`call` after a dtype refusal)."""

    @property
    def autograd_is_reference(self) -> bool:
        """Torch autograd of the forward is an independent reference only for a hand gradient
        of code without custom backward (which :func:`references` checks at the example)."""
        return self.kind == "hand" and _function_class(self.fn) is None

    @property
    def wrt(self) -> list[str]:
        return [s.name for s in self.plan.slots if s.differentiated]

    @property
    def label(self) -> str:
        if self.title:
            return self.title
        if self.kind == "function":
            return f"{_function_class(self.fn).__name__}.backward"
        if self.kind == "hand":
            return getattr(self.grad, "__qualname__", None) or type(self.grad).__name__
        return f"autograd through {getattr(self.fn, '__qualname__', type(self.fn).__name__)}"

    # ------------------------------------------------------------ running the user's code
    def _arg(self, slot: Slot, value: torch.Tensor, native: bool):
        if slot.backend == "torch":
            if native and not value.is_complex() and slot.is_float:
                return value.to(getattr(torch, slot.dtype))
            return value
        array = value.detach().cpu().numpy()
        if native and slot.is_float and not np.iscomplexobj(array):
            array = array.astype(slot.dtype if slot.backend == "numpy" else np.float64)
        if slot.backend == "python":
            return array.item()
        return array

    def arguments(self, point: Mapping[str, torch.Tensor], native: bool = False):
        """Positional arguments and module parameters for ``point`` (``native``: in the
        example's dtypes instead of float64)."""
        args, params = [], {}
        for s in self.plan.slots:
            value = point[s.name] if s.name in point else _tensor(s.example, self.device)
            if s.position is None:
                params[s.name] = self._arg(s, value, native)
            else:
                args.append(self._arg(s, value, native))
        return args, params

    def call(self, point: Mapping[str, torch.Tensor], native: bool = False
             ) -> tuple[torch.Tensor, ...]:
        """The outputs of the code at ``point``, as torch tensors (float64, or what the code
        returned). Where torch refuses to mix float64 with a lower precision the code closed
        over, the call is retried, and later ones made, under
        :class:`~workbench.code.promote.Promote`."""
        if self.promote:
            with Promote():
                return self._call(point, native)
        try:
            return self._call(point, native)
        except Exception as exc:
            if native or not dtype_clash(exc) or not any(
                    torch.is_tensor(v) and v.dtype == torch.float64 for v in point.values()):
                raise
            try:
                with Promote():
                    outs = self._call(point, native)
            except Exception:
                raise exc from None
            self.promote = True
            return outs

    def _call(self, point: Mapping[str, torch.Tensor], native: bool
              ) -> tuple[torch.Tensor, ...]:
        args, params = self.arguments(point, native)
        if self.module is not None:
            out = torch.func.functional_call(self.module, params, tuple(args))
        else:
            out = self.fn(*args)
        outs = outputs(out, self.device)
        if any(o.is_complex() for o in outs) and not any(
                torch.is_tensor(v) and v.is_complex() for v in point.values()):
            # a complex output of real inputs is its real and imaginary parts (as gradcheck)
            outs = tuple(torch.view_as_real(o.resolve_conj()) if o.is_complex() else o
                         for o in outs)
        return outs

    def takes_cotangent(self, outs) -> bool:
        """Whether the outputs are weighted by drawn cotangents: always for torch code (a
        backward must scale with ``grad_output``, a single-element output's too); for a hand
        gradient, unless the example's output is a single element (a scalar function's
        gradient takes none), whatever the size drawn."""
        if self.kind != "hand":
            return True
        if self.scalar_example is None:
            self.scalar_example = len(outs) == 1 and outs[0].numel() == 1
        return not self.scalar_example

    def used(self, outs) -> list[int]:
        """The outputs whose gradients are checked: every float output, less those torch says
        are not differentiable (not requiring grad while another output does, as
        ``gradcheck`` skips them: a ``mean``/``rstd`` beside a normalisation's result)."""
        floats = [i for i, o in enumerate(outs) if o.is_floating_point() or o.is_complex()]
        if self.differentiable is not None:
            kept = [i for i in floats if i in self.differentiable]
            return kept or floats
        return floats

    def parts(self, point: Mapping[str, torch.Tensor], outs) -> list[torch.Tensor]:
        """The terms ``cotangent_i * output_i`` of the scalar, one tensor per output checked
        (a single-element output of a hand-checked scalar function: itself)."""
        if unweighted(point, outs):
            return [outs[0].reshape(())]
        return [point[COTANGENT.format(i)].to(outs[i].dtype) * outs[i] for i in self.used(outs)]

    def scalar(self, point: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """``sum_i <cotangent_i, output_i>``: the scalar function whose gradient is checked."""
        return sum(p.sum() for p in self.parts(point, self.call(point)))

    def terms(self, point: Mapping[str, torch.Tensor]) -> tuple[float, float]:
        """The scalar at ``point`` (its real part) and the sum of the absolute values of the
        terms it adds up: the scale of its rounding."""
        with torch.no_grad():
            parts = [p.double() for p in self.parts(point, self.call(point))]
            value = sum(p.sum() for p in parts)
            mag = sum(p.abs().sum() for p in parts)
            return float(value.real if value.is_complex() else value), float(mag)

    def batched_terms(self, points: Mapping[str, torch.Tensor]
                      ) -> tuple[torch.Tensor, torch.Tensor]:
        """:meth:`terms` at many points at once (``torch.func.vmap`` over the leading axis of
        every tensor of ``points``): torch code only; raises where vmap cannot run the code
        (numbers read with ``.item()``, numpy, data-dependent shapes)."""
        if self.kind == "function" or any(s.backend != "torch" for s in self.plan.slots):
            raise TypeError("batched evaluation is for torch code without a custom Function")
        keys = list(points)

        def one(*flat):
            point = dict(zip(keys, flat))
            parts = [p.double() for p in self.parts(point, self.call(point))]
            value = sum(p.sum() for p in parts)
            mag = sum(p.abs().sum() for p in parts)
            return (value.real if value.is_complex() else value), mag

        with torch.no_grad():
            return torch.func.vmap(one)(*(points[k] for k in keys))

    # ------------------------------------------------------------ the gradient under check
    def find_outputs(self, point: Mapping[str, torch.Tensor]) -> list[int]:
        """Record which outputs torch differentiates at ``point`` (torch code only); return
        the float outputs left out."""
        if self.kind == "hand":
            self.takes_cotangent(self.call(point))
            return []
        leaves = {k: leaf(point[k]) for k in self.wrt}
        with torch.enable_grad():
            outs = self.call({**point, **leaves})
        self.differentiable = {i for i, o in enumerate(outs) if o.requires_grad}
        floats = [i for i, o in enumerate(outs) if o.is_floating_point() or o.is_complex()]
        return [i for i in floats if i not in self.used(outs)]

    def subject(self, point: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor | None]:
        """The gradient being checked at ``point``: one tensor (or None) per input of ``wrt``."""
        if self.kind == "hand":
            return self._hand(point)
        leaves = {k: leaf(point[k]) for k in self.wrt}
        with torch.enable_grad():
            pairs = self._pairs(point, self.call({**point, **leaves}))
            if not pairs:
                return {k: None for k in self.wrt}
            grads = torch.autograd.grad([o for o, _ in pairs], [leaves[k] for k in self.wrt],
                                        [v for _, v in pairs], allow_unused=True)
        return {k: _gradient(g) for k, g in zip(self.wrt, grads)}

    def _pairs(self, point, outs) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """(output, cotangent) for each output the gradient under check weights, those that
        require grad."""
        if unweighted(point, outs):
            pairs = [(outs[0].reshape(()), torch.ones((), dtype=outs[0].dtype,
                                                      device=outs[0].device))]
        else:
            pairs = [(outs[i], point[COTANGENT.format(i)].to(outs[i].dtype))
                     for i in self.used(outs)]
        return [(o, v) for o, v in pairs if o.requires_grad]

    def backward_twice(self, point: Mapping[str, torch.Tensor]):
        """Two backward calls through one forward at ``point`` (``backward(retain_graph=True)``
        then ``backward()``, as a training loop accumulating gradients makes them), weighted as
        :meth:`subject` weights its outputs: per input of ``wrt`` the gradient the first left in
        ``.grad`` (float64, dense; None: not reached) and the ``.grad`` tensor after the second
        (as torch left it); None when no output requires grad. Torch code only."""
        leaves = {k: leaf(point[k]) for k in self.wrt}
        with torch.enable_grad():
            pairs = self._pairs(point, self.call({**point, **leaves}))
            if not pairs:
                return None
            # copies: a gradient may alias its cotangent (ravel's is a view of it), and the
            # second backward adds into the first's .grad in place
            outs, cotangents = [o for o, _ in pairs], [v.clone() for _, v in pairs]
            torch.autograd.backward(outs, cotangents, retain_graph=True)
            first = {k: None if x.grad is None else _gradient(x.grad).clone()
                     for k, x in leaves.items()}
            torch.autograd.backward(outs, cotangents)
        return first, {k: x.grad for k, x in leaves.items()}

    def raw_shapes(self, point: Mapping[str, torch.Tensor]) -> dict[str, tuple | None]:
        """The shapes an ``autograd.Function``'s backward returns at ``point``, called
        directly (autograd's engine refuses a wrong shape with an error before any gradient
        can be compared): input name -> shape (None: the backward returned None there)."""
        leaves = {k: leaf(point[k]) for k in self.wrt}
        with torch.enable_grad():
            outs = self.call({**point, **leaves})
        node = next(o.grad_fn for o in outs if o.grad_fn is not None)
        cots = [point[COTANGENT.format(i)].to(o.dtype) if COTANGENT.format(i) in point
                else torch.zeros_like(o) for i, o in enumerate(outs)]
        with torch.no_grad():
            raw = node.apply(*cots)
        raw = raw if isinstance(raw, tuple) else (raw,)
        inputs = [s.name for s in sorted((s for s in self.plan.slots if s.position is not None),
                                         key=lambda s: s.position)]
        return {k: None if g is None else tuple(g.shape)
                for k, g in zip(inputs, raw) if k in self.wrt}

    def _hand(self, point) -> dict[str, torch.Tensor | None]:
        args, _ = self.arguments(point)
        outs = self.call(point)
        if COTANGENT.format(0) in point:
            backend = "torch" if any(s.backend == "torch" for s in self.plan.slots) \
                else "numpy"
            for i in range(len(outs)):
                v = point[COTANGENT.format(i)]
                args.append(v if backend == "torch" else v.detach().cpu().numpy())
        got = self.grad(*args)
        return self._assign(got)

    def _assign(self, got) -> dict[str, torch.Tensor | None]:
        wrt = self.wrt
        inputs = [s.name for s in self.plan.slots if s.position is not None]
        if not isinstance(got, (tuple, list)):
            got = (got,)
        if len(got) == len(wrt):
            named = dict(zip(wrt, got))
        elif len(got) == len(inputs):
            named = {k: g for k, g in zip(inputs, got) if k in wrt}
        else:
            raise CodeError(f"grad returned {len(got)} value(s); expected one per input "
                            f"({len(inputs)}: {', '.join(inputs)}) or one per differentiated "
                            f"input ({len(wrt)}: {', '.join(wrt)})", "grad")
        return {k: None if g is None else _as_float64(g, self.device, f"gradient of {k}")
                for k, g in named.items()}


def _as_float64(value, device, where: str) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value.detach().to(device=device, dtype=torch.float64)
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise CodeError(f"expected an array or a tensor, got {type(value).__name__}",
                        where) from None
    return torch.as_tensor(array, device=device)


def unweighted(point: Mapping[str, torch.Tensor], outs) -> bool:
    """A single-element output without a cotangent: a hand-checked scalar function."""
    return COTANGENT.format(0) not in point and len(outs) == 1 and outs[0].numel() == 1


def leaf(t: torch.Tensor) -> torch.Tensor:
    """A fresh leaf requiring grad with ``t``'s values and memory layout: a non-contiguous
    input stays non-contiguous (``clone`` makes such a view contiguous, and a backward that
    reads its input's memory as if contiguous would go unseen); an overlapping one (an
    expanded view) is cloned."""
    t = t.detach()
    if not t.is_contiguous():
        try:
            out = torch.empty_strided(t.shape, t.stride(), dtype=t.dtype, device=t.device)
            return out.copy_(t).requires_grad_(True)
        except RuntimeError:       # overlapping memory cannot be written entry by entry
            pass
    return t.clone().requires_grad_(True)


def _gradient(g: torch.Tensor | None) -> torch.Tensor | None:
    """A gradient as the check compares it: dense, detached, float64."""
    return None if g is None else _dense(g).detach().to(torch.float64)


def _dense(g: torch.Tensor) -> torch.Tensor:
    """A gradient as a plain strided tensor (torch may hand back a sparse or a lazy zero one)."""
    if g.layout != torch.strided:
        g = g.to_dense()
    if getattr(g, "_is_zerotensor", lambda: False)():
        g = torch.zeros(g.shape, dtype=g.dtype, device=g.device)
    return g


def _tensor(array: np.ndarray, device) -> torch.Tensor:
    return torch.as_tensor(np.asarray(array), device=device)


def outputs(out: Any, device) -> tuple[torch.Tensor, ...]:
    """The code's return value as a tuple of tensors (numpy arrays and numbers converted)."""
    items = out if isinstance(out, (tuple, list)) else (out,)
    result = []
    for o in items:
        if isinstance(o, torch.Tensor):
            result.append(o)
        else:
            try:
                result.append(torch.as_tensor(np.asarray(o), device=device))
            except (TypeError, ValueError, RuntimeError):
                raise CodeError(f"the function returned {type(o).__name__}; expected tensors, "
                                f"arrays or numbers", "fn") from None
    return tuple(result)


def build(fn, inputs, grad=None, domain=None, wrt=None, device="cpu", names=None,
          title: str = "") -> Code:
    """Read ``fn``, ``inputs``, ``grad`` and ``domain`` (see :func:`check_gradient`);
    ``names``: the inputs' names when ``fn``'s signature does not give them."""
    if not callable(fn):
        raise CodeError(f"expected a callable, got {type(fn).__name__}", "fn")
    if isinstance(inputs, (torch.Tensor, np.ndarray, float, int)):
        inputs = (inputs,)
    if not isinstance(inputs, (tuple, list)):
        raise CodeError(f"expected a tuple of example tensors or arrays, got "
                        f"{type(inputs).__name__}", "inputs")
    if grad is not None and not callable(grad):
        raise CodeError(f"expected a callable or None, got {type(grad).__name__}", "grad")
    module = fn if isinstance(fn, torch.nn.Module) and grad is None else None
    kind = "hand" if grad is not None else ("function" if _function_class(fn) else "module")
    if kind == "module" and module is None and not _uses_torch(inputs):
        raise CodeError("grad=None checks the backward of torch code (an autograd.Function's "
                        "apply, an nn.Module); for numpy code give grad=", "grad")
    names = list(names) if names else _names(fn, len(inputs))
    params = dict(module.named_parameters()) if module is not None else {}
    every = names + list(params)
    if wrt is not None:
        wrt = [wrt] if isinstance(wrt, str) else list(wrt)
        unknown = [w for w in wrt if w not in every]
        if unknown:
            raise CodeError(f"unknown input(s) {', '.join(unknown)}; inputs are "
                            f"{', '.join(every)}", "wrt")
    domains = _domains(domain, every)
    slots = [_slot(n, i, v, domains.get(n), wrt) for i, (n, v) in enumerate(zip(names, inputs))]
    for n, p in params.items():
        s = _slot(n, None, p, domains.get(n), wrt)
        slots.append(Slot(s.name, None, s.backend, s.dtype, s.shape, s.domain,
                          s.differentiated and p.requires_grad, s.example))
    if not any(s.differentiated for s in slots):
        raise CodeError("no float input to differentiate", "inputs")
    fixed = {n for s in slots if s.position is None for n in s.shape}
    plan = InputPlan.build(slots, fixed)
    return Code(fn, kind, plan, grad, module, torch.device(device), title)


def _uses_torch(inputs) -> bool:
    return any(isinstance(v, torch.Tensor) for v in inputs)


__all__ = ["COTANGENT", "Code", "build", "leaf", "outputs"]
