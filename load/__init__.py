"""Replay: target profiles, the platform endpoint, the Locust replay and drill orchestration.

Nothing is imported here: Locust monkey-patches the standard library when imported, so only
the modules that need it (``sender``, ``replay``, ``distributed``, ``orchestrate``) import
gevent/Locust, and the CLI imports them only for ``drill`` and ``worker``.
``profile``, ``platform``, ``recorder``, ``record``, ``launcher`` and ``schedule`` are
safe to import anywhere.

Entry points: ``load.orchestrate.run_drill(DrillOptions)`` (the ``drill`` command),
``load.orchestrate.replay_events(...)`` (replay an existing events.jsonl),
``load.distributed.run_worker(host, port)`` (the ``worker`` command).
"""

__all__: list[str] = []
