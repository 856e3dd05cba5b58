"""Checking gradients written as code: a hand ``grad`` function, the ``backward`` of a
``torch.autograd.Function``, or the gradients autograd computes through an ``nn.Module``.

    >>> import numpy as np, workbench
    >>> r = workbench.check_gradient(lambda b: np.sum(b ** 2), (np.ones(3),),
    ...                              grad=lambda b: 2 * b)
    >>> bool(r)
    True
"""

from __future__ import annotations

from workbench.lazy import lazy_exports

# public name: the module of this package that defines it (loaded on first use: the
# ``check-code`` verb is registered without importing torch)
_EXPORTS = {"check_gradient": "gradient", "assert_gradient_code": "gradient",
            "CodeResult": "result", "CodeError": "inputs", "CodeSettings": "check",
            "gradcheck": "dropin", "GradcheckError": "dropin",
            "check_precision": "precision", "PrecisionResult": "precision_result"}

__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
