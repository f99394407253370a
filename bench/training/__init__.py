"""Training: `slimbench train`'s epochs, prediction, model files and report."""
