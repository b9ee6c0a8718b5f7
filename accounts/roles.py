"""Who someone is to the help desk: an agent (active profile, or a superuser), an end user,
or the help desk itself (SYSTEM).

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


class SystemActor:
    """The help desk acting on its own: the SLA sweep, the mail channel, automation rules.

    Services take it as `by` where no person acts, and each service decides explicitly
    what the system may do; `by=None` is refused like any stranger, so a permission check
    is never skipped by accident. It is not a user: it has no row and cannot sign in, and
    the events it causes have no actor (shown as "System").
    """

    pk = None
    id = None
    is_authenticated = False
    is_anonymous = False
    is_superuser = False
    is_staff = False
    is_active = True

    def __str__(self) -> str:
        return "System"

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM = SystemActor()


def is_system(actor) -> bool:
    return actor is SYSTEM
