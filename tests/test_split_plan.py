"""Which lenders a model is split across and how many layers each holds (pure)."""

from __future__ import annotations

import pytest

from hive_tui.federation.split_plan import Offer, parse_policy, plan_split, share_layers

GiB = 2**30


def offer(name: str, gib: float, node_id: str | None = None) -> Offer:
    return Offer(node_id or f"node-{name}", name, "127.0.0.1", 9000, int(gib * GiB))


def test_layers_follow_free_memory_and_add_up():
    assert share_layers(30, [1, 1, 1]) == [10, 10, 10]
    assert share_layers(32, [24 * GiB, 8 * GiB]) == [24, 8]
    assert share_layers(30, [10, 0, 5]) == [20, 0, 10]
    assert sum(share_layers(81, [7, 5, 3, 1])) == 81
    # A device in the split holds at least one layer, taken from the largest share.
    assert share_layers(10, [1000, 1, 1]) == [8, 1, 1]


def test_named_lenders_split_across_them_and_this_node_in_the_order_named():
    offers = [offer("l2", 8), offer("l1", 8)]
    plan, why = plan_split("l1,l2", offers, 30, 100 * 2**20, 8 * GiB)
    assert plan is not None and [o.name for o in plan.lenders] == ["l1", "l2"]
    assert (plan.local_layers, plan.lender_layers) == (10, (10, 10))
    assert plan.n_gpu_layers == 20 and plan.tensor_split == [0.5, 0.5]
    view = plan.view("l1,l2", 8 * GiB)
    assert view.state == "split" and view.layers == 30
    assert [(p.device, p.layers) for p in view.parts] == [("local", 10), ("l1", 10), ("l2", 10)]
    assert "l1, l2" in why


def test_a_named_lender_not_linked_means_waiting_and_ids_name_lenders_too():
    plan, why = plan_split("l1,l3", [offer("l1", 8)], 30, GiB, 8 * GiB)
    assert plan is None and why == "waiting for lender l3"
    plan, _ = plan_split("node-l1", [offer("l1", 8)], 30, GiB, 8 * GiB)
    assert plan is not None and plan.lenders[0].name == "l1"


def test_auto_splits_only_a_model_that_does_not_fit_and_takes_the_biggest_lenders_first():
    offers = [offer("small", 2), offer("big", 16), offer("mid", 6)]
    plan, why = plan_split("auto", offers, 80, 4 * GiB, 8 * GiB)
    assert plan is None and "fits" in why
    plan, why = plan_split("auto", offers, 80, 20 * GiB, 8 * GiB)
    assert plan is not None and [o.name for o in plan.lenders] == ["big"]
    assert plan.local_layers + plan.n_gpu_layers == 80 and plan.lender_layers == (53,)
    plan, why = plan_split("auto", offers, 80, 40 * GiB, 8 * GiB)
    assert plan is None and "waiting" in why  # 32 GiB in all: not enough even together


def test_off_and_unknown_layer_counts_never_split_and_bad_policies_fail_early():
    assert plan_split("off", [offer("l1", 8)], 30, 40 * GiB, GiB)[0] is None
    plan, why = plan_split("l1", [offer("l1", 8)], 0, GiB, GiB)
    assert plan is None and "layer count" in why
    assert parse_policy(" auto ") == ("auto", ())
    assert parse_policy("a, b") == ("peers", ("a", "b"))
    with pytest.raises(ValueError):
        parse_policy(" , ")
