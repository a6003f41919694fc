"""Analyses that test the papers' claims: dynamics, margin, bounds, residual, separability."""
