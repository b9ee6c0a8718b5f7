"""How deep in a chain of rules a change is: 0 for a person's change, n inside the actions
of a rule run for a trigger n-1 steps from one. The listener writes it on the triggers the
change causes, and stops a chain past MAX_CHAIN with a logged warning."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

MAX_CHAIN = 10

_depth: ContextVar[int] = ContextVar("automation_chain_depth", default=0)


@contextmanager
def chain_step(depth: int) -> Iterator[None]:
    token = _depth.set(depth)
    try:
        yield
    finally:
        _depth.reset(token)


def chain_depth() -> int:
    return _depth.get()
