// "Add a document": offered only when the server says uploads are on (GET /healthz -> uploads), and sent with
// the admin token the person types (kept for this tab only, in sessionStorage). Every server text goes in through
// textContent.
"use strict";

(function () {
  const TOKEN_KEY = "alliance-qa.admin-token";
  const button = document.getElementById("add-document");
  const dialog = document.getElementById("upload-dialog");
  const form = document.getElementById("upload-form");
  const status = document.getElementById("upload-status");
  const send = document.getElementById("upload-send");
  const token = document.getElementById("upload-token");
  if (!button || !dialog || !form) return;

  function say(text, kind) {
    status.textContent = text;
    status.className = "upload-status" + (kind ? " " + kind : "");
  }

  async function offer() {
    try {
      const res = await fetch("/healthz", { headers: { accept: "application/json" } });
      const body = res.ok ? await res.json() : null;
      button.hidden = !(body && body.uploads === true);
    } catch (_) {
      button.hidden = true; // no server, no uploads: the chat itself says what is wrong when asked
    }
  }

  button.addEventListener("click", () => {
    say("");
    token.value = sessionStorage.getItem(TOKEN_KEY) || "";
    dialog.showModal();
    document.getElementById("upload-file").focus();
  });

  document.getElementById("upload-cancel").addEventListener("click", () => dialog.close());

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const secret = String(data.get("token") || "");
    data.delete("token");
    for (const [key, value] of Array.from(data.entries())) {
      if (typeof value === "string" && !value.trim()) data.delete(key);
    }
    send.disabled = true;
    say("Adding and indexing… this can take a minute for a long paper.", "busy");
    try {
      const res = await fetch("/api/documents", {
        method: "POST", body: data, headers: { authorization: "Bearer " + secret, accept: "application/json" },
      });
      let body = null;
      try { body = await res.json(); } catch (_) { body = null; }
      if (res.status === 201 && body) {
        sessionStorage.setItem(TOKEN_KEY, secret);
        say("Added “" + (body.title || body.doc_id) + "” (" + body.doc_id + ", " + body.chunks +
            " passages). It is searchable now.", "ok");
        form.reset();
        token.value = secret;
      } else {
        if (res.status === 401 || res.status === 403) sessionStorage.removeItem(TOKEN_KEY);
        const detail = body && typeof body.detail === "string" ? body.detail : "HTTP " + res.status;
        say("Not added: " + detail, "error");
      }
    } catch (err) {
      say("Could not reach the server: " + (err && err.message ? err.message : err), "error");
    } finally {
      send.disabled = false;
    }
  });

  offer();
})();
