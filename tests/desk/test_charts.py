"""The charts' geometry (desk/charts.py): round ticks, scales, bars and lines, for empty
data, one point, all zeros and huge numbers. Plain arithmetic: no database."""

import datetime as dt
import zoneinfo

import pytest

from desk import charts
from desk.charts import (
    PLOT,
    LinearScale,
    backlog_chart,
    compact,
    flow_chart,
    grouped_bars,
    nice_step,
    nice_ticks,
    response_bands_chart,
    sla_weeks_chart,
)
from reports.figures import Achievement, Band, Day, DayFlow, ResponseBands, Week

UTC = dt.UTC
NY = zoneinfo.ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    "maximum, ticks",
    [
        (0, [0, 1]),
        (-5, [0, 1]),
        (1, [0, 1]),
        (3, [0, 1, 2, 3]),
        (4, [0, 1, 2, 3, 4]),
        (5, [0, 2, 4, 6]),
        (7, [0, 2, 4, 6, 8]),
        (10, [0, 5, 10]),
        (11, [0, 5, 10, 15]),
        (38, [0, 10, 20, 30, 40]),
        (100, [0, 50, 100]),
        (999, [0, 500, 1000]),
        (0.4, [0, 1]),
    ],
)
def test_ticks_are_round_and_reach_the_maximum(maximum, ticks):
    assert nice_ticks(maximum) == ticks


def test_huge_numbers_have_few_round_ticks():
    ticks = nice_ticks(1_234_567)
    assert ticks[0] == 0 and ticks[-1] >= 1_234_567
    assert len(ticks) <= 6
    step = ticks[1]
    assert str(step).rstrip("0") in ("1", "2", "5")
    assert [compact(t) for t in ticks] == ["0", "500k", "1M", "1.5M"]
    assert nice_step(10**12) == 5 * 10**11


@pytest.mark.parametrize(
    "value, text",
    [(0, "0"), (950, "950"), (9999, "9999"), (12_000, "12k"), (1_500_000, "1.5M"), (2e9, "2G")],
)
def test_compact_labels(value, text):
    assert compact(value) == text


def test_the_scale_maps_zero_to_the_bottom_and_top_to_the_top():
    scale = LinearScale(40)
    assert scale.y(0) == PLOT.bottom
    assert scale.y(40) == PLOT.top
    assert scale.y(20) == round((PLOT.top + PLOT.bottom) / 2, 1)
    assert scale.y(80) == PLOT.top  # clipped, never outside the plot
    assert LinearScale(0).y(5) == PLOT.bottom


def test_bars_sit_on_the_baseline_side_by_side():
    scale = LinearScale(10)
    bars = grouped_bars([[10, 5], [0, None]], ["created", "resolved"], scale)
    assert [(b.series, b.value) for b in bars] == [
        ("created", 10),
        ("resolved", 5),
        ("created", 0),
    ]
    for bar in bars:
        assert bar.y + bar.height == pytest.approx(PLOT.bottom, abs=0.11)
    tall, half, zero = bars
    assert tall.y == PLOT.top and tall.height == PLOT.height
    assert half.height == pytest.approx(PLOT.height / 2, abs=0.11)
    assert half.x > tall.x and zero.x > half.x + half.width  # the second slot
    assert zero.height == 0
    assert tall.pattern == "" and half.pattern == "chart-pattern-resolved"


def test_a_small_value_is_still_visible():
    (bar,) = grouped_bars([[1]], ["created"], LinearScale(10_000))
    assert bar.height >= 1


def test_value_texts_only_while_there_is_room():
    few = grouped_bars([[1]] * 3, ["responses"], LinearScale(1), texts=[["1"]] * 3)
    assert [b.text for b in few] == ["1", "1", "1"]
    many = grouped_bars([[1]] * 30, ["responses"], LinearScale(1), texts=[["1"]] * 30)
    assert {b.text for b in many} == {""}
    # Thirteen weeks of three targets: 39 narrow bars, no room for "100%" above each.
    weeks = [[1, 1, 1]] * 13
    narrow = grouped_bars(weeks, charts.SLA_SERIES, LinearScale(1), texts=[["1"] * 3] * 13)
    assert {b.text for b in narrow} == {""}
    five = grouped_bars([[1, 1, 1]] * 5, charts.SLA_SERIES, LinearScale(1), texts=[["1"] * 3] * 5)
    assert {b.text for b in five} == {"1"}


def _days(values, *, first=dt.date(2026, 11, 2)):
    days = []
    for i, (created, resolved, backlog) in enumerate(values):
        date = first + dt.timedelta(days=i)
        start = dt.datetime.combine(date, dt.time(0), tzinfo=NY)
        days.append(
            DayFlow(
                day=Day(date, start, start + dt.timedelta(days=1)),
                created=created,
                resolved=resolved,
                backlog=backlog,
            )
        )
    return days


NOW = dt.datetime(2026, 11, 30, 12, tzinfo=NY)


