"""Capacity: the maximum mutual information (MMI) an architecture can carry (MMI paper).

Closed forms (NumPy only, fast to import):

* :func:`mmi`, :func:`breakpoints`, :func:`water_filling`, :func:`mmi_derivative`,
  :func:`breakpoint_continuity`, :func:`mmi_approx`, :func:`mmi_approx_error`
* :func:`optimal_weights`, :func:`linear_mi`
* :func:`series`, :func:`parallel`, :func:`chain`, :func:`concat`, :class:`Branch`
* planning: :func:`min_budget`, :func:`min_width`, :func:`quality_loss_bound`,
  :func:`delta_tv_bound`
* :func:`spectrum` (covariance spectra from data)

Torch-based, imported on first use: :func:`of_model` (a real ``nn.Module``), :func:`numeric_mmi`
(a gradient optimiser for any linear map, convolutions included), :func:`circular_conv_mmi`.
"""

from __future__ import annotations

from infoplane._lazy import lazy_getattr
from infoplane.capacity.compose import Branch, CapacityBound, chain, concat, parallel, series
from infoplane.capacity.planning import (
    delta_tv_bound,
    min_budget,
    min_width,
    quality_loss_bound,
)
from infoplane.capacity.waterfill import (
    CLOSED_FORM_ACTIVATIONS,
    BreakpointContinuity,
    WaterFilling,
    breakpoint_continuity,
    breakpoints,
    mmi,
    mmi_approx,
    mmi_approx_error,
    mmi_derivative,
    water_filling,
)
from infoplane.capacity.weights import linear_mi, optimal_weights

_LAZY = {
    "spectrum": "infoplane.spectrum",
    "of_model": "infoplane.capacity.architecture",
    "CapacityReport": "infoplane.capacity.architecture",
    "LayerInfo": "infoplane.capacity.architecture",
    "numeric_mmi": "infoplane.capacity.numeric",
    "NumericResult": "infoplane.capacity.numeric",
    "circular_conv_mmi": "infoplane.capacity.numeric",
    "numeric_mmi_matrices": "infoplane.capacity.numeric",
    "module_matrix": "infoplane.capacity.numeric",
    "optimal_circular_kernel": "infoplane.capacity.numeric",
    "power_spectrum": "infoplane.capacity.numeric",
    "circulant_covariance": "infoplane.capacity.numeric",
}


__getattr__ = lazy_getattr("infoplane.capacity", _LAZY)


__all__ = [
    "CLOSED_FORM_ACTIVATIONS",
    "Branch",
    "BreakpointContinuity",
    "CapacityBound",
    "CapacityReport",
    "LayerInfo",
    "NumericResult",
    "WaterFilling",
    "breakpoint_continuity",
    "breakpoints",
    "chain",
    "circulant_covariance",
    "circular_conv_mmi",
    "concat",
    "delta_tv_bound",
    "linear_mi",
    "min_budget",
    "min_width",
    "mmi",
    "mmi_approx",
    "mmi_approx_error",
    "mmi_derivative",
    "module_matrix",
    "numeric_mmi",
    "numeric_mmi_matrices",
    "of_model",
    "optimal_circular_kernel",
    "optimal_weights",
    "parallel",
    "power_spectrum",
    "quality_loss_bound",
    "series",
    "spectrum",
    "water_filling",
]
