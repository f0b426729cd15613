"""Tags every resource of the reference stack carries, in each API's own tag shape."""

STACK_TAGS = {"project": "launch-readiness-reference", "environment": "production", "owner": "platform-team"}


def tags(key: str | None = None, value: str | None = None, **extra: str):
    """Return the stack tags plus extra ones: a {name: value} dict, or a list of {key: , value: } pairs."""
    merged = {**STACK_TAGS, **extra}
    if key is None:
        return merged
    return [{key: name, value: text} for name, text in merged.items()]
