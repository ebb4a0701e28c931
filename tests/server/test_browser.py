"""The chat page, the document view and /docs in a real headless Chromium against the real server.

The browser is the system Chromium (never a downloaded one); without it these tests fail, they do not skip.  One
browser per module, one fresh context per test.  Every test also checks that the page talked to nobody but the
server on 127.0.0.1.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from conftest import serve_process
from playwright import sync_api as playwright_sync

from retriever.config import Settings

expect = playwright_sync.expect

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
ANSWER_TIMEOUT_MS = 60_000

GREENFIELD_Q = "How much did Korea invest in US greenfield projects in 2024?"
KIEP_TITLE = "Challenges and Tasks Ahead for the Korea-US Economic Alliance"
OFF_TOPIC_Q = "How many legs does a spider have?"
ABSTAIN_TEXT = "These documents do not answer this question."
XSS = "<img src=x onerror=alert(1)>"

# Records CSP violations from inside the page (init scripts are injected by the browser, not subject to the CSP).
CSP_PROBE = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


class Watch:
    """Everything a page did that a test may want to forbid: console errors, page errors, dialogs, requests."""

    def __init__(self) -> None:
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[str] = []

    def attach(self, page) -> None:
        page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.page_errors.append(str(e)))
        page.on("request", lambda r: self.requests.append(r.url))

        def on_dialog(dialog) -> None:
            self.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)

    def foreign_requests(self) -> list[str]:
        foreign = []
        for url in self.requests:
            parts = urlsplit(url)
            if parts.scheme in ("data", "blob", "about"):
                continue
            if parts.hostname != "127.0.0.1":
                foreign.append(url)
        return foreign

    def assert_clean(self, page) -> None:
        assert self.console_errors == [], f"console errors: {self.console_errors}"
        assert self.page_errors == [], f"uncaught page errors: {self.page_errors}"
        assert page.evaluate("window.__csp || []") == [], "CSP violations"
        assert self.dialogs == [], f"dialogs: {self.dialogs}"


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install the system Chromium (apt-get install chromium); "
                    "these tests never download a browser", pytrace=False)
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    ctx.add_init_script(CSP_PROBE)
    ctx.set_default_timeout(15_000)
    watch = Watch()
    ctx.on("page", watch.attach)
    ctx.watch = watch
    try:
        yield ctx
    finally:
        ctx.close()
    assert watch.foreign_requests() == [], f"requests left 127.0.0.1: {watch.foreign_requests()}"


@pytest.fixture
def page(context):
    return context.new_page()


def ask(page, question: str) -> None:
    """Type the question like a person and press Enter."""
    box = page.locator("textarea#question")
    box.click()
    box.press_sequentially(question)
    box.press("Enter")


def wait_for_answer(page, n: int = 1):
    """The n-th answer (or error) in the conversation, once it has arrived."""
    done = page.locator("#conversation .answer, #conversation .error")
    expect(done).to_have_count(n, timeout=ANSWER_TIMEOUT_MS)
    return done.nth(n - 1)


def full_page_screenshot(page, path: Path) -> None:
    """Scrolled to the end first, so the sticky question box is drawn at the bottom of the picture."""
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    page.screenshot(path=str(path), full_page=True)


# ------------------------------------------------------------------------------------------------ chat page


def test_ask_shows_cited_cards(page, live_server, artifacts):
    page.goto(live_server.url + "/")
    ask(page, GREENFIELD_Q)
    expect(page.locator(".message.user .bubble")).to_have_text(GREENFIELD_Q)
    answer = wait_for_answer(page)
    assert "answer" in answer.get_attribute("class"), answer.inner_text()

    first = answer.locator(".card").first
    expect(first.locator("mark")).to_have_count(1)
    expect(first.locator("mark")).to_contain_text("$14.8 billion")
    expect(first.locator(".card-title")).to_have_text(KIEP_TITLE)
    expect(first.locator(".rank")).to_have_text("1")
    expect(first.locator(".meta")).to_contain_text("Hyok Jung Kim")
    expect(first.locator(".meta")).to_contain_text("2025-09-27")
    expect(first.locator(".section-name")).not_to_be_empty()
    href = first.locator("a.source-link").get_attribute("href")
    assert href.startswith("/documents/kiep-2025-korea-us-economic-alliance?"), href
    expect(page.locator(".notice.abstained")).to_have_count(0)
    expect(page.locator("button#send")).to_be_enabled()
    expect(page.locator("button#send")).to_have_text("Send")
    expect(page.locator("textarea#question")).to_have_value("")

    full_page_screenshot(page, artifacts / "chat.png")


def test_mark_matches_highlight_offsets(page, live_server):
    """The <mark> is exactly the highlight sentence that the API returned, for every card."""
    with page.expect_response(lambda r: r.url.endswith("/api/ask")) as response:
        page.goto(live_server.url + "/")
        ask(page, GREENFIELD_Q)
    body = response.value.json()
    wait_for_answer(page)
    cards = page.locator(".answer .card")
    expect(cards).to_have_count(len(body["passages"]))
    for i, passage in enumerate(body["passages"]):
        card = cards.nth(i)
        assert card.locator(".passage").text_content() == passage["text"]
        if passage["highlight"]:
            assert card.locator("mark").text_content() == passage["highlight"]["text"]
        else:
            assert card.locator("mark").count() == 0


def test_shift_enter_inserts_newline_and_does_not_send(page, live_server, context):
    page.goto(live_server.url + "/")
    box = page.locator("textarea#question")
    box.click()
    box.press_sequentially("first line")
    box.press("Shift+Enter")
    box.press_sequentially("second line")
    expect(box).to_have_value("first line\nsecond line")
    page.wait_for_timeout(300)
    expect(page.locator(".message.user")).to_have_count(0)
    assert not [u for u in context.watch.requests if u.endswith("/api/ask")]


def test_loading_state_then_server_error_detail(page, live_server):
    """While the request is out the button is disabled and says so; a non-2xx answer shows the server's detail."""
    held = []
    page.route("**/api/ask", lambda route: held.append(route))
    page.goto(live_server.url + "/")
    ask(page, "Is the index ready?")
    expect(page.locator(".loading")).to_have_text("Searching…")
    expect(page.locator("button#send")).to_be_disabled()
    page.wait_for_function("() => true")  # let the route event reach Python
    assert held, "the page sent no request"
    held[0].fulfill(status=503, content_type="application/json",
                    body=json.dumps({"detail": "the index is still loading; try again in a moment"}))
    error = page.locator(".message.error")
    expect(error).to_have_text("the index is still loading; try again in a moment")
    expect(page.locator(".loading")).to_have_count(0)
    expect(page.locator("button#send")).to_be_enabled()


