"""Helpers of the 信息报送 tests."""

from __future__ import annotations

from typing import Any


def latest_artifacts(key: str) -> list[Any]:
    """The latest version of the artifact ``key`` on the Prefect API."""
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key]))
        )
    return sorted(found, key=lambda a: a.created)[-1:]
