"""Without PyTorch (the optional ``torch`` extra): the NumPy parts import and work, and a
torch-only part says in one line how to install it. PyTorch is hidden in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = r"""
import json, sys
sys.modules["torch"] = None            # as if PyTorch were not installed
import numpy as np
out = {}
from infoplane import capacity, discrete, samplers, spectrum, benchmark  # noqa: F401
from infoplane import estimators as est
rng = np.random.default_rng(0)
x = rng.normal(size=(400, 2)); y = x[:, :1] + rng.normal(size=(400, 1))
lab = (y[:, 0] > 0).astype(int)
out["mmi"] = capacity.mmi([3.0, 2.0, 1.0], 2, budget=1.0)
out["ksg"] = est.KSG().estimate(x, y)
out["gauss"] = est.Gaussian().estimate(x, y)
out["kde"] = est.KDE().estimate(x, lab)
out["kde_numpy"] = est.KDE(backend="numpy").estimate(x, lab)
out["binning"] = est.Binning().estimate(x, lab)
for name in ("infoplane.recorder", "infoplane.training", "infoplane.models",
             "infoplane.estimators.neural"):
    try:
        __import__(name)
        out[name] = "imported"
    except ImportError as exc:
        out[name] = str(exc)
print(json.dumps(out))
"""


def test_numpy_parts_work_and_torch_parts_say_how_to_install() -> None:
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["mmi"] > 0 and out["ksg"] > 0 and out["gauss"] > 0 and out["binning"] > 0
    assert out["kde"] == out["kde_numpy"]  # the torch default runs the NumPy blocks
    for name in ("infoplane.recorder", "infoplane.training", "infoplane.models",
                 "infoplane.estimators.neural"):
        msg = out[name]
        assert msg.startswith(f"`{name}` needs PyTorch"), msg
        assert "pip install 'infoplane[torch]'" in msg and "\n" not in msg
