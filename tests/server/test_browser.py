"""The chat page, the document view and /docs in a real headless Chromium against the real server.

The browser is the system Chromium (never a downloaded one); without it these tests fail, they do not skip.  One
browser per module, one fresh context per test.  Every test also checks that the page talked to nobody but the
server on 127.0.0.1.  The tests of the answer-first reply run twice: on a desktop and on a phone-sized viewport.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

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
FOLLOW_UP_Q = "And what about in 2023?"
KIEP_TITLE = "Challenges and Tasks Ahead for the Korea-US Economic Alliance"
OFF_TOPIC_Q = "How many legs does a spider have?"
RECIPE_Q = "How do I make a vegetable lasagna?"
ABSTAIN_TEXT = "These documents do not answer this question."
NOT_AN_ANSWER = "Closest passages — not an answer"
XSS = "<img src=x onerror=alert(1)>"
STORAGE_KEY = "alliance-qa.conversation"  # app.js keeps the conversation here as {"version": 1, "exchanges": [...]}
MAX_HISTORY_TURNS = 20  # the server's limits on history (server/app.py)
MAX_TURN_CHARS = 2000

VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
              "has_touch": True},
}

# Records CSP violations from inside the page (init scripts are injected by the browser, not subject to the CSP).
CSP_PROBE = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""

IN_VIEWPORT = """(el) => {
  const r = el.getBoundingClientRect();
  return r.height > 0 && r.bottom > 0 && r.top < window.innerHeight && r.right > 0 && r.left < window.innerWidth;
}"""

# Above the sticky question box, not under it: what a person actually sees first.
ABOVE_COMPOSER = """(el) => {
  const r = el.getBoundingClientRect();
  const composer = document.querySelector('.composer').getBoundingClientRect();
  return r.height > 0 && r.top >= 0 && r.top + 24 < Math.min(composer.top, window.innerHeight);
}"""


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


def watched_context(browser, device: str, locale: str = "en-US", permissions: tuple[str, ...] = ()):
    ctx = browser.new_context(locale=locale, **VIEWPORTS[device])
    if permissions:
        ctx.grant_permissions(list(permissions))
    ctx.add_init_script(CSP_PROBE)
    ctx.set_default_timeout(15_000)
    watch = Watch()
    ctx.on("page", watch.attach)
    ctx.watch = watch
    ctx.device = device
    try:
        yield ctx
    finally:
        ctx.close()
    assert watch.foreign_requests() == [], f"requests left 127.0.0.1: {watch.foreign_requests()}"


@pytest.fixture
def context(browser):
    yield from watched_context(browser, "desktop")


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture(params=list(VIEWPORTS))
def device_context(request, browser):
    """A context on each of a desktop and a phone-sized viewport."""
    yield from watched_context(browser, request.param)


@pytest.fixture
def device_page(device_context):
    return device_context.new_page()


def ask(page, question: str) -> None:
    """Type the question like a person and press Enter."""
    box = page.locator("textarea#question")
    box.click()
    box.press_sequentially(question)
    box.press("Enter")


def wait_for_answer(page, n: int = 1):
    """The n-th reply (or error) in the conversation, once it has arrived."""
    done = page.locator("#conversation .reply, #conversation .error")
    expect(done).to_have_count(n, timeout=ANSWER_TIMEOUT_MS)
    return done.nth(n - 1)


def ask_and_read(page, question: str, n: int = 1):
    """Ask, and return the JSON the page really posted, the HTTP status, the server's JSON and the n-th reply."""
    with page.expect_response(lambda r: urlsplit(r.url).path == "/api/ask", timeout=ANSWER_TIMEOUT_MS) as info:
        ask(page, question)
    response = info.value
    sent = response.request.post_data_json
    body = response.json()
    return sent, response.status, body, wait_for_answer(page, n)


def full_page_screenshot(page, path: Path) -> None:
    """Scrolled to the end first, so the sticky question box is drawn at the bottom of the picture."""
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    page.screenshot(path=str(path), full_page=True)


