"""信息报送 side effects as Prefect tasks, each in one transaction: recording a submission and a
约稿, publishing an issue and the monthly scores with their artifacts. The actions on an item go
through `tasks.actions.take_action` (declared in `officeflow.information.declarations`)."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.logging import get_run_logger

from models.information import Publication
from models.information_input import (
    DigestResult,
    InfoItemSpec,
    ItemResult,
    RequestResult,
    RequestSpec,
    ScoresResult,
)
from officeflow import db, information
from officeflow.text import md
from rules.information import digest_markdown


@task(name="record-info-item")
def record_item(spec: InfoItemSpec) -> ItemResult:
    """Check the department and submitter, write the item and its first revision; an urgent
    item's alert to the duty officer is planned in the same transaction."""
    with db.session_scope() as session:
        return information.submit_item(session, spec)


@task(name="record-info-request")
def record_request(spec: RequestSpec) -> RequestResult:
    """约稿: the request and its supervision decision, one assignment per department."""
    with db.session_scope() as session:
        return information.record_request(session, spec)


@task(name="publish-info-issue")
def publish_issue(publication: Publication, number: int | None, link: str | None) -> DigestResult:
    """Compile, render (.docx) and close the issue, plan its notice, publish the artifact."""
    with db.session_scope() as session:
        result, digest = information.publish_issue(
            session, publication=publication, number=number, link=link
        )
    logger = get_run_logger()
    if digest is None:
        logger.info("skipped: %s", result.reason)
        return result
    markdown = digest_markdown(digest, md)
    markdown += f"\n---\n\n文档 document: `{md(result.document)}` (SHA-256 `{result.sha256}`)\n"
    create_markdown_artifact(
        key=f"info-{publication.value}-issue",
        markdown=markdown,
        description=f"{digest.masthead} {digest.number_line} {digest.date_line}",
    )
    logger.info(
        "published %s %s with %d items", digest.masthead, digest.number_line, len(result.items)
    )
    return result


@task(name="plan-info-scores")
def plan_scores(month: str, weights: dict[str, float] | None) -> ScoresResult:
    """信息考核: the month's points, the chart, the bulletin notice and the artifact."""
    with db.session_scope() as session:
        result, markdown = information.plan_scores(session, month=month, weights=weights)
    create_markdown_artifact(
        key="info-scores", markdown=markdown, description=f"信息考核通报 {month}"
    )
    return result
