"""Layers: Linear init, Dropout, LayerNorm, BatchNorm1d, Embedding, residual blocks, MLP."""

import math

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.nn as nn


def test_linear_init_bounds_follow_pytorch():
    tg.manual_seed(0)
    lin = nn.Linear(16, 32)
    bound = 1 / math.sqrt(16)
    assert lin.weight.shape == (32, 16) and lin.bias.shape == (32,)
    assert np.abs(lin.weight.detach().numpy()).max() <= bound
    assert np.abs(lin.bias.detach().numpy()).max() <= bound
    assert lin.weight.dtype == tg.float32


def test_linear_init_is_reproducible_under_manual_seed():
    tg.manual_seed(3)
    a = nn.Linear(3, 3).weight.detach().numpy().copy()
    tg.manual_seed(3)
    np.testing.assert_array_equal(nn.Linear(3, 3).weight.detach().numpy(), a)


def test_linear_forward_is_one_fused_node():
    lin = nn.Linear(3, 2)
    y = lin(tg.randn(4, 3))
    assert y.grad_fn.prim.name == "linear" and y.dtype == tg.float32


def test_linear_without_bias():
    lin = nn.Linear(3, 2, bias=False)
    assert lin.bias is None and [n for n, _ in lin.named_parameters()] == ["weight"]
    assert repr(lin) == "Linear(in_features=3, out_features=2, bias=False)"


def test_dropout_is_identity_in_eval():
    d = nn.Dropout(0.5).eval()
    x = tg.randn(10, 10)
    assert d(x) is x


def test_dropout_scales_kept_elements_by_one_over_one_minus_p():
    tg.manual_seed(0)
    x = tg.ones(100, 100, requires_grad=True)
    y = nn.Dropout(0.25)(x)
    vals = np.unique(y.detach().numpy())
    np.testing.assert_allclose(vals, [0.0, 1 / 0.75], rtol=1e-6)
    assert 0.2 < np.mean(y.detach().numpy() == 0) < 0.3
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.detach().numpy())


def test_dropout_p_one_gives_zeros_and_p_zero_the_input():
    x = tg.randn(5)
    assert np.all(nn.Dropout(1.0)(x).numpy() == 0)
    assert nn.Dropout(0.0)(x) is x


def test_layer_norm_normalises_last_dim_with_biased_variance():
    x = tg.randn(4, 6, dtype=tg.float64)
    ln = nn.LayerNorm(6).double()
    y = ln(x).detach().numpy()
    a = x.numpy()
    expected = (a - a.mean(1, keepdims=True)) / np.sqrt(a.var(1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(y, expected, rtol=1e-10)


def test_batchnorm_batch_of_one_in_training_raises():
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        nn.BatchNorm1d(3)(tg.randn(1, 3))


def test_batchnorm_training_updates_running_stats_with_unbiased_variance():
    bn = nn.BatchNorm1d(2).double()
    x = tg.randn(8, 2, dtype=tg.float64)
    y = bn(x).detach().numpy()
    a = x.numpy()
    np.testing.assert_allclose(y, (a - a.mean(0)) / np.sqrt(a.var(0) + 1e-5), rtol=1e-10)
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.1 * a.mean(0), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), 0.9 + 0.1 * a.var(0, ddof=1), rtol=1e-12)
    assert bn.num_batches_tracked.item() == 1


def test_batchnorm_eval_uses_running_stats():
    bn = nn.BatchNorm1d(2).double()
    with tg.no_grad():
        bn.running_mean.copy_(tg.tensor([1.0, -1.0], dtype=tg.float64))
        bn.running_var.copy_(tg.tensor([4.0, 9.0], dtype=tg.float64))
    bn.eval()
    x = tg.tensor([[3.0, 2.0]], dtype=tg.float64)
    np.testing.assert_allclose(
        bn(x).detach().numpy(), [[2 / math.sqrt(4 + 1e-5), 3 / math.sqrt(9 + 1e-5)]]
    )


def test_batchnorm_three_d_input_and_cumulative_momentum():
    bn = nn.BatchNorm1d(3, momentum=None).double()
    xs = [tg.randn(4, 3, 5, dtype=tg.float64) for _ in range(2)]
    for x in xs:
        bn(x)
    means = [x.numpy().mean((0, 2)) for x in xs]
    np.testing.assert_allclose(bn.running_mean.numpy(), (means[0] + means[1]) / 2, rtol=1e-12)


