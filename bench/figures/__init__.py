"""Figures derived from measured numbers: summaries and their intervals, paired ratios,
verdict statistics, extrapolated training times, what a noise record says.

A leaf layer: pure functions of numbers and result documents, imported by measurement,
output and the sessions alike; it imports nothing of theirs.
"""
