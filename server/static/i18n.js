// The chat page's own words, in English (the default) and Korean, picked from the browser's language.
//
// Loaded before app.js and upload.js: it sets <html lang>, puts the words into every element of index.html that
// names a key (data-i18n: its text; data-i18n-placeholder, data-i18n-aria-label: those attributes) and gives the
// other scripts `window.allianceI18n.t(key, ...values)`, where {0}, {1}… in a string take the values.  Text from the
// documents, the server and the person is never translated.
"use strict";

(function () {
  const STRINGS = {
    en: {
      pageTitle: "alliance-qa — ask the alliance papers",
      tagline: "Cited answers from policy papers on the U.S.–South Korea economic alliance.",
      pageNav: "Page",
      newConversation: "New conversation",
      exportMarkdown: "Export Markdown",
      addDocument: "Add a document",
      apiLink: "API",
      intro: "Ask a question in plain language. The answer comes first, quoted from the source documents; each of " +
        "its sentences links to where it stands in its document, and each [n] to the passage it comes from. " +
        "Follow-up questions are read with the conversation so far.",
      examplesLabel: "Try:",
      questionLabel: "Your question",
      questionPlaceholder: "Ask about the Korea–US economic alliance…",
      passagesLabel: "Passages",
      send: "Send",
      searching: "Searching…",
      hint: "Enter to send · Shift+Enter for a new line",
      filterSummaryAll: "Documents: all",
      filterSummarySome: "Documents: {0} of {1}",
      filterLegend: "Search in",
      allDocuments: "All documents",
      searchedAll: "Searched: all documents",
      searchedSome: "Searched: {0}",
      answer: "Answer",
      sources: "Sources",
      closestNotAnswer: "Closest passages — not an answer",
      abstainTitle: "These documents do not answer this question.",
      noAnswer: "No sentence in the documents answers this question.",
      noPassages: "No passages found.",
      onePassage: "{0} passage",
      manyPassages: "{0} passages",
      confidenceStrong: "Strong match",
      confidenceModerate: "Moderate match",
      confidenceWeak: "Weak match",
      confidenceNone: "Not in these documents",
      confidenceLabel: "Confidence",
      untitled: "Untitled",
      section: "Section",
      footnotes: "Footnotes cited in this passage",
      showFull: "Show full passage",
      showHighlight: "Show highlight only",
      openInDocument: "Open in document",
      openSentence: "Open this sentence in its document",
      passageLink: "Passage {0}",
      passageLinkTitled: "Passage {0}: {1}",
      score: "score {0}",
      copyCitation: "Copy citation",
      copied: "Copied",
      copyFailed: "Could not copy: select the text and copy it by hand",
      citationChars: "characters {0}–{1}",
      citationSection: "Section “{0}”",
      noDate: "n.d.",
      httpError: "The server answered with HTTP {0}.",
      unreadable: "The server sent an answer this page cannot read.",
      unreachable: "Could not reach the server: {0}",
      exportTitle: "alliance-qa conversation",
      exportQuestion: "Question {0}",
      exportReferences: "References",
      // upload dialog (index.html; upload.js keeps its own status messages)
      uploadNote: "A PDF, HTML, Markdown or text file. It is searchable as soon as it is indexed.",
      uploadFile: "File",
      uploadTitle: "Title",
      uploadAuthors: "Authors",
      uploadDate: "Date",
      uploadToken: "Admin token",
      optional: "(optional)",
      optionalAuthors: "(optional, comma-separated)",
      close: "Close",
      add: "Add",
    },
    ko: {
      pageTitle: "alliance-qa — 한미 경제동맹 문서에 묻기",
      tagline: "한미 경제동맹 정책 보고서에서 출처를 밝혀 답합니다.",
      pageNav: "페이지",
      newConversation: "새 대화",
      exportMarkdown: "Markdown으로 내보내기",
      addDocument: "문서 추가",
      apiLink: "API",
      intro: "평소 말로 질문하세요. 답이 먼저 나오며 원문 그대로 인용됩니다. 각 문장은 문서 속 해당 위치로, 각 [n]은 " +
        "출처 구절로 연결됩니다. 이어지는 질문은 지금까지의 대화와 함께 읽습니다.",
      examplesLabel: "예시:",
      questionLabel: "질문",
      questionPlaceholder: "한미 경제동맹에 대해 물어보세요…",
      passagesLabel: "구절 수",
      send: "보내기",
      searching: "검색 중…",
      hint: "Enter: 보내기 · Shift+Enter: 줄 바꿈",
      filterSummaryAll: "문서: 전체",
      filterSummarySome: "문서: {1}개 중 {0}개",
      filterLegend: "검색할 문서",
      allDocuments: "모든 문서",
      searchedAll: "검색 범위: 모든 문서",
      searchedSome: "검색 범위: {0}",
      answer: "답변",
      sources: "출처",
      closestNotAnswer: "가장 가까운 구절 — 답이 아님",
      abstainTitle: "이 문서들은 이 질문에 답하지 않습니다.",
      noAnswer: "문서의 어떤 문장도 이 질문에 답하지 않습니다.",
      noPassages: "찾은 구절이 없습니다.",
      onePassage: "구절 {0}개",
      manyPassages: "구절 {0}개",
      confidenceStrong: "강한 일치",
      confidenceModerate: "보통 일치",
      confidenceWeak: "약한 일치",
      confidenceNone: "이 문서들에 없음",
      confidenceLabel: "신뢰도",
      untitled: "제목 없음",
      section: "절",
      footnotes: "이 구절에 인용된 각주",
      showFull: "구절 전체 보기",
      showHighlight: "강조 부분만 보기",
      openInDocument: "문서에서 열기",
      openSentence: "이 문장을 문서에서 열기",
      passageLink: "구절 {0}",
      passageLinkTitled: "구절 {0}: {1}",
      score: "점수 {0}",
      copyCitation: "인용 복사",
      copied: "복사했습니다",
      copyFailed: "복사하지 못했습니다. 글을 선택해 직접 복사하세요",
      citationChars: "{0}–{1}번째 글자",
      citationSection: "“{0}” 절",
      noDate: "날짜 없음",
      httpError: "서버가 HTTP {0}(으)로 응답했습니다.",
      unreadable: "서버가 보낸 답을 이 페이지가 읽을 수 없습니다.",
      unreachable: "서버에 연결할 수 없습니다: {0}",
      exportTitle: "alliance-qa 대화",
      exportQuestion: "질문 {0}",
      exportReferences: "참고문헌",
      uploadNote: "PDF, HTML, Markdown 또는 텍스트 파일. 색인되는 즉시 검색할 수 있습니다.",
      uploadFile: "파일",
      uploadTitle: "제목",
      uploadAuthors: "저자",
      uploadDate: "날짜",
      uploadToken: "관리자 토큰",
      optional: "(선택)",
      optionalAuthors: "(선택, 쉼표로 구분)",
      close: "닫기",
      add: "추가",
    },
  };

  const lang = /^ko\b/i.test(navigator.language || "") ? "ko" : "en";
  const words = STRINGS[lang];

  function t(key, ...values) {
    const template = Object.prototype.hasOwnProperty.call(words, key) ? words[key] : STRINGS.en[key];
    if (template === undefined) throw new Error("no string for " + key); // a typo in a key is a bug, not a blank
    return template.replace(/\{(\d+)\}/g, (m, i) => (i < values.length ? String(values[i]) : m));
  }

  document.documentElement.lang = lang;
  document.title = t("pageTitle");
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll("[data-i18n-placeholder]")) {
    node.setAttribute("placeholder", t(node.dataset.i18nPlaceholder));
  }
  for (const node of document.querySelectorAll("[data-i18n-aria-label]")) {
    node.setAttribute("aria-label", t(node.dataset.i18nAriaLabel));
  }

  window.allianceI18n = Object.freeze({ lang: lang, t: t });
})();