def words(text: str) -> str:
    return " ".join(text.split())


def assert_no_horizontal_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "horizontal scroll"


def stored(page):
    raw = page.evaluate(f"localStorage.getItem({json.dumps(STORAGE_KEY)})")
    return None if raw is None else json.loads(raw)


def store(page, value) -> None:
    """Put a value (a string as it is, anything else as JSON) where the page keeps its conversation."""
    raw = value if isinstance(value, str) else json.dumps(value)
    page.evaluate("([k, v]) => localStorage.setItem(k, v)", [STORAGE_KEY, raw])


# ------------------------------------------------------------------------------------------------ chat page


def test_ask_shows_cited_cards(page, live_server, artifacts):
    page.goto(live_server.url + "/")
    ask(page, GREENFIELD_Q)
    expect(page.locator(".message.user .bubble")).to_have_text(GREENFIELD_Q)
    reply = wait_for_answer(page)
    assert "reply" in reply.get_attribute("class"), reply.inner_text()

    expect(reply.locator(".answer-block .answer-text")).to_contain_text("$14.8 billion")
    first = reply.locator(".card").first
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
    page.goto(live_server.url + "/")
    _, _, body, _ = ask_and_read(page, GREENFIELD_Q)
    cards = page.locator(".reply .card")
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
    assert stored(page) is None, "a failed question is not part of the conversation"


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
    expect(page.locator(".notice.abstained .notice-title")).to_have_text(ABSTAIN_TEXT)
    expect(page.locator(".answer-block")).to_have_count(0)
    if page.locator(".reply .card").count():
        expect(page.locator(".reply .nearest")).to_have_text(NOT_AN_ANSWER)


def test_corpus_text_is_not_html(page, live_server, context):
    """Titles, passages, footnotes, answers and reasons come from documents: they must land as text, whatever they
    contain, when they arrive and when they are drawn again from storage after a reload."""
    evil = "<img src=x onerror=alert(2)><b>bold</b>"
    passage = {
        "rank": 1, "score": 0.5, "text": evil + " tail",
        "highlight": {"text": evil, "char_start": 10, "char_end": 10 + len(evil)},
        "citation": {"doc_id": "d\"><script>alert(3)</script>", "title": evil, "authors": [evil], "publisher": evil,
                     "date": evil, "url": "javascript:alert(4)", "section": evil, "char_start": 10,
                     "char_end": 10 + len(evil) + 5, "footnotes": [{"marker": evil, "text": evil}]},
    }
    answer = {"question": "q", "abstained": False, "passages": [passage], "timings_ms": {"total": 1.0},
              "answer": {"text": evil + " [1]", "sentences": [
                  {"text": evil, "doc_id": passage["citation"]["doc_id"], "char_start": 10,
                   "char_end": 10 + len(evil), "passage": 1}]}}
    abstained = {"question": "q", "abstained": True, "answer": None, "reason": evil, "passages": [passage],
                 "timings_ms": {"total": 1.0}}
    replies = [answer, abstained]
    page.route("**/api/ask", lambda route: route.fulfill(status=200, content_type="application/json",
                                                          body=json.dumps(replies.pop(0))))
    page.goto(live_server.url + "/")
    ask(page, "anything")
    wait_for_answer(page)
    ask(page, "anything else")
    wait_for_answer(page, 2)

    def check() -> None:
        card = page.locator(".reply .card")
        expect(card).to_have_count(2)
        expect(card.first.locator(".card-title")).to_have_text(evil)
        expect(card.first.locator("mark")).to_have_text(evil)
        expect(card.first.locator(".fn-text")).to_have_text(evil)
        expect(page.locator(".answer-sentence")).to_have_text(evil)
        expect(page.locator(".reply .reason")).to_have_text(evil)
        page.wait_for_timeout(200)
        assert page.locator("#conversation img, #conversation b, #conversation script").count() == 0
        href = card.first.locator("a.source-link").get_attribute("href")
        assert href.startswith("/documents/d%22%3E%3Cscript%3E"), href
        href = page.locator("a.answer-sentence").get_attribute("href")
        assert href.startswith("/documents/d%22%3E%3Cscript%3E"), href

    check()
    page.reload()
    check()
    assert context.watch.dialogs == []


