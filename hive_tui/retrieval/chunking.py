"""Files cut into passages that keep their source: path and 1-based line range.

Markdown and text: by headings, then by paragraphs (blank lines), packed up to a size, each
chunk overlapping the previous by its last paragraph so that a fact split across a boundary
is whole in one of them. A chunk under a heading starts with that heading, so a passage
about "Opening hours" keeps its subject. Code: by blank-line blocks, packed the same way. PDF:
the text of each page (pypdf), lines counted within the page's text as a whole document.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

TEXT_SUFFIXES = frozenset({".md", ".markdown", ".txt", ".rst", ".org", ""})
CODE_SUFFIXES = frozenset(
    {".py", ".js", ".ts", ".go", ".rs", ".c", ".h", ".cpp", ".java", ".rb", ".sh", ".toml",
     ".yaml", ".yml", ".json", ".html", ".css", ".sql", ".lua", ".swift", ".kt"}
)  # fmt: skip
PDF_SUFFIX = ".pdf"
MAX_CHUNK_CHARS = 1200  # ~300 tokens: fits the embedder's context whole
MAX_FILE_BYTES = 8 * 1024 * 1024  # a larger file is most likely data, not a document


@dataclass(frozen=True)
class Chunk:
    path: str
    start_line: int  # 1-based, inclusive
    end_line: int
    text: str


@dataclass(frozen=True)
class _Block:
    start: int  # 0-based line index
    end: int  # exclusive
    text: str
    heading: bool = False


def indexable(path: Path) -> bool:
    suffix = path.suffix.lower()
    return suffix in TEXT_SUFFIXES or suffix in CODE_SUFFIXES or suffix == PDF_SUFFIX


def _blocks(lines: list[str], markdown: bool) -> list[_Block]:
    """Runs of non-blank lines; a markdown heading line is a block of its own."""
    blocks: list[_Block] = []
    start: int | None = None
    for i, line in enumerate([*lines, ""]):
        is_heading = markdown and line.lstrip().startswith("#")
        if (not line.strip() or is_heading) and start is not None:
            blocks.append(_Block(start, i, "\n".join(lines[start:i])))
            start = None
        if is_heading:
            blocks.append(_Block(i, i + 1, line.strip(), heading=True))
        elif line.strip() and start is None:
            start = i
    return blocks


def _pack(path: str, blocks: list[_Block], max_chars: int) -> list[Chunk]:
    chunks: list[Chunk] = []
    heading: _Block | None = None
    group: list[_Block] = []

    def flush(keep_last: bool) -> None:
        nonlocal group
        body = [b for b in group if not b.heading]
        if body:
            parts = [b.text for b in group]
            if heading is not None and not group[0].heading:
                parts.insert(0, heading.text)  # the subject of a passage cut below its heading
            chunks.append(Chunk(path, group[0].start + 1, group[-1].end, "\n\n".join(parts)))
        group = group[-1:] if keep_last and body and len(group) > 1 else []

    for block in blocks:
        if block.heading:
            flush(keep_last=False)
            heading = block
            group = [block]
            continue
        size = sum(len(b.text) + 2 for b in group)
        if group and size + len(block.text) > max_chars and any(not b.heading for b in group):
            flush(keep_last=True)  # overlap: the last paragraph starts the next chunk
        group.append(block)
    flush(keep_last=False)
    return chunks


def chunk_text(path: str, text: str, markdown: bool = True,
               max_chars: int = MAX_CHUNK_CHARS) -> list[Chunk]:
    lines = text.splitlines()
    blocks: list[_Block] = []
    for block in _blocks(lines, markdown):
        if len(block.text) <= max_chars:
            blocks.append(block)
            continue
        for i in range(block.start, block.end, 20):  # a huge paragraph: 20 lines at a time
            end = min(i + 20, block.end)
            blocks.append(_Block(i, end, "\n".join(lines[i:end])[: max_chars * 2]))
    return _pack(path, blocks, max_chars)


def read_pdf(path: Path) -> str:
    from pypdf import PdfReader

    return "\n\n".join((page.extract_text() or "") for page in PdfReader(path).pages)


def chunk_file(path: Path, shown_as: str | None = None) -> list[Chunk]:
    """The chunks of one file, named ``shown_as`` (default: the path as given)."""
    name = shown_as or str(path)
    suffix = path.suffix.lower()
    if suffix == PDF_SUFFIX:
        return chunk_text(name, read_pdf(path), markdown=False)
    text = path.read_bytes()[:MAX_FILE_BYTES].decode("utf-8", "replace")
    if "\x00" in text[:4096]:  # binary
        return []
    return chunk_text(name, text, markdown=suffix not in CODE_SUFFIXES)
