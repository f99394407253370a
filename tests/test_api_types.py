"""Every tier's run() hands back plain Python numbers, whatever its kernel returns."""

from __future__ import annotations

import pytest

from slimbench.impls import create, get_tier, tier_names


@pytest.mark.parametrize("name", tier_names())
def test_run_result_is_plain_python(name, small_urm):
    if get_tier(name).unavailable_reason() is not None:
        pytest.skip(get_tier(name).unavailable_reason())
    tier = create(name, small_urm, seed=0)
    try:
        result = tier.run(50)
    finally:
        tier.close()
    assert type(result.loss) is float and type(result.steps) is int and result.steps == 50
