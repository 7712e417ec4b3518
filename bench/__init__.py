"""Benchmarks of flow168 (`make bench`): bare Temporal baseline, the provider-admission lifecycle, the inbox query.

Figures are recorded in docs/benchmarks.md.
"""
