"""The scenario: units, distributions, the validated models, ``load_scenario``, the policy."""

from simulator.exports import lazy_exports

__all__, __getattr__ = lazy_exports(__name__, {
    "models": ["Scenario", "load_scenario", "parse_scenario"],
    "units": ["parse_duration", "parse_rate", "format_duration"],
    "distributions": ["DistSpec", "Distribution"],
    "validation": ["read_yaml_mapping", "format_validation_error"],
    "policy": ["PolicyRule", "CompiledPolicy", "Expected", "apply_policy"],
    "reactions_spec": ["Reactions"],
    "summary": ["Summary", "summarize", "format_summary"],
})
