"""Measurement: the cross-check, the timing protocol and its statistics, the machine."""