def test_embedding_gradient_adds_up_over_repeated_indices():
    emb = nn.Embedding(5, 3)
    out = emb(tg.tensor([[1, 1], [4, 1]]))
    assert out.shape == (2, 2, 3)
    out.sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.numpy()[:, 0], [0, 3, 0, 0, 1])


def test_embedding_padding_row_is_zero_and_gets_no_gradient():
    emb = nn.Embedding(4, 2, padding_idx=0)
    assert np.all(emb.weight.detach().numpy()[0] == 0)
    emb(tg.tensor([0, 2, 0])).sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.numpy()[:, 0], [0, 0, 1, 0])


def test_embedding_max_norm_renormalises_the_picked_rows_in_place():
    w0 = np.array([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]])
    emb = nn.Embedding(3, 2, max_norm=1.0, _weight=tg.tensor(w0))
    out = emb(tg.tensor([0, 1, 0]))
    scale = 1.0 / (5.0 + 1e-7)
    np.testing.assert_allclose(out.detach().numpy(), [w0[0] * scale, w0[1], w0[0] * scale])
    w = emb.weight.detach().numpy()
    np.testing.assert_allclose(w[0], w0[0] * scale)  # changed in place
    np.testing.assert_array_equal(w[1:], w0[1:])  # under max_norm, or not picked
    assert emb.weight._version == 1


def test_embedding_scale_grad_by_freq_divides_by_the_index_count():
    emb = nn.Embedding(4, 2, scale_grad_by_freq=True)
    w = emb.weight.detach().numpy().copy()
    out = emb(tg.tensor([[1, 1, 3], [1, 0, 3]]))
    np.testing.assert_array_equal(out.detach().numpy()[0, 0], w[1])  # values unchanged
    out.sum().backward()
    # index 1 three times, 3 twice, 0 once: each row's gradient adds to 1
    np.testing.assert_allclose(emb.weight.grad.numpy()[:, 0], [1.0, 1.0, 0.0, 1.0])


def test_embedding_refuses_sparse_gradients_clearly():
    with pytest.raises(NotImplementedError, match="sparse"):
        nn.Embedding(4, 2, sparse=True)


def test_residual_adds_input():
    block = nn.Linear(3, 3)
    x = tg.randn(2, 3)
    np.testing.assert_allclose(
        nn.Residual(block)(x).detach().numpy(), (x + block(x)).detach().numpy()
    )


def test_residual_mlp_block_is_the_lecture_formula():
    blk = nn.ResidualMLPBlock(3, 5)
    x = tg.randn(4, 3)
    W, c = blk.W.weight.detach().numpy(), blk.W.bias.detach().numpy()
    V, b = blk.V.weight.detach().numpy(), blk.V.bias.detach().numpy()
    a = x.numpy()
    expected = a + np.maximum(a @ W.T + c, 0) @ V.T + b
    np.testing.assert_allclose(blk(x).detach().numpy(), expected, rtol=1e-5, atol=1e-6)
    assert list(blk.state_dict()) == ["W.weight", "W.bias", "V.weight", "V.bias"]


def test_mlp_layout_and_indexing():
    mlp = nn.MLP([4, 8, 8, 2], activation="tanh")
    kinds = [type(m).__name__ for m in mlp]
    assert kinds == ["Linear", "Tanh", "Linear", "Tanh", "Linear"]
    assert isinstance(mlp[0], nn.Linear) and mlp(tg.randn(3, 4)).shape == (3, 2)


def test_mlp_residual_norm_dropout_layout():
    mlp = nn.MLP([4, 8, 8, 2], activation=nn.ReLU(), residual=True, norm="batch", dropout=0.1)
    kinds = [type(m).__name__ for m in mlp]
    assert kinds == ["Linear", "BatchNorm1d", "ReLU", "Dropout", "Residual", "Linear"]
    inner = [type(m).__name__ for m in mlp[4].block]
    assert inner == ["Linear", "BatchNorm1d", "ReLU", "Dropout"]
    linears = [m for m in mlp.modules() if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(4, 8), (8, 8), (8, 2)]


