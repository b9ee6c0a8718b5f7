"""The dashboard's charts as plain geometry: scales, round ticks, and the coordinates of bars,
lines and labels, for templates/desk/partials/report_chart_svg.html to draw as SVG.

Nothing here knows HTML or the database: functions take the figures (reports.figures) and
give numbers and short texts, so they are tested as arithmetic (tests/desk/test_charts.py).
Every chart is drawn in its own coordinate system (VIEW_WIDTH x VIEW_HEIGHT, the SVG's
viewBox) and the browser scales it; colours and patterns are CSS classes
(static/css/reports.css), never style attributes, which the Content-Security-Policy refuses
(decision 0022). Decision 0036 says why the charts are drawn on the server.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field

VIEW_WIDTH = 640
VIEW_HEIGHT = 240
MARGIN_LEFT = 56
MARGIN_RIGHT = 12
MARGIN_TOP = 18
MARGIN_BOTTOM = 40
# At most this many labels along the x axis; days in between go unlabelled.
MAX_X_LABELS = 8
# Bars get their value written above them only while they are this few, and this wide
# (in the chart's units: "100%" is about 26 wide).
MAX_VALUE_LABELS = 24
MIN_LABELLED_BAR_WIDTH = 24
PERCENT_TICKS = [0, 25, 50, 75, 100]
# Series drawn with a pattern rather than a flat colour (report_charts.html defines them).
PATTERNED = frozenset({"resolved", "next_response", "resolution"})
# The line across the SLA chart: below it the dashboard's figures turn red.
SLA_REFERENCE = 90


@dataclass(frozen=True)
class Box:
    left: float
    top: float
    right: float
    bottom: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top


PLOT = Box(MARGIN_LEFT, MARGIN_TOP, VIEW_WIDTH - MARGIN_RIGHT, VIEW_HEIGHT - MARGIN_BOTTOM)


def _r(value: float) -> float:
    """Coordinates to a tenth of a unit: exact enough, and short in the page."""
    return round(value, 1)


def nice_step(maximum: float, count: int = 4) -> int:
    """A round step (1, 2 or 5 times a power of ten, at least 1) that reaches `maximum` in
    about `count` steps."""
    if maximum <= count:
        return 1
    raw = maximum / count
    magnitude = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 5, 10):
        if raw <= multiple * magnitude:
            return int(multiple * magnitude)
    return int(10 * magnitude)  # pragma: no cover: raw <= 10 * magnitude always


def nice_ticks(maximum: float, count: int = 4) -> list[int]:
    """0, step, 2 step, ... up to the first multiple of a round step at or above
    `maximum`: counts' axis. Nothing to show (0, negative) gives [0, 1]."""
    if maximum <= 0 or math.isnan(maximum):
        return [0, 1]
    step = nice_step(maximum, count)
    top = math.ceil(maximum / step) * step
    return list(range(0, top + step, step))


def compact(value: float) -> str:
    """A tick's label: 950, 12k, 1.5M."""
    for size, suffix in ((1_000_000_000, "G"), (1_000_000, "M"), (10_000, "k")):
        if abs(value) >= size:
            divisor = size if suffix != "k" else 1000
            return f"{value / divisor:.3g}{suffix}"
    return f"{value:g}"


@dataclass(frozen=True)
class LinearScale:
    """Maps [0, top] onto the plot's height, 0 at the bottom."""

    top: float
    box: Box = PLOT

    def y(self, value: float) -> float:
        if self.top <= 0:
            return self.box.bottom
        share = min(max(value / self.top, 0.0), 1.0)
        return _r(self.box.bottom - share * self.box.height)


@dataclass(frozen=True)
class Tick:
    value: float
    label: str
    y: float


