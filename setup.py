"""Builds the package with its templates, static files and message catalogues.

They live at the top of the source tree (templates/, static/, translations/);
a built package (a wheel, `pip install .`) carries them inside `archive/`,
where `archive.resources` finds them. An editable install reads them from
the tree itself.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

FOLDERS = ("templates", "static", "translations")


class BuildWithResources(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        here = Path(__file__).resolve().parent
        for name in FOLDERS:
            target = Path(self.build_lib) / "archive" / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(here / name, target, ignore=shutil.ignore_patterns("*.mo", "*.pot"))


setup(cmdclass={"build_py": BuildWithResources})
