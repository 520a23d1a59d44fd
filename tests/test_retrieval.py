"""Retrieval without a model: chunking, the SQLite store and its keyword and vector search,
rank fusion, re-indexing that skips unchanged files, the access rule for peers, and the
support signal the vote uses. Vectors come from a deterministic bag-of-words stand-in."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from hive_tui import wire
from hive_tui.retrieval import library
from hive_tui.retrieval.chunking import chunk_file, chunk_text
from hive_tui.retrieval.grounding import (
    cite,
    grounded_messages,
    prefer_supported,
    support_share,
    with_sources,
)
from hive_tui.retrieval.indexer import index_paths
from hive_tui.retrieval.search import fuse, hybrid_search
from hive_tui.retrieval.store import Hit, Store, keyword_query
from hive_tui.swarm.request import InvalidRequest, resolve_request

pytestmark = pytest.mark.pure

DIM = 64


def bag_of_words(texts: list[str]) -> np.ndarray:
    """A stand-in embedder: hashed word counts, normalised (same words, near vectors)."""
    rows = np.zeros((len(texts), DIM), dtype=np.float32)
    for i, text in enumerate(texts):
        for word in text.lower().split():
            rows[i, hashlib.blake2b(word.encode(), digest_size=2).digest()[0] % DIM] += 1
        rows[i] /= np.linalg.norm(rows[i]) or 1.0
    return rows


class CountingEmbed:
    def __init__(self) -> None:
        self.texts = 0

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.texts += len(texts)
        return bag_of_words(texts)


def test_markdown_is_cut_by_headings_and_keeps_lines_and_its_heading():
    text = "# Town\n\nIntro line.\n\n## Mayor\n\nThe mayor is Ondrea.\nElected 1987.\n"
    chunks = chunk_text("a.md", text)
    assert [(c.start_line, c.end_line) for c in chunks] == [(1, 3), (5, 8)]
    assert chunks[1].text.startswith("## Mayor") and "Ondrea" in chunks[1].text
    assert all(c.path == "a.md" for c in chunks)


def test_long_sections_overlap_by_a_paragraph():
    paragraphs = [f"Paragraph {i} " + "word " * 40 for i in range(6)]
    chunks = chunk_text("b.md", "\n\n".join(paragraphs), max_chars=500)
    assert len(chunks) > 1
    for before, after in zip(chunks, chunks[1:], strict=False):
        assert after.start_line <= before.end_line  # the last paragraph is shared
    assert all(f"Paragraph {i}" in "".join(c.text for c in chunks) for i in range(6))


def test_code_is_cut_by_blank_line_blocks(tmp_path):
    path = tmp_path / "m.py"
    path.write_text("def a():\n    return 1\n\n\ndef b():\n    return 2\n")
    (chunk,) = chunk_file(path, "m.py")
    assert (chunk.start_line, chunk.end_line) == (1, 6) and "def b" in chunk.text
    small = chunk_text("m.py", path.read_text(), markdown=False, max_chars=25)
    assert [(c.start_line, c.end_line) for c in small] == [(1, 2), (5, 6)]


def test_pdf_text_is_extracted(tmp_path):
    pypdf = pytest.importorskip("pypdf")
    writer = pypdf.PdfWriter()
    writer.add_blank_page(72, 72)
    path = tmp_path / "blank.pdf"
    with path.open("wb") as f:
        writer.write(f)
    assert chunk_file(path) == []  # a page without text gives no passage, and no error


def test_keyword_query_drops_stopwords_and_quotes_words():
    assert keyword_query('Who is the "mayor" of Quell-brook?') == '"mayor" OR "quell" OR "brook"'
    assert keyword_query("") == ""


def write_notes(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mayor.md").write_text("# Mayor\n\nThe mayor of Quellbrook is Ondrea Vasket.\n")
    (folder / "river.md").write_text("# River\n\nThe river through Quellbrook is the Sazzow.\n")
    (folder / "bakery.md").write_text("# Bakery\n\nThe bakery is called Brimmel Loaves.\n")


def test_hybrid_search_finds_the_file_of_the_fact(tmp_path):
    write_notes(tmp_path / "notes")
    store = Store(tmp_path / "kb.sqlite")
    index_paths(store, [tmp_path / "notes"], bag_of_words)
    question = "What river runs through Quellbrook?"
    hits = hybrid_search(store, question, bag_of_words([question])[0], 2)
    assert Path(hits[0].path).name == "river.md"
    assert (hits[0].start_line, hits[0].end_line) == (1, 3)
    assert Path(store.keyword_search("Brimmel", 3)[0].path).name == "bakery.md"


def test_reindexing_unchanged_files_embeds_nothing_and_changes_are_picked_up(tmp_path):
    notes = tmp_path / "notes"
    write_notes(notes)
    store = Store(tmp_path / "kb.sqlite")
    embed = CountingEmbed()
    first = index_paths(store, [notes], embed)
    assert len(first.added) == 3 and embed.texts == 3
    again = index_paths(store, [notes], embed)
    assert again.unchanged == 3 and again.added == [] and embed.texts == 3
    (notes / "mayor.md").write_text("# Mayor\n\nThe mayor is now Tavik Orrle.\n")
    (notes / "river.md").unlink()
    third = index_paths(store, [notes], embed)
    assert [Path(p).name for p in third.added] == ["mayor.md"]
    assert [Path(p).name for p in third.removed] == ["river.md"]
    assert store.counts() == (2, 2)
    assert store.keyword_search("Sazzow", 3) == []
    assert Path(store.keyword_search("Orrle", 3)[0].path).name == "mayor.md"


def hit(cid: int) -> Hit:
    return Hit(cid, f"f{cid}.md", 1, 2, "", 0.0)


def test_rank_fusion_prefers_what_both_lists_found():
    fused = fuse([[hit(1), hit(2), hit(3)], [hit(3), hit(4), hit(2)]], 3)
    assert [h.chunk_id for h in fused][:2] == [3, 2]
    assert fused[0].score > fused[1].score > fused[2].score
    weighted = fuse([[hit(1), hit(2)], [hit(2), hit(1)]], 2, weights=[1.0, 0.2])
    assert [h.chunk_id for h in weighted] == [1, 2]


def test_support_share_counts_the_answers_content_words_found_in_the_passages():
    passages = ["The mayor of Quellbrook is Ondrea Vasket."]
    assert support_share("The mayor is Ondrea Vasket.", passages) == 1.0
    assert support_share("The mayor is Halvard Quince.", passages) == pytest.approx(1 / 3)
    assert support_share("", passages) == 0.0


def candidate(text: str, finish: str = "stop") -> wire.Candidate:
    return wire.Candidate(worker_id=text[:3], text=text, finish_reason=finish)


def test_the_vote_prefers_the_answer_the_passages_support():
    passages = ["The mayor of Quellbrook is Ondrea Vasket."]
    candidates = [candidate("The mayor is Halvard Quince."), candidate("It is Ondrea Vasket.")]
    decision = wire.Decision("confidence", 0, [0.6, 0.5], [[0], [1]], 0.5, 1)
    chosen = prefer_supported(candidates, decision, passages)
    assert chosen.winner == 1 and chosen.scores[1] > chosen.scores[0]
    assert prefer_supported(candidates, decision, []) == decision
    errored = [candidate("The mayor is Halvard Quince."), candidate("Ondrea Vasket", "error")]
    assert prefer_supported(errored, decision, passages).winner == 0


def passage(path: str, text: str) -> wire.Passage:
    return wire.Passage("kb", path, 3, 5, 0.03, text)


def test_grounded_prompt_names_sources_and_answers_cite_the_supporting_file():
    found = [passage("/n/doctor.md", "The doctor is Halvard Quince."),
             passage("/n/mayor.md", "The mayor is Ondrea Vasket.")]
    messages = grounded_messages([wire.ChatMessage("user", "Who is the mayor?")], found)
    assert "[mayor.md:3-5]" in messages[-1].content
    assert messages[-1].content.rstrip().endswith("Who is the mayor?")
    cited = cite("The mayor is Ondrea Vasket.", found)
    assert cited[0].path == "/n/mayor.md"
    assert with_sources("Ondrea Vasket.", cited[:1]).endswith("Sources: mayor.md:3-5")


def test_access_check_reads_only_the_shared_flag(tmp_path):
    for name, shared in (("private", "0"), ("open", "1")):
        store = library.open_kb(tmp_path, name, create=True)
        store.set_meta("shared", shared)
        store.close()
    with pytest.raises(library.KnowledgeBaseNotShared):
        library.check_access(tmp_path, "private", from_peer=True)
    library.check_access(tmp_path, "private", from_peer=False)
    library.check_access(tmp_path, "open", from_peer=True)
    with pytest.raises(library.UnknownKnowledgeBase):
        library.check_access(tmp_path, "missing", from_peer=False)


def test_the_resolved_request_carries_the_kb_and_refuses_a_bad_name():
    request = resolve_request([wire.ChatMessage("user", "q")], kb="notes", from_peer=True)
    assert request.kb == "notes" and request.from_peer
    with pytest.raises(InvalidRequest) as exc:
        resolve_request([wire.ChatMessage("user", "q")], kb="../etc")
    assert exc.value.param == "hive.kb"


def test_list_and_remove_knowledge_bases(tmp_path):
    store = library.open_kb(tmp_path, "notes", create=True)
    store.set_meta("model", "/m/model.gguf")
    store.close()
    (info,) = library.list_kbs(tmp_path)
    assert (info.name, info.shared, info.files, info.model) == ("notes", False, 0, "model.gguf")
    library.remove_kb(tmp_path, "notes")
    assert library.list_kbs(tmp_path) == []
