"""Path converters the interfaces share; importing this module registers them."""

from django.urls import register_converter


class TicketNumberConverter:
    """Ticket numbers as the database can hold them, so a huge number is a plain 404."""

    regex = "[0-9]{1,18}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


register_converter(TicketNumberConverter, "ticket_number")
