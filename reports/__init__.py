"""reports package."""

__all__: list[str] = []
