"""The drill put together: validated options, generate, start the stack, replay, write results.

The one place that may import both ``load`` (the replay) and ``reports`` (the measurement);
``load`` itself never imports ``reports`` (docs/architecture.md, "Layering").
Nothing heavy is imported here: ``drill.run`` and ``drill.replay`` import gevent/Locust.

- ``drill.options``: ``DrillOptions`` (one validated object per drill, built by
  ``drill_options(...)`` from the command line's values; ``.replay(...)`` is its
  ``load.options.ReplayOptions``);
- ``drill.replay.replay_events(run_dir, events_path, ReplayOptions, ...)``: replay an existing
  events.jsonl (``python -m drill.replay``);
- ``drill.run.run_drill(DrillOptions) -> DrillRun``: the ``drill`` command;
- ``drill.stack_team``: the embedded reference stack's team, written from the validated scenario.
"""

__all__: list[str] = []