def test_chat_page_is_clean(page, live_server, context):
    """No console errors, no CSP violations, nothing fetched from anywhere but the server: loading and asking."""
    page.goto(live_server.url + "/")
    page.wait_for_load_state("networkidle")
    context.watch.assert_clean(page)
    ask(page, GREENFIELD_Q)
    wait_for_answer(page)
    expect(page.locator(".reply .card").first).to_be_visible()
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
        expect(page.locator(".reply .answer-block")).to_be_visible()
        expect(page.locator(".reply .card").first).to_be_visible()
        page.locator(".toggle-passage").first.click()
        assert_no_horizontal_scroll(page)
        send = page.locator("button#send").bounding_box()
        assert send and send["x"] + send["width"] <= 420
        new = page.locator("button#new-conversation").bounding_box()
        assert new and new["x"] + new["width"] <= 420
        full_page_screenshot(page, artifacts / "chat-narrow.png")
    finally:
        ctx.close()


# ----------------------------------------------------------------------------------------- the answer first


def test_answer_first_with_links_to_its_cards(device_page, device_context, live_server, artifacts):
    """The composed answer heads the reply, in view above the question box, word for word the API's answer.text;
    each [n] is an in-page link that brings card n into view and focuses it, by mouse and by keyboard."""
    page = device_page
    page.goto(live_server.url + "/")
    _, status, body, reply = ask_and_read(page, GREENFIELD_Q)
    assert status == 200 and not body["abstained"] and body["answer"], body
    answer = reply.locator(".answer-block")
    expect(answer).to_be_visible()
    assert reply.evaluate("(r) => r.firstElementChild.classList.contains('answer-block')")
    expect(answer.locator(".reply-label")).to_have_text("Answer")
    page.wait_for_function(f"() => ({ABOVE_COMPOSER})(document.querySelector('.answer-block'))")
    assert words(answer.locator(".answer-text").text_content()) == words(body["answer"]["text"])
    page.screenshot(path=str(artifacts / f"chat-answer-{device_context.device}.png"))

    sentences = body["answer"]["sentences"]
    cites = answer.locator("a.cite")
    expect(cites).to_have_count(len(sentences))
    url = page.url
    for i, sentence in enumerate(sentences):
        cite = cites.nth(i)
        expect(cite).to_have_text(f"[{sentence['passage']}]")
        target = cite.get_attribute("href")
        assert target.startswith("#"), target
        card = page.locator(target)
        expect(card).to_have_count(1)
        expect(card.locator(".rank")).to_have_text(str(sentence["passage"]))
        expect(card.locator(".card-title")).to_have_text(body["passages"][sentence["passage"] - 1]["citation"]["title"])

        page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
        cite.click()
        expect(card).to_be_focused()
        expect(card).to_be_in_viewport()
        assert page.url == url, "the marker should not add to the browser history"

        # By keyboard: Tab from the answer's label reaches the marker, which shows a focus ring; Enter follows it.
        answer.locator(".reply-label").click()
        for _ in range(2 * len(sentences) + 2):
            page.keyboard.press("Tab")
            if cite.evaluate("(a) => document.activeElement === a"):
                break
        expect(cite).to_be_focused()
        assert cite.evaluate("(a) => getComputedStyle(a).outlineStyle") == "solid", "no visible focus ring"
        page.keyboard.press("Enter")
        expect(card).to_be_focused()

    # The answer comes before the cards on the page, not just in the markup.
    assert reply.evaluate("(r) => r.querySelector('.answer-block').getBoundingClientRect().bottom"
                          " <= r.querySelector('.card').getBoundingClientRect().top")
    assert_no_horizontal_scroll(page)
    device_context.watch.assert_clean(page)


