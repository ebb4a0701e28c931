// alliance-qa chat page. Vanilla JS; every piece of server, user or stored text goes in through textContent.
//
// Each reply reads top to bottom: the composed answer (its [n] markers link to the passage cards below, each sentence
// opens the document at its span), how sure it is and what was searched, then the cards, each showing its highlight
// first and offering its citation to copy.  The conversation is sent as `history` with every question, kept in
// localStorage across reloads and can be downloaded as Markdown.  The page's own words come from i18n.js.
"use strict";

(function () {
  const t = window.allianceI18n.t;
  const STORAGE_KEY = "alliance-qa.conversation";
  const STORAGE_VERSION = 1;
  const MAX_HISTORY_TURNS = 20; // the server's limits (server/app.py): more or longer turns get a 422
  const MAX_TURN_CHARS = 2000;
  const MAX_STORED_EXCHANGES = 30;
  const EXPORT_FILE = "alliance-qa-conversation.md";
  const COPIED_MS = 4000; // how long "Copied" stays on screen
  // Confidence in words, highest band first.  The confidence is a sigmoid of how far the top passage clears the
  // answerability floors (retriever/tuning.py), and the server abstains below 0.5 — the floors themselves — so an
  // answer's is at least 0.5.  0.9 is z ≈ 2.2, evidence well clear of every floor; under 0.7 (z < 0.85) the top
  // passage only just clears one of them, so a reader should check it before relying on it.
  const CONFIDENCE_BANDS = [
    { min: 0.9, key: "confidenceStrong", level: "strong" },
    { min: 0.7, key: "confidenceModerate", level: "moderate" },
    { min: 0, key: "confidenceWeak", level: "weak" },
  ];

  const form = document.getElementById("ask");
  const box = document.getElementById("question");
  const send = document.getElementById("send");
  const kSelect = document.getElementById("k");
  const conversation = document.getElementById("conversation");
  const intro = document.getElementById("intro");
  const newButton = document.getElementById("new-conversation");
  const exportButton = document.getElementById("export-conversation");
  const filter = document.getElementById("doc-filter");
  const filterSummary = document.getElementById("doc-filter-summary");
  const filterPanel = document.getElementById("doc-filter-panel");
  const allDocs = document.getElementById("doc-all");

  let exchanges = []; // [{question, reply}], oldest first: what is shown, stored and sent as history
  let busy = false;
  let generation = 0; // bumped by "New conversation": a reply to an older generation is dropped
  let inFlight = null;
  let replyCount = 0;

  // ------------------------------------------------------------------------------------------------ helpers

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function isObject(value) {
    return value !== null && typeof value === "object" && !Array.isArray(value);
  }

  function isSpan(start, end) {
    return Number.isInteger(start) && Number.isInteger(end) && start >= 0 && end > start;
  }

  function text(value) {
    return typeof value === "string" ? value : "";
  }

  function smooth() {
    return window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth";
  }

  function errorDetail(body, status) {
    if (body && typeof body.detail === "string" && body.detail) return body.detail;
    if (body && Array.isArray(body.detail)) {
      return body.detail.map((e) => (e && e.msg) || JSON.stringify(e)).join("; ");
    }
    return t("httpError", status);
  }

  // At most `limit` characters (as the server counts them: code points), no NUL, no half of a surrogate pair.
  function clip(value, limit) {
    let s = text(value).replace(/\u0000/g, "");
    if (s.length <= limit) return s;
    s = s.slice(0, limit);
    const last = s.charCodeAt(s.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) s = s.slice(0, -1);
    return s;
  }

  function documentHref(docId, start, end, hlStart, hlEnd) {
    const params = new URLSearchParams({ start: String(start), end: String(end) });
    if (isSpan(hlStart, hlEnd)) {
      params.set("hl_start", String(hlStart));
      params.set("hl_end", String(hlEnd));
    }
    return "/documents/" + encodeURIComponent(docId) + "?" + params.toString();
  }

  function newTabLink(className, label, href) {
    const link = el("a", className, label);
    link.href = href;
    link.target = "_blank";
    link.rel = "noopener";
    return link;
  }

  // ------------------------------------------------------------------------------------------ citations

  function withStop(value) {
    const s = value.trim();
    return /[.!?]$/.test(s) ? s : s + ".";
  }

  // An APA-like reference: Authors (Year). Title (Series). Publisher. Section “…”, characters a–b. URL
  // Names stay as the catalogue spells them (initials would garble Korean names); the offsets are the passage's
  // span in the canonical text, so a reader can check the quote against GET /api/documents/{doc_id}.
  function reference(citation) {
    const c = isObject(citation) ? citation : {};
    const authors = Array.isArray(c.authors) ? c.authors.map(String).filter((a) => a.trim()) : [];
    const year = /^\d{4}/.exec(text(c.date));
    const when = "(" + (year ? year[0] : t("noDate")) + ").";
    let title = text(c.title) || text(c.doc_id) || t("untitled");
    if (text(c.series)) title += " (" + c.series + ")";
    const parts = [];
    if (authors.length) {
      const names = authors.length > 1 ? authors.slice(0, -1).join(", ") + " & " + authors[authors.length - 1] : authors[0];
      parts.push(names + " " + when, withStop(title));
    } else {
      parts.push(withStop(title), when); // APA: with no author, the title takes the author's place
    }
    if (text(c.publisher).trim()) parts.push(withStop(c.publisher));
    const where = [];
    if (text(c.section).trim()) where.push(t("citationSection", c.section.trim()));
    if (isSpan(c.char_start, c.char_end)) where.push(t("citationChars", c.char_start, c.char_end));
    if (where.length) parts.push(where.join(", ") + ".");
    if (/^https?:\/\//i.test(text(c.url))) parts.push(c.url);
    return parts.join(" ");
  }

  // The Clipboard API where the browser allows it; else the old way, through a selection in a hidden text area.
  async function copyText(value, returnFocus) {
    if (navigator.clipboard && window.isSecureContext) {
      try {
        await navigator.clipboard.writeText(value);
        return true;
      } catch (_) {
        // permission refused: try the selection
      }
    }
    const area = el("textarea", "visually-hidden");
    area.value = value;
    area.readOnly = true;
    document.body.append(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (_) {
      ok = false;
    }
    area.remove();
    returnFocus.focus();
    return ok;
  }

  function copyButton(citation, titleId) {
    const wrap = el("span", "copy");
    const button = el("button", "copy-citation", t("copyCitation"));
    button.type = "button";
    button.setAttribute("aria-describedby", titleId);
    const status = el("span", "copy-status");
    status.setAttribute("role", "status"); // announced: the button itself does not change
    let timer = 0;
    button.addEventListener("click", async () => {
      const ok = await copyText(reference(citation), button);
      status.textContent = ok ? t("copied") : t("copyFailed");
      status.classList.toggle("failed", !ok);
      clearTimeout(timer);
      timer = setTimeout(() => { status.textContent = ""; }, COPIED_MS);
    });
    wrap.append(button, status);
    return wrap;
  }

  // ---------------------------------------------------------------------------------------------- the cards

  function cardId(replyId, rank) {
    return replyId + "-passage-" + rank;
  }

  // The passage text with the highlight sentence in <mark>; offsets are absolute, so make them relative.  When the
  // highlight is only part of the passage, the rest starts hidden: the card shows its highlight first.
  function passageBody(passage, id) {
    const block = el("blockquote", "passage");
    block.id = id;
    const full = text(passage.text);
    const hl = passage.highlight;
    const c = isObject(passage.citation) ? passage.citation : {};
    const base = Number.isInteger(c.char_start) ? c.char_start : 0;
    if (isObject(hl) && isSpan(hl.char_start, hl.char_end)) {
      const a = Math.max(0, Math.min(full.length, hl.char_start - base));
      const b = Math.max(a, Math.min(full.length, hl.char_end - base));
      if (b > a) {
        const before = full.slice(0, a);
        const after = full.slice(b);
        const collapsible = Boolean(before.trim() || after.trim());
        if (before) block.append(el("span", "context before", before));
        block.append(el("mark", "highlight", full.slice(a, b)));
        if (after) block.append(el("span", "context after", after));
        block.classList.toggle("cut-start", Boolean(before.trim()));
        block.classList.toggle("cut-end", Boolean(after.trim()));
        return { block: block, collapsible: collapsible };
      }
    }
    block.textContent = full;
    return { block: block, collapsible: false };
  }

  function setExpanded(toggle, block, open) {
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    toggle.textContent = open ? t("showHighlight") : t("showFull");
    block.classList.toggle("collapsed", !open);
    for (const part of block.querySelectorAll(".context")) part.hidden = !open;
  }

  function card(passage, position, replyId) {
    const c = isObject(passage.citation) ? passage.citation : {};
    const rank = Number.isInteger(passage.rank) ? passage.rank : position;
    const art = el("article", "card");
    art.id = cardId(replyId, rank);
    art.tabIndex = -1; // the target of the answer's [n] links
    art.dataset.testid = "card";
    art.dataset.docId = text(c.doc_id);
    art.dataset.rank = String(rank);

    const head = el("header", "card-head");
    head.append(el("span", "rank", rank));
    const title = el("h3", "card-title", text(c.title) || text(c.doc_id) || t("untitled"));
    title.id = art.id + "-title";
    head.append(title);
    art.append(head);
    art.setAttribute("aria-labelledby", title.id);

    const meta = [];
    if (Array.isArray(c.authors) && c.authors.length) meta.push(c.authors.map(String).join(", "));
    if (c.date) meta.push(c.date);
    if (c.publisher) meta.push(c.publisher);
    if (meta.length) art.append(el("p", "meta", meta.join(" · ")));
    if (c.section) {
      const sec = el("p", "section");
      sec.append(el("span", "section-label", t("section")));
      sec.append(el("span", "section-name", c.section));
      art.append(sec);
    }

    const body = passageBody(passage, art.id + "-text");
    art.append(body.block);

    if (Array.isArray(c.footnotes) && c.footnotes.length) {
      const notes = el("ol", "footnotes");
      notes.setAttribute("aria-label", t("footnotes"));
      for (const f of c.footnotes) {
        if (!isObject(f)) continue;
        const li = el("li", "footnote");
        li.append(el("span", "fn-marker", f.marker));
        li.append(el("span", "fn-text", f.text));
        notes.append(li);
      }
      art.append(notes);
    }

    const foot = el("footer", "card-foot");
    const actions = el("div", "card-actions");
    if (body.collapsible) {
      const toggle = el("button", "toggle-passage");
      toggle.type = "button";
      toggle.setAttribute("aria-controls", body.block.id);
      toggle.addEventListener("click", () => {
        setExpanded(toggle, body.block, toggle.getAttribute("aria-expanded") !== "true");
      });
      setExpanded(toggle, body.block, false);
      actions.append(toggle);
    }
    if (c.doc_id && isSpan(c.char_start, c.char_end)) {
      const hl = isObject(passage.highlight) ? passage.highlight : {};
      const link = newTabLink("source-link", t("openInDocument"),
        documentHref(c.doc_id, c.char_start, c.char_end, hl.char_start, hl.char_end));
      link.setAttribute("aria-describedby", title.id);
      actions.append(link);
    }
    actions.append(copyButton(c, title.id));
    foot.append(actions);
    if (typeof passage.score === "number") foot.append(el("span", "score", t("score", passage.score.toFixed(2))));
    art.append(foot);
    return art;
  }

  // ---------------------------------------------------------------------------------------------- the answer

  function citeLink(rank, replyId, byRank) {
    const label = "[" + rank + "]";
    if (!byRank.has(rank)) return el("span", "cite", label);
    const link = el("a", "cite", label);
    link.href = "#" + cardId(replyId, rank);
    const passage = byRank.get(rank);
    const title = isObject(passage.citation) ? text(passage.citation.title) : "";
    link.setAttribute("aria-label", title ? t("passageLinkTitled", rank, title) : t("passageLink", rank));
    return link;
  }

  // The sentence as a link to its span in the document: inside its passage's span when it lies there, so the view
  // shows the passage around it, with the sentence itself in the stronger mark.
  function sentenceNode(s, byRank) {
    const sentence = text(s.text);
    if (!s.doc_id || typeof s.doc_id !== "string" || !isSpan(s.char_start, s.char_end)) {
      return el("span", "answer-sentence", sentence);
    }
    let start = s.char_start;
    let end = s.char_end;
    const passage = byRank.get(s.passage);
    const c = passage && isObject(passage.citation) ? passage.citation : null;
    if (c && c.doc_id === s.doc_id && isSpan(c.char_start, c.char_end) &&
        c.char_start <= s.char_start && s.char_end <= c.char_end) {
      start = c.char_start;
      end = c.char_end;
    }
    const link = newTabLink("answer-sentence", sentence, documentHref(s.doc_id, start, end, s.char_start, s.char_end));
    link.title = t("openSentence");
    return link;
  }

  function answerBlock(answer, replyId, byRank) {
    const block = el("section", "answer-block");
    block.dataset.testid = "answer";
    const label = el("h2", "reply-label", t("answer"));
    label.id = replyId + "-answer-label";
    block.setAttribute("aria-labelledby", label.id);
    block.append(label);
    const para = el("p", "answer-text");
    const sentences = Array.isArray(answer.sentences) ? answer.sentences.filter(isObject) : [];
    if (sentences.length) {
      sentences.forEach((s, i) => {
        if (i) para.append(document.createTextNode(" "));
        para.append(sentenceNode(s, byRank));
        if (closesRun(sentences, i)) {
          para.append(document.createTextNode("\u00a0")); // the marker never wraps away from its sentence
          para.append(citeLink(s.passage, replyId, byRank));
        }
      });
    } else {
      // Only the joined text: its [n] markers still become links.
      const joined = text(answer.text);
      const marker = /\[(\d+)\]/g;
      let last = 0;
      let m;
      while ((m = marker.exec(joined)) !== null) {
        para.append(document.createTextNode(joined.slice(last, m.index)));
        para.append(citeLink(Number(m[1]), replyId, byRank));
        last = m.index + m[0].length;
      }
      para.append(document.createTextNode(joined.slice(last)));
    }
    block.append(para);
    return block;
  }

  function hasAnswer(reply) {
    return !reply.abstained && isObject(reply.answer) &&
      ((Array.isArray(reply.answer.sentences) && reply.answer.sentences.length > 0) || Boolean(text(reply.answer.text)));
  }

  function confidenceBand(reply) {
    if (!hasAnswer(reply)) return { key: "confidenceNone", level: "none" };
    if (typeof reply.confidence !== "number") return null;
    return CONFIDENCE_BANDS.find((band) => reply.confidence >= band.min) || CONFIDENCE_BANDS[CONFIDENCE_BANDS.length - 1];
  }

  function searchedText(reply) {
    const docs = Array.isArray(reply.searched) ? reply.searched.filter(isObject) : [];
    if (!docs.length) return t("searchedAll");
    return t("searchedSome", docs.map((d) => text(d.title) || text(d.doc_id)).join("; "));
  }

  // How sure the answer is, in words, and which documents were searched: a reader knows what "not in these
  // documents" covers.
  function replyMeta(reply) {
    const meta = el("p", "reply-meta");
    meta.dataset.testid = "reply-meta";
    const band = confidenceBand(reply);
    if (band) {
      const words = el("span", "confidence " + band.level, t(band.key));
      words.dataset.testid = "confidence";
      meta.append(words);
    }
    const searched = el("span", "searched", searchedText(reply));
    searched.dataset.testid = "searched";
    meta.append(searched);
    return meta;
  }

  function renderReply(reply, replyId) {
    const wrap = el("section", "message reply");
    wrap.id = replyId;
    wrap.dataset.testid = "reply";
    const passages = Array.isArray(reply.passages) ? reply.passages.filter(isObject) : [];
    const byRank = new Map();
    passages.forEach((p, i) => byRank.set(Number.isInteger(p.rank) ? p.rank : i + 1, p));

    let heading = t("sources");
    if (hasAnswer(reply)) {
      wrap.append(answerBlock(reply.answer, replyId, byRank));
    } else {
      const notice = el("div", "notice " + (reply.abstained ? "abstained" : "no-answer"));
      notice.dataset.testid = "abstained";
      notice.setAttribute("role", "status");
      notice.append(el("p", "notice-title", reply.abstained ? t("abstainTitle") : t("noAnswer")));
      if (text(reply.reason)) notice.append(el("p", "reason", reply.reason));
      wrap.append(notice);
      heading = t("closestNotAnswer");
    }
    wrap.append(replyMeta(reply));
    if (!passages.length) {
      wrap.append(el("p", "notice empty", t("noPassages")));
      return wrap;
    }
    wrap.append(el("h2", "reply-label nearest", heading));
    const list = el("div", "cards");
    passages.forEach((p, i) => list.append(card(p, i + 1, replyId)));
    wrap.append(list);
    const total = isObject(reply.timings_ms) ? reply.timings_ms.total : undefined;
    let summary = t(passages.length === 1 ? "onePassage" : "manyPassages", passages.length);
    if (typeof total === "number") summary += " · " + Math.round(total) + " ms";
    wrap.append(el("p", "summary", summary));
    return wrap;
  }

  function userMessage(question) {
    const msg = el("div", "message user");
    msg.dataset.testid = "user-message";
    msg.append(el("p", "bubble", question));
    return msg;
  }

  // ------------------------------------------------------------------------------- history and storage

  function assistantText(reply) {
    if (!reply.abstained && isObject(reply.answer) && text(reply.answer.text)) return reply.answer.text;
    if (text(reply.reason)) return reply.reason;
    return reply.abstained ? t("abstainTitle") : t("noAnswer");
  }

  // The last turns of the conversation as the server takes them: oldest first, at most 20, each at most 2000 chars.
  function historyTurns() {
    const turns = [];
    for (const x of exchanges) {
      turns.push({ role: "user", content: clip(x.question, MAX_TURN_CHARS) });
      turns.push({ role: "assistant", content: clip(assistantText(x.reply), MAX_TURN_CHARS) });
    }
    return turns.filter((t) => t.content.trim()).slice(-MAX_HISTORY_TURNS);
  }

  // What a reply needs to be drawn again after a reload; `searched` is the documents the question was limited to
  // (null: all of them).
  function storable(reply, searched) {
    return {
      searched: searched && searched.length ? searched.map((d) => ({ doc_id: d.doc_id, title: d.title })) : null,
      answer: isObject(reply.answer) ? reply.answer : null,
      reason: text(reply.reason) || null,
      abstained: Boolean(reply.abstained),
      confidence: typeof reply.confidence === "number" ? reply.confidence : null,
      passages: Array.isArray(reply.passages) ? reply.passages : [],
      timings_ms: isObject(reply.timings_ms) ? reply.timings_ms : {},
    };
  }

  function validExchange(x) {
    return isObject(x) && typeof x.question === "string" && x.question.trim() !== "" &&
      isObject(x.reply) && Array.isArray(x.reply.passages);
  }

  // A stored value that is missing, unreadable, of another version or of the wrong shape is ignored.
  function loadStored() {
    let raw = null;
    try {
      raw = window.localStorage.getItem(STORAGE_KEY);
    } catch (_) {
      return [];
    }
    if (!raw) return [];
    let data;
    try {
      data = JSON.parse(raw);
    } catch (_) {
      return [];
    }
    if (!isObject(data) || data.version !== STORAGE_VERSION || !Array.isArray(data.exchanges)) return [];
    return data.exchanges.filter(validExchange).slice(-MAX_STORED_EXCHANGES);
  }

  // Oldest exchanges go first when storage is full; a browser without storage just keeps the page's memory.
  function save() {
    let kept = exchanges.slice(-MAX_STORED_EXCHANGES);
    while (true) {
      try {
        if (!kept.length) window.localStorage.removeItem(STORAGE_KEY);
        else window.localStorage.setItem(STORAGE_KEY, JSON.stringify({ version: STORAGE_VERSION, exchanges: kept }));
        return;
      } catch (_) {
        if (!kept.length) return;
        kept = kept.slice(1);
      }
    }
  }

  // ------------------------------------------------------------------------------------------- asking

  function setBusy(on) {
    busy = on;
    send.disabled = on;
    send.textContent = on ? t("searching") : t("send");
  }

  function nextReplyId() {
    replyCount += 1;
    return "reply-" + replyCount;
  }

  // The question at the top of the screen, unless it is so long that the answer below it would be pushed out.
  function reveal(userMsg, reply) {
    const margin = 16;
    const u = userMsg.getBoundingClientRect().top + window.scrollY;
    const r = reply.getBoundingClientRect().top + window.scrollY;
    let top = u - margin;
    if (r - top > window.innerHeight * 0.4) top = r - margin;
    window.scrollTo({ top: Math.max(0, top), behavior: smooth() });
  }

  async function ask(question) {
    const gen = generation;
    const history = historyTurns();
    setBusy(true);
    intro.hidden = true;

    const userMsg = userMessage(question);
    conversation.append(userMsg);
    const loading = el("div", "loading", t("searching"));
    loading.setAttribute("role", "status");
    conversation.append(loading);
    userMsg.scrollIntoView({ block: "start", behavior: smooth() });

    const controller = new AbortController();
    inFlight = controller;
    const payload = { question: question, k: Number(kSelect.value) || 5 };
    if (history.length) payload.history = history;
    const searched = chosenDocuments();
    if (searched.length) payload.doc_ids = searched.map((d) => d.doc_id);

    let result;
    try {
      const res = await fetch("/api/ask", {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(payload),
        signal: controller.signal,
      });
      let body = null;
      try {
        body = await res.json();
      } catch (_) {
        body = null;
      }
      if (gen !== generation) return;
      if (!res.ok) {
        result = el("div", "message error", errorDetail(body, res.status));
      } else if (!isObject(body) || !Array.isArray(body.passages)) {
        result = el("div", "message error", t("unreadable"));
      } else {
        const reply = storable(body, searched);
        try {
          result = renderReply(reply, nextReplyId());
          exchanges.push({ question: question, reply: reply });
          save();
          exportButton.disabled = false;
        } catch (_) {
          result = el("div", "message error", t("unreadable"));
        }
      }
    } catch (err) {
      if (gen !== generation) return; // "New conversation" while waiting: the page is already cleared
      result = el("div", "message error", t("unreachable", err && err.message ? err.message : err));
    } finally {
      if (inFlight === controller) inFlight = null;
    }
    if (result.classList.contains("error")) {
      result.setAttribute("role", "alert");
      result.dataset.testid = "error";
    }
    loading.replaceWith(result);
    setBusy(false);
    reveal(userMsg, result);
  }

  function newConversation() {
    generation += 1;
    if (inFlight) inFlight.abort();
    inFlight = null;
    exchanges = [];
    replyCount = 0;
    save();
    exportButton.disabled = true;
    for (const node of Array.from(conversation.children)) {
      if (node !== intro) node.remove();
    }
    intro.hidden = false;
    setBusy(false);
    window.scrollTo({ top: 0 });
    box.focus();
  }

  function restore() {
    const kept = [];
    for (const x of loadStored()) {
      let userMsg;
      let reply;
      try {
        userMsg = userMessage(x.question);
        reply = renderReply(x.reply, "reply-" + (replyCount + 1));
      } catch (_) {
        continue; // an exchange this page cannot draw is dropped, not the page
      }
      replyCount += 1;
      conversation.append(userMsg, reply);
      kept.push(x);
    }
    exchanges = kept;
    intro.hidden = exchanges.length > 0;
    exportButton.disabled = exchanges.length === 0;
  }

  // ----------------------------------------------------------------------------------- Markdown export

  function answerText(reply) {
    if (text(reply.answer.text)) return reply.answer.text;
    const sentences = Array.isArray(reply.answer.sentences) ? reply.answer.sentences.filter(isObject) : [];
    return sentences.map((s, i) => text(s.text) + (closesRun(sentences, i) ? " [" + s.passage + "]" : "")).join(" ");
  }

  // One marker closes each run of answer sentences from one passage, as in the API's answer.text.
  function closesRun(sentences, i) {
    const s = sentences[i];
    const next = sentences[i + 1];
    return Number.isInteger(s.passage) && !(next && next.passage === s.passage);
  }

  // Each exchange: the question (quoted), confidence and scope, the answer with its [n] markers or the abstention
  // and its reason, then the passages as a reference list numbered like the markers.
  function markdown() {
    const lines = ["# " + t("exportTitle"), ""];
    exchanges.forEach((x, i) => {
      const reply = x.reply;
      lines.push("## " + t("exportQuestion", i + 1), "");
      for (const line of x.question.split("\n")) lines.push("> " + line);
      const band = confidenceBand(reply);
      lines.push("", "*" + (band ? t(band.key) + " · " : "") + searchedText(reply) + "*", "");
      if (hasAnswer(reply)) {
        lines.push(answerText(reply));
      } else {
        lines.push("**" + (reply.abstained ? t("abstainTitle") : t("noAnswer")) + "**" +
          (text(reply.reason) ? " " + reply.reason : ""));
      }
      const passages = Array.isArray(reply.passages) ? reply.passages.filter(isObject) : [];
      if (passages.length) {
        lines.push("", "**" + t("exportReferences") + "**", "");
        passages.forEach((p, j) => {
          lines.push((Number.isInteger(p.rank) ? p.rank : j + 1) + ". " + reference(p.citation));
        });
      }
      lines.push("");
    });
    return lines.join("\n");
  }

  function exportConversation() {
    const url = URL.createObjectURL(new Blob([markdown()], { type: "text/markdown;charset=utf-8" }));
    const link = el("a");
    link.href = url;
    link.download = EXPORT_FILE;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000); // the download may still be reading it
  }

  // ------------------------------------------------------------------------------------ document filter

  let documents = []; // [{doc_id, title}] as GET /api/documents lists them

  function optionBoxes() {
    return Array.from(filterPanel.querySelectorAll("input.doc-one"));
  }

  // The documents ticked; none means all of them (the request then carries no doc_ids).
  function chosenDocuments() {
    const ticked = new Set(optionBoxes().filter((b) => b.checked).map((b) => b.value));
    return documents.filter((d) => ticked.has(d.doc_id));
  }

  function showChoice() {
    const n = chosenDocuments().length;
    allDocs.checked = n === 0;
    filterSummary.textContent = n ? t("filterSummarySome", n, documents.length) : t("filterSummaryAll");
  }

  // Drawn again only when the list changed (an upload, a removal), so a ticked box keeps its tick and its focus.
  async function loadDocuments() {
    let listed;
    try {
      const res = await fetch("/api/documents", { headers: { accept: "application/json" } });
      const body = res.ok ? await res.json() : null;
      if (!isObject(body) || !Array.isArray(body.documents)) return;
      listed = body.documents.filter((d) => isObject(d) && text(d.doc_id))
        .map((d) => ({ doc_id: d.doc_id, title: text(d.title) || d.doc_id }));
    } catch (_) {
      return; // no list, no filter: every document is searched, which is always a true statement of the scope
    }
    if (JSON.stringify(listed) === JSON.stringify(documents)) return;
    const ticked = new Set(chosenDocuments().map((d) => d.doc_id));
    documents = listed;
    for (const node of filterPanel.querySelectorAll(".doc-option.one")) node.remove();
    for (const d of documents) {
      const label = el("label", "doc-option one");
      const tick = el("input", "doc-one");
      tick.type = "checkbox";
      tick.value = d.doc_id;
      tick.checked = ticked.has(d.doc_id);
      tick.dataset.testid = "doc-option";
      label.append(tick, el("span", null, d.title));
      filterPanel.append(label);
    }
    filter.hidden = documents.length < 2; // one document: nothing to choose
    showChoice();
  }

  // ------------------------------------------------------------------------------------------- events

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

  newButton.addEventListener("click", newConversation);
  exportButton.addEventListener("click", exportConversation);

  filterPanel.addEventListener("change", (event) => {
    // "All documents" clears the choice; unticking it alone would leave nothing to search, so it stays ticked.
    if (event.target === allDocs) for (const b of optionBoxes()) b.checked = false;
    showChoice();
  });
  filter.addEventListener("toggle", () => {
    if (filter.open) loadDocuments();
  });
  filter.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && filter.open) {
      event.preventDefault();
      filter.open = false;
      filterSummary.focus();
    }
  });

  conversation.addEventListener("click", (event) => {
    const target = event.target;
    if (!(target instanceof Element)) return;
    if (target.classList.contains("example")) {
      box.value = target.textContent || "";
      form.requestSubmit();
      return;
    }
    // An [n] marker: bring its card into view and move focus there, without adding to the browser history.
    const cite = target.closest("a.cite");
    if (cite && event.button === 0 && !event.ctrlKey && !event.metaKey && !event.shiftKey && !event.altKey) {
      const card = document.getElementById((cite.getAttribute("href") || "").slice(1));
      if (!card) return;
      event.preventDefault();
      card.focus({ preventScroll: true });
      card.scrollIntoView({ block: "start", behavior: smooth() });
      card.classList.remove("flash");
      void card.offsetWidth; // restart the animation when the same card is picked twice
      card.classList.add("flash");
    }
  });

  restore();
  loadDocuments();
  box.focus();
})();
