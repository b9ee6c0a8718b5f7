# The small help desk of the ticket tests, for account tests that need tickets.
from tests.tickets.conftest import desk  # noqa: F401
