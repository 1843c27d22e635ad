"""Compiled helpers (Cython), built by `pip install` next to the pure-Python package.

- crawlers.html._fastdom: the M3W extractor's DOM passes (analyse, container pick, walk) over
  lxml's libxml2 tree, through lxml's public C API (lxml/includes/etreepublic.pxd). It reads
  libxml2's node structs only and calls no libxml2 function, so it links against nothing.
- crawlers.html._langid: py3langid's byte n-gram automaton and naive Bayes scores in C.

Each has a pure-Python reference beside it (crawlers/html/boilerplate.py + crawlers/html/extract.py,
crawlers/html/language.py) that gives the same answers; tests run both on the same inputs.

Cython and lxml are imported only when the extensions are compiled (`build_ext.run`), never at the
top: building the sdist (`python -m build --sdist`, which Beam's stager runs for `--setup_file` on
the submitting machine) then needs neither, and the .pyx sources travel in the sdist (MANIFEST.in).
"""

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

PYX_SOURCES = {
    "crawlers.html._fastdom": "crawlers/html/_fastdom.pyx",
    "crawlers.html._langid": "crawlers/html/_langid.pyx",
}
NEEDS_LXML_HEADERS = {"crawlers.html._fastdom"}


def pyx_extension(name: str) -> Extension:
    ext = Extension(name, [])
    # set after construction: Extension() rewrites .pyx to .c when Cython is not importable (the sdist)
    ext.sources = [PYX_SOURCES[name]]
    return ext


class CythonBuildExt(build_ext):
    """build_ext that turns the .pyx sources into C just before compiling them."""

    def run(self):
        import lxml
        from Cython.Build import cythonize

        for ext in self.extensions:
            if ext.name in NEEDS_LXML_HEADERS:
                ext.include_dirs.extend(lxml.get_include())
        generated = cythonize(self.extensions, language_level=3, compiler_directives={"embedsignature": True})
        c_sources = {m.name: m.sources for m in generated}
        for ext in self.extensions:
            ext.sources = c_sources[ext.name]
        super().run()


setup(ext_modules=[pyx_extension(name) for name in PYX_SOURCES], cmdclass={"build_ext": CythonBuildExt})
