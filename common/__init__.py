"""Plumbing shared by every app, below all of them: it imports none of ours."""
