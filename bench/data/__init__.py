"""Datasets: readers, the synthetic generator, splits and statistics."""
