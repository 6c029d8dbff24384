"""A safe YAML loader that leaves dates and times as text, so Pydantic validates them (and a
bad date like 2026-02-30 becomes a field error with a line number, not a parser crash)."""

from __future__ import annotations

import yaml


class TextDatesLoader(yaml.SafeLoader):
    pass


TextDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load(text: str) -> object:
    return yaml.load(text, Loader=TextDatesLoader)
