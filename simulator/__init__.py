"""simulator package."""

__all__: list[str] = []