def test_answer_sentence_opens_document_at_its_span(device_page, device_context, live_server):
    """Each sentence of the answer links to its document with the sentence's own span as the marked answer."""
    page = device_page
    page.goto(live_server.url + "/")
    _, _, body, reply = ask_and_read(page, GREENFIELD_Q)
    sentences = body["answer"]["sentences"]
    links = reply.locator(".answer-block a.answer-sentence")
    expect(links).to_have_count(len(sentences))
    for i, sentence in enumerate(sentences):
        link = links.nth(i)
        expect(link).to_have_text(sentence["text"])
        parts = urlsplit(link.get_attribute("href"))
        assert parts.path == "/documents/" + sentence["doc_id"]
        query = {k: int(v[0]) for k, v in parse_qs(parts.query).items()}
        assert (query["hl_start"], query["hl_end"]) == (sentence["char_start"], sentence["char_end"])
        assert query["start"] <= sentence["char_start"] < sentence["char_end"] <= query["end"]

    first = sentences[0]
    with device_context.expect_page() as opened:
        links.first.click()
    doc_page = opened.value
    doc_page.wait_for_load_state()
    strong = doc_page.locator("mark.cited mark.answer")
    expect(strong).to_have_text(first["text"])
    assert strong.evaluate(IN_VIEWPORT), "the answer sentence was not scrolled into view"
    doc = httpx.get(f"{live_server.url}/api/documents/{first['doc_id']}", timeout=30).json()
    assert doc["text"][first["char_start"]:first["char_end"]] == first["text"]
    assert_no_horizontal_scroll(doc_page)
    device_context.watch.assert_clean(doc_page)
    device_context.watch.assert_clean(page)


def test_card_shows_highlight_first_then_full_passage(device_page, device_context, live_server):
    """A card shows its highlight sentence; "Show full passage" (a button with aria-expanded) reveals the rest."""
    page = device_page
    page.goto(live_server.url + "/")
    _, _, body, reply = ask_and_read(page, GREENFIELD_Q)
    cards = reply.locator(".card")
    expect(cards).to_have_count(len(body["passages"]))
    toggled = 0
    for i, passage in enumerate(body["passages"]):
        card, hl = cards.nth(i), passage["highlight"]
        text = card.locator(".passage")
        partial = hl is not None and words(hl["text"]) != words(passage["text"])
        if not partial:
            expect(card.locator("button.toggle-passage")).to_have_count(0)
            assert words(text.inner_text()) == words(passage["text"])
            continue
        toggled += 1
        toggle = card.locator("button.toggle-passage")
        expect(toggle).to_have_text("Show full passage")
        expect(toggle).to_have_attribute("aria-expanded", "false")
        assert toggle.get_attribute("aria-controls") == text.get_attribute("id")
        expect(text.locator("mark")).to_be_visible()
        assert words(text.inner_text()) == words(hl["text"])

        if i == 0:  # the keyboard way once
            toggle.focus()
            page.keyboard.press("Enter")
        else:
            toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")
        assert words(text.inner_text()) == words(passage["text"])
        expect(text.locator("mark")).to_have_text(hl["text"])
        assert_no_horizontal_scroll(page)

        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "false")
        expect(toggle).to_have_text("Show full passage")
        assert words(text.inner_text()) == words(hl["text"])
    assert toggled, "no passage had a highlight shorter than itself"
    device_context.watch.assert_clean(page)


def test_abstention_shows_its_reason(device_page, device_context, live_server, artifacts):
    """A question the papers do not cover: the reason in words, no answer block, and the passages that follow are
    labelled as the closest ones, not an answer."""
    page = device_page
    page.goto(live_server.url + "/")
    _, status, body, reply = ask_and_read(page, RECIPE_Q)
    assert status == 200 and body["abstained"] and body["answer"] is None, body
    expect(reply.locator(".answer-block")).to_have_count(0)
    notice = reply.locator(".notice.abstained")
    expect(notice.locator(".notice-title")).to_have_text(ABSTAIN_TEXT)
    if body["reason"]:
        expect(notice.locator(".reason")).to_have_text(body["reason"])
    assert reply.evaluate("(r) => r.firstElementChild.classList.contains('abstained')")
    page.wait_for_function(f"() => ({ABOVE_COMPOSER})(document.querySelector('.notice.abstained'))")
    expect(reply.locator(".card")).to_have_count(len(body["passages"]))
    if body["passages"]:
        expect(reply.locator(".nearest")).to_have_text(NOT_AN_ANSWER)
    assert_no_horizontal_scroll(page)
    if device_context.device == "desktop":
        full_page_screenshot(page, artifacts / "chat-abstained.png")
    device_context.watch.assert_clean(page)


