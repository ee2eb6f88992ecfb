"""The networks of the character-level language model (``tapegrad train --dataset names``).

Every model maps token indices ``idx (B, T)`` to next-token logits
``(B, T, V)``: the logits at position ``t`` predict token ``t + 1`` from the
tokens up to ``t`` (at most ``block`` of them), as in Karpathy's makemore.
So one training loop, one loss and one sampler serve all of them:

* :class:`Bigram`: a learned ``(V, V)`` table of logits, ``logits = W[idx]``.
* :class:`MLP`: Bengio et al. (2003): the embeddings of the ``block``
  previous tokens concatenated, one hidden layer, a linear read-out.
* :class:`RNN`: an ``nn.LSTM`` or ``nn.GRU`` over the embeddings, a linear
  read-out of its hidden states.
* :class:`Transformer`: a small GPT: token + position embeddings, ``layers``
  blocks of pre-LayerNorm causal self-attention and a GELU MLP, a final
  LayerNorm and a linear read-out.
"""

from __future__ import annotations

import math

import tapegrad as tg
import tapegrad.nn as nn
import tapegrad.nn.functional as F

__all__ = ["MLP", "RNN", "Bigram", "Transformer", "build_lm"]


class Bigram(nn.Module):
    """``logits[b, t] = W[idx[b, t]]``: the next token from the current one only."""

    def __init__(self, vocab: int):
        super().__init__()
        self.logits = nn.Parameter(tg.zeros(vocab, vocab))

    def forward(self, idx):
        return self.logits[idx]  # (B, T, V)


class MLP(nn.Module):
    """``logits_t = W2 act(W1 [e(x_{t-block+1}); ...; e(x_t)] + b1) + b2``;
    tokens before the start are the boundary token 0."""

    def __init__(self, vocab: int, block: int, embed: int, hidden: int, activation):
        super().__init__()
        self.block = block
        self.wte = nn.Embedding(vocab, embed)
        self.hidden = nn.Linear(block * embed, hidden)
        self.act = activation()
        self.head = nn.Linear(hidden, vocab)

    def forward(self, idx):
        B, T = idx.shape
        padded = tg.cat([tg.zeros(B, self.block - 1, dtype=idx.dtype), idx], dim=1)
        windows = [self.wte(padded[:, k : k + T]) for k in range(self.block)]
        x = tg.cat(windows, dim=-1)  # (B, T, block * embed), oldest token first
        return self.head(self.act(self.hidden(x)))  # (B, T, V)


class RNN(nn.Module):
    """``nn.LSTM`` or ``nn.GRU`` (``batch_first``) over the token embeddings,
    then ``Linear(hidden, V)`` on each hidden state."""

    def __init__(self, kind: str, vocab: int, embed: int, hidden: int, layers: int):
        super().__init__()
        cell = {"lstm": "LSTM", "gru": "GRU"}[kind]
        if not hasattr(nn, cell):
            raise ValueError(f"--model {kind} needs tapegrad.nn.{cell}, which this tapegrad lacks")
        self.wte = nn.Embedding(vocab, embed)
        self.rnn = getattr(nn, cell)(embed, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, idx):
        out, _ = self.rnn(self.wte(idx))  # (B, T, hidden)
        return self.head(out)  # (B, T, V)


class CausalSelfAttention(nn.Module):
    """Multi-head attention where position ``t`` attends to positions ``<= t``:
    ``softmax(q k^T / sqrt(d) + mask) v`` per head, then a linear projection."""

    def __init__(self, embed: int, heads: int, block: int, dropout: float):
        super().__init__()
        if embed % heads:
            raise ValueError(f"--embed {embed} is not divisible by --heads {heads}")
        self.heads = heads
        self.qkv = nn.Linear(embed, 3 * embed)
        self.proj = nn.Linear(embed, embed)
        self.drop = nn.Dropout(dropout)
        future = tg.triu(tg.ones(block, block, dtype=tg.bool), diagonal=1)
        self.register_buffer("future", future, persistent=False)

    def forward(self, x, B: int, T: int):
        E, H = x.shape[-1], self.heads
        q, k, v = self.qkv(x).split(E, dim=1)  # 3 x (B * T, E)
        q, k, v = (z.reshape(B, T, H, E // H).transpose(1, 2) for z in (q, k, v))  # (B, H, T, d)
        p = self.drop.p if self.training else 0.0
        if hasattr(F, "scaled_dot_product_attention"):  # one fused node
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=True)
        else:
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(E // H))  # (B, H, T, T)
            att = att.masked_fill(self.future[:T, :T], float("-inf"))
            y = self.drop(F.softmax(att, dim=-1)) @ v  # (B, H, T, d)
        y = y.transpose(1, 2).reshape(B * T, E)  # heads side by side
        return self.drop(self.proj(y))


class Block(nn.Module):
    """``x + attn(ln1(x))``, then ``x + mlp(ln2(x))`` with a 4x wider GELU MLP."""

    def __init__(self, embed: int, heads: int, block: int, dropout: float):
        super().__init__()
        self.ln1 = nn.LayerNorm(embed)
        self.attn = CausalSelfAttention(embed, heads, block, dropout)
        self.ln2 = nn.LayerNorm(embed)
        self.mlp = nn.Sequential(
            nn.Linear(embed, 4 * embed),
            nn.GELU(approximate="tanh"),
            nn.Linear(4 * embed, embed),
            nn.Dropout(dropout),
        )

    def forward(self, x, B: int, T: int):
        x = x + self.attn(self.ln1(x), B, T)
        return x + self.mlp(self.ln2(x))


class Transformer(nn.Module):
    """makemore's small GPT: ``layers`` blocks of width ``embed`` with ``heads`` heads."""

    def __init__(self, vocab, block, embed, layers, heads, dropout):
        super().__init__()
        self.block = block
        self.wte = nn.Embedding(vocab, embed)
        self.wpe = nn.Embedding(block, embed)
        self.blocks = nn.ModuleList(Block(embed, heads, block, dropout) for _ in range(layers))
        self.ln_f = nn.LayerNorm(embed)
        self.head = nn.Linear(embed, vocab)

    def forward(self, idx):
        B, T = idx.shape
        if T > self.block:
            raise ValueError(f"Transformer: {T} tokens, but the block size is {self.block}")
        x = self.wte(idx) + self.wpe(tg.arange(T))  # (B, T, E)
        x = x.reshape(B * T, -1)  # rows: the 2-D products of Linear are the fast ones
        for block in self.blocks:
            x = block(x, B, T)
        return self.head(self.ln_f(x)).reshape(B, T, -1)  # (B, T, V)


def build_lm(config, vocab: int):
    """The network ``config.model`` names, for a vocabulary of ``vocab`` tokens,
    in the config's dtype."""
    kind, E = config.model, config.embed
    if kind == "bigram":
        model = Bigram(vocab)
    elif kind == "mlp":
        activation = getattr(nn, _activation_class(config.activation))
        model = MLP(vocab, config.block, E, config.hidden[0], activation)
    elif kind in ("lstm", "gru"):
        model = RNN(kind, vocab, E, config.hidden[0], config.layers)
    else:
        model = Transformer(vocab, config.block, E, config.layers, config.heads, config.dropout)
    return model.double() if config.dtype == "float64" else model


def _activation_class(name: str) -> str:
    from tapegrad.run.config import ACTIVATIONS

    return ACTIVATIONS[name]
