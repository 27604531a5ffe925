"""Minimal PyTorch GPT (nanoGPT's model.py, trimmed) for the benchmarks' Keras/PyTorch comparisons.

`GPT` expresses the architectures of `lmkeras.models.gpt.build_gpt` that chapter 08's recipes
use (`CharGPTConfig()` and `CharGPTConfig.modern()`): token embedding, learned or rotary
positions, pre-norm blocks (LayerNorm or RMSNorm) of causal self-attention (fused QKV, optional
QK-norm, PyTorch's `scaled_dot_product_attention`) and an MLP (exact GELU or ReLU²), a final
norm, a tied or untied output layer, an optional logit soft cap, and `build_gpt`'s dropout
(embeddings, both residual branches and, unless `attention_dropout=0.0`, the attention weights;
off in `model.eval()`). `load_keras_weights` copies a `build_gpt` model's weights into it (the
same logits to about 1e-5), `KerasOptimizer` is Keras 3's AdamW and
`lmkeras.training.MatrixMuon` written out in PyTorch, and `train_with_time_budget` mirrors
`lmkeras.training.train_with_time_budget` (the same batches, the same schedule over the time
budget).
`tokens_per_second` is the fixed-shape throughput probe of `bench_gpt.py`.

A benchmark-only dependency (`pip install torch==2.13.0`); the package never imports it, and
this file never imports Keras.
"""

from __future__ import annotations

import math
import re
import time

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812  (the PyTorch idiom)


def _norm(kind, width, eps):
    return nn.RMSNorm(width, eps=eps) if kind == "rms" else nn.LayerNorm(width, eps=eps)


def rotary_tables(length, head_dim, max_wavelength=10000):
    """cos and sin `(1, T, 1, D)` of `lmkeras.layers.RotaryEmbedding`: feature i is paired with
    i + D/2 (the GPT-NeoX half-split layout), rotated by p / w^(2i/D) at position p."""
    rates = float(max_wavelength) ** (-torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim)
    angles = torch.arange(length, dtype=torch.float32)[:, None] * rates[None, :]  # (T, D/2)
    angles = torch.cat([angles, angles], dim=-1)[None, :, None, :]  # (1, T, 1, D)
    return angles.cos(), angles.sin()


def _rotate(x, cos, sin):
    first, second = x.chunk(2, dim=-1)  # halves, not interleaved pairs
    return x * cos + torch.cat([-second, first], dim=-1) * sin


class Block(nn.Module):
    def __init__(self, width, heads, norm="layer", qk_norm=False, activation="gelu", eps=1e-5,
                 dropout=0.0, attention_dropout=0.0):  # fmt: skip
        super().__init__()
        self.heads, self.activation, self.attention_dropout = heads, activation, attention_dropout
        self.drop = nn.Dropout(dropout)  # lmkeras' residual dropout and FeedForward's
        self.ln_1, self.ln_2 = _norm(norm, width, eps), _norm(norm, width, eps)
        self.qkv, self.proj = nn.Linear(width, 3 * width), nn.Linear(width, width)
        self.fc, self.fc_out = nn.Linear(width, 4 * width), nn.Linear(4 * width, width)
        # lmkeras' QK-norm: RMSNorm over each head's features, eps 1e-6, before the rotation.
        self.q_norm = nn.RMSNorm(width // heads, eps=1e-6) if qk_norm else None
        self.k_norm = nn.RMSNorm(width // heads, eps=1e-6) if qk_norm else None

    def forward(self, x, rotary=None):
        B, T, C = x.shape
        q, k, v = self.qkv(self.ln_1(x)).view(B, T, 3, self.heads, C // self.heads).unbind(2)
        if self.q_norm is not None:  # each (B, T, H, D)
            q, k = self.q_norm(q), self.k_norm(k)
        if rotary is not None:
            q, k = _rotate(q, *rotary), _rotate(k, *rotary)
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))  # (B, H, T, D)
        p = self.attention_dropout if self.training else 0.0
        y = F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=True)  # (B, H, T, D)
        x = x + self.drop(self.proj(y.transpose(1, 2).reshape(B, T, C)))
        h = self.fc(self.ln_2(x))
        h = F.relu(h).square() if self.activation == "relu_squared" else F.gelu(h)
        return x + self.drop(self.fc_out(h))


