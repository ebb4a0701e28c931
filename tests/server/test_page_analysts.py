"""The chat page's tools for analysts, in a real headless Chromium against the real server.

The document filter, confidence in words, "Copy citation", the Markdown export, the Korean page, the axe-core check
and a keyboard-only session.  The browser, its flags and the checks that the page stayed clean (no console error, no
CSP violation, no request beyond 127.0.0.1) are test_browser.py's.
"""

from __future__ import annotations

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe

from test_browser import (  # noqa: F401  (browser is a fixture)
    GREENFIELD_Q, KIEP_TITLE, RECIPE_Q, ask, ask_and_read, browser, expect, watched_context,
    wait_for_answer,
)

HERITAGE = "heritage-ib5370-us-korea-economic-partnership"
# app.js CONFIDENCE_BANDS, highest first: the words a reply shows for its confidence.
BANDS = [(0.9, "Strong match"), (0.7, "Moderate match"), (0.0, "Weak match")]
NOT_IN_DOCUMENTS = "Not in these documents"
KOREAN_CONFIDENCE = {"강한 일치", "보통 일치", "약한 일치"}
BLOCKING_IMPACTS = {"serious", "critical"}

# The outline of the element that has focus: what a keyboard user sees.
FOCUS_RING = """() => {
  const el = document.activeElement;
  const s = getComputedStyle(el);
  return {tag: el.tagName, id: el.id, text: (el.textContent || "").trim().slice(0, 40),
          style: s.outlineStyle, width: parseFloat(s.outlineWidth)};
}"""


@pytest.fixture
def context(browser):
    yield from watched_context(browser, "desktop", permissions=("clipboard-read", "clipboard-write"))


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture(scope="module")
def documents(live_server) -> dict[str, dict]:
    listed = httpx.get(f"{live_server.url}/api/documents", timeout=30).json()["documents"]
    return {d["doc_id"]: d for d in listed}


def confidence_words(confidence: float) -> str:
    return next(words for floor, words in BANDS if confidence >= floor)


def reference_parts(citation: dict) -> list[str]:
    """What a copied or exported reference must name, from the passage's citation."""
    return [citation["title"], *citation["authors"], f"({citation['date'][:4]})", citation["publisher"],
            f"“{citation['section']}”", f"characters {citation['char_start']}–{citation['char_end']}"]


def serious_violations(page) -> list[str]:
    results = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']]}"
            for v in results.response["violations"] if v["impact"] in BLOCKING_IMPACTS]


def test_filter_limits_the_question_to_the_papers_chosen(page, context, live_server, documents):
    """With one paper ticked the request carries its doc_id, every card is from it and the reply says so; "All
    documents" lifts the limit again.  The greenfield question's best passage is otherwise in the KIEP paper."""
    page.goto(live_server.url + "/")
    summary = page.locator("#doc-filter summary")
    expect(summary).to_have_text("Documents: all")
    summary.click()
    options = page.get_by_test_id("doc-option")
    expect(options).to_have_count(len(documents))
    page.get_by_label(documents[HERITAGE]["title"]).check()
    expect(page.get_by_label("All documents")).not_to_be_checked()
    expect(summary).to_have_text(f"Documents: 1 of {len(documents)}")

    sent, status, body, reply = ask_and_read(page, GREENFIELD_Q)
    assert status == 200, body
    assert sent["doc_ids"] == [HERITAGE]
    cards = reply.locator(".card")
    expect(cards).to_have_count(len(body["passages"]))
    assert body["passages"]
    assert {cards.nth(i).get_attribute("data-doc-id") for i in range(cards.count())} == {HERITAGE}
    expect(reply.get_by_test_id("searched")).to_have_text("Searched: " + documents[HERITAGE]["title"])

    page.get_by_label("All documents").check()
    expect(options.first).not_to_be_checked()
    expect(summary).to_have_text("Documents: all")
    sent, _, body, reply = ask_and_read(page, GREENFIELD_Q, n=2)
    assert "doc_ids" not in sent
    expect(reply.get_by_test_id("searched")).to_have_text("Searched: all documents")
    expect(reply.locator(".card").first).to_have_attribute("data-doc-id", body["passages"][0]["citation"]["doc_id"])

    page.reload()  # the scope is part of the stored reply
    expect(page.get_by_test_id("searched")).to_have_text(
        ["Searched: " + documents[HERITAGE]["title"], "Searched: all documents"])
    context.watch.assert_clean(page)


