"""Documentation keeps up with the code."""

from __future__ import annotations

import pytest

from archive.config import SETTINGS

from .conftest import PROJECT


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_every_setting_is_in_the_readme(setting):
    assert f"| `{setting.name}` |" in (PROJECT / "README.md").read_text(encoding="utf-8")


def test_the_readme_starts_with_the_two_commands():
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    block = readme.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    assert [line.split("#")[0].strip() for line in block] == ["make run", "make test"]


def test_make_run_serves_on_the_host_and_port_the_readme_says():
    import re
    import subprocess

    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    documented = re.search(r"`make run (HOST=\S+) (PORT=\d+)`", readme)
    assert documented
    planned = subprocess.run(
        ["make", "-n", "run", *documented.groups(), "BIN=bin"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    host, port = (value.split("=")[1] for value in documented.groups())
    assert f"bin/archive serve --host {host} --port {port}" in planned.splitlines()
    default = subprocess.run(
        ["make", "-n", "run", "BIN=bin"], cwd=PROJECT, capture_output=True, text=True
    ).stdout
    assert "bin/archive serve --host 127.0.0.1 --port 8000" in default.splitlines()


def test_ci_runs_the_readmes_test_command():
    assert "make test" in (PROJECT / ".ci" / "run").read_text(encoding="utf-8")


def test_the_dependency_audit_says_when_it_audited_nothing():
    import importlib.util

    spec = importlib.util.spec_from_file_location("audit", PROJECT / "scripts" / "audit.py")
    audit = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(audit)
    skipped = {"name": "flask", "version": "3.0", "skip_reason": "not found"}
    clean = {"name": "babel", "version": "2.18", "vulns": []}
    bad = {"name": "jinja2", "version": "2.0", "vulns": [{"id": "PYSEC-1"}]}
    lines, status = audit.summarise({"dependencies": [skipped, dict(skipped, name="x")]})
    assert status == 0 and "audit skipped" in lines[0]
    lines, status = audit.summarise({"dependencies": [skipped, clean]})
    assert status == 0 and "1 packages audited" in lines[0] and "1 could not" in lines[0]
    lines, status = audit.summarise({"dependencies": [clean, bad]})
    assert status == 1 and "jinja2 2.0: PYSEC-1" in lines[0]