def test_network_failure_is_shown(page, live_server):
    page.route("**/api/ask", lambda route: route.abort("connectionrefused"))
    page.goto(live_server.url + "/")
    ask(page, "Anyone there?")
    expect(page.locator(".message.error")).to_contain_text("Could not reach the server")
    expect(page.locator("button#send")).to_be_enabled()


def test_out_of_scope_question_abstains(page, live_server):
    page.goto(live_server.url + "/")
    ask(page, OFF_TOPIC_Q)
    wait_for_answer(page)
    expect(page.locator(".notice.abstained")).to_have_text(ABSTAIN_TEXT)
    if page.locator(".answer .card").count():
        expect(page.locator(".answer .nearest")).to_have_text("Nearest passages")


def test_user_text_is_not_html(page, live_server, context):
    page.goto(live_server.url + "/")
    ask(page, XSS)
    expect(page.locator(".message.user .bubble")).to_have_text(XSS)
    wait_for_answer(page)
    page.wait_for_timeout(200)
    assert page.locator("#conversation img").count() == 0
    assert context.watch.dialogs == []
    assert not [u for u in context.watch.requests if urlsplit(u).path == "/x"]


def test_corpus_text_is_not_html(page, live_server, context):
    """Titles, passages and footnotes come from documents: they must land as text, whatever they contain."""
    evil = "<img src=x onerror=alert(2)><b>bold</b>"
    passage = {
        "rank": 1, "score": 0.5, "text": evil + " tail",
        "highlight": {"text": evil, "char_start": 10, "char_end": 10 + len(evil)},
        "citation": {"doc_id": "d\"><script>alert(3)</script>", "title": evil, "authors": [evil], "publisher": evil,
                     "date": evil, "url": "javascript:alert(4)", "section": evil, "char_start": 10,
                     "char_end": 10 + len(evil) + 5, "footnotes": [{"marker": evil, "text": evil}]},
    }
    answer = {"question": "q", "abstained": False, "passages": [passage], "timings_ms": {"total": 1.0}}
    page.route("**/api/ask", lambda route: route.fulfill(status=200, content_type="application/json",
                                                          body=json.dumps(answer)))
    page.goto(live_server.url + "/")
    ask(page, "anything")
    card = page.locator(".answer .card")
    expect(card).to_have_count(1)
    expect(card.locator(".card-title")).to_have_text(evil)
    expect(card.locator("mark")).to_have_text(evil)
    expect(card.locator(".fn-text")).to_have_text(evil)
    page.wait_for_timeout(200)
    assert page.locator("#conversation img, #conversation b, #conversation script").count() == 0
    href = card.locator("a.source-link").get_attribute("href")
    assert href.startswith("/documents/d%22%3E%3Cscript%3E"), href
    assert context.watch.dialogs == []


