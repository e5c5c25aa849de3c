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


def test_ci_runs_the_readmes_test_command():
    assert "make test" in (PROJECT / ".ci" / "run").read_text(encoding="utf-8")