def test_l2_penalty_sums_squared_weight_matrices_only():
    mlp = nn.MLP([2, 3, 1])
    expected = sum((p.detach().numpy() ** 2).sum() for p in [mlp[0].weight, mlp[2].weight])
    pen = nn.l2_penalty(mlp)
    np.testing.assert_allclose(pen.item(), expected, rtol=1e-6)
    pen.backward()
    np.testing.assert_allclose(mlp[0].weight.grad.numpy(), 2 * mlp[0].weight.detach().numpy())
    assert mlp[0].bias.grad is None
    everything = sum((p.detach().numpy() ** 2).sum() for p in mlp.parameters())
    np.testing.assert_allclose(nn.l2_penalty(mlp, weights_only=False).item(), everything, rtol=1e-6)


def test_more_activations_follow_their_formulas_and_gradcheck():
    x = np.array([-4.0, -2.5, -0.7, 0.3, 1.9, 3.5, 7.0])
    xt = tg.tensor(x, dtype=tg.float64)
    sp = np.log1p(np.exp(x))
    cases = {
        nn.ReLU6(): np.clip(x, 0, 6),
        nn.Hardsigmoid(): np.clip(x / 6 + 0.5, 0, 1),
        nn.Hardswish(): x * np.clip(x / 6 + 0.5, 0, 1),
        nn.Mish(): x * np.tanh(sp),
        nn.LogSigmoid(): -np.log1p(np.exp(-x)),
        nn.Softmin(dim=0): np.exp(-x) / np.exp(-x).sum(),
    }
    for module, want in cases.items():
        np.testing.assert_allclose(module(xt).numpy(), want, rtol=1e-12, err_msg=repr(module))
        assert tg.gradcheck(module, (tg.tensor(x, dtype=tg.float64, requires_grad=True),))
    glu = nn.GLU(dim=0)(tg.tensor([1.0, 2.0, 0.0, 3.0], dtype=tg.float64))
    np.testing.assert_allclose(glu.numpy(), [0.5, 2.0 / (1 + np.exp(-3.0))])
    with pytest.raises(ValueError, match="glu: halving dimension 0 needs an even size"):
        nn.GLU(dim=0)(tg.ones(3))


def test_prelu_learns_one_slope_per_channel():
    m = nn.PReLU(2, init=0.1).double()
    x = tg.tensor([[[-1.0, 2.0], [-3.0, 4.0]]], dtype=tg.float64)  # (1, 2 channels, 2)
    out = m(x)
    np.testing.assert_allclose(out.detach().numpy(), [[[-0.1, 2.0], [-0.3, 4.0]]])
    out.sum().backward()
    np.testing.assert_allclose(m.weight.grad.numpy(), [-1.0, -3.0])  # d/da (a x) = x where x <= 0
    with pytest.raises(ValueError, match="prelu: 2 weights for an input of shape"):
        m(tg.ones(3, 3))


def test_kl_div_is_the_kl_divergence():
    p = np.array([[0.2, 0.3, 0.5], [0.1, 0.6, 0.3]])
    q = np.array([[0.3, 0.3, 0.4], [0.2, 0.5, 0.3]])
    kl = (p * np.log(p / q)).sum() / 2  # per row, averaged over the batch
    loss = nn.KLDivLoss(reduction="batchmean")(tg.tensor(np.log(q)), tg.tensor(p))
    np.testing.assert_allclose(loss.item(), kl, rtol=1e-12)
    log_target = nn.functional.kl_div(
        tg.tensor(np.log(q)), tg.tensor(np.log(p)), reduction="sum", log_target=True
    )
    np.testing.assert_allclose(log_target.item(), 2 * kl, rtol=1e-12)
    zero = nn.functional.kl_div(tg.tensor([-1.0, -2.0]), tg.tensor([0.0, 1.0]), reduction="sum")
    assert zero.item() == 2.0  # 0 log 0 counts as 0


def test_cosine_similarity_and_pairwise_distance_formulas():
    a = np.array([[3.0, 4.0], [1.0, 0.0]])
    b = np.array([[4.0, 3.0], [0.0, 2.0]])
    cos = nn.CosineSimilarity()(tg.tensor(a), tg.tensor(b))
    np.testing.assert_allclose(cos.numpy(), [24.0 / 25.0, 0.0], atol=1e-15)
    dist = nn.PairwiseDistance()(tg.tensor(a), tg.tensor(b))
    np.testing.assert_allclose(dist.numpy(), np.linalg.norm(a - b + 1e-6, axis=-1))
    x = tg.tensor(a, requires_grad=True)
    assert tg.gradcheck(lambda t: nn.functional.cosine_similarity(t, tg.tensor(b)), (x,))
