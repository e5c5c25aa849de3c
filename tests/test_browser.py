"""The archive in a real browser: Debian's chromium driven by Playwright."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def result_ids(page) -> list[str]:
    hrefs = page.locator("ol.hits .hit-title a").evaluate_all("links => links.map(a => a.pathname)")
    return [h.rsplit("/", 1)[1] for h in hrefs]


def follow(page, locator, url: str) -> None:
    """Click a link or button and wait until the page it leads to has loaded.

    A click returns once the navigation starts; reading the page before the
    new one has loaded sees the old page or an empty one.
    """
    with page.expect_navigation(url=re.compile(url)):
        locator.click()


def test_search_from_the_box(page, live_server):
    page.goto(f"{live_server}/en/")
    page.get_by_label("Search the archive").fill("Raisouni")
    follow(page, page.get_by_role("button", name="Search", exact=True), r"/en/search\?q=Raisouni")
    assert "soulaimane-raissouni-case-en" in result_ids(page)
    assert page.get_by_text("was searched as Soulaimane Raissouni").is_visible()


def test_facet_selection_and_removal(page, live_server):
    page.goto(f"{live_server}/en/search?q=NSO")
    total = page.locator("#results-heading").inner_text()
    arabic = page.locator(".facet", has_text="Language").get_by_role(
        "link", name=re.compile("Arabic")
    )
    follow(page, arabic, "lang=ar")
    assert page.locator("#results-heading").inner_text() != total
    assert all(p.endswith("-ar") for p in result_ids(page))
    follow(page, page.locator(".chips a.chip").first, r"^(?!.*lang=ar).*/search")
    assert page.locator("#results-heading").inner_text() == total


def test_pagination(page, live_server):
    page.goto(f"{live_server}/en/search?size=5")
    first = result_ids(page)
    follow(
        page,
        page.get_by_role("navigation", name="Pages").get_by_role("link", name="Next"),
        "page=2",
    )
    second = result_ids(page)
    assert len(second) == 5 and not set(first) & set(second)
    assert page.locator('.pagination a[aria-current="page"]').inner_text() == "2"


def test_language_switch_keeps_the_query(page, live_server):
    page.goto(f"{live_server}/en/search?q=Khashoggi&type=case")
    arabic = page.get_by_role("navigation", name="Interface language").get_by_role(
        "link", name="العربية"
    )
    follow(page, arabic, "/ar/search\\?")
    assert page.get_by_label("ابحث في الأرشيف").input_value() == "Khashoggi"
    assert "type=case" in page.url
    assert page.locator("html").get_attribute("dir") == "rtl"


def test_rtl_mirrors_the_layout(page, live_server):
    boxes = {}
    for lang in ("en", "ar"):
        page.goto(f"{live_server}/{lang}/search?q=Egypt")
        facets = page.locator("aside.facets").bounding_box()
        results = page.locator("section.results").bounding_box()
        boxes[lang] = (facets["x"], results["x"])
    assert boxes["en"][0] < boxes["en"][1]  # filters on the left in English
    assert boxes["ar"][0] > boxes["ar"][1]  # and on the right in Arabic


def test_everything_works_without_javascript(browser, live_server):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server}/fr/")
    page.get_by_label("Chercher dans l'archive").fill("Égypte")
    follow(page, page.get_by_role("button", name="Recherche", exact=True), "/fr/search")
    assert result_ids(page)
    page.get_by_label("Trier par").select_option("date-asc")
    follow(page, page.get_by_role("button", name="Appliquer"), "sort=date-asc")
    letters = page.locator(".facet", has_text="Type").get_by_role("link", name=re.compile("Lettre"))
    follow(page, letters, "type=letter")
    follow(page, page.locator("ol.hits .hit-title a").first, "/fr/documents/")
    context.close()


def test_sorting_submits_itself_with_javascript(page, live_server):
    page.goto(f"{live_server}/en/search?q=Morocco")
    assert not page.get_by_role("button", name="Apply").is_visible()
    page.get_by_label("Sort by").select_option("date")
    page.wait_for_url(re.compile("sort=date"))


def test_document_page_and_paragraph_citation(page, live_server):
    page.goto(f"{live_server}/en/documents/omar-radi-case-en")
    assert page.locator("h1").inner_text().startswith("Omar Radi")
    page.locator("#p2").get_by_role("link", name="Cite this paragraph").click()
    citation = page.locator("#citation-text")
    expect(citation).to_have_text(re.compile(r"/en/documents/omar-radi-case-en#p2$"))
    expect(citation).to_contain_text("paragraph 2")


def test_citation_copy_button(browser, live_server):
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(f"{live_server}/ar/documents/omar-radi-case-ar")
    page.locator("#citation-text + button").click()
    expect(page.locator("#citation-text + button")).to_have_text("نُسخ")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.locator("#citation-text").inner_text()
    context.close()


def test_keyboard_only_use(page, live_server):
    page.goto(f"{live_server}/en/search?q=Egypt")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    for _ in range(15):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "q":
            break
    assert page.evaluate("document.activeElement.id") == "q"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"


@pytest.mark.parametrize(
    "path",
    [
        "/en/search?q=Egypt",
        "/ar/search?q=%D9%85%D8%B5%D8%B1&country=EG",
        "/fr/documents/omar-radi-case-fr",
        "/ar/",
        "/en/countries/",
    ],
)
def test_accessibility_pass(page, live_server, path):
    page.goto(f"{live_server}{path}")
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
