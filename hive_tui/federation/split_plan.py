"""Which lenders a borrowing node splits its model across, and how many layers each holds.

Pure functions of what the peers advertised (``PeerStatus.lend_port``/``lend_bytes``), the
model and this node's memory: no I/O, so every policy is a unit test. The layers are shared in
proportion to each device's free memory, as llama.cpp's own default split over several GPUs
does; llama.cpp then places the last ``n_gpu_layers`` layers on the RPC devices, divided by
``tensor_split``, and keeps the rest (and the output layer) here.
"""

from __future__ import annotations

from dataclasses import dataclass

from hive_tui import wire

POLICIES = ("auto", "off")


@dataclass(frozen=True)
class Offer:
    """A linked peer that lends: where its tunnel exit listens and what it offers."""

    node_id: str
    name: str
    host: str
    port: int
    free_bytes: int

    def named(self, wanted: str) -> bool:
        return wanted in (self.name, self.node_id) or self.node_id.startswith(wanted)


@dataclass(frozen=True)
class SplitPlan:
    lenders: tuple[Offer, ...]  # in device order (tensor_split's order)
    local_layers: int
    lender_layers: tuple[int, ...]
    reason: str

    @property
    def n_gpu_layers(self) -> int:
        return sum(self.lender_layers)

    @property
    def tensor_split(self) -> list[float]:
        total = self.n_gpu_layers
        return [n / total for n in self.lender_layers] if total else []

    def view(self, policy: str, local_free: int) -> wire.SplitView:
        parts = [wire.SplitPart("local", self.local_layers, free_bytes=local_free)]
        parts += [
            wire.SplitPart(o.name, n, o.node_id, o.free_bytes)
            for o, n in zip(self.lenders, self.lender_layers, strict=True)
        ]
        total = self.local_layers + self.n_gpu_layers
        return wire.SplitView(policy, "split", total, parts, self.reason)


def parse_policy(value: str) -> tuple[str, tuple[str, ...]]:
    """``auto``, ``off`` or a comma-separated list of peers (names or node ids)."""
    value = value.strip()
    if value in POLICIES:
        return value, ()
    names = tuple(v.strip() for v in value.split(",") if v.strip())
    if not names:
        raise ValueError("--split takes auto, off or PEER,... (names or node ids)")
    return "peers", names


def share_layers(n_layers: int, frees: list[int]) -> list[int]:
    """``n_layers`` shared in proportion to ``frees`` (largest remainders), every device with
    some memory getting at least one layer when there are enough to go round."""
    total = sum(max(f, 0) for f in frees)
    if total == 0:
        base = [n_layers // len(frees)] * len(frees)
        for i in range(n_layers - sum(base)):
            base[i] += 1
        return base
    exact = [n_layers * max(f, 0) / total for f in frees]
    layers = [int(x) for x in exact]
    by_remainder = sorted(range(len(frees)), key=lambda i: exact[i] - layers[i], reverse=True)
    for i in by_remainder[: n_layers - sum(layers)]:
        layers[i] += 1
    for i, n in enumerate(layers):  # a device in the split holds at least one layer
        if n == 0 and frees[i] > 0:
            donor = max(range(len(layers)), key=lambda j: layers[j])
            if layers[donor] > 1:
                layers[donor] -= 1
                layers[i] = 1
    return layers


def plan_split(
    policy: str,
    offers: list[Offer],
    n_layers: int,
    model_bytes: int,
    local_free: int,
) -> tuple[SplitPlan | None, str]:
    """The split to run now, or None and why not (run here alone, or wait for a lender)."""
    kind, names = parse_policy(policy)
    if kind == "off":
        return None, "split off"
    if n_layers <= 0:
        return None, "the model's layer count is unknown: not split"
    if kind == "peers":
        chosen: list[Offer] = []
        for wanted in names:
            found = next((o for o in offers if o.named(wanted)), None)
            if found is None:
                return None, f"waiting for lender {wanted}"
            if found not in chosen:
                chosen.append(found)
        why = f"split across {', '.join(o.name for o in chosen)} and this node (--split)"
    else:
        if model_bytes <= local_free:
            return None, "the model fits this node: not split"
        chosen = []
        room = local_free
        for offer in sorted(offers, key=lambda o: o.free_bytes, reverse=True):
            if room >= model_bytes:
                break
            chosen.append(offer)
            room += offer.free_bytes
        if not chosen or room < model_bytes:
            return None, (
                f"the model ({model_bytes / 2**30:.1f} GiB) does not fit here and the lenders"
                f" linked offer {sum(o.free_bytes for o in offers) / 2**30:.1f} GiB: waiting"
            )
        why = (
            f"the model ({model_bytes / 2**30:.1f} GiB) does not fit this node's"
            f" {local_free / 2**30:.1f} GiB: split across {', '.join(o.name for o in chosen)}"
        )
    shares = share_layers(n_layers, [local_free] + [o.free_bytes for o in chosen])
    plan = SplitPlan(tuple(chosen), shares[0], tuple(shares[1:]), why)
    return plan, why
