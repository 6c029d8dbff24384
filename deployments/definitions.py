"""Every deployment of the office, as one table: the single source for registering them in
Python (`deployments.register`) and for the committed `prefect.yaml` (`deployments.prefect_yaml`).

A process whose flow is not written yet stays in the table; registration skips it and says so.
Cron cannot know the State Council's holiday arrangement, so scheduled flows check the working
day themselves (`officeflow.schedule_guard`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

POOL = "office"
POOL_TYPE = "process"
QUEUE = "default"


@dataclass(frozen=True)
class Cron:
    """A schedule. Without an explicit ``timezone`` it runs in the office's zone
    (``OFFICEFLOW_TIMEZONE``, Asia/Shanghai by default), read when the deployment is registered
    or prefect.yaml is written."""

    cron: str
    timezone: str | None = None
    day_or: bool = True

    @property
    def zone(self) -> str:
        from officeflow.settings import get_settings

        return self.timezone or get_settings().timezone


@dataclass(frozen=True)
class Limit:
    """A global concurrency limit. With ``slot_decay_per_second`` it is a rate limit."""

    name: str
    limit: int
    slot_decay_per_second: float | None = None
    description: str = ""


@dataclass(frozen=True)
class Deployment:
    name: str
    entrypoint: str  # flows/<file>.py:<function>, relative to the project folder
    description: str
    schedules: tuple[Cron, ...] = ()
    tags: tuple[str, ...] = ()
    concurrency_limit: int | None = None
    parameters: dict[str, object] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return self.entrypoint.split(":", 1)[0]

    @property
    def function(self) -> str:
        return self.entrypoint.split(":", 1)[1]


DEPLOYMENTS: tuple[Deployment, ...] = (
    Deployment(
        name="delivery-retry",
        entrypoint="flows/delivery.py:delivery_retry",
        description=(
            "送达重试: every minute, resend failed notices with backoff and those a dead "
            "sender left (lapsed leases); routine notices give up after the retry horizon, "
            "emergencies keep trying until acknowledged; undeliverable notices and channels "
            "that are down are reported to the duty officer."
        ),
        schedules=(Cron("* * * * *"),),
        tags=("delivery", "scheduled"),
        concurrency_limit=1,
    ),
)


# Actions an admin runs from the UI; each has a CLI twin calling the same service.
_ACTIONS: tuple[tuple[str, str, str, str], ...] = ()

DEPLOYMENTS += tuple(
    Deployment(name=name, entrypoint=entrypoint, description=description, tags=(tag, "action"))
    for name, entrypoint, tag, description in _ACTIONS
)


def _path(target: str) -> str:
    """``flows.<p>:<fn>`` (a declaration's) as an entrypoint, ``flows/<p>.py:<fn>``."""
    module, _, function = target.partition(":")
    return f"{module.replace('.', '/')}.py:{function}"


def declared() -> tuple[Deployment, ...]:
    """The deployments the processes declare (`officeflow.actions`): each process flow (its
    procedure, its sweep) and each action offered as a deployment, named ``<object>-<verb>``."""
    from officeflow import actions

    out: list[Deployment] = []
    for process in actions.processes():
        for f in process.flows:
            if f.deployment:
                out.append(
                    Deployment(
                        name=f.name,
                        entrypoint=_path(f.entrypoint),
                        description=f.description,
                        schedules=tuple(Cron(c) for c in f.schedules),
                        tags=f.tags or (process.name,),
                        concurrency_limit=f.concurrency_limit,
                    )
                )
        for a in process.actions:
            if a.offers(actions.DEPLOYMENT) and a.flow:
                out.append(
                    Deployment(
                        name=a.deployment_name,
                        entrypoint=_path(a.flow),
                        description=a.summary,
                        tags=(process.name, "action"),
                    )
                )
    return tuple(out)


_listed = {d.name for d in DEPLOYMENTS}
DEPLOYMENTS += tuple(d for d in declared() if d.name not in _listed)

LIMITS: tuple[Limit, ...] = (
    Limit(
        name="smtp",
        limit=10,
        slot_decay_per_second=10.0,
        description="at most about 10 messages a second to the SMTP relay, across all workers",
    ),
)


def by_name(name: str) -> Deployment:
    for deployment in DEPLOYMENTS:
        if deployment.name == name:
            return deployment
    raise KeyError(name)