def test_confidence_in_words(page, context, live_server):
    page.goto(live_server.url + "/")
    _, _, body, reply = ask_and_read(page, GREENFIELD_Q)
    assert not body["abstained"]
    expect(reply.get_by_test_id("confidence")).to_have_text(confidence_words(body["confidence"]))
    _, _, body, reply = ask_and_read(page, RECIPE_Q, n=2)
    assert body["abstained"]
    expect(reply.get_by_test_id("confidence")).to_have_text(NOT_IN_DOCUMENTS)
    context.watch.assert_clean(page)


def test_copy_citation(page, context, live_server):
    """The copied reference names the passage's title, authors, year, publisher, section and span; "Copied" is said
    in a live region."""
    page.goto(live_server.url + "/")
    _, _, body, reply = ask_and_read(page, GREENFIELD_Q)
    card = reply.locator(".card").first
    button = card.get_by_role("button", name="Copy citation")
    button.click()
    status = card.locator(".copy-status")
    expect(status).to_have_text("Copied")
    expect(status).to_have_attribute("role", "status")
    copied = page.evaluate("navigator.clipboard.readText()")
    citation = body["passages"][0]["citation"]
    assert citation["title"] == KIEP_TITLE
    for part in reference_parts(citation):
        assert part in copied, (part, copied)
    assert copied.startswith(", ".join(citation["authors"]))
    context.watch.assert_clean(page)


def test_export_conversation_as_markdown(page, context, live_server, tmp_path):
    page.goto(live_server.url + "/")
    export = page.get_by_role("button", name="Export Markdown")
    expect(export).to_be_disabled()
    _, _, answered, _ = ask_and_read(page, GREENFIELD_Q)
    _, _, abstained, _ = ask_and_read(page, RECIPE_Q, n=2)
    with page.expect_download() as info:
        export.click()
    download = info.value
    assert download.suggested_filename == "alliance-qa-conversation.md"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    text = path.read_text(encoding="utf-8")

    first, second = text.split("## Question 2")
    assert f"> {GREENFIELD_Q}" in first and answered["answer"]["text"] in first
    for passage in answered["passages"]:
        line = next(l for l in first.splitlines() if l.startswith(f"{passage['rank']}. "))
        assert all(part in line for part in reference_parts(passage["citation"])), line
    assert f"> {RECIPE_Q}" in second and NOT_IN_DOCUMENTS in second
    assert abstained["reason"] and abstained["reason"] in second
    context.watch.assert_clean(page)


def test_korean_page(browser, live_server):
    """With a Korean browser the page's own words are Korean and <html lang> says so; the documents' are not."""
    for ctx in watched_context(browser, "desktop", locale="ko-KR"):
        page = ctx.new_page()
        page.goto(live_server.url + "/")
        assert page.evaluate("document.documentElement.lang") == "ko"
        expect(page.locator("button#send")).to_have_text("보내기")
        expect(page.get_by_role("button", name="새 대화")).to_be_visible()
        expect(page.get_by_label("질문", exact=True)).to_have_attribute("placeholder", "한미 경제동맹에 대해 물어보세요…")
        expect(page.locator("#doc-filter summary")).to_have_text("문서: 전체")
        expect(page.get_by_label("구절 수")).to_be_visible()
        _, _, body, reply = ask_and_read(page, GREENFIELD_Q)
        expect(reply.locator(".answer-block .reply-label")).to_have_text("답변")
        assert reply.get_by_test_id("confidence").text_content() in KOREAN_CONFIDENCE
        expect(reply.get_by_test_id("searched")).to_have_text("검색 범위: 모든 문서")
        expect(reply.locator(".copy-citation").first).to_have_text("인용 복사")
        expect(reply.locator(".source-link").first).to_have_text("문서에서 열기")
        expect(reply.locator(".answer-text")).to_contain_text(body["answer"]["sentences"][0]["text"])
        shown = page.locator("body").inner_text()
        for english in ("Send", "New conversation", "Passages", "Answer", "Open in document", "Copy citation",
                        "Show full passage", "Searched", "match"):
            assert english not in shown, english
        ctx.watch.assert_clean(page)


