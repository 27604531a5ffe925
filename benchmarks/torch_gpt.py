"""Minimal PyTorch GPT (nanoGPT's model.py, trimmed) for the throughput comparison only.

Same architecture as `lmkeras.models.gpt.gpt(..., position="learned", tie_weights=True)`:
token + learned position embeddings, pre-LN blocks of causal self-attention (fused QKV, PyTorch's
`scaled_dot_product_attention`) and an exact-GELU MLP, final LayerNorm, tied output layer.
A benchmark-only dependency (`pip install torch==2.13.0`); the package never imports it.
"""

from __future__ import annotations

import math
import time

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812  (the PyTorch idiom)


class Block(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.ln_1, self.ln_2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.qkv, self.proj = nn.Linear(width, 3 * width), nn.Linear(width, width)
        self.fc, self.fc_out = nn.Linear(width, 4 * width), nn.Linear(4 * width, width)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(self.ln_1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, self.heads, C // self.heads).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # (B, H, T, D)
        x = x + self.proj(y.transpose(1, 2).contiguous().view(B, T, C))
        return x + self.fc_out(F.gelu(self.fc(self.ln_2(x))))


class GPT(nn.Module):
    def __init__(self, vocab, context, layers, heads, width):
        super().__init__()
        self.tokens, self.positions = nn.Embedding(vocab, width), nn.Embedding(context, width)
        self.blocks = nn.ModuleList(Block(width, heads) for _ in range(layers))
        self.ln_f = nn.LayerNorm(width)

    def forward(self, ids):
        x = self.tokens(ids) + self.positions(torch.arange(ids.shape[1]))
        for block in self.blocks:
            x = block(x)
        return self.ln_f(x) @ self.tokens.weight.T  # tied output layer


def tokens_per_second(vocab, context, layers, heads, width, batch, steps, warmup, seed=0,
                      bfloat16=False):  # fmt: skip
    """Train steps (AdamW, clip 1.0) on random ids; return steady-state tokens per second.

    `bfloat16=True` runs the forward pass under `torch.autocast` (mixed precision, float32
    weights), PyTorch's counterpart of Keras's `mixed_bfloat16` policy.
    """
    torch.manual_seed(seed)
    model = GPT(vocab, context, layers, heads, width)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.99), weight_decay=0.1)
    x = torch.randint(0, vocab, (batch, context))
    y = torch.randint(0, vocab, (batch, context))
    for i in range(warmup + steps):
        if i == warmup:
            tic = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bfloat16):
            logits = model(x)
        loss = F.cross_entropy(logits.float().view(-1, vocab), y.view(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    assert math.isfinite(loss.item())
    return steps * batch * context / (time.perf_counter() - tic)