def test_chat_page_is_clean(page, live_server, context):
    """No console errors, no CSP violations, nothing fetched from anywhere but the server: loading and asking."""
    page.goto(live_server.url + "/")
    page.wait_for_load_state("networkidle")
    context.watch.assert_clean(page)
    ask(page, GREENFIELD_Q)
    wait_for_answer(page)
    expect(page.locator(".answer .card").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    context.watch.assert_clean(page)
    assert context.watch.foreign_requests() == []
    assert any(u.endswith("/api/ask") for u in context.watch.requests)


def test_narrow_screen_has_no_horizontal_scroll(browser, live_server, artifacts):
    ctx = browser.new_context(viewport={"width": 420, "height": 860}, device_scale_factor=1)
    try:
        page = ctx.new_page()
        page.goto(live_server.url + "/")
        ask(page, GREENFIELD_Q)
        wait_for_answer(page)
        expect(page.locator(".answer .card").first).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        send = page.locator("button#send").bounding_box()
        assert send and send["x"] + send["width"] <= 420
        full_page_screenshot(page, artifacts / "chat-narrow.png")
    finally:
        ctx.close()


# -------------------------------------------------------------------------------------------- document view


IN_VIEWPORT = """(el) => {
  const r = el.getBoundingClientRect();
  return r.height > 0 && r.bottom > 0 && r.top < window.innerHeight && r.right > 0 && r.left < window.innerWidth;
}"""

PARAGRAPH_TEXT = "() => Array.from(document.querySelectorAll('#doc-text p.para')).map((p) => p.textContent).join('\\n\\n')"
CITED_TEXT = "() => Array.from(document.querySelectorAll('mark.cited')).map((m) => m.textContent).join('')"


def test_open_in_document(page, live_server, context, artifacts):
    page.goto(live_server.url + "/")
    ask(page, GREENFIELD_Q)
    wait_for_answer(page)
    first = page.locator(".answer .card").first
    sentence = first.locator("mark").text_content()
    passage = first.locator(".passage").text_content()
    with context.expect_page() as opened:
        first.locator("a.source-link").click()
    doc_page = opened.value
    doc_page.wait_for_load_state()

    cited = doc_page.locator("mark.cited")
    expect(cited.first).to_be_visible()
    cited_text = doc_page.evaluate(CITED_TEXT)
    assert sentence in cited_text
    assert cited_text == "".join(passage.split("\n\n"))
    expect(doc_page.locator("mark.cited mark.answer")).to_have_text(sentence)
    assert cited.first.evaluate(IN_VIEWPORT), "the cited span was not scrolled into view"
    expect(doc_page.locator("h1.doc-title")).to_have_text(KIEP_TITLE)

    doc_id = urlsplit(doc_page.url).path.rsplit("/", 1)[1]
    api = httpx.get(f"{live_server.url}/api/documents/{doc_id}", timeout=30).json()
    assert doc_page.evaluate(PARAGRAPH_TEXT) == api["text"]

    doc_page.wait_for_load_state("networkidle")
    doc_page.screenshot(path=str(artifacts / "document.png"))
    context.watch.assert_clean(doc_page)


def test_document_deep_link_scrolls_to_span(page, live_server, context, artifacts):
    """A span near the end of the longest document, across a paragraph break, is marked in pieces and scrolled to."""
    docs = httpx.get(f"{live_server.url}/api/documents", timeout=30).json()
    longest = max(docs, key=lambda d: d["chars"])
    doc = httpx.get(f"{live_server.url}/api/documents/{longest['doc_id']}", timeout=30).json()
    text = doc["text"]
    brk = text.rfind("\n\n", 0, int(len(text) * 0.85))
    assert brk > len(text) // 2
    start, end = max(0, brk - 120), min(len(text), brk + 140)
    hl_start, hl_end = start + 20, start + 60
    page.goto(f"{live_server.url}/documents/{doc['doc_id']}?start={start}&end={end}"
              f"&hl_start={hl_start}&hl_end={hl_end}")
    expect(page.locator("mark.cited").first).to_be_visible()
    assert page.evaluate(CITED_TEXT) == "".join(text[start:end].split("\n\n"))
    assert page.locator("mark.cited").count() >= 2
    expect(page.locator("mark.answer")).to_have_text(text[hl_start:hl_end])
    assert page.evaluate("window.scrollY") > 0
    assert page.locator("mark.answer").evaluate(IN_VIEWPORT)
    assert page.evaluate(PARAGRAPH_TEXT) == text
    context.watch.assert_clean(page)


def test_unknown_document_says_so(page, live_server, context):
    page.goto(live_server.url + "/documents/no-such-doc?start=0&end=10")
    expect(page.locator(".message.error")).to_contain_text("no-such-doc")
    expect(page.locator("mark")).to_have_count(0)
    # The 404 of the API call is logged by Chromium itself; nothing else may be.
    assert all("404" in e for e in context.watch.console_errors), context.watch.console_errors
    assert context.watch.page_errors == []


# ---------------------------------------------------------------------------------------------------- /docs


def test_swagger_ui(page, live_server, context):
    page.goto(live_server.url + "/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("alliance-qa", timeout=20_000)
    ask_op = page.locator(".swagger-ui .opblock-summary", has_text="/api/ask")
    expect(ask_op).to_be_visible()
    ask_op.click()
    expect(page.locator(".swagger-ui .opblock.is-open .opblock-body")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert context.watch.foreign_requests() == []
    context.watch.assert_clean(page)


def test_html_inside_a_corpus_document_stays_text(context, tmp_path):
    """A real document whose text holds markup, indexed and served for real: the chat page and the document view
    show the markup as characters and run none of it."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    evil = '<img src=x onerror=alert(5)><script>alert(6)</script><b>bold</b>'
    (corpus / "evil.txt").write_text(
        f"Tariff Notes {evil}\n\nTariffs on steel rose to 25 percent in 2018 {evil} and buyers paid more.\n\n"
        "Shipbuilders in Busan ordered more plate that year.\n"
    )
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", multilingual_model="none")
    server = serve_process(settings, {"ALLIANCE_QA_MULTILINGUAL_MODEL": "none"})
    try:
        server.wait_ready(timeout=240)
        page = context.new_page()
        page.goto(server.url + "/")
        ask(page, "How much did tariffs on steel rise?")
        card = wait_for_answer(page).locator(".card").first
        expect(card).to_contain_text("<script>alert(6)</script>")
        expect(card.locator(".card-title")).to_contain_text("<img src=x onerror=alert(5)>")
        with context.expect_page() as opened:
            card.locator("a.source-link").click()
        doc_page = opened.value
        doc_page.wait_for_load_state()
        expect(doc_page.locator("mark").first).to_be_visible()
        expect(doc_page.locator("body")).to_contain_text("<b>bold</b>")
        page.wait_for_timeout(300)
        for p in context.pages:
            assert p.locator("img, b, main script, #conversation script").count() == 0, p.url
        assert context.watch.dialogs == []
        assert not [u for u in context.watch.requests if urlsplit(u).path.endswith("/x")]
    finally:
        server.stop()
