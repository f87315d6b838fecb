"""Sphinx configuration of the cconv1d documentation.

Build (from the repository root, with cconv1d installed and docs/requirements.txt):

    python -m sphinx -W --keep-going -b html docs docs/_build/html
    python -m sphinx -W -b doctest docs docs/_build/doctest

The doctest builder runs the ``>>>`` examples of every page, including the docstrings
that autosummary/autodoc pull into docs/generated/.
"""

import os

# Headless figures for the gallery and for anything a docstring might plot: set before
# matplotlib.pyplot is first imported anywhere in this process.
os.environ.setdefault("MPLBACKEND", "Agg")
import matplotlib  # noqa: E402

matplotlib.use("Agg")

import cconv1d  # noqa: E402  (the installed package: docs describe what users get)

# -- Project -----------------------------------------------------------------------------

project = "cconv1d"
author = "the cconv1d developers"
copyright = "the cconv1d developers"
release = cconv1d.__version__
version = ".".join(release.split(".")[:2])

# -- General -----------------------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.doctest",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "**.ipynb_checkpoints", "requirements.txt"]
root_doc = "index"
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
default_role = "literal"     # `x` renders as code, never as a broken cross-reference
pygments_style = "sphinx"

# -- autodoc / autosummary -----------------------------------------------------------------

autosummary_generate = True
autosummary_generate_overwrite = True
# cconv1d.conv1d and cconv1d.Conv1d (and the two in cconv1d.torch) differ only by case:
# give the classes distinct file names so a checkout on a case-insensitive file system
# (macOS, Windows) does not overwrite one page with the other.
autosummary_filename_map = {
    "cconv1d.Conv1d": "cconv1d.Conv1d-class",
    "cconv1d.torch.Conv1d": "cconv1d.torch.Conv1d-class",
}
autodoc_member_order = "bysource"
autodoc_typehints = "none"          # numpydoc sections hold the types; the Literal mode words
                                    # of the annotations would swamp the signatures
autodoc_preserve_defaults = True    # show `dtype=np.float32`, not `<class ...>`
autoclass_content = "class"         # the class docstring holds the Parameters section

# -- numpydoc ----------------------------------------------------------------------------

numpydoc_show_class_members = False     # the class template lists the methods itself
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# -- doctest -----------------------------------------------------------------------------

doctest_global_setup = """
import numpy as np
import cconv1d as cc
"""
# A test that changed the thread count must not leak it into the next page.
doctest_global_cleanup = """
import cconv1d as cc
cc.set_num_threads(None)
"""
# The flags of the test suite's docstring runner (tests/test_package.py: ELLIPSIS and
# NORMALIZE_WHITESPACE; torch wraps long tensor reprs at 80 columns) plus Sphinx's own
# defaults.
import doctest  # noqa: E402

doctest_default_flags = (doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
                         | doctest.IGNORE_EXCEPTION_DETAIL | doctest.DONT_ACCEPT_TRUE_FOR_1)

# -- sphinx-gallery ------------------------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "image_scrapers": ("matplotlib",),
    "matplotlib_animations": False,
    "doc_module": ("cconv1d",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"cconv1d": None},
    "remove_config_comments": True,
    "min_reported_time": 1,
    "abort_on_example_error": True,
    "show_memory": False,
    "show_signature": False,
}

# -- HTML --------------------------------------------------------------------------------

html_theme = "alabaster"
html_title = f"cconv1d {release}"
html_static_path = []
html_theme_options = {
    "description": "Fast 1-D convolution with a Cython/C core",
    "fixed_sidebar": True,
    "page_width": "1100px",
    "sidebar_width": "240px",
}
html_sidebars = {"**": ["about.html", "navigation.html", "relations.html", "searchbox.html"]}