@dataclass(frozen=True)
class XLabel:
    x: float
    text: str


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: str  # a CSS class suffix: chart-bar-<series>
    value: float
    text: str = ""  # the value written above the bar, if there is room

    @property
    def pattern(self) -> str:
        """The id of the SVG pattern that fills it, if its series has one (not colour
        alone: a hatched bar beside a solid one reads in grey too)."""
        return f"chart-pattern-{self.series}" if self.series in PATTERNED else ""

    @property
    def text_x(self) -> float:
        return _r(self.x + self.width / 2)

    @property
    def text_y(self) -> float:
        return _r(self.y - 4)


@dataclass(frozen=True)
class Point:
    x: float
    y: float


@dataclass(frozen=True)
class Line:
    series: str
    points: list[Point]
    baseline: float = PLOT.bottom

    @property
    def path(self) -> str:
        """An SVG polyline's points: "x,y x,y ..."."""
        return " ".join(f"{p.x:g},{p.y:g}" for p in self.points)

    @property
    def area(self) -> str:
        """A polygon's points: the line closed down to the baseline."""
        if not self.points:
            return ""
        first, last = self.points[0], self.points[-1]
        return f"{self.path} {last.x:g},{self.baseline:g} {first.x:g},{self.baseline:g}"


@dataclass
class Chart:
    ticks: list[Tick]
    x_labels: list[XLabel] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    reference: Tick | None = None
    empty: bool = False  # nothing to draw: the template says so instead
    width: int = VIEW_WIDTH
    height: int = VIEW_HEIGHT
    plot: Box = PLOT

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"

    @property
    def tick_x(self) -> float:
        """Where the y axis's labels end, right-aligned."""
        return self.plot.left - 6

    @property
    def x_label_y(self) -> float:
        return self.plot.bottom + 22

    @property
    def center(self) -> Point:
        return Point(
            _r(self.plot.left + self.plot.width / 2), _r(self.plot.top + self.plot.height / 2)
        )

    @property
    def dense(self) -> bool:
        """Too many bars for their values to be written above them on a phone."""
        return len(self.bars) > MAX_VALUE_LABELS // 2

    @property
    def markers(self) -> list[Point]:
        """The points of short lines, drawn as dots (a long line's dots would be a smear)."""
        return [p for line in self.lines if len(line.points) <= 31 for p in line.points]


def count_axis(maximum: float) -> tuple[LinearScale, list[Tick]]:
    values = nice_ticks(maximum)
    scale = LinearScale(values[-1])
    return scale, [Tick(v, compact(v), scale.y(v)) for v in values]


def percent_axis() -> tuple[LinearScale, list[Tick]]:
    scale = LinearScale(100)
    return scale, [Tick(v, f"{v}%", scale.y(v)) for v in PERCENT_TICKS]


def slots(count: int, box: Box = PLOT) -> list[tuple[float, float]]:
    """(left, width) of `count` equal slots across the plot."""
    if count <= 0:
        return []
    width = box.width / count
    return [(box.left + i * width, width) for i in range(count)]


def label_every(count: int) -> int:
    """Label one slot in this many, so at most MAX_X_LABELS labels."""
    return max(1, math.ceil(count / MAX_X_LABELS))


def grouped_bars(
    groups: list[list[float | None]],
    series: list[str],
    scale: LinearScale,
    *,
    texts: list[list[str]] | None = None,
    padding: float = 0.2,
) -> list[Bar]:
    """Bars side by side in each slot, one per series; a None value draws no bar. A value
    above zero is at least one unit tall, so a small number is not invisible."""
    bars = []
    slot_width = PLOT.width / len(groups) if groups else 0
    show_texts = (
        texts is not None
        and sum(v is not None for g in groups for v in g) <= MAX_VALUE_LABELS
        and slot_width * (1 - padding) / max(len(series), 1) >= MIN_LABELLED_BAR_WIDTH
    )
    for index, ((left, width), values) in enumerate(zip(slots(len(groups)), groups, strict=True)):
        inner = width * (1 - padding)
        bar_width = inner / max(len(series), 1)
        start = left + (width - inner) / 2
        for position, (name, value) in enumerate(zip(series, values, strict=True)):
            if value is None:
                continue
            y = scale.y(value)
            if value > 0:
                y = min(y, scale.box.bottom - 1)
            bars.append(
                Bar(
                    x=_r(start + position * bar_width),
                    y=_r(y),
                    width=_r(max(bar_width - (1 if bar_width > 4 else 0), 0.5)),
                    height=_r(scale.box.bottom - y),
                    series=name,
                    value=value,
                    text=texts[index][position] if show_texts and texts else "",
                )
            )
    return bars


