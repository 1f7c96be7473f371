"""The pretrained EfficientNet-Lite0 (weights load strictly, outputs, sample photos classified sensibly) and safe image uploads.

The photo tests are what tells us the TF details (SAME padding, BatchNorm eps, (x − 127)/128) are right: with any of them
wrong the model still runs but its predictions drift or collapse.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
import torch
from PIL import Image

from engine.vision import efficientnet, imagenet
from engine.vision.imageio import open_image
from engine.vision.samples import FOLDER, SAMPLES, load_sample

# ImageNet index ranges: 151–268 dogs; 281–285 domestic cats, 286–293 big cats; 504 coffee mug, 967 espresso, 968 cup
EXPECTED = {
    "dog.jpg": set(range(151, 269)),
    "cat-chelsea.jpg": set(range(281, 294)),
    "coffee.jpg": {504, 967, 968},
}


@pytest.fixture(scope="module")
def model() -> efficientnet.EfficientNetLite0:
    return efficientnet.load_model()


def test_state_dict_matches_module_exactly(model):
    state = torch.load(efficientnet.weights_path(), weights_only=True)
    assert len(state) == 296
    fresh = efficientnet.EfficientNetLite0()
    fresh.load_state_dict(state, strict=True)  # raises on any missing, unexpected or mis-shaped tensor
    assert {k: v.shape for k, v in fresh.state_dict().items()} == {k: v.shape for k, v in state.items()}


def test_load_model_is_cached_frozen_and_in_eval_mode(model):
    assert efficientnet.load_model() is model
    assert not model.training
    assert not any(p.requires_grad for p in model.parameters())
    assert all(m.eps == 1e-3 for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d))


def test_logits_shape_and_probabilities(model):
    x = efficientnet.preprocess(Image.new("RGB", (300, 200), (120, 90, 60)))
    assert x.shape == (1, 3, 224, 224)
    with torch.no_grad():
        logits = model(x)
    assert logits.shape == (1, 1000)
    assert torch.softmax(logits, dim=1).sum().item() == pytest.approx(1.0, abs=1e-5)
    top = efficientnet.top_k(logits, k=5)
    assert len(top) == 5 and all(0 <= i < 1000 for i, _ in top)
    probs = [p for _, p in top]
    assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1 + 1e-6


def test_preprocess_scales_and_center_crops():
    image = Image.new("RGB", (512, 256), (255, 127, 0))
    x = efficientnet.preprocess(image)
    assert x.shape == (1, 3, 224, 224)
    assert torch.allclose(x[0, :, 0, 0], torch.tensor([128 / 128, 0.0, -127 / 128]))
    grey = efficientnet.preprocess(Image.new("L", (100, 400), 127), size=128)  # any mode, any aspect ratio
    assert grey.shape == (1, 3, 128, 128) and grey.abs().max() == 0


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_photos_are_classified_sensibly(model, name):
    with torch.no_grad():
        top = efficientnet.top_k(model(efficientnet.preprocess(load_sample(name.removesuffix(".jpg")))), k=5)
    assert {i for i, _ in top} & EXPECTED[name], f"{name}: top-5 {[(imagenet.class_name(i), p) for i, p in top]}"


def test_class_names_are_bundled_in_the_classifier_order():
    names = imagenet.class_names()
    assert len(names) == len(set(names)) == 1000
    assert (names[0], names[207], names[281], names[504]) == ("tench", "golden retriever", "tabby", "coffee mug")
    assert names[imagenet.DOGS[0]] == "Chihuahua" and names[imagenet.DOGS[-1]] == "Mexican hairless"


def test_features_has_every_stage_with_its_shape(model):
    expected = {
        "stem": (32, 112),
        "stage1": (16, 112),
        "stage2": (24, 56),
        "stage3": (40, 28),
        "stage4": (80, 14),
        "stage5": (112, 14),
        "stage6": (192, 7),
        "stage7": (320, 7),
        "head": (1280, 7),
    }  # name: (channels, height = width) for a 224 px input
    with torch.no_grad():
        x = torch.randn(2, 3, 224, 224)
        features = model.features(x)
        assert list(features) == list(efficientnet.STAGES) == list(expected)
        assert {k: tuple(v.shape) for k, v in features.items()} == {k: (2, c, s, s) for k, (c, s) in expected.items()}
        assert torch.allclose(model(x), model._fc(features["head"].mean(dim=(2, 3))))


def test_gradients_flow_to_the_input_not_the_weights(model):
    x = efficientnet.preprocess(Image.new("RGB", (224, 224), (10, 200, 30))).requires_grad_(True)
    model(x)[0].max().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert all(p.grad is None for p in model.parameters())


# --- uploads -------------------------------------------------------------------------------------------------------


def encode(image: Image.Image, fmt: str, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **kwargs)
    return buffer.getvalue()


def pixel(image: Image.Image, xy=(0, 0)) -> tuple[int, ...]:
    assert image.mode == "RGB"
    return image.getpixel(xy)


def close(a, b, tol=6) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))


def test_rgb_png_passes_through():
    image = open_image(encode(Image.new("RGB", (5, 3), (10, 20, 30)), "PNG"))
    assert image.size == (5, 3) and pixel(image) == (10, 20, 30)


def test_cmyk_jpeg_becomes_rgb():
    red = Image.new("CMYK", (16, 16), (0, 255, 255, 0))
    assert close(pixel(open_image(encode(red, "JPEG", quality=95))), (255, 0, 0), tol=12)
    assert pixel(open_image(encode(red, "TIFF"))) == (255, 0, 0)


@pytest.mark.parametrize("fmt", ["PNG", "GIF"])
def test_palette_with_transparency_is_composited_on_white(fmt):
    image = Image.new("P", (4, 4), 0)
    image.putpalette([0, 0, 0, 200, 0, 0] + [0] * 762)  # index 0 black (made transparent), 1 red
    image.putpixel((3, 3), 1)
    out = open_image(encode(image, fmt, transparency=0))
    assert pixel(out, (0, 0)) == (255, 255, 255) and pixel(out, (3, 3)) == (200, 0, 0)


def test_palette_without_transparency():
    image = Image.new("RGB", (4, 4), (0, 0, 255)).convert("P")
    assert pixel(open_image(encode(image, "PNG"))) == (0, 0, 255)


def test_alpha_is_composited_on_white():
    rgba = Image.new("RGBA", (2, 1), (255, 0, 0, 255))
    rgba.putpixel((1, 0), (255, 0, 0, 0))  # fully transparent red: must show white, not red or black
    out = open_image(encode(rgba, "PNG"))
    assert pixel(out, (0, 0)) == (255, 0, 0) and pixel(out, (1, 0)) == (255, 255, 255)
    half = open_image(encode(Image.new("RGBA", (1, 1), (0, 0, 0, 128)), "PNG"))
    assert close(pixel(half), (127, 127, 127), tol=1)
    la = open_image(encode(Image.new("LA", (1, 1), (0, 0)), "PNG"))
    assert pixel(la) == (255, 255, 255)


@pytest.mark.parametrize("fmt", ["PNG", "TIFF"])
def test_16_bit_greyscale_is_scaled_not_clipped(fmt):
    values = np.array([[0, 257 * 10, 32768, 65535]], dtype=np.uint16)
    image = Image.fromarray(values)
    assert image.mode == "I;16"
    out = open_image(encode(image, fmt))
    assert [pixel(out, (x, 0))[0] for x in range(4)] == [0, 10, 128, 255]


def test_animated_gif_gives_its_first_frame():
    frames = [Image.new("RGB", (8, 8), colour).convert("P") for colour in [(255, 0, 0), (0, 0, 255)]]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert Image.open(io.BytesIO(data)).n_frames == 2
    out = open_image(data)
    assert pixel(out) == (255, 0, 0) and not getattr(out, "is_animated", False)


def test_exif_orientation_is_applied():
    image = Image.new("RGB", (40, 20), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 20, 20))  # left half red, as stored
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation 6: the viewer must rotate 90° clockwise, so the left half ends on top
    out = open_image(encode(image, "JPEG", quality=95, exif=exif))
    assert out.size == (20, 40)
    assert close(pixel(out, (10, 5)), (255, 0, 0), tol=20) and close(pixel(out, (10, 35)), (0, 0, 255), tol=20)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_truncated_file_is_refused(fmt):
    noise = Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8))
    data = encode(noise, fmt)
    with pytest.raises(ValueError, match="truncated or damaged"):
        open_image(data[: len(data) // 2])


@pytest.mark.parametrize("data", [b"hello, I am a text file\n", b"%PDF-1.4 not really", bytes(100)])
def test_not_an_image_is_refused(data):
    with pytest.raises(ValueError, match="not an image"):
        open_image(data)


def test_empty_file_is_refused():
    with pytest.raises(ValueError, match="empty"):
        open_image(b"")


def png_declaring(width: int, height: int) -> bytes:
    """A real 1 × 1 PNG whose IHDR is patched to declare width × height (CRC fixed): tiny file, huge declared size."""
    data = bytearray(encode(Image.new("RGB", (1, 1)), "PNG"))
    ihdr = 8  # after the signature: length (4), b"IHDR" (4), width (4), height (4), 5 more bytes, CRC (4)
    assert data[ihdr + 4 : ihdr + 8] == b"IHDR"
    data[ihdr + 8 : ihdr + 16] = struct.pack(">II", width, height)
    data[ihdr + 21 : ihdr + 25] = struct.pack(">I", zlib.crc32(bytes(data[ihdr + 4 : ihdr + 21])))
    return bytes(data)


# 8 000² = 64 MP passes Pillow's guard (89 MP), so only our limit refuses it; 100 000² = 10 000 MP trips Pillow's guard too.
# Decoding either would fail as "truncated", so the size message shows the check came before decoding.
@pytest.mark.parametrize(("side", "message"), [(8_000, "the limit is 40,000,000"), (100_000, "too large to open safely")])
def test_decompression_bomb_is_refused_before_decoding(side, message):
    data = png_declaring(side, side)
    assert len(data) < 100
    with pytest.raises(ValueError, match=message):
        open_image(data)


def test_pixel_limit_is_a_parameter():
    data = encode(Image.new("RGB", (100, 100)), "PNG")
    assert open_image(data, max_pixels=10_000).size == (100, 100)
    with pytest.raises(ValueError, match="limit is"):
        open_image(data, max_pixels=9_999)


def test_every_sample_is_bundled_with_its_source_and_loads():
    sources = (FOLDER / "SOURCES.md").read_text()
    for name, sample in SAMPLES.items():
        assert f"`{sample.file}`" in sources, f"{sample.file} has no row in SOURCES.md"
        image = load_sample(name)
        assert image.mode == "RGB" and max(image.size) <= 768
    assert SAMPLES["palace-china"].credit and "CC BY" in SAMPLES["palace-china"].credit
    with pytest.raises(ValueError, match="no sample called"):
        load_sample("unicorn")
