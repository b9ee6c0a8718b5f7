"""Who someone is to the help desk: an agent (active profile, or a superuser) or an end user.

Here rather than in tickets.access, which re-exports these, so that accounts (the login's
landing page) can ask without depending on tickets.
"""

from accounts.models import Agent


def agent_of(user) -> Agent | None:
    """The user's active agent profile, or None for end users and anonymous visitors."""
    if user is None or not user.is_authenticated:
        return None
    try:
        agent = user.agent
    except Agent.DoesNotExist:
        return None
    return agent if agent.is_active else None


def is_agent(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or agent_of(user)))
