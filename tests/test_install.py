"""The archive as a user installs it: a built wheel, not this source tree."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SERVE = """
import sys
from pathlib import Path
import archive
site, home = Path(sys.argv[1]), sys.argv[2]
assert Path(archive.__file__).resolve().is_relative_to(site.resolve()), archive.__file__
client = archive.create_app({"HOME": home, "SECRET_KEY": "test", "TESTING": True}).test_client()
for url in ("/ar/search?q=%D9%85%D8%B5%D8%B1", "/en/", "/fr/search?q=Egypt", "/static/style.css"):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    response.close()
page = client.get("/ar/").get_data(as_text=True)
assert 'dir="rtl"' in page and "بحث" in page
print("served")
"""


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if "__pycache__" not in p.parts}


def test_a_built_wheel_serves_every_page_and_writes_nothing_into_itself(tmp_path, indexed_home):
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dist), str(ROOT)],
        check=True,
        cwd=tmp_path,
    )
    (wheel,) = dist.glob("archive-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        site = tmp_path / "site"
        archive.extractall(site)
    assert "archive/templates/search.html" in names
    assert "archive/translations/ar/LC_MESSAGES/messages.po" in names
    assert "archive/static/style.css" in names
    before = _files(site)
    served = subprocess.run(
        [sys.executable, "-c", SERVE, str(site), str(indexed_home)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(site), "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
    )
    assert served.returncode == 0, served.stderr[-3000:]
    assert served.stdout.strip() == "served"
    assert _files(site) == before
