"""The aggregation under every figure: Python's percentile_cont is PostgreSQL's."""

import pytest
from django.db import connection
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from reports.figures.grouping import percentile_cont

pytestmark = pytest.mark.postgres


@hypothesis_settings(max_examples=50, deadline=None, derandomize=True)
@given(
    values=st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), max_size=30),
    fraction=st.sampled_from([0.5, 0.9]),
)
@pytest.mark.django_db
def test_percentile_cont_is_postgresqls(values, fraction):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT percentile_cont(%s) WITHIN GROUP (ORDER BY v) FROM unnest(%s::float8[]) v",
            [fraction, values],
        )
        expected = cursor.fetchone()[0]
    if expected is None:  # of no values
        assert percentile_cont(values, fraction) is None
    else:
        assert percentile_cont(values, fraction) == pytest.approx(expected, rel=1e-12, abs=1e-9)
