"""load package."""

__all__: list[str] = []
