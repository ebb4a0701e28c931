"""The command line, end to end in a subprocess over the session's real index."""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import time

from conftest import tiny_corpus
from retriever.config import PROJECT_ROOT
from retriever.schema import Answer, ComposedAnswer
from server.cli import MAX_HISTORY_TURNS, MAX_TURN_CHARS, Conversation, usable_cores, workers_for

GREENFIELD = "How much did Korea invest in US greenfield projects in 2024?"
FAR_OFF = "What is the boiling point of mercury on Mars?"


def env_for(settings) -> dict[str, str]:
    # COLUMNS pins the wrap width, whatever terminal runs the suite
    return {**os.environ, "ALLIANCE_QA_INDEX_DIR": str(settings.index_dir), "COLUMNS": "101"}


def run(settings, *args: str, timeout: float = 300, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args], cwd=PROJECT_ROOT, env=env_for(settings), capture_output=True,
        text=True, timeout=timeout, input=stdin,
    )


def passage_numbers(text: str) -> list[int]:
    """The [n] of each passage printed (its heading starts a line), each followed by its citation line."""
    lines = text.splitlines()
    numbers = []
    for i, line in enumerate(lines):
        if m := re.match(r"\[(\d+)\] \S", line):
            assert " chars " in lines[i + 1], f"passage [{m[1]}] has no citation line"
            numbers.append(int(m[1]))
    return numbers


def check_answer_block(block: str, k: int) -> None:
    """One printed answer: the quoted answer with markers (or why there is none) above passages its markers name."""
    if "\nSources:\n" in block:
        answer, passages = block.split("\nSources:\n", 1)
        markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer)}
        assert markers, f"an answer without [n] markers:\n{answer}"
        assert markers <= set(passage_numbers(passages)), "a marker points at no printed passage"
    else:
        assert "Not in these documents" in block and "Closest passages (not an answer):" in block, block
        passages = block.split("Closest passages (not an answer):", 1)[1]
    assert passage_numbers(passages) == list(range(1, len(passage_numbers(passages)) + 1))
    assert 1 <= len(passage_numbers(passages)) <= k


