"""Federation: nodes on a LAN find each other, authenticate with a shared secret, and answer
as one hive with a two-phase vote (each node's local vote, then a global vote over the local
winners). The protocol is specified in ``docs/federation.md``.

Modules: ``identity`` (secret, pairing code, machine-bound node id), ``protocol`` (the sans-I/O
handshake and frame sealing), ``transport`` (websocket adapters), ``peers`` (connections,
dialing with back-off, heartbeats), ``discovery`` (zeroconf), ``vote`` (the global vote, pure),
``service`` (``Federation``: ties them to a node).
"""
