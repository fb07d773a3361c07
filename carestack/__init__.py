"""carestack package."""

__all__: list[str] = []
