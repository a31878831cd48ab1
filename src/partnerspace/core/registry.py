"""A typed registry of handlers: how a lower layer lets the apps above it react to its
changes without importing them (clients.events, firms.events). Handlers register in their
app's AppConfig.ready."""

from collections.abc import Callable
from typing import Generic, TypeVar

Event = TypeVar("Event")
Answer = TypeVar("Answer")


class Registry(Generic[Event, Answer]):
    """The handlers of one kind of change; `send` calls each and returns their answers."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._handlers: list[Callable[[Event], Answer]] = []

    def register(self, handler: Callable[[Event], Answer]) -> Callable[[Event], Answer]:
        """Add a handler (once, however often `ready` runs); usable as a decorator."""
        if handler not in self._handlers:
            self._handlers.append(handler)
        return handler

    def unregister(self, handler: Callable[[Event], Answer]) -> None:
        if handler in self._handlers:
            self._handlers.remove(handler)

    @property
    def handlers(self) -> tuple[Callable[[Event], Answer], ...]:
        return tuple(self._handlers)

    def send(self, event: Event) -> list[Answer]:
        return [handler(event) for handler in list(self._handlers)]

    def __repr__(self) -> str:
        return f"<Registry {self.name}: {len(self._handlers)} handlers>"
