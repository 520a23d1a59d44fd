"""The streaming GGUF header reader agrees with the gguf package and fails cleanly."""

from __future__ import annotations

import numpy as np
import pytest
from gguf import GGUFReader, GGUFWriter

from hive_tui.embedded_model import embedded_model_path
from hive_tui.models.gguf_header import GGUFHeaderError, read_gguf_header
from tests.gguf_factory import write_gguf


def test_matches_gguf_reader_on_a_written_file(tmp_path):
    path = write_gguf(tmp_path / "m.gguf", size_label="1B", context_length=4096)
    ours = read_gguf_header(path)
    theirs = GGUFReader(path)
    assert ours.parameter_count == sum(int(t.n_elements) for t in theirs.tensors) == 5120
    for key in (
        "general.architecture",
        "general.name",
        "llama.context_length",
        "general.size_label",
        "llama.attention.head_count_kv",
    ):
        assert ours.metadata[key] == theirs.fields[key].contents()


def test_long_arrays_are_skipped_and_short_ones_kept(tmp_path):
    path = tmp_path / "arrays.gguf"
    w = GGUFWriter(str(path), "llama")
    w.add_array("test.short", [1, 2, 3])
    w.add_array("test.vocab", [f"tok{i}" for i in range(5000)])
    w.add_array("test.scores", [0.5] * 5000)
    w.add_string("test.after", "still read")
    w.add_tensor("t", np.zeros((3, 4), dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    h = read_gguf_header(path)
    assert h.metadata["test.short"] == [1, 2, 3]
    assert h.metadata["test.vocab"] is None and h.metadata["test.scores"] is None
    assert h.metadata["test.after"] == "still read"
    assert h.tensor_elements == [12]


def test_the_embedded_model_header():
    h = read_gguf_header(embedded_model_path())
    assert h.metadata["general.architecture"] == "llama"
    assert h.metadata["llama.block_count"] == 30
    assert 130e6 < h.parameter_count < 170e6


@pytest.mark.parametrize("cut", [0, 3, 10, 30, 200])
def test_truncated_or_foreign_files_raise_a_clean_error(tmp_path, cut):
    good = write_gguf(tmp_path / "good.gguf").read_bytes()
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(good[:cut])
    with pytest.raises(GGUFHeaderError):
        read_gguf_header(bad)
    bad.write_bytes(b"PK\x03\x04" + good[4:])
    with pytest.raises(GGUFHeaderError, match="magic"):
        read_gguf_header(bad)
