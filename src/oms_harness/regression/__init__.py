"""Is this release slower than the last one? Baselines, comparisons, drift.

A single load run cannot answer that question on a noisy machine, so the answer is a
comparison of two runs (stored, or interleaved in one run) with confidence intervals that
respect the autocorrelation between one-second intervals, and a minimum effect size that
keeps a significant but trivial change from failing. See ``stats.py`` for the method.
"""