def test_no_serious_accessibility_violations(page, context, live_server):
    """axe-core on the empty page, with the document filter open, and after an answer and an abstention."""
    page.goto(live_server.url + "/")
    expect(page.locator("#doc-filter")).to_be_visible()
    assert serious_violations(page) == []
    page.locator("#doc-filter summary").click()
    assert serious_violations(page) == []
    page.locator("#doc-filter summary").click()
    ask_and_read(page, GREENFIELD_Q)
    ask_and_read(page, RECIPE_Q, n=2)
    assert serious_violations(page) == []


def test_keyboard_only(page, context, live_server):
    """From the top of the page by Tab alone: every stop shows a focus ring, the question box is reached, Enter asks,
    the answer arrives; then the filter, and a card's "Copy citation", work from the keyboard too."""
    page.goto(live_server.url + "/")
    expect(page.locator("#doc-filter")).to_be_visible()
    page.evaluate("document.activeElement.blur()")  # Tab now starts after the question box and goes round
    stops = []
    for _ in range(30):
        page.keyboard.press("Tab")
        ring = page.evaluate(FOCUS_RING)
        if ring["tag"] != "BODY":  # the wrap from the end of the page back to its start
            stops.append(ring)
        if ring["id"] == "question":
            break
    assert stops and stops[-1]["id"] == "question", stops
    assert {"doc-filter-summary", "k", "send", "new-conversation"} <= {s["id"] for s in stops}, stops
    assert [s for s in stops if s["style"] == "none" or s["width"] < 2] == [], stops

    page.keyboard.type(GREENFIELD_Q)
    # The filter from the keyboard: open it, tick the first paper, Escape closes it; back to the box.
    for key, focused in (("Tab", "#doc-filter summary"), ("Enter", "#doc-filter summary"), ("Tab", "#doc-all"),
                         ("Tab", "[data-testid=doc-option] >> nth=0"), ("Space", "[data-testid=doc-option] >> nth=0"),
                         ("Escape", "#doc-filter summary"), ("Shift+Tab", "textarea#question")):
        page.keyboard.press(key)
        expect(page.locator(focused)).to_be_focused()
        ring = page.evaluate(FOCUS_RING)
        assert ring["style"] != "none" and ring["width"] >= 2, ring
    expect(page.locator("#doc-filter summary")).to_have_text("Documents: 1 of 2")
    expect(page.locator("#doc-filter-panel")).to_be_hidden()
    with page.expect_response(lambda r: r.url.endswith("/api/ask")) as info:
        page.keyboard.press("Enter")
    assert len(info.value.request.post_data_json["doc_ids"]) == 1
    reply = wait_for_answer(page)
    expect(reply.locator(".answer-block, .notice")).to_have_count(1)
    expect(page.locator("textarea#question")).to_be_focused()

    page.keyboard.press("Shift+Tab")  # back from the box: the last card's last control
    copy = reply.locator(".card").last.locator(".copy-citation")
    expect(copy).to_be_focused()
    ring = page.evaluate(FOCUS_RING)
    assert ring["style"] != "none" and ring["width"] >= 2, ring
    page.keyboard.press("Enter")
    expect(reply.locator(".card").last.locator(".copy-status")).to_have_text("Copied")
    context.watch.assert_clean(page)