def test_flow_of_no_days_and_of_nothing():
    empty = flow_chart([], NOW)
    assert empty.empty and empty.bars == [] and empty.ticks[-1].value == 1
    zeros = flow_chart(_days([(0, 0, 0)] * 7), NOW)
    assert zeros.empty
    assert [t.value for t in zeros.ticks] == [0, 1]
    assert all(b.height == 0 for b in zeros.bars)


def test_flow_of_one_day():
    chart = flow_chart(_days([(3, 1, 2)]), NOW)
    assert not chart.empty
    created, resolved = chart.bars
    assert created.y == PLOT.top  # 3 on an axis of 0..3
    assert resolved.height == pytest.approx(PLOT.height / 3, abs=0.11)
    assert [label.text for label in chart.x_labels] == ["2 Nov"]


def test_days_still_to_come_keep_their_slot_empty():
    days = _days([(2, 1, 1)] * 40)  # 2 Nov to 11 Dec, "now" is 30 Nov
    chart = flow_chart(days, NOW)
    assert len(chart.bars) == 2 * 29
    assert len(chart.x_labels) <= charts.MAX_X_LABELS
    assert chart.x_labels[0].text == "2 Nov"
    line = backlog_chart(days, NOW).lines[0]
    assert len(line.points) == 29
    assert backlog_chart(days, NOW).markers == line.points  # up to 31 points get dots


def test_backlog_line_and_area():
    chart = backlog_chart(_days([(0, 0, 4), (0, 0, 2), (0, 0, 0)]), NOW)
    (line,) = chart.lines
    ys = [p.y for p in line.points]
    assert ys == [PLOT.top, round((PLOT.top + PLOT.bottom) / 2, 1), PLOT.bottom]
    xs = [p.x for p in line.points]
    assert xs == sorted(xs) and PLOT.left < xs[0] and xs[-1] < PLOT.right
    assert line.path.count(",") == 3
    assert line.area.endswith(f"{xs[-1]:g},{PLOT.bottom:g} {xs[0]:g},{PLOT.bottom:g}")
    assert backlog_chart([], NOW).empty


def _week(first, **rates):
    start = dt.datetime.combine(first, dt.time(0), tzinfo=UTC)
    sla = {
        kind: Achievement(achieved=achieved, breached=breached)
        for kind, (achieved, breached) in {
            "first_response": (0, 0),
            "next_response": (0, 0),
            "resolution": (0, 0),
            **rates,
        }.items()
    }
    return Week(first, first + dt.timedelta(days=6), start, start + dt.timedelta(days=7), sla)


def test_sla_weeks_percentages_and_the_reference_line():
    weeks = [
        _week(dt.date(2026, 11, 2), first_response=(3, 1), resolution=(0, 2)),
        _week(dt.date(2026, 11, 9)),
    ]
    chart = sla_weeks_chart(weeks)
    assert [t.label for t in chart.ticks] == ["0%", "25%", "50%", "75%", "100%"]
    assert chart.reference.label == "90%"
    # No clock completed: no bar (not a bar of 0%); 0 of 2 met is a 0% bar.
    assert [(b.series, b.value, b.text) for b in chart.bars] == [
        ("first_response", 75, "75%"),
        ("resolution", 0, "0%"),
    ]
    assert chart.bars[0].y == LinearScale(100).y(75)
    assert not chart.empty
    assert sla_weeks_chart([_week(dt.date(2026, 11, 2))]).empty
    assert sla_weeks_chart([]).empty


def test_response_bands_with_huge_counts():
    bands = ResponseBands(
        bands=[Band("Under 15 min", None, 15, 2_000_000), Band("15 to 60 min", 15, 60, 1)],
        unmeasured=3,
    )
    chart = response_bands_chart(bands)
    assert chart.ticks[-1].value >= 2_000_000 and chart.ticks[-1].label.endswith("M")
    big, small = chart.bars
    assert big.y == PLOT.top and small.height >= 1
    assert [b.text for b in chart.bars] == ["2000000", "1"]
    assert [label.text for label in chart.x_labels] == ["< 15m", "15-60m"]
    nothing = response_bands_chart(ResponseBands(bands=[Band("Under 15 min", None, 15)]))
    assert nothing.empty


def test_summaries_say_the_numbers():
    days = _days([(2, 1, 3), (5, 2, 6)])
    assert charts.flow_summary(days, NOW) == (
        "Tickets created and resolved on each of 2 days, 2 Nov to 3 Nov 2026: 7 created and "
        "3 resolved in all; the most created in a day was 5, on 3 Nov."
    )
    assert charts.backlog_summary(days, NOW) == (
        "Tickets open or pending at the end of each day, 2 Nov to 3 Nov 2026: 3 after the "
        "first day, 6 after the last, at most 6 (on 3 Nov)."
    )
    weeks = [_week(dt.date(2026, 11, 2), first_response=(1, 1))]
    assert "first response: 50%" in charts.sla_weeks_summary(weeks)
    assert "next response: no clock completed" in charts.sla_weeks_summary(weeks)
