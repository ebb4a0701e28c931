// alliance-qa document view: the canonical text as paragraphs, with the cited span marked. Text only via textContent.
"use strict";

(function () {
  const status = document.getElementById("doc-status");
  const body = document.getElementById("doc-body");

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function fail(message) {
    status.textContent = message;
    status.className = "message error";
    status.setAttribute("role", "alert");
    status.dataset.testid = "error";
  }

  function intParam(params, name) {
    const raw = params.get(name);
    if (raw === null || !/^\d+$/.test(raw)) return null;
    return Number(raw);
  }

  // The part [from, to) of the text, with the highlight [hs, he) inside it in a stronger mark.
  function citedMark(text, from, to, hs, he) {
    const mark = el("mark", "cited");
    const a = hs === null ? to : Math.max(from, hs);
    const b = he === null ? to : Math.min(to, he);
    if (a < b) {
      if (a > from) mark.append(document.createTextNode(text.slice(from, a)));
      mark.append(el("mark", "answer", text.slice(a, b)));
      if (to > b) mark.append(document.createTextNode(text.slice(b, to)));
    } else {
      mark.textContent = text.slice(from, to);
    }
    return mark;
  }

  // One <p> per "\n\n"-separated paragraph; joining their text with "\n\n" gives back the canonical text exactly.
  function renderText(text, span, sections) {
    const container = document.getElementById("doc-text");
    const headings = new Set();
    for (const s of sections || []) headings.add(s.char_start + "\u0000" + s.title);
    const parts = text.split("\n\n");
    let offset = 0;
    for (const part of parts) {
      const start = offset;
      const end = start + part.length;
      offset = end + 2;
      const p = el("p", "para");
      p.dataset.start = String(start);
      p.dataset.end = String(end);
      if (!part.trim()) p.classList.add("blank");
      if (headings.has(start + "\u0000" + part.trim())) p.classList.add("heading");
      const cs = span ? Math.max(span.start, start) : end;
      const ce = span ? Math.min(span.end, end) : start;
      if (cs < ce) {
        p.classList.add("has-cited");
        if (cs > start) p.append(document.createTextNode(text.slice(start, cs)));
        p.append(citedMark(text, cs, ce, span.hlStart, span.hlEnd));
        if (end > ce) p.append(document.createTextNode(text.slice(ce, end)));
      } else {
        p.textContent = part;
      }
      container.append(p);
    }
  }

  function renderHeader(doc) {
    document.title = doc.title + " — alliance-qa";
    document.getElementById("doc-title").textContent = doc.title;
    const series = document.getElementById("doc-series");
    if (doc.series) series.textContent = doc.series;
    else series.remove();
    const meta = [];
    if (doc.authors && doc.authors.length) meta.push(doc.authors.join(", "));
    if (doc.publisher) meta.push(doc.publisher);
    if (doc.date) meta.push(doc.date);
    document.getElementById("doc-meta").textContent = meta.join(" · ");
    if (doc.url && /^https?:\/\//i.test(doc.url)) {
      const holder = document.getElementById("doc-url");
      const link = el("a", "external", doc.url);
      link.href = doc.url;
      link.rel = "noopener noreferrer";
      holder.append(document.createTextNode("Original: "), link);
      holder.hidden = false;
    }
  }

  function renderNotes(footnotes) {
    const markers = Object.keys(footnotes || {});
    if (!markers.length) return;
    const list = document.getElementById("doc-notes-list");
    for (const marker of markers) {
      const li = el("li", "footnote");
      li.append(el("span", "fn-marker", marker), el("span", "fn-text", footnotes[marker]));
      list.append(li);
    }
    document.getElementById("doc-notes").hidden = false;
  }

  function citedSpan(textLength) {
    const params = new URLSearchParams(location.search);
    const start = intParam(params, "start");
    const end = intParam(params, "end");
    if (start === null || end === null || end <= start || start >= textLength) return null;
    let hlStart = intParam(params, "hl_start");
    let hlEnd = intParam(params, "hl_end");
    if (hlStart === null || hlEnd === null || hlEnd <= hlStart) hlStart = hlEnd = null;
    return { start: start, end: Math.min(end, textLength), hlStart: hlStart, hlEnd: hlEnd };
  }

  async function main() {
    const prefix = "/documents/";
    const path = location.pathname;
    let docId = "";
    try {
      docId = decodeURIComponent(path.startsWith(prefix) ? path.slice(prefix.length) : "");
    } catch (_) {
      docId = "";
    }
    if (!docId) {
      fail("No document was named in the address.");
      return;
    }
    let res;
    let doc = null;
    try {
      res = await fetch("/api/documents/" + encodeURIComponent(docId), { headers: { accept: "application/json" } });
      try {
        doc = await res.json();
      } catch (_) {
        doc = null;
      }
    } catch (err) {
      fail("Could not reach the server: " + (err && err.message ? err.message : err));
      return;
    }
    if (res.status === 404) {
      fail("There is no document called “" + docId + "”. It may have been removed from the collection.");
      return;
    }
    if (!res.ok || !doc || typeof doc.text !== "string") {
      fail((doc && typeof doc.detail === "string" && doc.detail) || "The server answered with HTTP " + res.status + ".");
      return;
    }

    renderHeader(doc);
    const span = citedSpan(doc.text.length);
    renderText(doc.text, span, doc.sections);
    renderNotes(doc.footnotes);
    status.remove();
    body.hidden = false;

    if (span) {
      const note = document.getElementById("cited-note");
      note.textContent = "The cited passage is highlighted below; the sentence that best answers the question is in a darker shade.";
      note.hidden = false;
      const target = document.querySelector("mark.answer") || document.querySelector("mark.cited");
      if (target) target.scrollIntoView({ block: "center" });
    }
  }

  main();
})();
