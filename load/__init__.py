"""Replay: target profiles, the platform endpoint, the Locust replay, live mode, reactions.

Nothing is imported here: Locust monkey-patches the standard library when imported, so only
the modules that need it (``sender``, ``replay``, ``distributed``, ``outcome``, ``live``)
import gevent/Locust, and the CLI imports them only for ``drill`` and ``worker``.
``options``, ``hooks``, ``profile``, ``platform``, ``recorder``, ``record``, ``launcher`` and
``schedule`` are safe to import anywhere. ``load`` never imports ``reports`` or ``drill``:
the drill is put together in ``drill/``.

Entry points: ``load.replay.run_replay(plan, target, ReplayOptions, hooks=...)``,
``load.distributed.run_worker(host, port)`` (the ``worker`` command).
"""

__all__: list[str] = []
