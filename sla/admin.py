"""Admin registrations; see the Foundation issue."""
