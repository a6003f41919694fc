"""Reusable measurement tools behind the interpretation paper's claims.

``dynamics`` (exact SGD/Langevin recursions, Kramers escapes, exact I(Y;Ỹ) of a classifier),
``margin`` (normalised margins, the hard-margin SVM, the bound terms of Claim 2.2), ``bounds``
(exact I(X;Ỹ) and the right-hand sides of Appendices A–C, binned MI of a Gaussian mixture),
``residual`` (residual blocks, ratios ‖L(x)‖/‖x‖, local Lipschitz constants, fixed-point
inversion) and ``separability`` (PCA + linear SVM / k-NN curves, last-layer features). No
verdicts, figures or training loops: those live in :mod:`infoplane.papers.interpretation`.
"""
