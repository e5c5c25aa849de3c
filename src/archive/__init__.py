"""A searchable archive of human-rights documents: the corpus and its analysis,
search (planner, backends), extraction, the web app (`create_app`) and the CLI.

See docs/architecture.md for what each module and folder holds.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from .config import DEFAULTS, from_environment, home_from_env
from .resources import folder

if TYPE_CHECKING:  # Flask is imported by the app alone: the command line starts without it
    from flask import Flask


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: defaults, then ARCHIVE_* environment variables, then `test_config`."""
    from flask import Flask

    app = Flask(
        __name__,
        template_folder=str(folder("templates")),
        static_folder=str(folder("static")),
    )
    app.config.update(DEFAULTS)
    app.config.update(from_environment())
    app.config.update(test_config or {})
    app.config["HOME"] = str(home_from_env(app.config.get("HOME")))
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.config["HOME"]))

    from . import errors, i18n, web
    from .search import SearchService

    app.extensions["archive"] = SearchService(Path(app.config["HOME"]), settings=app.config)
    i18n.init_app(app)
    errors.init_app(app)
    web.init_app(app)
    return app


def _instance_secret(home: Path) -> str:
    """A secret key kept in <home>/instance/secret_key, created on first use."""
    path = home / "instance" / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        from .corpus import write_atomic

        write_atomic(path, secrets.token_hex(32).encode("ascii"))
        path.chmod(0o600)
    return path.read_text(encoding="ascii").strip()
