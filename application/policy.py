"""Campaign policies an office reads and writes: a shipped preset as a file to copy, and its own file checked.

Neither touches the database, so neither takes a unit of work.
"""
from pathlib import Path

import yaml

from models.policy import Policy, load_policy_file, load_preset


def preset_document(name: str) -> str:
    """A shipped preset as YAML, in the order an office edits it; InvalidPolicy names the presets if unknown."""
    return yaml.safe_dump(load_preset(name).model_dump(mode="json", exclude_none=True), allow_unicode=True,
                          sort_keys=False)


def check_policy_file(path: str | Path) -> Policy:
    """The policy of an office's YAML file; InvalidPolicy lists every problem with its path ('; '-separated)."""
    return load_policy_file(Path(path))
