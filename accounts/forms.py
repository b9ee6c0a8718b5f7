"""Form pieces shared by the admin and, later, the profile pages."""

import functools
import zoneinfo

from django import forms


@functools.cache
def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class TimeZoneFormField(forms.TypedChoiceField):
    """A select of the IANA zones, so nobody has to type "America/New_York" by hand."""

    def __init__(self, **kwargs):
        kwargs.setdefault("choices", time_zone_choices)
        kwargs.setdefault("initial", "UTC")
        super().__init__(**kwargs)
