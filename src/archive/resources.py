"""Where the templates, static files and message catalogues are.

An installed archive (a wheel, `pip install .`) keeps them inside the
package, found through `importlib.resources`; a source checkout, and an
editable install of one, keeps them at the top of the tree. Nothing is
ever written there: the catalogues are read from their ``.po`` files.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def folder(name: str) -> Path:
    """The folder `name` (templates, static or translations, which setup.py
    copies into a built package) of this installation."""
    packaged = resources.files("archive") / name
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / name
