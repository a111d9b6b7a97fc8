"""The one build step pyproject.toml cannot declare: the wheel ships the gettext catalogs
compiled. Everything else about the package is in pyproject.toml.

`build_py` copies the package, catalogs (.po) included, into the build directory; then each
.po there is compiled with Babel into the .mo beside it, which events_service.i18n loads (it
compiles a .po itself only when no .mo is there or the .po is newer). The checkout is not
touched: compiled catalogs are not kept in git. An editable install skips this and reads the
checkout's .po files. tests/test_wheel.py checks the .mo files are in the wheel.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithCatalogs(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for po in self._catalogs():
            with po.open("rb") as source:
                catalog = read_po(source, locale=po.parent.parent.name)
            with po.with_suffix(".mo").open("wb") as compiled:
                write_mo(compiled, catalog)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        compiled = [str(po.with_suffix(".mo")) for po in self._catalogs()]
        return [*super().get_outputs(include_bytecode), *compiled]

    def _catalogs(self) -> list[Path]:
        return sorted(Path(self.build_lib, "events_service", "locale").glob("*/LC_MESSAGES/*.po"))


setup(cmdclass={"build_py": BuildPyWithCatalogs})
