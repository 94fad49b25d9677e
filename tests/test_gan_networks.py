"""Network shapes and the properties the design relies on."""
import pytest
import torch

from gan.networks import GlyphDiscriminator, GlyphGenerator, GlyphRecognizer, StyleEncoder, WriterIdentifier

torch.set_num_threads(1)  # tiny networks: more threads only add sync overhead, and thrash on a busy machine


@pytest.mark.parametrize("size", [64, 128])
def test_generator_makes_glyphs_of_the_asked_size_in_tanh_range(size):
    g = GlyphGenerator(n_classes=5, image_size=size, channels=4, style_dim=8, z_dim=4, class_dim=4)
    refs = torch.rand(2, 3, size, size) * 2 - 1
    x = g(refs, torch.tensor([0, 4]), torch.randn(2, 4))
    assert x.shape == (2, 1, size, size)
    assert x.min() >= -1 and x.max() <= 1


@pytest.mark.parametrize("size", [64, 128])
def test_discriminator_recognizer_and_writer_identifier_shapes(size):
    x, y = torch.randn(3, 1, size, size), torch.tensor([0, 1, 2])
    assert GlyphDiscriminator(3, size, 4)(x, y).shape == (3,)
    assert GlyphRecognizer(3, size, 4)(x).shape == (3, 3)
    assert WriterIdentifier(7, size, 4)(x).shape == (3, 7)


def test_style_code_ignores_reference_order_and_count_of_copies():
    enc = StyleEncoder(32, 4, 8)
    refs = torch.randn(1, 4, 32, 32)
    code = enc(refs)
    assert code.shape == (1, 8)
    torch.testing.assert_close(enc(refs[:, [2, 0, 3, 1]]), code)
    torch.testing.assert_close(enc(torch.cat([refs, refs], 1)), code)


def test_style_encoder_reads_references_with_its_frozen_statistics_in_training_mode_too():
    enc = StyleEncoder(32, 4, 8).train()
    before = {k: v.clone() for k, v in enc.trunk.state_dict().items()}
    code = enc(torch.randn(2, 4, 32, 32))
    code.sum().backward()
    assert all(torch.equal(before[k], v) for k, v in enc.trunk.state_dict().items())  # BN running stats too
    assert all(p.grad is None for p in enc.trunk.parameters()) and enc.out.weight.grad is not None


def test_generator_output_depends_on_style():
    torch.manual_seed(0)
    g = GlyphGenerator(3, 32, channels=4, style_dim=8, z_dim=4, class_dim=4)
    for p in g.parameters():  # AdaIN starts as identity; perturb so style reaches the pixels
        p.data.add_(torch.randn_like(p) * 0.1)
    y, z = torch.tensor([1]), torch.zeros(1, 4)
    assert not torch.allclose(g.synthesize(torch.zeros(1, 8), y, z), g.synthesize(torch.ones(1, 8), y, z))


def test_image_size_must_be_a_power_of_two():
    with pytest.raises(ValueError, match="power of two"):
        GlyphGenerator(3, 48)
