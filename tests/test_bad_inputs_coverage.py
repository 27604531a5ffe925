"""Every public function and class of lmkeras is the target of some bad-input row (issue 16),
so a new function cannot skip the tables.

Public names are a module's `__all__` together with the names it defines that do not start with
"_" (modules whose name starts with "_", such as the validators in `lmkeras._checks`, are
private). A name missing from every table must be in one of the commented exemption sets below.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import lmkeras
from tests.bad_inputs import Bad, qualified_name

TESTS = Path(__file__).parent
TABLE_FILES = sorted(TESTS.glob("test_bad_inputs_*.py")) + sorted(
    TESTS.glob("*/test_*_bad_inputs.py")
)

# Nothing to validate: no arguments at all.
NO_ARGUMENTS = {
    "lmkeras.config.cpu_has_bfloat16",
    "lmkeras.config.gpu_names",
    "lmkeras.backend.seed_from_global",
}
# Records and exceptions that the package returns or raises; users read them, never build them.
RETURNED = {
    "lmkeras.data.ChecksumError",
    "lmkeras.data.Corpus",
    "lmkeras.data.PairSplit",
    "lmkeras.hub.LoadedGPT2",  # what load_gpt2 returns
    "lmkeras.metrics.BleuScore",
    "lmkeras.models.autoencoder.AutoencoderParts",  # what autoencoder_parts returns
    "lmkeras.models.gpt.GPTParts",
    "lmkeras.models.gpt_weights.WeightRow",  # the rows load_gpt2_weights returns
    "lmkeras.recipes.char_lm.CharLMRun",
    "lmkeras.recipes.translation.TranslationTask",
    "lmkeras.vectors.Analogy",
    "lmkeras.vectors.GroupScore",
    "lmkeras.vectors.UnknownWordError",
}
# Runs only inside a compiled loop, on the tensors `gpt_generate` makes: nothing a user passes.
INSIDE_COMPILED = {"lmkeras.backend.loop_seed"}

EXEMPT = NO_ARGUMENTS | RETURNED | INSIDE_COMPILED


def public_names() -> set[str]:
    modules = [lmkeras] + [
        importlib.import_module(info.name)
        for info in pkgutil.walk_packages(lmkeras.__path__, "lmkeras.")
        if not any(part.startswith("_") for part in info.name.split("."))
    ]
    names = set()
    for module in modules:
        defined = {
            name
            for name, obj in vars(module).items()
            if not name.startswith("_") and getattr(obj, "__module__", None) == module.__name__
        }
        for name in defined | set(getattr(module, "__all__", ())):
            obj = getattr(module, name)
            if inspect.isfunction(obj) or inspect.isclass(obj):
                names.add(qualified_name(obj))
    return names


def covered_names() -> set[str]:
    names = set()
    for path in TABLE_FILES:
        module = importlib.import_module(
            ".".join(path.relative_to(TESTS.parent).with_suffix("").parts)
        )
        for value in vars(module).values():
            if isinstance(value, list) and value and all(isinstance(row, Bad) for row in value):
                names |= {qualified_name(row.target).split(".<locals>")[0] for row in value}
    return names


def test_every_public_function_and_class_has_a_bad_input_row():
    covered = covered_names()
    covered |= {name.rsplit(".", 1)[0] for name in covered}  # a method's row covers its class
    missing = sorted(public_names() - covered - EXEMPT)
    assert not missing, (
        f"{len(missing)} public name(s) have no row in any bad-input table: {missing}. Add rows "
        "(tests/test_bad_inputs_<area>.py or tests/<folder>/test_<module>_bad_inputs.py), or an "
        "exemption with its reason in tests/test_bad_inputs_coverage.py."
    )


def test_the_exemptions_are_not_stale():
    public, covered = public_names(), covered_names()
    assert public >= EXEMPT, f"exempted names that no longer exist: {sorted(EXEMPT - public)}"
    assert not EXEMPT & covered, f"names with rows are still exempted: {sorted(EXEMPT & covered)}"
