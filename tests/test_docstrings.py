"""Docstrings: their examples run (doctest), and the Keras-side ones are a reading list."""
from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil

import pytest

import cnn_course

MODULES = sorted(m.name for m in pkgutil.walk_packages(cnn_course.__path__, "cnn_course.",
                                                        onerror=lambda name: None)
                 if not m.name.rsplit(".", 1)[-1].startswith("_"))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed"


# Every public function of these modules says where to go next (See Also); the network
# builders and blocks, and the functions resting on a published method, cite it (References).
SEE_ALSO_MODULES = ["models", "training", "inspection"]
NEEDS_REFERENCES = {
    "models": ["build_model", "conv_bn_relu", "cbapd_block", "inception_block",
               "residual_block", "build_deep_stack"],
    "training": ["train", "evaluate", "confusion_matrix"],
    "inspection": ["layer_outputs", "explain_params", "conv_params", "plot_feature_maps",
                   "plot_kernels"],
}
# Papers a lesson on these networks must point to: (module, text that must appear).
PAPERS = [("models", "LeCun"), ("models", "Krizhevsky"), ("models", "Simonyan"),
          ("models", "Szegedy"), ("models", "He, X. Zhang"), ("models", "Ioffe")]


def _public_functions(module_name: str):
    module = importlib.import_module(f"cnn_course.{module_name}")
    for name in module.__all__:
        obj = getattr(module, name)
        if inspect.isfunction(obj):
            yield name, obj


@pytest.mark.parametrize("module_name", SEE_ALSO_MODULES)
def test_public_functions_have_see_also(module_name):
    missing = [name for name, func in _public_functions(module_name)
               if "See Also\n    --------" not in (func.__doc__ or "")]
    assert not missing, f"cnn_course.{module_name}: no 'See Also' section in {missing}"


@pytest.mark.parametrize("module_name, names", sorted(NEEDS_REFERENCES.items()))
def test_functions_cite_their_sources(module_name, names):
    module = importlib.import_module(f"cnn_course.{module_name}")
    missing = [n for n in names if "References\n    ----------\n    .. [1]"
               not in (getattr(module, n).__doc__ or "")]
    assert not missing, f"cnn_course.{module_name}: no numbered References in {missing}"


@pytest.mark.parametrize("module_name, author", PAPERS)
def test_the_classic_papers_are_cited(module_name, author):
    module = importlib.import_module(f"cnn_course.{module_name}")
    assert author in module.__doc__, f"cnn_course.{module_name} does not cite {author}"


def test_every_private_network_builder_names_its_design():
    from cnn_course import models

    undocumented = [name for name, func in models._BUILDERS.items() if not func.__doc__]
    assert not undocumented, f"builders without a docstring: {undocumented}"
