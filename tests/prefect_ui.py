"""Driving the Prefect UI (v2, React) in Debian's Chromium with Playwright: open a deployment's
custom-run form, fill fields by their labels, submit, and follow the run until it ends.

Selectors were checked against Prefect 3.9.1; see /work/shared/reference for the probe they
came from. Labels are tied to inputs (<label for=id>), so `get_by_label` finds fields.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Anything not on loopback (the UI loads analytics) is refused before it leaves the machine.
OFF_MACHINE = re.compile(r"^(https?|wss?)://(?!127\.0\.0\.1[:/])")


@contextmanager
def browser_page(
    failure_shot: Path | None = None, timeout_ms: float = 45_000, auth_string: str | None = None
) -> Iterator[Any]:
    """A fresh headless page; on an error, a screenshot goes to ``failure_shot``. With
    ``auth_string`` (the locked-down server's), the page is signed in the way the UI's own login
    form does it: the string, base64-encoded, in localStorage under ``prefect-password``."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(timeout_ms)
            page.route(OFF_MACHINE, lambda route: route.abort())
            if auth_string is not None:
                encoded = json.dumps(base64.b64encode(auth_string.encode()).decode())
                page.add_init_script(f"localStorage.setItem('prefect-password', {encoded});")
            try:
                yield page
            except BaseException:
                if failure_shot is not None:
                    page.screenshot(path=str(failure_shot), full_page=True)
                raise
        finally:
            browser.close()


def open_custom_run(page: Any, ui_url: str, deployment: str) -> None:
    """Deployments list → search for the deployment (the list is paginated: with every process
    registered, `emergency-response` is not on the first page) → Run → Custom run."""
    from urllib.parse import urlsplit

    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.goto(ui_url + "/v2/deployments")
    page.get_by_placeholder(re.compile(r"^Search deployments")).first.fill(deployment)
    # The list re-renders when the search applies: a click that lands on the row being replaced
    # goes nowhere (seen once in CI, the page left on the filtered list). Click again until the
    # deployment's page opens.
    for attempt in range(3):
        page.get_by_role("link", name=deployment, exact=True).first.click()
        try:
            # The list is …/deployments (…/deployments/ too); a deployment's page is
            # …/deployments/deployment/<id>.
            page.wait_for_url(
                lambda url: "/deployments/deployment/" in urlsplit(url).path, timeout=15_000
            )
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
    # The address is the deployment's, but under load (two test workers beside the browser) the
    # page has twice not shown its Run button: once it still showed the list, once (CI, after a
    # reload) nothing in 45 s. Open the deployment's own address afresh, up to three times, and on
    # the last failure say what the page showed instead.
    here = page.url
    run = page.get_by_role("button", name="Run", exact=True)
    for attempt in range(3):
        try:
            run.wait_for(timeout=25_000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                shown = page.locator("body").inner_text(timeout=5_000)[:1500]
                raise AssertionError(
                    f"the deployment page {here} showed no Run button after 3 loads; "
                    f"it showed:\n{shown}"
                ) from None
            page.goto(here)
    run.click()
    page.get_by_role("menuitem", name="Custom run").click()
    page.get_by_role("button", name="Submit", exact=True).wait_for()


def field(page: Any, label: str, nth: int = 0) -> Any:
    return page.get_by_label(label, exact=True).nth(nth)


def fill(page: Any, label: str, value: str | int, nth: int = 0) -> None:
    field(page, label, nth).fill(str(value))


def choose(page: Any, select_name: str, option: str) -> None:
    """An enum select: a button named "Select <Name>" opening a listbox."""
    page.get_by_role("button", name=f"Select {select_name}").click()
    page.get_by_role("option", name=option, exact=True).click()


def _union_block(page: Any, label: str, nth: int) -> Any:
    exact = re.compile(f"^{re.escape(label)}$")
    lab = page.locator("label").filter(has_text=exact).nth(nth)
    return lab.locator("xpath=ancestor::div[.//*[@role='tablist']][1]")


def fill_union(page: Any, label: str, tab: str, value: str | int, nth: int = 0) -> None:
    """An optional field starts on its "None" tab: pick the type tab (str, int, date …), then
    fill the input that appears. After the switch the label is no longer tied to the input."""
    block = _union_block(page, label, nth)
    block.get_by_role("tab", name=tab, exact=True).click()
    block.locator("input, textarea").first.fill(str(value))


def _open_picker(page: Any, label: str, nth: int) -> Any:
    field(page, label, nth).click()
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    return dialog


def _pick_day(dialog: Any, day: dt.date) -> None:
    dialog.get_by_label("Choose the Year").select_option(str(day.year))
    # Option values are month indices from 0 (labels differ: "May" vs "Sep" abbreviations).
    dialog.get_by_label("Choose the Month").select_option(str(day.month - 1))
    suffix = {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd", 31: "st"}.get(day.day, "th")
    name = f"{day.strftime('%A')}, {day.strftime('%B')} {day.day}{suffix}, {day.year}"
    dialog.get_by_role("button", name=name).click()


def pick_date(page: Any, label: str, day: dt.date, nth: int = 0) -> None:
    dialog = _open_picker(page, label, nth)
    _pick_day(dialog, day)
    if dialog.is_visible():
        page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")


def pick_datetime(page: Any, label: str, when: dt.datetime, nth: int = 0) -> None:
    """The date-time picker: day buttons, then hour | minute (5-minute steps) | AM/PM columns.
    The zone select next to it defaults to UTC, so pass a UTC time."""
    dialog = _open_picker(page, label, nth)
    _pick_day(dialog, when.date())
    cols = dialog.locator("[data-slot=scroll-area]")
    hour12 = when.hour % 12 or 12
    cols.nth(0).get_by_role("button", name=str(hour12), exact=True).click()
    cols.nth(1).get_by_role("button", name=f"{when.minute:02d}", exact=True).click()
    cols.nth(2).get_by_role("button", name="AM" if when.hour < 12 else "PM", exact=True).click()
    page.keyboard.press("Escape")  # there is no Apply button
    dialog.wait_for(state="hidden")
    from playwright.sync_api import expect

    expect(field(page, label, nth)).to_have_text(when.strftime("%m/%d/%Y %I:%M %p"))


@dataclass
class SubmittedRun:
    name: str


def submit(
    page: Any,
    count_runs: Callable[[], int],
    timeout_ms: float = 30_000,
    server_log: Path | None = None,
    once_more_after_unknown_error: bool = False,
) -> SubmittedRun:
    """Submit the form; the success toast names the new run. Any other toast fails at once with
    the text the page shows: a refusal of the parameters, and a server error too (the UI shows a
    500, such as the embedded Prefect server's "database is locked", as "Unknown error"). With
    ``once_more_after_unknown_error`` (the stack's end-to-end tests), an error toast with no run
    created is reported as a warning, with the API's answer, and the form is submitted once more
    (see below). ``count_runs`` counts the
    deployment's flow runs (through the Prefect API): exactly one new run must come of it. With
    ``server_log`` (the Prefect server's log), a failure quotes its last lines: the server's own
    account of the error the page showed."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    toasts = page.locator("li[data-sonner-toast]")
    button = page.get_by_role("button", name="Submit", exact=True)
    # What the API answered to the run's creation: the failure names it, not only the toast.
    answers: list[str] = []
    responses: list[Any] = []  # read once the toast shows (not inside Playwright's callback)

    def _answered(response: Any) -> None:
        if response.request.method == "POST" and "flow_run" in response.url:
            responses.append(response)

    def _answers() -> list[str]:
        for response in responses:
            try:
                body = response.text()[:1500]
            except Exception as exc:  # the page went away before the body was read
                body = f"(body not read: {exc})"
            answers.append(f"{response.status} {response.url}: {body}")
        responses.clear()
        return answers

    page.on("response", _answered)
    runs_before = count_runs()
    button.click()
    clicked_again = False
    try:
        toasts.first.wait_for(timeout=timeout_ms / 2)
    except PlaywrightTimeout:
        # Seen rarely under load: the click lands while the form re-renders and nothing is
        # sent, so no answer and no run. Only then is it clicked once more (no server has
        # answered anything yet); if still nothing, say why if the browser itself blocked it.
        if count_runs() == runs_before:
            button.click()
            clicked_again = True
        try:
            toasts.first.wait_for(timeout=timeout_ms / 2)
        except PlaywrightTimeout:
            invalid = page.evaluate(
                "() => [...document.querySelectorAll('input:invalid, textarea:invalid')]"
                ".map(e => (e.id || e.name) + ': ' + e.validationMessage)"
            )
            raise AssertionError(
                f"no answer to Submit; {count_runs() - runs_before} new runs; "
                f"invalid inputs: {invalid}"
            ) from None
    toast = toasts.first
    text = (toast.text_content() or "").strip()
    kind = toast.get_attribute("data-type")
    if (
        kind != "success"
        and once_more_after_unknown_error
        and not clicked_again
        and count_runs() == runs_before
    ):
        # Seen in 2 of 4 clean-clone runs of the whole suite, never alone: the page says
        # "Unknown error while creating flow run." (the UI's words for any refused request)
        # and no run exists. Cause not found yet, so it is not hidden: it becomes a warning in
        # the test summary, with what the API answered, and the form is submitted once more.
        # A second failure fails the test with both answers.
        first = f"{text!r}; the API answered: {_answers() or 'nothing'}"
        warnings.warn(f"the Prefect UI refused the first Submit: {first}", stacklevel=2)
        # The new answer is the toast that was not there before (the first may still show).
        toast.evaluate("e => e.setAttribute('data-officeflow-seen', '')")
        answers.clear()
        button.click()
        clicked_again = True
        toast = page.locator("li[data-sonner-toast]:not([data-officeflow-seen])").first
        toast.wait_for(timeout=timeout_ms)
        text = (toast.text_content() or "").strip()
        kind = toast.get_attribute("data-type")
        if kind != "success":
            answers.insert(0, f"(first Submit: {first})")
    if kind != "success":
        said = ""
        if server_log is not None and server_log.exists():
            tail = server_log.read_text(encoding="utf-8", errors="replace").splitlines()[-40:]
            said = "\nthe Prefect server's log ends:\n" + "\n".join(tail)
        raise AssertionError(
            f"the run was not created: the page showed a {kind} toast: {text!r}; "
            f"the API answered: {_answers() or 'nothing'}{said}"
        )
    if clicked_again:
        # The first click may have been sent after all, its run landing after the second's
        # toast: let it land before counting.
        page.wait_for_timeout(2_000)
    new_runs = count_runs() - runs_before
    assert new_runs == 1, f"the submission created {new_runs} runs, not 1"
    return SubmittedRun(name=text.split(" scheduled")[0].strip())


def follow_run(page: Any, run: SubmittedRun, timeout_ms: float = 90_000) -> None:
    """Open the run from the toast and wait until the run page shows Completed."""
    from playwright.sync_api import expect

    page.locator("li[data-sonner-toast][data-type=success]").get_by_role(
        "button", name="View run"
    ).click()
    # The URL changes before the page does: wait for the run's own breadcrumb first.
    expect(page.get_by_role("navigation").filter(has_text=run.name)).to_be_visible()
    expect(page.get_by_text("Completed", exact=True).first).to_be_visible(timeout=timeout_ms)
