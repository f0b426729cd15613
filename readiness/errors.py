"""Exceptions that carry a criterion's third outcome and the user's input errors."""


class Unverifiable(Exception):
    """A criterion could not be judged: access denied, throttled, API error or missing output.

    The plugin reports a test that raises it as UNVERIFIABLE, never as passed.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(f"Unverifiable: {reason}")
        self.reason = reason


class OutputsError(Exception):
    """The Terraform outputs could not be read; the message names the fix."""
