"""Compiled helpers (Cython), built by `pip install` next to the pure-Python package.

- crawlers.html._fastdom: the M3W extractor's DOM passes (analyse, container pick, walk) over
  lxml's libxml2 tree, through lxml's public C API (lxml/includes/etreepublic.pxd). It reads
  libxml2's node structs only and calls no libxml2 function, so it links against nothing.
- crawlers.html._langid: py3langid's byte n-gram automaton and naive Bayes scores in C.

Each has a pure-Python reference beside it (crawlers/html/boilerplate.py + crawlers/html/extract.py,
crawlers/html/language.py) that gives the same answers; tests run both on the same inputs.
"""

import lxml
from Cython.Build import cythonize
from setuptools import Extension, setup

EXTENSIONS = [
    Extension("crawlers.html._fastdom", ["crawlers/html/_fastdom.pyx"], include_dirs=lxml.get_include()),
    Extension("crawlers.html._langid", ["crawlers/html/_langid.pyx"]),
]

setup(ext_modules=cythonize(EXTENSIONS, language_level=3, compiler_directives={"embedsignature": True}))
