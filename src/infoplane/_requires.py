"""Optional dependencies: PyTorch is the ``torch`` extra.

``pip install infoplane`` gives capacity, spectrum, discrete, the classic estimators, samplers
and the benchmark (NumPy/SciPy/scikit-learn only). The recorder, models, training, the neural
estimators and the analyses need PyTorch; importing them without it raises one
:class:`ImportError` line that says how to install it.
"""

from __future__ import annotations

import importlib.util

__all__ = ["TORCH_HINT", "missing_torch", "torch_available"]

#: How to get PyTorch, quoted by every "needs PyTorch" error.
TORCH_HINT = ("install the extra: pip install 'infoplane[torch]' (a CPU-only PyTorch with plain "
              "pip: pip install torch --index-url https://download.pytorch.org/whl/cpu)")


def torch_available() -> bool:
    """Whether PyTorch can be imported (without importing it)."""
    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):  # a stub in sys.modules without a spec
        return False


def missing_torch(what: str) -> ImportError:
    """The one-line error for a part of infoplane that needs PyTorch.

    Examples
    --------
    >>> str(missing_torch("infoplane.recorder")).split(":")[0]
    '`infoplane.recorder` needs PyTorch, which is not installed'
    """
    return ImportError(f"`{what}` needs PyTorch, which is not installed: {TORCH_HINT}.")
