"""The scenario: units, distributions, the validated models (the team's roster, the
reactions, the industry packs and ``content:``), ``load_scenario``, the policy."""

from simulator.exports import lazy_exports

__all__, __getattr__ = lazy_exports(__name__, {
    "models": ["Scenario", "load_scenario", "parse_scenario"],
    "units": ["parse_duration", "parse_rate", "format_duration"],
    "distributions": ["DistSpec", "Distribution"],
    "validation": ["read_yaml_mapping", "format_validation_error"],
    "policy": ["PolicyRule", "CompiledPolicy", "Expected", "apply_policy"],
    "reactions_spec": ["Reactions"],
    "roster": ["Team", "Tier", "Shift", "ServiceLevel", "ServiceClasses"],
    "content_packs": ["Pack", "load_pack", "read_pack"],
    "summary": ["Summary", "summarize", "format_summary"],
})
