"""The notebook path: IPython magics and the Python API (run, check, results objects)."""
