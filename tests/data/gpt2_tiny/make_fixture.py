"""Write this folder's fixture with Hugging Face's own GPT-2 (run by hand; CI never runs it).

A tiny random `transformers.GPT2LMHeadModel` (vocabulary 50, 16 positions, width 8, 2 blocks,
2 heads; every weight drawn at random so that no bias or LayerNorm is trivially 0 or 1) saved
with `save_pretrained` (`model.safetensors` + `config.json`), and in `expected.npz` what that
framework computes on fixed ids: the logits, the greedy continuation and the greedy
continuation with `no_repeat_ngram_size=2`.

    pip install torch==2.13.0 transformers==5.24.0
    python tests/data/gpt2_tiny/make_fixture.py
"""

from pathlib import Path

import numpy as np
import torch
from transformers import GPT2Config, GPT2LMHeadModel

HERE = Path(__file__).parent
torch.manual_seed(0)
config = GPT2Config(vocab_size=50, n_positions=16, n_embd=8, n_layer=2, n_head=2,
                    resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                    bos_token_id=0, eos_token_id=None, pad_token_id=0)  # fmt: skip
model = GPT2LMHeadModel(config).eval()
with torch.no_grad():
    for name, parameter in model.named_parameters():
        noise = torch.randn_like(parameter) * 0.3
        parameter.copy_(
            noise + 1.0 if name.endswith(("ln_1.weight", "ln_2.weight", "ln_f.weight")) else noise
        )
model.save_pretrained(HERE, safe_serialization=True)

ids = np.random.default_rng(0).integers(0, 50, (2, 10)).astype("int64")
prompt = torch.tensor(ids[:, :4])
with torch.no_grad():
    logits = model(torch.tensor(ids)).logits.numpy()
    greedy = model.generate(prompt, max_length=16, do_sample=False, eos_token_id=None,
                            pad_token_id=0)  # fmt: skip
    no_repeat = model.generate(prompt, max_length=16, do_sample=False, no_repeat_ngram_size=2,
                               eos_token_id=None, pad_token_id=0)  # fmt: skip
np.savez(HERE / "expected.npz", ids=ids.astype("int32"), logits=logits.astype("float32"),
         greedy=greedy.numpy().astype("int32"),
         no_repeat_2=no_repeat.numpy().astype("int32"))  # fmt: skip
print("wrote", sorted(p.name for p in HERE.iterdir()))
