"""Reading a results file (slimbench.output.results): each way it can be unreadable."""

from __future__ import annotations

import json

import pytest

from slimbench.output.results import ResultsFileError, load_results


def test_results_file_errors(tmp_path):
    with pytest.raises(ResultsFileError, match="does not exist"):
        load_results(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ResultsFileError, match="not valid JSON .line 1"):
        load_results(bad)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"schema": "slimbench.output.results", "schema_version": 99}))
    with pytest.raises(ResultsFileError, match="schema version 99; this slimbench reads"):
        load_results(other)
    pb = tmp_path / "pb.json"
    pb.write_text(json.dumps({"benchmarks": []}))
    with pytest.raises(ResultsFileError, match="--pytest-benchmark"):
        load_results(pb)
