"""What the import's steps share: the error that skips one row."""


class RowError(Exception):
    """One row cannot come over; the import reports it and goes on."""
