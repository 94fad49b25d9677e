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
    enc = StyleEncoder(3, 32, 4, 8)
    refs = torch.randn(1, 4, 32, 32)
    code = enc(refs)
    assert code.shape == (1, 8)
    torch.testing.assert_close(enc(refs[:, [2, 0, 3, 1]]), code)
    torch.testing.assert_close(enc(torch.cat([refs, refs], 1)), code)


def test_style_encoder_reads_references_with_its_frozen_statistics_in_training_mode_too():
    enc = StyleEncoder(3, 32, 4, 8).train()
    before = {k: v.clone() for k, v in enc.trunk.state_dict().items()}
    code = enc(torch.randn(2, 4, 32, 32))
    code.sum().backward()
    assert all(torch.equal(before[k], v) for k, v in enc.trunk.state_dict().items())  # BN running stats too
    assert all(p.grad is None for p in enc.trunk.parameters()) and enc.out.weight.grad is not None


def test_style_features_are_centred_on_the_class_mean_and_unlabelled_glyphs_take_the_nearest_class():
    torch.manual_seed(0)
    enc = StyleEncoder(2, 32, 4, 8)
    glyphs = torch.rand(6, 32, 32) * 2 - 1
    raw = enc.features(glyphs, torch.zeros(6, dtype=torch.long))  # class means still zero: raw features
    enc.class_means.copy_(torch.stack([raw[:3].mean(0), raw[3:].mean(0) + 100]))  # class 1 far from every glyph
    labels = torch.tensor([0, 0, 0, 1, 1, 1])
    torch.testing.assert_close(enc.features(glyphs, labels), raw - enc.class_means[labels])
    torch.testing.assert_close(enc.features(glyphs), raw - enc.class_means[0])  # nearest mean: class 0


def test_minibatch_std_lets_the_discriminator_tell_a_batch_of_copies_from_a_varied_one():
    from gan.networks import MinibatchStd

    varied, copies = torch.randn(8, 3, 4, 4), torch.randn(1, 3, 4, 4).expand(8, 3, 4, 4)
    assert MinibatchStd(4)(varied).shape == (8, 4, 4, 4)
    assert MinibatchStd(4)(copies)[:, 3].max() < 1e-3 < MinibatchStd(4)(varied)[:, 3].min()


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


def test_without_pixel_noise_the_latent_is_z_and_the_generator_has_no_noise_weights():
    g = GlyphGenerator(3, 32, channels=4, style_dim=8, z_dim=4, class_dim=4)
    assert g.latent_dim == 4 and not any("noise" in k for k in g.state_dict())  # checkpoints before it load as ever


def test_pixel_noise_enters_only_as_far_as_its_learned_strength():
    torch.manual_seed(0)
    g = GlyphGenerator(3, 32, channels=4, style_dim=8, z_dim=4, class_dim=4, pixel_noise=True)
    assert g.latent_dim == 4 + 2 * (8 * 8 + 16 * 16 + 32 * 32)  # two maps per block at 8, 16 and 32 px
    style, y, latent = torch.zeros(2, 8), torch.tensor([1, 1]), torch.randn(1, g.latent_dim).repeat(2, 1)
    latent[1, 4:] = torch.randn(g.latent_dim - 4)  # same z, other pixel noise
    x = g.synthesize(style, y, latent)
    torch.testing.assert_close(x[0], x[1])  # strength 0 at initialisation: the noise has no effect yet
    for name, p in g.named_parameters():
        if name.endswith("strength"):
            p.data.fill_(0.5)
    x = g.synthesize(style, y, latent)
    assert not torch.allclose(x[0], x[1])