class GPT(nn.Module):
    """`build_gpt(vocab, context, layers, heads, width, ...)` in PyTorch; the options mirror
    `build_gpt`'s (position `"learned"`/`"rope"`, norm `"layer"`/`"rms"`, activation
    `"gelu"`/`"relu_squared"`). The initial weights are PyTorch's; `load_keras_weights` copies
    a Keras model's in."""

    def __init__(self, vocab, context, layers, heads, width, position="learned", norm="layer",
                 qk_norm=False, activation="gelu", tie_weights=True, zero_init_output=False,
                 head_initializer=None, logit_soft_cap=None, layer_norm_epsilon=1e-5,
                 dropout=0.0, attention_dropout=None):  # fmt: skip
        super().__init__()
        if position not in ("learned", "rope") or activation not in ("gelu", "relu_squared"):
            raise ValueError(f"unsupported position={position!r} or activation={activation!r}")
        self.position, self.soft_cap = position, logit_soft_cap
        self.tokens = nn.Embedding(vocab, width)
        self.embedding_drop = nn.Dropout(dropout)
        attention_dropout = dropout if attention_dropout is None else attention_dropout
        self.positions = nn.Embedding(context, width) if position == "learned" else None
        self.blocks = nn.ModuleList(
            Block(
                width,
                heads,
                norm,
                qk_norm,
                activation,
                layer_norm_epsilon,
                dropout,
                attention_dropout,
            )
            for _ in range(layers)
        )
        self.ln_f = _norm(norm, width, layer_norm_epsilon)
        self.head = None if tie_weights else nn.Linear(width, vocab)
        if zero_init_output:
            for block in self.blocks:
                nn.init.zeros_(block.proj.weight), nn.init.zeros_(block.fc_out.weight)
        if head_initializer == "zeros" and self.head is not None:
            nn.init.zeros_(self.head.weight), nn.init.zeros_(self.head.bias)
        if position == "rope":
            cos, sin = rotary_tables(context, width // heads)
            self.register_buffer("cos", cos, persistent=False)
            self.register_buffer("sin", sin, persistent=False)

    def forward(self, ids):
        T = ids.shape[1]
        x = self.tokens(ids)
        if self.positions is not None:
            x = x + self.positions(torch.arange(T, device=ids.device))
        x = self.embedding_drop(x)
        rotary = (self.cos[:, :T], self.sin[:, :T]) if self.position == "rope" else None
        for block in self.blocks:
            x = block(x, rotary)
        x = self.ln_f(x)
        logits = x @ self.tokens.weight.T if self.head is None else self.head(x)
        if self.soft_cap is not None:  # LogitSoftCap
            logits = self.soft_cap * torch.tanh(logits / self.soft_cap)
        return logits


def keras_layout(model):
    """`[(parameter name, [Keras weight paths], to_torch)]`: where each PyTorch parameter comes
    from in a `build_gpt` model (`weight.path`), and how `to_torch(*arrays)` lays it out."""

    def linear(kernel, bias=None):  # EinsumDense/Dense kernel (in, ...) → Linear (out, in)
        return kernel.reshape(kernel.shape[0], -1).T

    def fused(*arrays):  # query, key, value kernels (C, H, D) or biases (H, D), stacked as rows
        return np.concatenate([a.reshape(a.shape[0], -1).T if a.ndim == 3 else a.reshape(-1)
                               for a in arrays], axis=0)  # fmt: skip

    def output(kernel):  # (H, D, C) → (C, H·D)
        return kernel.reshape(-1, kernel.shape[-1]).T

    def same(array):
        return array

    layout = [("tokens.weight", ["token_embedding/embeddings"], same)]
    if model.positions is not None:
        layout.append(("positions.weight", ["position_embedding/embeddings"], same))

    def norm(torch_name, keras_name, module):
        if isinstance(module, nn.RMSNorm):
            return [(f"{torch_name}.weight", [f"{keras_name}/scale"], same)]
        return [(f"{torch_name}.weight", [f"{keras_name}/gamma"], same),
                (f"{torch_name}.bias", [f"{keras_name}/beta"], same)]  # fmt: skip

    for i, block in enumerate(model.blocks):
        t, k = f"blocks.{i}", f"block_{i}"
        a = f"{k}/attention"
        layout += norm(f"{t}.ln_1", f"{k}/attention_norm", block.ln_1)
        layout += [
            (f"{t}.qkv.weight", [f"{a}/{n}/kernel" for n in ("query", "key", "value")], fused),
            (f"{t}.qkv.bias", [f"{a}/{n}/bias" for n in ("query", "key", "value")], fused),
            (f"{t}.proj.weight", [f"{a}/attention_output/kernel"], output),
            (f"{t}.proj.bias", [f"{a}/attention_output/bias"], same),
        ]
        if block.q_norm is not None:
            layout += [(f"{t}.q_norm.weight", [f"{a}/query_norm/scale"], same),
                       (f"{t}.k_norm.weight", [f"{a}/key_norm/scale"], same)]  # fmt: skip
        layout += norm(f"{t}.ln_2", f"{k}/mlp_norm", block.ln_2)
        layout += [
            (f"{t}.fc.weight", [f"{k}/mlp/hidden/kernel"], linear),
            (f"{t}.fc.bias", [f"{k}/mlp/hidden/bias"], same),
            (f"{t}.fc_out.weight", [f"{k}/mlp/projection/kernel"], linear),
            (f"{t}.fc_out.bias", [f"{k}/mlp/projection/bias"], same),
        ]
    layout += norm("ln_f", "final_norm", model.ln_f)
    if model.head is not None:
        layout += [("head.weight", ["logits/kernel"], linear), ("head.bias", ["logits/bias"], same)]
    return layout


def load_keras_weights(model, weights):
    """Copy a `build_gpt` model's weights (`{weight.path: numpy array}`) into `model`; every
    parameter must be matched and every Keras weight used, with the right shape."""
    params = dict(model.named_parameters())
    layout = keras_layout(model)
    used = {path for _, paths, _ in layout for path in paths}
    missing = sorted(set(params) - {name for name, _, _ in layout})
    unused = sorted(set(weights) - used)
    if missing or unused:
        raise ValueError(f"unmatched PyTorch parameters {missing} or Keras weights {unused}")
    with torch.no_grad():
        for name, paths, to_torch in layout:
            array = np.asarray(to_torch(*(np.asarray(weights[p]) for p in paths)), np.float32)
            if tuple(array.shape) != tuple(params[name].shape):
                raise ValueError(f"{name}: {array.shape} from {paths}, expected "
                                 f"{tuple(params[name].shape)}")  # fmt: skip
            params[name].copy_(torch.from_numpy(np.ascontiguousarray(array)))


def optimizer_groups(model, kind):
    """`[(parameter, decays, muon_view)]` with Keras' rules for each parameter: which get weight
    decay (`DecayExcludingAdamW`: not bias/gamma/beta; `MatrixMuon`: not bias/gamma/beta/scale,
    matched on the weight's name as Keras does) and which get Muon (`MatrixMuon`: hidden
    matrices, not embeddings nor the layer named "logits"). `muon_view(tensor)` gives the
    matrices Muon orthogonalises, as `(n, rows, cols)`: the fused QKV weight is Keras' three
    `(width, heads × head_dim)` matrices (transposed, which Newton–Schulz commutes with)."""
    no_decay = ("bias", "gamma", "beta") if kind == "adamw" else ("bias", "gamma", "beta", "scale")
    params = dict(model.named_parameters())
    groups = []
    for name, paths, _ in keras_layout(model):
        path = paths[0]
        decays = re.search("|".join(no_decay), path.rsplit("/", 1)[-1]) is None
        # MatrixMuon: kernels (2-D, or the 3-D attention ones) are matrices; embeddings and
        # exclude_layers=["logits"] go to AdamW, as do biases and norm parameters.
        muon = (kind == "muon" and path.endswith("kernel") and "embedding" not in path.lower()
                and re.search("logits", path) is None)  # fmt: skip
        view = None
        if muon:
            parts = len(paths)  # 3 for the fused QKV weight
            view = lambda t, n=parts: t.view(n, t.shape[0] // n, t.shape[1])  # noqa: E731
        groups.append((params[name], decays, view))
    return groups


def newton_schulz5(x, steps=5, a=3.4445, b=-4.7750, c=2.0315):
    """`keras.optimizers.Muon.zeropower_via_newtonschulz5` on a batch `(n, rows, cols)`."""
    tall = x.shape[-2] > x.shape[-1]
    if tall:
        x = x.mT
    x = x / (torch.linalg.matrix_norm(x, keepdim=True) + 1e-7)  # Frobenius norm
    for _ in range(steps):
        gram = x @ x.mT
        x = a * x + (b * gram + c * gram @ gram) @ x
    return x.mT if tall else x


class KerasOptimizer:
    """Keras 3's AdamW (`kind="adamw"`) or `lmkeras.training.MatrixMuon` (`kind="muon"`),
    step for step: global-norm clipping, then decoupled weight decay (`w -= w · wd · lr`),
    then Adam (Keras' epsilon placement: `m · lr · √(1-β₂ᵗ)/(1-β₁ᵗ) / (√v + ε)`, ε 1e-7) or
    Muon (m = μm + g; Nesterov g + μm; Newton–Schulz; step × √max(rows, cols) × 0.2)."""

    def __init__(self, model, kind="adamw", learning_rate=3e-3, weight_decay=0.1, beta_1=0.9,
                 beta_2=0.99, epsilon=1e-7, clipnorm=1.0, momentum=0.95, rms_rate=0.2):  # fmt: skip
        self.groups = optimizer_groups(model, kind)
        self.params = [p for p, _, _ in self.groups]
        self.lr, self.wd, self.clipnorm = learning_rate, weight_decay, clipnorm
        self.b1, self.b2, self.eps = beta_1, beta_2, epsilon
        self.momentum, self.rms_rate = momentum, rms_rate
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [None if view else torch.zeros_like(p) for p, _, view in self.groups]
        self.iterations = 0

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self):
        grads = [p.grad for p in self.params]
        norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))
        scale = self.clipnorm * torch.minimum(1.0 / norm, torch.tensor(1.0 / self.clipnorm))
        torch._foreach_mul_(grads, scale)
        decayed = [p for p, decays, _ in self.groups if decays]
        torch._foreach_mul_(decayed, 1.0 - self.wd * self.lr)  # w - w·wd·lr
        t = self.iterations + 1
        alpha = self.lr * math.sqrt(1 - self.b2**t) / (1 - self.b1**t)
        adam = [(p, g, m, v) for (p, _, view), g, m, v in zip(self.groups, grads, self.m, self.v)
                if view is None]  # fmt: skip
        if adam:
            p, g, m, v = (list(x) for x in zip(*adam))
            torch._foreach_lerp_(m, g, 1 - self.b1)  # m += (g - m)(1 - β₁)
            torch._foreach_lerp_(v, torch._foreach_mul(g, g), 1 - self.b2)
            denominator = torch._foreach_add(torch._foreach_sqrt(v), self.eps)
            torch._foreach_addcdiv_(p, m, denominator, value=-alpha)
        for (p, _, view), g, m in zip(self.groups, grads, self.m):
            if view is None:
                continue
            m.mul_(self.momentum).add_(g)  # m += g + m(μ - 1)
            update = newton_schulz5(view(g + self.momentum * m))  # (n, rows, cols)
            scale = math.sqrt(max(update.shape[-2:])) * self.rms_rate
            p.sub_((self.lr * update * scale).view_as(p))
        self.iterations = t


