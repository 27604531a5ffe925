"""lmkeras: learn how language models work by building them in Keras 3.

The package holds what the course notebooks import: corpus loaders (`data`), text
preprocessing (`text`), `tf.data` pipelines (`datasets`), and, chapter by chapter, layers,
model builders, samplers and metrics. Importing it has no side effects: no downloads, no
printing, no global seeds.
"""

__version__ = "0.1.0"