def _x_labels(texts: list[str]) -> list[XLabel]:
    every = label_every(len(texts))
    return [
        XLabel(_r(left + width / 2), text)
        for i, ((left, width), text) in enumerate(zip(slots(len(texts)), texts, strict=True))
        if i % every == 0
    ]


def day_label(date: datetime.date) -> str:
    return f"{date.day} {date:%b}"


# The four charts ---------------------------------------------------------------------------


SLA_SERIES = ["first_response", "next_response", "resolution"]
# The bands' names under their bars, short enough for a phone (the table has the long ones).
BAND_SHORT_LABELS = {
    "Under 15 min": "< 15m",
    "15 to 60 min": "15-60m",
    "1 to 4 h": "1-4h",
    "4 to 8 h": "4-8h",
    "8 to 16 h": "8-16h",
    "16 h or more": "16h +",
}


def sla_weeks_chart(weeks) -> Chart:
    """Achievement per target per week (reports.figures.Week), 0 to 100%; a week in which
    no clock of a target completed has no bar for it."""
    scale, ticks = percent_axis()
    groups, texts = [], []
    for week in weeks:
        rates = [week.sla[kind].rate for kind in SLA_SERIES]
        groups.append([None if r is None else r * 100 for r in rates])
        texts.append(["" if r is None else f"{r * 100:.0f}%" for r in rates])
    empty = all(v is None for g in groups for v in g)
    return Chart(
        ticks=ticks,
        x_labels=_x_labels([day_label(w.first_day) for w in weeks]),
        bars=grouped_bars(groups, SLA_SERIES, scale, texts=texts),
        reference=Tick(SLA_REFERENCE, f"{SLA_REFERENCE}%", scale.y(SLA_REFERENCE)),
        empty=empty,
    )


def _past(days, now: datetime.datetime):
    """The days that have begun (the rest of the period is "not yet")."""
    return [d for d in days if d.day.start <= now]


def flow_chart(days, now: datetime.datetime) -> Chart:
    """Created and resolved per day (reports.figures.DayFlow), paired bars; days still to
    come keep their slot, empty."""
    past = _past(days, now)
    scale, ticks = count_axis(max((max(d.created, d.resolved) for d in past), default=0))
    groups = [[d.created, d.resolved] if d.day.start <= now else [None, None] for d in days]
    return Chart(
        ticks=ticks,
        x_labels=_x_labels([day_label(d.day.date) for d in days]),
        bars=grouped_bars(groups, ["created", "resolved"], scale, padding=0.15),
        empty=not any(d.created or d.resolved for d in past),
    )


def backlog_chart(days, now: datetime.datetime) -> Chart:
    """Tickets open or pending at the end of each day, a line over an area, through the
    middle of each day's slot."""
    past = _past(days, now)
    scale, ticks = count_axis(max((d.backlog for d in past), default=0))
    positions = slots(len(days))
    points = [
        Point(_r(left + width / 2), scale.y(d.backlog))
        for (left, width), d in zip(positions, days, strict=True)
        if d.day.start <= now
    ]
    return Chart(
        ticks=ticks,
        x_labels=_x_labels([day_label(d.day.date) for d in days]),
        lines=[Line("backlog", points)] if points else [],
        empty=not points,
    )


def response_bands_chart(bands) -> Chart:
    """First responses per band of business time (reports.figures.ResponseBands), each bar
    with its count above it."""
    scale, ticks = count_axis(bands.largest)
    groups = [[b.tickets] for b in bands.bands]
    return Chart(
        ticks=ticks,
        x_labels=_x_labels([BAND_SHORT_LABELS.get(b.label, b.label) for b in bands.bands]),
        bars=grouped_bars(
            groups, ["responses"], scale, texts=[[str(b.tickets)] for b in bands.bands]
        ),
        empty=bands.measured == 0,
    )