def lr_factor(fraction, step, warmup_steps, min_ratio, schedule="cosine", cooldown_fraction=0.5):
    """`lmkeras.training._lr_factor`: linear warm-up over steps × a cosine over the time budget,
    or ("wsd") the peak until the last `cooldown_fraction` of the budget, then a straight line."""
    warm = min(1.0, (step + 1) / warmup_steps)
    fraction = min(fraction, 1.0)
    if schedule == "wsd":
        decay = min(1.0, (1.0 - fraction) / cooldown_fraction)
    else:
        decay = 0.5 * (1 + math.cos(math.pi * fraction))
    return warm * (min_ratio + (1 - min_ratio) * decay)


def _windows(ids, starts, length):
    return torch.from_numpy(ids[starts[:, None] + np.arange(length)].astype(np.int64))


def make_train_step(model, optimizer, vocab, compile=False):
    """`step(x, y) -> loss` (a float): forward, cross-entropy, backward, optimizer step."""
    forward = torch.compile(model) if compile else model

    def step(x, y):
        model.train()
        loss = F.cross_entropy(forward(x).view(-1, vocab), y.view(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


@torch.no_grad()
def batch_loss(model, ids, starts, length):
    """The loss of one batch of windows, without dropout (the model's mode is restored)."""
    training = model.training
    model.eval()
    logits = model(_windows(ids, starts, length))  # (B, T, V)
    model.train(training)
    targets = _windows(ids, starts + 1, length)
    return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.view(-1)).item()


def evaluate_loss(model, ids, sequence_length, batch_size=32):
    """`lmkeras.training.evaluate_loss`: mean loss over all non-overlapping windows, whole
    batches only."""
    count = (len(ids) - 1) // sequence_length // batch_size * batch_size
    starts = (np.arange(count) * sequence_length).reshape(-1, batch_size)
    return float(np.mean([batch_loss(model, ids, s, sequence_length) for s in starts]))


def train_with_time_budget(model, train_ids, validation_ids, seconds, sequence_length=128,
                           batch_size=32, learning_rate=3e-3, warmup_steps=100, min_lr_ratio=0.1,
                           weight_decay=0.1, eval_every=60.0, eval_batches=8, seed=0,
                           optimizer="adamw", compile=False, schedule="cosine",
                           cooldown_fraction=0.5):  # fmt: skip
    """`lmkeras.training.train_with_time_budget` in PyTorch: the same random windows (the same
    NumPy generator, drawn in the same order), the same learning rate per step (warm-up over
    steps, cosine over the clock, which counts the training calls and the first one's
    compilation, not the evaluations), the same optimizer and the same validation estimates.

    Returns:
        dict like Keras' history: lists `seconds`, `step`, `train_loss`, `val_loss`, and
        `tokens_per_second`, `first_step_seconds`.
    """
    vocab = model.tokens.weight.shape[0]
    opt = KerasOptimizer(model, optimizer, learning_rate, weight_decay)
    step_fn = make_train_step(model, opt, vocab, compile)
    rng = np.random.default_rng(seed)
    last = len(validation_ids) - sequence_length - 1
    val_starts = rng.integers(0, last, (eval_batches, batch_size))
    history = {"seconds": [], "step": [], "train_loss": [], "val_loss": []}
    clock, step, next_eval, recent = 0.0, 0, eval_every, []
    while clock < seconds:
        opt.lr = learning_rate * lr_factor(clock / seconds, step, warmup_steps, min_lr_ratio,
                                           schedule, cooldown_fraction)  # fmt: skip
        starts = rng.integers(0, len(train_ids) - sequence_length - 1, batch_size)
        tic = time.perf_counter()
        loss = step_fn(_windows(train_ids, starts, sequence_length),
                       _windows(train_ids, starts + 1, sequence_length))  # fmt: skip
        clock += time.perf_counter() - tic
        if step == 0:
            history["first_step_seconds"] = clock
        step, recent = step + 1, (recent + [loss])[-50:]
        if clock >= next_eval or clock >= seconds:
            val = [batch_loss(model, validation_ids, s, sequence_length) for s in val_starts]
            for key, value in (("seconds", clock), ("step", step),
                               ("train_loss", float(np.mean(recent))),
                               ("val_loss", float(np.mean(val)))):  # fmt: skip
                history[key].append(value)
            next_eval += eval_every
    history["tokens_per_second"] = step * batch_size * sequence_length / clock
    return history


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