def test_follow_up_sends_the_conversation_as_history(device_page, device_context, live_server):
    """What the page really posts: no history with the first question, then the first question and the answer's
    text with the follow-up; the real server takes it (200)."""
    page = device_page
    page.goto(live_server.url + "/")
    sent, status, first, _ = ask_and_read(page, GREENFIELD_Q)
    assert status == 200
    assert not sent.get("history"), sent
    assert sent["question"] == GREENFIELD_Q and sent["k"] == 5

    sent, status, second, reply = ask_and_read(page, FOLLOW_UP_Q, n=2)
    assert status == 200, second
    assert sent["question"] == FOLLOW_UP_Q
    assert sent["history"] == [
        {"role": "user", "content": GREENFIELD_Q},
        {"role": "assistant", "content": first["answer"]["text"]},
    ]
    expect(page.locator(".message.user")).to_have_count(2)
    expect(reply.locator(".answer-block, .notice")).to_have_count(1)
    device_context.watch.assert_clean(page)


def test_conversation_survives_a_reload(device_page, device_context, live_server):
    """After a reload the exchanges are drawn again and still work, and the next question carries them: an
    abstention's reason is what the assistant said."""
    page = device_page
    page.goto(live_server.url + "/")
    _, _, abstained, _ = ask_and_read(page, RECIPE_Q)
    assert abstained["abstained"]
    _, _, answered, _ = ask_and_read(page, GREENFIELD_Q, n=2)
    before = page.locator("#conversation").inner_text()

    page.reload()
    expect(page.locator(".message.user .bubble")).to_have_text([RECIPE_Q, GREENFIELD_Q])
    expect(page.locator(".reply")).to_have_count(2)
    expect(page.locator("#intro")).to_be_hidden()
    assert page.locator("#conversation").inner_text() == before
    reply = page.locator(".reply").nth(1)
    cite = reply.locator("a.cite").first
    cite.click()
    expect(page.locator(cite.get_attribute("href"))).to_be_focused()
    toggle = reply.locator("button.toggle-passage").first
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")

    sent, status, _, _ = ask_and_read(page, FOLLOW_UP_Q, n=3)
    assert status == 200
    assert sent["history"] == [
        {"role": "user", "content": RECIPE_Q},
        {"role": "assistant", "content": abstained["reason"] or ABSTAIN_TEXT},
        {"role": "user", "content": GREENFIELD_Q},
        {"role": "assistant", "content": answered["answer"]["text"]},
    ]
    assert len(stored(page)["exchanges"]) == 3
    assert_no_horizontal_scroll(page)
    device_context.watch.assert_clean(page)


def test_new_conversation_clears_it(device_page, device_context, live_server):
    page = device_page
    page.goto(live_server.url + "/")
    ask_and_read(page, GREENFIELD_Q)
    assert stored(page) is not None
    new = page.get_by_role("button", name="New conversation")
    new.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#conversation .message")).to_have_count(0)
    expect(page.locator("#intro")).to_be_visible()
    expect(page.locator("textarea#question")).to_be_focused()
    assert stored(page) is None

    page.reload()
    expect(page.locator("#intro")).to_be_visible()
    expect(page.locator("#conversation .message")).to_have_count(0)
    sent, status, _, _ = ask_and_read(page, FOLLOW_UP_Q)
    assert status == 200 and not sent.get("history"), sent
    device_context.watch.assert_clean(page)


