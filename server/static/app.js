// alliance-qa chat page. Vanilla JS; every piece of corpus or user text goes in through textContent.
"use strict";

(function () {
  const form = document.getElementById("ask");
  const box = document.getElementById("question");
  const send = document.getElementById("send");
  const kSelect = document.getElementById("k");
  const conversation = document.getElementById("conversation");
  let busy = false;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function scrollIntoViewSoft(node) {
    node.scrollIntoView({ block: "start", behavior: "smooth" });
  }

  function hideIntro() {
    const intro = document.getElementById("intro");
    if (intro) intro.remove();
  }

  function errorDetail(body, status) {
    if (body && typeof body.detail === "string" && body.detail) return body.detail;
    if (body && Array.isArray(body.detail)) {
      return body.detail.map((e) => (e && e.msg) || JSON.stringify(e)).join("; ");
    }
    return "The server answered with HTTP " + status + ".";
  }

  // The passage text with the highlight sentence in <mark>; offsets are absolute, so make them relative.
  function passageBody(passage) {
    const block = el("blockquote", "passage");
    const text = passage.text || "";
    const hl = passage.highlight;
    const base = passage.citation ? passage.citation.char_start : 0;
    if (hl && Number.isInteger(hl.char_start) && Number.isInteger(hl.char_end)) {
      const a = Math.max(0, Math.min(text.length, hl.char_start - base));
      const b = Math.max(a, Math.min(text.length, hl.char_end - base));
      if (b > a) {
        block.append(document.createTextNode(text.slice(0, a)));
        block.append(el("mark", "highlight", text.slice(a, b)));
        block.append(document.createTextNode(text.slice(b)));
        return block;
      }
    }
    block.textContent = text;
    return block;
  }

  function sourceHref(passage) {
    const c = passage.citation;
    const params = new URLSearchParams({ start: String(c.char_start), end: String(c.char_end) });
    if (passage.highlight) {
      params.set("hl_start", String(passage.highlight.char_start));
      params.set("hl_end", String(passage.highlight.char_end));
    }
    return "/documents/" + encodeURIComponent(c.doc_id) + "?" + params.toString();
  }

  function card(passage) {
    const c = passage.citation || {};
    const art = el("article", "card");
    art.dataset.testid = "card";
    art.dataset.docId = c.doc_id || "";

    const head = el("header", "card-head");
    head.append(el("span", "rank", passage.rank));
    head.append(el("h3", "card-title", c.title || c.doc_id || "Untitled"));
    art.append(head);

    const meta = [];
    if (c.authors && c.authors.length) meta.push(c.authors.join(", "));
    if (c.date) meta.push(c.date);
    if (c.publisher) meta.push(c.publisher);
    if (meta.length) art.append(el("p", "meta", meta.join(" · ")));
    if (c.section) {
      const sec = el("p", "section");
      sec.append(el("span", "section-label", "Section"));
      sec.append(el("span", "section-name", c.section));
      art.append(sec);
    }

    art.append(passageBody(passage));

    if (c.footnotes && c.footnotes.length) {
      const notes = el("ol", "footnotes");
      notes.setAttribute("aria-label", "Footnotes cited in this passage");
      for (const f of c.footnotes) {
        const li = el("li", "footnote");
        li.append(el("span", "fn-marker", f.marker));
        li.append(el("span", "fn-text", f.text));
        notes.append(li);
      }
      art.append(notes);
    }

    const foot = el("footer", "card-foot");
    const link = el("a", "source-link", "Open in document");
    link.href = sourceHref(passage);
    link.target = "_blank";
    link.rel = "noopener";
    foot.append(link);
    if (typeof passage.score === "number") foot.append(el("span", "score", "score " + passage.score.toFixed(2)));
    art.append(foot);
    return art;
  }

  function renderAnswer(answer) {
    const wrap = el("section", "message answer");
    wrap.dataset.testid = "answer";
    const passages = answer.passages || [];
    if (answer.abstained) {
      const notice = el("div", "notice abstained", "These documents do not answer this question.");
      notice.setAttribute("role", "status");
      wrap.append(notice);
      if (passages.length) wrap.append(el("h2", "nearest", "Nearest passages"));
    } else if (!passages.length) {
      wrap.append(el("div", "notice empty", "No passages found."));
    }
    const list = el("div", "cards");
    for (const p of passages) list.append(card(p));
    wrap.append(list);
    const total = answer.timings_ms && answer.timings_ms.total;
    if (passages.length) {
      let summary = passages.length + (passages.length === 1 ? " passage" : " passages");
      if (typeof total === "number") summary += " · " + Math.round(total) + " ms";
      wrap.append(el("p", "summary", summary));
    }
    return wrap;
  }

  async function ask(question) {
    busy = true;
    send.disabled = true;
    send.textContent = "Searching…";
    hideIntro();

    const userMsg = el("div", "message user");
    userMsg.dataset.testid = "user-message";
    userMsg.append(el("p", "bubble", question));
    conversation.append(userMsg);

    const loading = el("div", "loading", "Searching…");
    loading.setAttribute("role", "status");
    conversation.append(loading);
    scrollIntoViewSoft(userMsg);

    let result;
    try {
      const res = await fetch("/api/ask", {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ question: question, k: Number(kSelect.value) || 5 }),
      });
      let body = null;
      try {
        body = await res.json();
      } catch (_) {
        body = null;
      }
      if (!res.ok) {
        result = el("div", "message error", errorDetail(body, res.status));
      } else if (!body || !Array.isArray(body.passages)) {
        result = el("div", "message error", "The server sent an answer this page cannot read.");
      } else {
        result = renderAnswer(body);
      }
    } catch (err) {
      result = el("div", "message error", "Could not reach the server: " + (err && err.message ? err.message : err));
    }
    if (result.classList.contains("error")) {
      result.setAttribute("role", "alert");
      result.dataset.testid = "error";
    }
    loading.replaceWith(result);
    busy = false;
    send.disabled = false;
    send.textContent = "Send";
    scrollIntoViewSoft(userMsg);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const question = box.value.trim();
    if (busy || !question) return;
    box.value = "";
    ask(question).finally(() => box.focus());
  });

  box.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  conversation.addEventListener("click", (event) => {
    const target = event.target;
    if (target instanceof HTMLElement && target.classList.contains("example")) {
      box.value = target.textContent || "";
      form.requestSubmit();
    }
  });

  box.focus();
})();
