"""Distributions that carry their exact mutual information (the benchmark's ground truth).

Each task is a frozen dataclass with ``sample(n, *, seed) -> (x, y)``, ``mutual_information()``
in nats, a stable ``name`` and its dimensions (``dim_x``, ``dim_y``, ``x_discrete``,
``y_discrete``). The families follow the BMI benchmark (Czyż et al., "Beyond normal: on the
evaluation of mutual information estimators", NeurIPS 2023). NumPy/SciPy only; importing this
package does no sampling and no quadrature.

Examples
--------
>>> from infoplane import samplers
>>> task = samplers.get("normal-dense-3x3-0.5")
>>> x, y = task.sample(1000, seed=0)
>>> x.shape, round(task.mutual_information(), 4)
((1000, 3), 0.4133)
"""

from __future__ import annotations

from infoplane.samplers._base import MAX_SAMPLE_BYTES, Task
from infoplane.samplers.discrete import DISCRETE_TABLES, DiscreteTable
from infoplane.samplers.gaussian import MultivariateNormal, gaussian_mi, gaussian_pair
from infoplane.samplers.highdim import LowRank
from infoplane.samplers.mixtures import (
    BimodalChannel,
    LabelledMixture,
    ZeroInflated,
    bimodal_channel_mi,
    gaussian_mixture_entropy,
    gaussian_mixture_mi,
    sample_gaussian_mixture,
    sample_zero_inflated,
    zero_inflated_mi,
)
from infoplane.samplers.registry import SUITES, get, suite, tasks
from infoplane.samplers.student import StudentT, student_t_correction
from infoplane.samplers.transforms import MAPS, SwissRoll, Transformed, apply_map, spiral
from infoplane.samplers.uniform import (
    AdditiveUniform,
    GaussianUniformNoise,
    uniform_noise_channel_mi,
)

__all__ = [
    "DISCRETE_TABLES",
    "MAPS",
    "MAX_SAMPLE_BYTES",
    "SUITES",
    "AdditiveUniform",
    "BimodalChannel",
    "DiscreteTable",
    "GaussianUniformNoise",
    "LabelledMixture",
    "LowRank",
    "MultivariateNormal",
    "StudentT",
    "SwissRoll",
    "Task",
    "Transformed",
    "ZeroInflated",
    "apply_map",
    "bimodal_channel_mi",
    "gaussian_mi",
    "gaussian_mixture_entropy",
    "gaussian_mixture_mi",
    "gaussian_pair",
    "get",
    "sample_gaussian_mixture",
    "sample_zero_inflated",
    "spiral",
    "student_t_correction",
    "suite",
    "tasks",
    "uniform_noise_channel_mi",
    "zero_inflated_mi",
]
