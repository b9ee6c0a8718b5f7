"""Domain errors raised by ticket services. Views turn them into form errors or messages."""


class TicketError(Exception):
    """A change that the rules do not allow; the message is safe to show to the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidInput(TicketError):
    """What was typed or chosen is not acceptable; the message says why."""


class NotPermitted(TicketError):
    """The acting user may not make this change."""


class TransitionNotAllowed(TicketError):
    """The ticket's status does not allow this change (tickets/transitions.py)."""


class AlreadyClaimed(TicketError):
    """Another agent holds the ticket; the message names them."""


class NewMessageArrived(TicketError):
    """The requester wrote while the agent was typing a reply; it was not sent."""


class FieldErrors(InvalidInput):
    """Custom field values that cannot be accepted: a message per field, by its name."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(" ".join(errors.values()))
        self.errors = errors


class OpenTasks(TicketError):
    """The ticket still has open tasks: resolving it needs the agent's confirmation."""

    def __init__(self, message: str, tasks: list):
        super().__init__(message)
        self.tasks = tasks