def test_help_is_helpful_and_light():
    out = subprocess.run(
        [sys.executable, "-c", "import sys, server.cli as c; c.build_parser().format_help(); "
                               "print('torch' in sys.modules, 'faiss' in sys.modules)"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, check=True,
    )
    assert out.stdout.split() == ["False", "False"]
    help_text = subprocess.run([sys.executable, "-m", "server.cli", "--help"], cwd=PROJECT_ROOT,
                               capture_output=True, text=True, check=True).stdout
    for word in ("ask", "chat", "index", "serve", "eval", "eval-beir", "examples:"):
        assert word in help_text
    chat_help = subprocess.run([sys.executable, "-m", "server.cli", "chat", "--help"], cwd=PROJECT_ROOT,
                               capture_output=True, text=True, check=True).stdout
    for word in ("/new", "/help", "/quit", "Ctrl-D", "piped", "examples:", "alliance-qa chat"):
        assert word in chat_help


def test_ask_json_end_to_end(settings, index):
    out = run(settings, "ask", GREENFIELD, "--json", "-k", "3")
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    assert {"answer", "reason", "abstained", "confidence"} <= set(answer) and answer["abstained"] is False
    assert re.search(r"\[\d+\]", answer["answer"]["text"]) and answer["reason"] is None
    top = answer["passages"][0]
    assert "$14.8 billion" in top["text"] and len(answer["passages"]) == 3
    assert set(top["citation"]) >= {"doc_id", "title", "authors", "section", "char_start", "char_end", "footnotes"}
    assert index.documents[top["citation"]["doc_id"]].text[top["citation"]["char_start"]:top["citation"]["char_end"]] \
        == top["text"]


def test_ask_prints_the_answer_first_and_its_markers_point_at_printed_passages(settings, index):
    out = run(settings, "-q", "ask", GREENFIELD, "-k", "3")
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""  # -q: the answer alone, no bars, no library logs
    lines = out.stdout.splitlines()
    assert lines[:2] == [f"Q: {GREENFIELD}", ""]
    answer = out.stdout.split("\nSources:\n", 1)[0]
    assert "$14.8 billion" in answer and re.search(r"\S \[\d+\]", answer)  # the quoted answer, then its passages
    check_answer_block(out.stdout, k=3)
    assert passage_numbers(out.stdout) == [1, 2, 3]
    assert all(len(line) <= 100 for line in lines[2:lines.index("Sources:")])  # wrapped to the width
    assert "[1] Challenges and Tasks Ahead for the Korea-US Economic Alliance — Introduction" in out.stdout
    assert "» By 2024, Korea’s greenfield investments in the US has surged to $14.8 billion" in out.stdout


def test_ask_far_off_question_says_why_before_the_nearest_passages(settings, index):
    out = run(settings, "-q", "ask", FAR_OFF, "-k", "2")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[2].startswith("Not in these documents: ") and len(lines[2]) > len("Not in these documents: ")
    assert "Sources:" not in out.stdout
    heading = out.stdout.index("Closest passages (not an answer):")
    assert out.stdout.index("Not in these documents") < heading < out.stdout.index("\n[1] ")
    check_answer_block(out.stdout, k=2)


def test_bad_arguments_are_explained(settings, index):
    out = run(settings, "ask", "tariffs", "--doc", "nope")
    assert out.returncode == 2 and "unknown doc_id nope" in out.stderr
    out = run(settings, "ask", "tariffs", "-k", "50")
    assert out.returncode == 2 and "k must be between 1 and 20" in out.stderr
    out = run(settings, "index")
    assert out.returncode == 0 and "index is up to date" in out.stdout
    out = run(settings, "serve", "--workers", "0")
    assert out.returncode == 2 and "at least 1 worker is needed" in out.stderr


def test_serve_starts_a_worker_per_two_cores_by_default():
    assert [workers_for(cores) for cores in (1, 2, 3, 4, 7, 8)] == [1, 1, 1, 2, 3, 4]
    assert 1 <= usable_cores() <= (os.cpu_count() or 1)


def test_chat_keeps_the_conversation_until_new_and_stops_at_quit(settings, index):
    kiep = "What does the KIEP paper say about Korea's greenfield investment in the US?"
    # a blank line is skipped; an unknown command is explained; nothing after /quit is asked
    script = f"{kiep}\nWho wrote it?\n\n/bogus\n/help\n/new\nWho wrote it?\n/quit\nWhat about tariffs?\n"
    out = run(settings, "-q", "-v", "chat", stdin=script)  # -v: the debug log says how many turns went along
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr and "unknown command /bogus" in out.stderr
    asked = re.findall(r"^Q(\d+): (.*)$", out.stdout, re.M)
    assert asked == [("1", kiep), ("2", "Who wrote it?"), ("1", "Who wrote it?")]
    # the follow-up went with the first question and its answer; after /new, with nothing
    assert re.findall(r"asking with (\d+) earlier turns", out.stderr) == ["0", "2", "0"]
    blocks = re.split(r"^Q\d+: .*$", out.stdout, flags=re.M)[1:]
    assert "(new conversation)" in blocks[1] and "(new conversation)" not in blocks[0] + blocks[2]
    assert "/new    forget the conversation" in blocks[1]  # /help
    for block in blocks:  # chat shows 3 passages by default
        check_answer_block(re.split(r"^Type a question|^\(new conversation\)", block, flags=re.M)[0], k=3)
    assert "Sources:" in blocks[0]  # the first question is answered (the follow-up's wording may change)


def test_chat_answers_the_last_line_and_exits_0_at_end_of_input(settings, index):
    # no newline after the last question, no /quit: EOF ends the chat; --json gives one answer object a line
    out = run(settings, "-q", "chat", "--json", "-k", "2", stdin=f"{GREENFIELD}\n\n{FAR_OFF}")
    assert out.returncode == 0, out.stderr
    first, second = [json.loads(line) for line in out.stdout.splitlines()]
    assert first["question"] == GREENFIELD and not first["abstained"] and "[" in first["answer"]["text"]
    assert second["question"] == FAR_OFF and second["abstained"] and second["answer"] is None and second["reason"]
    assert len(first["passages"]) == 2


def test_chat_ctrl_c_exits_cleanly(settings, index):
    proc = subprocess.Popen([sys.executable, "-m", "server.cli", "-q", "chat", "-k", "1"], cwd=PROJECT_ROOT,
                            env=env_for(settings), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        proc.stdin.write(f"{GREENFIELD}\n".encode())
        proc.stdin.flush()
        deadline, seen = time.monotonic() + 300, b""
        while not re.search(rb"^\(\d+ ms\)$", seen, re.M):  # the answer is out: the chat waits for the next line
            assert time.monotonic() < deadline and proc.poll() is None, seen.decode()
            if select.select([proc.stdout], [], [], 1)[0]:  # raw reads: a buffered readline would hide lines
                seen += os.read(proc.stdout.fileno(), 65536)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        assert b"Traceback" not in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def test_conversation_keeps_the_last_turns_cut_to_size():
    def answered(text: str) -> Answer:
        return Answer(question="q", answer=ComposedAnswer(text=text, sentences=[]), abstained=False,
                      passages=[], timings_ms={})

    conversation = Conversation()
    conversation.add("Who wrote the KIEP paper?", answered("Hyok Jung Kim wrote it. [1]"))
    conversation.add("And the other?", Answer(question="q", abstained=True, reason="Nothing about the other.",
                                              passages=[], timings_ms={}))
    assert [(t.role, t.content) for t in conversation.turns] == [
        ("user", "Who wrote the KIEP paper?"), ("assistant", "Hyok Jung Kim wrote it. [1]"),
        ("user", "And the other?"), ("assistant", "Nothing about the other.")]  # an abstention keeps its reason
    for n in range(30):
        conversation.add(f"question {n} " + "x" * 3000, answered(f"answer {n} [1]"))
    assert len(conversation.turns) == MAX_HISTORY_TURNS and conversation.asked == 32
    assert conversation.turns[0].role == "user" and conversation.turns[-1].content == "answer 29 [1]"
    assert all(len(t.content) <= MAX_TURN_CHARS for t in conversation.turns)
    assert conversation.turns[0].content.startswith(f"question {30 - MAX_HISTORY_TURNS // 2} ")
    conversation.reset()
    assert conversation.turns == [] and conversation.asked == 0


def test_index_says_what_it_does_and_nothing_it_does_not(tmp_path):
    """A first build says it builds, not that the user should go and build; a second finds nothing to do."""
    settings = tiny_corpus(tmp_path, build=False)
    env = {**os.environ, "ALLIANCE_QA_CORPUS_DIR": str(settings.corpus_dir),
           "ALLIANCE_QA_INDEX_DIR": str(settings.index_dir), "ALLIANCE_QA_MULTILINGUAL_MODEL": "none"}
    first = subprocess.run([sys.executable, "-m", "server.cli", "index"], cwd=PROJECT_ROOT, env=env,
                           capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    assert f"no index in {settings.index_dir} yet; building it" in first.stderr
    assert "build it with" not in first.stderr and "encoding every document" not in first.stderr
    again = subprocess.run([sys.executable, "-m", "server.cli", "-q", "index"], cwd=PROJECT_ROOT, env=env,
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and again.stderr == "" and again.stdout.startswith("index is up to date")
