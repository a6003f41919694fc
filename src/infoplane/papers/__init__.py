"""The paper reproduction: each paper's claims, experiments and analyses' runs.

``infoplane.papers.mmi`` holds the claims of the maximum-mutual-information paper,
``infoplane.papers.interpretation`` those of the interpretation paper with the experiments and
analysis runs behind them. Each claim is declared beside its function with
:func:`infoplane.reproduce.registry.claim`; :mod:`infoplane.reproduce` runs them and writes the
report. The library (capacity, spectrum, discrete, estimators, samplers, recorder, store, plane,
datasets, models, training, analysis, plotting) never imports this package.
"""
