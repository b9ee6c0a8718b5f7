"""Domain errors raised by ticket services. Views turn them into form errors or messages."""


class TicketError(Exception):
    """A change that the rules do not allow; the message is safe to show to the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidInput(TicketError):
    pass


class NotPermitted(TicketError):
    pass


class TransitionNotAllowed(TicketError):
    pass


class AlreadyClaimed(TicketError):
    pass


class NewMessageArrived(TicketError):
    """The requester wrote while the agent was typing a reply; it was not sent."""
