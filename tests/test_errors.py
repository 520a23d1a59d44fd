"""Every error hive raises on purpose is a HiveError, and each front end translates it once."""

from __future__ import annotations

import ast
import builtins
from pathlib import Path

import hive_tui
from hive_tui import cli, consensus
from hive_tui.api.app import ApiError, error_kind
from hive_tui.config import ConfigError
from hive_tui.errors import HiveError
from hive_tui.swarm.swarm import SwarmError

PACKAGE_DIR = Path(hive_tui.__file__).parent


def class_bases(tree: ast.AST) -> dict[str, list[str]]:
    """Every class defined in a module -> the names of its bases (``a.B`` -> ``B``)."""
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            found[node.name] = [
                b.id if isinstance(b, ast.Name) else b.attr
                for b in node.bases
                if isinstance(b, ast.Name | ast.Attribute)
            ]
    return found


BUILTIN_EXCEPTIONS = {
    name
    for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, BaseException)
}


def test_every_exception_class_of_hive_derives_from_hive_error():
    """Read from the source, so a module whose optional backend is missing here counts too."""
    classes: dict[str, list[str]] = {}
    for path in PACKAGE_DIR.rglob("*.py"):
        for name, bases in class_bases(ast.parse(path.read_text(), str(path))).items():
            classes[f"{path.relative_to(PACKAGE_DIR)}:{name}"] = bases
    hive = {"HiveError"}  # names of classes that derive from it, found by inheritance
    while True:
        more = {k.split(":")[1] for k, bases in classes.items() if hive & set(bases)} - hive
        if not more:
            break
        hive |= more
    exceptions = [k for k, bases in classes.items() if set(bases) & (BUILTIN_EXCEPTIONS | hive)]
    assert "swarm/swarm.py:SwarmError" in exceptions and "wire/framing.py:FrameError" in exceptions
    assert len(exceptions) >= 22
    offenders = [k for k in exceptions if not hive & set(classes[k])]
    assert offenders == ["errors.py:HiveError"]


def test_errors_keep_the_builtin_bases_callers_catch():
    from hive_tui.embedded_model import EmbeddedModelMissing
    from hive_tui.models.catalog import ModelNotFound

    assert issubclass(ConfigError, ValueError)
    assert issubclass(consensus.UnknownStrategy, ValueError)
    assert issubclass(EmbeddedModelMissing, FileNotFoundError)
    assert issubclass(ModelNotFound, LookupError)


def test_the_api_translates_hive_errors_into_openai_error_kinds():
    assert error_kind(ApiError(413, "too big", "invalid_request_error")) == (
        413,
        "invalid_request_error",
        None,
    )
    assert error_kind(SwarmError("no worker is ready")) == (503, "service_unavailable", None)
    assert error_kind(consensus.UnknownStrategy("nope")) == (
        400,
        "invalid_request_error",
        "hive.strategy",
    )
    assert error_kind(HiveError("something else")) == (500, "server_error", None)


def test_the_command_line_prints_a_hive_error_as_one_line(monkeypatch, capsys):
    def fail(args: object) -> None:
        raise SwarmError("every worker failed")

    monkeypatch.setattr(cli, "settings_from", fail)
    assert cli.main(["--node"]) == 1
    err = capsys.readouterr().err
    assert err == "hive: every worker failed\n"


def test_a_settings_error_exits_2(monkeypatch, capsys):
    monkeypatch.setenv("HIVE_WORKERS", "many")
    assert cli.main(["--node"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("hive: ") and err.count("\n") == 1



def test_a_model_that_is_not_there_is_one_line_not_a_traceback(capsys):
    assert cli.main(["ask", "--model", "no-such-model-anywhere", "hi"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("hive: model 'no-such-model-anywhere' is neither a file") and (
        err.count("\n") == 1
    )
