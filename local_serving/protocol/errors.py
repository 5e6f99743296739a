"""The one error a request decoder raises: an HTTP status and a message naming the problem."""

from __future__ import annotations


class ProtocolError(Exception):
    """A request the server refuses: an HTTP status and a message naming the problem."""

    def __init__(self, status: int, message: str) -> None:
        """Keep the status next to the message."""
        super().__init__(message)
        self.status = status
        self.message = message

    def __reduce__(self) -> tuple[type[ProtocolError], tuple[int, str]]:
        """Pickle as (status, message), so a decoder process can send it back."""
        return (ProtocolError, (self.status, self.message))
