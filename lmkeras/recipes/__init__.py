"""Each chapter's end-to-end run: data + tokenizer + model + training, in one function.

- `char_lm`: chapter 04's character RNN (`train_char_lm`), reused by chapter 05 and benchmarks.
- `char_gpt`: chapter 08's character GPT (`CharGPTConfig`, `train_char_gpt`), reused by the
  command line (`lmkeras-gpt`), benchmarks and chapters 12–13.
- `translation`: chapters 09–10's spa→eng task, training and decoding (`spa_eng_task`,
  `fit_translator`, `translate`).

Recipes sit at the top of the package: they may import everything else, and nothing imports
them except the command line, notebooks and benchmarks.
"""
