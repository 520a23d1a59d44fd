import os
from pathlib import Path

import pytest

from hive_tui.cli import build_parser, settings_from
from hive_tui.config import ConfigError, data_dir, load_settings, threads_per_worker


def test_layers_file_then_env_then_flags(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('port = 9000\nstrategy = "majority"\nworkers = 2\n')
    env = {"HIVE_PORT": "9100", "HIVE_WORKERS": "4", "UNRELATED": "x"}
    s = load_settings({"workers": 5, "model": None}, environ=env, path=path)
    assert s.port == 9100  # env beats file, and "9100" became an int
    assert s.strategy == "majority"  # from the file
    assert s.workers == 5  # flag beats env
    assert s.host == "127.0.0.1"  # default: loopback only
    assert s.node_name  # filled from the host name


def test_unknown_key_or_bad_value_is_reported(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("prot = 1\n")
    with pytest.raises(ConfigError, match="prot"):
        load_settings(environ={}, path=path)
    path.write_text("port = 'many'\n")
    with pytest.raises(ConfigError):
        load_settings(environ={}, path=path)
    path.write_text("port = \n")
    with pytest.raises(ConfigError):
        load_settings(environ={}, path=path)


def test_threads_never_oversubscribe():
    assert threads_per_worker(64) == 1
    assert threads_per_worker(3, requested=2) == 2


def test_data_folder_from_flag_env_or_platform(tmp_path, monkeypatch):
    # conftest points XDG_DATA_HOME into a temporary folder; platformdirs follows it.
    assert data_dir() == Path(os.environ["XDG_DATA_HOME"]) / "hive"
    assert data_dir("~/nodes/b") == Path.home() / "nodes" / "b"
    env = {"HIVE_DATA_DIR": str(tmp_path / "env")}
    assert load_settings(environ=env, path=tmp_path / "none.toml").data_dir == str(tmp_path / "env")
    monkeypatch.setenv("HIVE_DATA_DIR", str(tmp_path / "env"))
    args = build_parser().parse_args(["--node", "--data-dir", str(tmp_path / "flag")])
    assert settings_from(args).data_dir == str(tmp_path / "flag")  # the flag beats the env


def test_speculative_flags_and_a_draft_model_implying_draft(monkeypatch):
    args = build_parser().parse_args(["--node", "--speculative", "lookup", "--draft-max", "5"])
    settings = settings_from(args)
    assert (settings.speculative, settings.draft_max) == ("lookup", 5)
    args = build_parser().parse_args(["--node", "--draft-model", "/models/small.gguf"])
    settings = settings_from(args)
    assert (settings.speculative, settings.draft_model) == ("draft", "/models/small.gguf")
    assert settings_from(build_parser().parse_args(["--node"])).speculative == "off"
