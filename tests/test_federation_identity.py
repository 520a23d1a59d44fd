"""The hive secret, its pairing code, and node ids bound to a machine."""

from __future__ import annotations

import stat

from hive_tui.federation import identity
from hive_tui.federation.service import parse_peer
from hive_tui.node import load_node_id


def test_secret_is_created_once_private_and_shown_as_a_pairing_code(tmp_path):
    secret, created = identity.load_or_create_secret(tmp_path / "cfg")
    path = tmp_path / "cfg" / identity.SECRET_FILE
    assert created and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert identity.load_or_create_secret(tmp_path / "cfg") == (secret, False)
    code = identity.pairing_code(secret)
    assert len(secret) >= 26 and all(len(g) <= 5 for g in code.split("-"))
    # Typed back in lower case or without dashes, it is the same secret (the same key).
    assert identity.derive_key(code.lower()) == identity.derive_key(code.replace("-", ""))
    assert identity.derive_key(code) != identity.derive_key(identity.new_secret())


def test_configured_secret_wins_and_writes_nothing(tmp_path):
    assert identity.resolve_secret("abcde-fghij", tmp_path) == ("ABCDEFGHIJ", False)
    assert not (tmp_path / identity.SECRET_FILE).exists()


def test_a_data_folder_copied_from_another_machine_gets_a_new_node_id(tmp_path):
    first = load_node_id(tmp_path)
    assert load_node_id(tmp_path) == first  # stable on the same machine
    # Pretend the folder was written on another machine, then copied here.
    (tmp_path / identity.MACHINE_FILE).write_text("another-machine\n")
    second = load_node_id(tmp_path)
    assert second != first and load_node_id(tmp_path) == second


def test_peer_addresses_parse():
    assert parse_peer("10.0.0.2:9000") == ("10.0.0.2", 9000)
    assert parse_peer("box.local") == ("box.local", 8420)
    assert parse_peer("[fe80::1]:8421") == ("fe80::1", 8421)


def test_nodes_on_one_machine_with_own_data_folders_get_own_ids(node_process, tmp_path):
    """Two `hive --node` on one machine: one folder by flag, one by HIVE_DATA_DIR."""
    args = ("--backend", "scripted", "--workers", "1", "--no-federation")
    first = node_process(*args, "--data-dir", str(tmp_path / "a"))
    second = node_process(*args, env={"HIVE_DATA_DIR": str(tmp_path / "b")})
    ids = [node.health()["node_id"] for node in (first, second)]
    assert ids[0] != ids[1]
    assert (tmp_path / "a" / "node_id").read_text().strip() == ids[0]
    assert (tmp_path / "b" / "node_id").read_text().strip() == ids[1]


def test_a_second_node_on_the_same_data_folder_is_warned(tmp_path, caplog):
    from hive_tui.federation.identity import FolderClaim

    first = FolderClaim(tmp_path / "data")
    assert not first.shared
    with caplog.at_level("WARNING", logger="hive.federation"):
        second = FolderClaim(tmp_path / "data")
    assert second.shared and "--data-dir" in caplog.text
    assert not FolderClaim(tmp_path / "other").shared  # its own folder: no conflict
    first.release()
    second.release()
    third = FolderClaim(tmp_path / "data")  # the folder is free again once released
    assert not third.shared
    third.release()
