"""The architecture zoo: profiled counts against the modules themselves, the published totals and closed forms."""

from __future__ import annotations

import itertools

import pytest
import torch
from torch import nn

from engine.cnn import zoo
from engine.cnn.arithmetic import conv_cost, inception_bottleneck_cost, separable_cost


@pytest.mark.parametrize("name", list(zoo.ARCHITECTURES))
def test_profile_counts_every_parameter_once(name):
    model, shape = zoo.build_on_meta(name)
    assert all(p.is_meta for p in model.parameters())  # shapes only: VGG-16 costs no 0.55 GB here
    costs = zoo.profile_architecture(name)
    assert zoo.totals(costs)[0] == sum(p.numel() for p in model.parameters())
    assert zoo.DESCRIPTIONS[name]
    assert costs[-1].output_shape in {(10,), (1000,), (128, 56, 56), (32, 28, 28)}


def test_published_totals():
    params = {name: zoo.totals(zoo.profile_architecture(name)) for name in zoo.ARCHITECTURES}
    assert params["LeNet-5"][0] == 61_706
    assert params["AlexNet"][0] == 61_100_840
    assert params["VGG-16"][0] == 138_357_544
    assert params["ResNet-18"][0] == 11_689_512
    assert 4.6e6 < params["EfficientNet-Lite0"][0] < 4.7e6
    assert 15.4e9 < params["VGG-16"][1] < 15.6e9
    assert 1.80e9 < params["ResNet-18"][1] < 1.83e9
    assert 0.70e9 < params["AlexNet"][1] < 0.73e9
    assert 4.2e6 < params["MobileNet-v1"][0] < 4.25e6 and 0.56e9 < params["MobileNet-v1"][1] < 0.58e9  # the paper: 4.2M, 569M


def test_vgg16_pools_with_stride_two():
    model, _ = zoo.build_on_meta("VGG-16")
    pools = [m for m in model.modules() if isinstance(m, nn.MaxPool2d)]
    assert len(pools) == 5 and all(p.kernel_size == 2 and p.stride == 2 for p in pools)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) == 13 and all(c.kernel_size == (3, 3) and c.stride == (1, 1) and c.padding == (1, 1) for c in convs)
    shapes = [c.output_shape for c in zoo.profile_architecture("VGG-16") if c.kind == "pool"]
    assert shapes == [(64, 112, 112), (128, 56, 56), (256, 28, 28), (512, 14, 14), (512, 7, 7)]


def test_lenet_shapes():
    shapes = [c.output_shape for c in zoo.profile_architecture("LeNet-5") if c.kind in ("conv", "pool", "linear")]
    assert shapes == [(6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 5, 5), (120, 1, 1), (84,), (10,)]


@pytest.mark.parametrize("name", ["LeNet-5", "MobileNet-v1 block", "ResNet-18"])
def test_meta_profile_equals_a_real_forward_pass(name):
    torch.manual_seed(0)
    model, shape = zoo.ARCHITECTURES[name]()
    assert zoo.profile(model, shape) == list(zoo.profile_architecture(name))


def test_profile_leaves_the_model_as_it_was():
    model, shape = zoo.lenet5()
    model.train()
    zoo.profile(model, shape)
    assert model.training
    assert not any(m._forward_hooks for m in model.modules())
    with pytest.raises(RuntimeError):
        zoo.profile(model, (3, 32, 32))  # wrong channel count: the forward pass fails …
    assert not any(m._forward_hooks for m in model.modules())  # … and the hooks are still removed


def test_profile_architecture_is_cached_and_names_are_checked():
    assert zoo.profile_architecture("AlexNet") is zoo.profile_architecture("AlexNet")
    with pytest.raises(KeyError, match="unknown architecture"):
        zoo.profile_architecture("GoogLeNet")
    rows = zoo.zoo_table()
    assert [r["name"] for r in rows] == list(zoo.ARCHITECTURES)
    assert rows[2]["params"] == 138_357_544 and rows[2]["input_shape"] == (3, 224, 224)
    assert zoo.input_shape("LeNet-5") == (1, 32, 32) and zoo.input_shape("Inception 5×5 direct") == (192, 28, 28)


def test_conv_mult_adds_match_conv_cost():
    for h, c_in, c_out, k, s, p, d, g in itertools.product((9, 12), (4, 8), (8,), (1, 3, 5), (1, 2), (0, 2), (1, 2), (1, 4)):
        with torch.device("meta"):
            layer = nn.Conv2d(c_in, c_out, k, s, p, d, groups=g)
        (cost,) = zoo.profile(layer, (c_in, h, h + 1))
        expected_h, expected_w = conv_cost(h, h, c_in, c_out, k, s, p, d, g), conv_cost(h + 1, h + 1, c_in, c_out, k, s, p, d, g)
        assert cost.output_shape == (c_out, expected_h.out_h, expected_w.out_w)
        assert cost.params == expected_h.params
        assert cost.mult_adds == expected_h.out_h * expected_w.out_w * expected_h.weights
        assert cost.kind == ("depthwise conv" if g == c_in else "grouped conv" if g > 1 else "pointwise conv" if k == 1 else "conv")


def test_an_n_by_n_conv_on_an_n_by_n_input_is_a_fully_connected_layer():
    torch.manual_seed(0)
    n, c_in, c_out = 5, 3, 4
    conv = nn.Conv2d(c_in, c_out, n).double()
    dense = nn.Linear(n * n * c_in, c_out).double()
    with torch.no_grad():
        dense.weight.copy_(conv.weight.reshape(c_out, -1))  # (c_out, c_in·n·n), flattened in the order of x.flatten(1)
        dense.bias.copy_(conv.bias)
    x = torch.randn(6, c_in, n, n, dtype=torch.float64)
    torch.testing.assert_close(conv(x).flatten(1), dense(x.flatten(1)))
    assert zoo.totals(zoo.profile(conv, (c_in, n, n))) == zoo.totals(zoo.profile(dense, (n * n * c_in,)))


def test_mobilenet_block_costs_the_closed_form_fraction():
    standard, block = zoo.profile_architecture("Standard 3×3 conv"), zoo.profile_architecture("MobileNet-v1 block")
    closed_form = 1 / 128 + 1 / 9
    ratio = zoo.totals(block)[1] / zoo.totals(standard)[1]
    assert ratio == pytest.approx(closed_form, rel=1e-12)
    assert ratio == pytest.approx(separable_cost(56, 56, 64, 128, 3, padding="same")["ratio"], rel=1e-12)
    conv_params = [sum(c.params for c in costs if c.kind.endswith("conv")) for costs in (standard, block)]
    assert conv_params[1] / conv_params[0] == pytest.approx(closed_form, rel=1e-12)  # the weights follow the same ratio …
    assert zoo.totals(block)[0] / zoo.totals(standard)[0] == pytest.approx(closed_form, rel=0.05)  # … and roughly with BN's γ, β


def test_inception_pair_mult_adds():
    direct = zoo.totals(zoo.profile_architecture("Inception 5×5 direct"))[1]
    bottleneck = zoo.totals(zoo.profile_architecture("Inception 5×5 with 1×1 bottleneck"))[1]
    assert direct == 120_422_400 and bottleneck == 2_408_448 + 10_035_200 == 12_443_648
    cost = inception_bottleneck_cost()
    assert (cost["direct"], cost["bottleneck"]) == (direct, bottleneck)
    assert all(pair in zoo.ARCHITECTURES for pairs in zoo.PAIRS.values() for pair in pairs)
