"""Claims, experiments and analysis runs of the interpretation paper."""
