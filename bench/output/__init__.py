"""Output: results files and their schema, tables, plots, reports, comparisons."""