def test_new_conversation_while_waiting_drops_the_late_reply(page, live_server, context):
    held = []
    page.route("**/api/ask", lambda route: held.append(route))
    page.goto(live_server.url + "/")
    ask(page, "Is anyone there?")
    expect(page.locator(".loading")).to_be_visible()
    page.wait_for_function("() => true")
    assert held
    page.locator("button#new-conversation").click()
    expect(page.locator("#conversation .message, #conversation .loading")).to_have_count(0)
    expect(page.locator("button#send")).to_be_enabled()
    expect(page.locator("button#send")).to_have_text("Send")
    try:
        held[0].fulfill(status=200, content_type="application/json",
                        body=json.dumps({"question": "q", "abstained": True, "passages": [], "timings_ms": {}}))
    except Exception:  # the page already gave up the request
        pass
    page.wait_for_timeout(300)
    expect(page.locator("#conversation .message")).to_have_count(0)
    assert stored(page) is None
    context.watch.assert_clean(page)


def test_history_is_cut_to_the_server_limits(device_page, device_context, live_server):
    """A long stored conversation with overlong turns: the page sends only the last 20 turns, each cut to 2000
    characters, and the real server accepts them."""
    page = device_page
    page.goto(live_server.url + "/")
    exchanges = [{"question": f"question {i} " + "q" * 3000,
                  "reply": {"answer": {"text": f"answer {i} " + "a" * 3000 + " [1]", "sentences": []},
                            "reason": None, "abstained": False, "passages": [], "timings_ms": {}}}
                 for i in range(15)]
    store(page, {"version": 1, "exchanges": exchanges})
    page.reload()
    expect(page.locator(".message.user")).to_have_count(15)
    sent, status, body, _ = ask_and_read(page, GREENFIELD_Q, n=16)
    assert status == 200, body
    history = sent["history"]
    assert len(history) == MAX_HISTORY_TURNS
    assert all(len(turn["content"]) <= MAX_TURN_CHARS for turn in history)
    assert [t["role"] for t in history] == ["user", "assistant"] * (MAX_HISTORY_TURNS // 2)
    assert history[0]["content"].startswith("question 5 ") and history[-1]["content"].startswith("answer 14 ")
    assert_no_horizontal_scroll(page)
    device_context.watch.assert_clean(page)


BAD_STORED_VALUES = [
    "{not json",
    "null",
    '"a string"',
    "[]",
    json.dumps({"version": 99, "exchanges": [{"question": "from the future", "reply": {"passages": []}}]}),
    json.dumps({"version": 1, "exchanges": "nope"}),
    json.dumps({"version": 1, "exchanges": [None, 5, {"question": 7}, {"question": "no reply", "reply": None},
                                            {"question": " ", "reply": {"passages": []}}]}),
]


def test_corrupt_or_old_stored_conversation_is_ignored(device_page, device_context, live_server):
    page = device_page
    page.goto(live_server.url + "/")
    for value in BAD_STORED_VALUES:
        store(page, value)
        page.reload()
        expect(page.locator("#intro")).to_be_visible()
        expect(page.locator("#conversation .message")).to_have_count(0)
        expect(page.locator("button#send")).to_be_enabled()

    # The right shape with nonsense inside is drawn as far as it goes, as text, and breaks nothing.
    store(page, {"version": 1, "exchanges": [{"question": "<b>odd</b>", "reply": {
        "passages": [5, None, "x", {"rank": "1", "citation": "x", "highlight": {"char_start": "a"}, "text": {"y": 1}}],
        "answer": {"sentences": [None, {"text": 5, "passage": "1"}], "text": 7},
        "abstained": "yes", "reason": ["r"], "timings_ms": None}}]})
    page.reload()
    expect(page.locator(".message.user .bubble")).to_have_text("<b>odd</b>")
    expect(page.locator(".reply")).to_have_count(1)
    assert page.locator("#conversation b").count() == 0

    sent, status, _, _ = ask_and_read(page, GREENFIELD_Q, n=2)
    assert status == 200
    assert sent["history"][0] == {"role": "user", "content": "<b>odd</b>"}
    assert stored(page)["version"] == 1 and len(stored(page)["exchanges"]) == 2
    device_context.watch.assert_clean(page)


def test_user_text_is_not_html(device_page, device_context, live_server):
    """Markup in a question is shown as characters: when asked, after a reload from storage, and sent back as such."""
    page, context = device_page, device_context
    page.goto(live_server.url + "/")
    ask(page, XSS)
    expect(page.locator(".message.user .bubble")).to_have_text(XSS)
    wait_for_answer(page)
    page.reload()
    expect(page.locator(".message.user .bubble")).to_have_text(XSS)
    sent, _, _, _ = ask_and_read(page, FOLLOW_UP_Q, n=2)
    assert sent["history"][0] == {"role": "user", "content": XSS}
    page.wait_for_timeout(200)
    assert page.locator("#conversation img").count() == 0
    assert context.watch.dialogs == []
    assert not [u for u in context.watch.requests if urlsplit(u).path == "/x"]
    context.watch.assert_clean(page)


# -------------------------------------------------------------------------------------------- document view


PARAGRAPH_TEXT = "() => Array.from(document.querySelectorAll('#doc-text p.para')).map((p) => p.textContent).join('\\n\\n')"
CITED_TEXT = "() => Array.from(document.querySelectorAll('mark.cited')).map((m) => m.textContent).join('')"


def test_open_in_document(page, live_server, context, artifacts):
    page.goto(live_server.url + "/")
    ask(page, GREENFIELD_Q)
    wait_for_answer(page)
    first = page.locator(".reply .card").first
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
    docs = httpx.get(f"{live_server.url}/api/documents", timeout=30).json()["documents"]
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


def test_add_a_document_is_offered_only_when_uploads_are_on(page, live_server):
    page.goto(live_server.url + "/")
    expect(page.locator("textarea#question")).to_be_visible()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("add-document")).to_be_hidden()