# What each chart shows, in words: its SVG's <desc> ---------------------------------------


def _span(first: datetime.date, last: datetime.date) -> str:
    return (
        f"{day_label(first)} {first.year}"
        if first == last
        else (f"{day_label(first)} to {day_label(last)} {last.year}")
    )


SLA_NAMES = {
    "first_response": "first response",
    "next_response": "next response",
    "resolution": "resolution",
}


def sla_weeks_summary(weeks) -> str:
    if not weeks:
        return "No weeks."
    parts = []
    for kind in SLA_SERIES:
        rates = [w.sla[kind].rate for w in weeks if w.sla[kind].rate is not None]
        if not rates:
            parts.append(f"{SLA_NAMES[kind]}: no clock completed")
        elif len(rates) == 1 or min(rates) == max(rates):
            parts.append(f"{SLA_NAMES[kind]}: {rates[0] * 100:.0f}%")
        else:
            parts.append(
                f"{SLA_NAMES[kind]}: from {min(rates) * 100:.0f}% to {max(rates) * 100:.0f}%"
            )
    weeks_text = f"{len(weeks)} week{'s' if len(weeks) != 1 else ''}"
    return (
        f"Share of SLA clocks met, per target, in each of {weeks_text} from "
        f"{_span(weeks[0].first_day, weeks[-1].last_day)}; {'; '.join(parts)}."
    )


def flow_summary(days, now: datetime.datetime) -> str:
    past = _past(days, now)
    if not past:
        return "No days have begun yet."
    created = sum(d.created for d in past)
    resolved = sum(d.resolved for d in past)
    text = (
        f"Tickets created and resolved on each of {len(past)} days, "
        f"{_span(past[0].day.date, past[-1].day.date)}: {created} created and {resolved} "
        "resolved in all"
    )
    busiest = max(past, key=lambda d: d.created)
    if busiest.created:
        text += (
            f"; the most created in a day was {busiest.created}, on {day_label(busiest.day.date)}"
        )
    return text + "."


def backlog_summary(days, now: datetime.datetime) -> str:
    past = _past(days, now)
    if not past:
        return "No days have begun yet."
    highest = max(past, key=lambda d: d.backlog)
    return (
        f"Tickets open or pending at the end of each day, "
        f"{_span(past[0].day.date, past[-1].day.date)}: {past[0].backlog} after the first "
        f"day, {past[-1].backlog} after the last, at most {highest.backlog} "
        f"(on {day_label(highest.day.date)})."
    )


def response_bands_summary(bands) -> str:
    counts = ", ".join(f"{b.label.lower()}: {b.tickets}" for b in bands.bands)
    text = (
        f"First responses of the period by business time taken, {bands.measured} measured "
        f"by an SLA clock; {counts}"
    )
    if bands.unmeasured:
        text += f"; {bands.unmeasured} without an SLA clock are not shown"
    return text + "."


@dataclass(frozen=True)
class DashboardCharts:
    sla_weeks: Chart
    sla_weeks_summary: str
    flow: Chart
    flow_summary: str
    backlog: Chart
    backlog_summary: str
    response_bands: Chart
    response_bands_summary: str


def dashboard_charts(dashboard) -> DashboardCharts:
    """The four charts of a reports.figures.Dashboard."""
    days, now = dashboard.days, dashboard.now
    return DashboardCharts(
        sla_weeks=sla_weeks_chart(dashboard.weeks),
        sla_weeks_summary=sla_weeks_summary(dashboard.weeks),
        flow=flow_chart(days, now),
        flow_summary=flow_summary(days, now),
        backlog=backlog_chart(days, now),
        backlog_summary=backlog_summary(days, now),
        response_bands=response_bands_chart(dashboard.response_bands),
        response_bands_summary=response_bands_summary(dashboard.response_bands),
    )
