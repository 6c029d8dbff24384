"""Issue 16, defect 3: templates could run code. A `.env` in whatever folder the command ran
from was read, so it could point OFFICEFLOW_TEMPLATES_DIR at a template that called
`os.popen('id')`, and the Jinja environment was not sandboxed: `notify test` emailed the output
of `id`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from officeflow.mailcatcher import MailCatcher
from rules import templates
from tests.cli_helpers import run_cli

EVIL_BODY = "{{ cycler.__init__.__globals__.os.popen('id').read() }}"


def evil_templates(root: Path) -> Path:
    """A templates folder whose `test` template runs `id` (when nothing stops it)."""
    for locale in templates.LOCALES:
        folder = root / locale
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "test.j2").write_text(
            "{% block subject %}pwned{% endblock %}\n"
            f"{{% block body %}}OUT[{EVIL_BODY}]{{% endblock %}}\n",
            encoding="utf-8",
        )
    return root


def test_defect3_dotenv_in_the_current_directory_is_not_read(
    make_org: Any, mail_office: MailCatcher, tmp_path: Path
) -> None:
    make_org(departments=1, people_per_department=1)
    evil = evil_templates(tmp_path / "evil-templates")
    downloads = tmp_path / "downloads"  # any folder a user happens to run the command from
    downloads.mkdir()
    (downloads / ".env").write_text(f"OFFICEFLOW_TEMPLATES_DIR={evil}\n", encoding="utf-8")

    result = run_cli("notify", "test", "p0-0", cwd=downloads)

    assert result.returncode == 0, result.stdout + result.stderr
    assert len(mail_office.messages) == 1
    mail = mail_office.messages[0]
    assert "pwned" not in mail.subject and "uid=" not in mail.text()
    assert "officeflow" in mail.subject  # the shipped test template


def test_defect3_sandbox_refuses_a_template_that_reaches_os(
    make_org: Any, mail_office: MailCatcher, office_env: Any, tmp_path: Path
) -> None:
    evil = evil_templates(tmp_path / "evil-templates")
    # Directly: the template is refused, `id` never runs.
    with pytest.raises(templates.TemplateRefused, match="refused by the sandbox"):
        templates.render("test", {}, locale="en", override_dir=str(evil))

    # Through the CLI, with the folder configured on purpose (an office-edited template).
    make_org(departments=1, people_per_department=1)
    office_env.set(templates_dir=evil)
    result = run_cli("notify", "test", "p0-0")

    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "error: template zh-CN/test.j2 was refused by the sandbox" in result.stderr
    assert "uid=" not in result.stdout + result.stderr
    assert mail_office.messages == []


def test_defect3_env_file_is_read_from_the_explicit_path_only(
    office_env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from officeflow.settings import PROJECT_DIR, env_file

    assert env_file() == PROJECT_DIR / ".env"
    assert (PROJECT_DIR / "pyproject.toml").is_file()  # the installation's project folder
    chosen = tmp_path / "office.env"
    chosen.write_text("OFFICEFLOW_LOCALE=en\n", encoding="utf-8")
    assert office_env.set(env_file=chosen).locale == "en"
    with pytest.raises(FileNotFoundError, match="OFFICEFLOW_ENV_FILE names no file"):
        office_env.set(env_file=tmp_path / "missing.env")