def test_add_a_document_from_the_page(context, tmp_path):
    """With an admin token on the server: the page offers the upload, asks for the token, says what went wrong with
    a wrong one, and once added the document answers questions in the same page."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "steel.txt").write_text("Steel Notes\n\nTariffs on steel rose to 25 percent in 2018.\n")
    paper = tmp_path / "Ship Notes.md"
    paper.write_text("# Ship Notes\n\nKorean yards delivered twelve LNG carriers in 2024. Most went to Qatar.\n")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", multilingual_model="none")
    server = serve_process(settings, {"ALLIANCE_QA_MULTILINGUAL_MODEL": "none", "ALLIANCE_QA_ADMIN_TOKEN": "tok-123"})
    try:
        server.wait_ready(timeout=240)
        page = context.new_page()
        page.goto(server.url + "/")
        add = page.get_by_test_id("add-document")
        expect(add).to_be_visible()
        add.click()
        dialog = page.get_by_test_id("upload-dialog")
        expect(dialog).to_be_visible()
        expect(page.locator("#upload-file")).to_be_focused()
        page.set_input_files("#upload-file", str(paper))
        page.get_by_label("Title").fill("Ship Notes 2024")
        page.get_by_label("Admin token").fill("wrong")
        page.get_by_test_id("upload-send").click()
        status = page.get_by_test_id("upload-status")
        expect(status).to_contain_text("Not added: the admin token is wrong", timeout=ANSWER_TIMEOUT_MS)
        page.get_by_label("Admin token").fill("tok-123")
        page.get_by_test_id("upload-send").click()
        expect(status).to_contain_text("Added “Ship Notes 2024” (ship-notes", timeout=ANSWER_TIMEOUT_MS)
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        ask(page, "How many LNG carriers did Korean yards deliver?")
        expect(wait_for_answer(page).locator(".card").first).to_contain_text("twelve LNG carriers")
        # the refused upload is the one failed request the browser reports; nothing else went wrong
        assert context.watch.console_errors == ["Failed to load resource: the server responded with a status of 403 "
                                                "(Forbidden)"]
        context.watch.console_errors.clear()
        context.watch.assert_clean(page)
    finally:
        server.stop()
