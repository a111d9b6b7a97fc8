"""Which domain errors a route handler can raise, read from the source: the test's side of the
per-route declaration (openapi_docs.raises).

From the handler's function, every function of events_service it calls (or passes on, e.g.
to with_retry) is followed, transitively; an error is reachable when one of those functions
raises or builds it (`raise EventFull(...)`, `return _already_registered(email)` where that
builds a RegistrationConflict). Names are resolved through each module's imports, as Python
would. It knows no more than names can tell: a call through a variable holding a function,
or a hook registered at run time, is not followed; a handler that catches an error it could
raise still counts it. Good enough to keep a hand-written declaration honest, and it says
which function raises what when they disagree.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import pkgutil
import textwrap
from dataclasses import dataclass, field
from functools import cache
from types import ModuleType
from typing import Any

import events_service
from events_service.errors import DomainError

#: A function's place: "events_service.registrations.service.register",
#: "events_service.worker.Worker._run_job".
Qualified = str


#: Error classes a `try` around a call catches: what the callee raises of them stays inside.
Caught = tuple[type[BaseException], ...]


@dataclass
class _Function:
    calls: set[tuple[Qualified, Caught]] = field(default_factory=set)
    builds: set[type[DomainError]] = field(default_factory=set)


def _modules() -> list[ModuleType]:
    found = []
    for info in pkgutil.walk_packages(events_service.__path__, "events_service."):
        if ".migrations" in info.name:
            continue
        found.append(importlib.import_module(info.name))
    return found


def _imports(module: ModuleType, tree: ast.Module) -> dict[str, str]:
    """Local name → what it stands for, fully qualified."""
    names: dict[str, str] = {}
    package = module.__name__.rsplit(".", 1)[0] if not hasattr(module, "__path__") else module.__name__
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                names[alias.asname or alias.name] = f"{base}.{alias.name}"
    return names


def _resolve_object(qualified: str) -> Any:
    """The object a dotted name stands for, importing the longest module prefix."""
    parts = qualified.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for attribute in parts[cut:]:
                target = getattr(target, attribute)
        except AttributeError:
            return None
        return target
    return None


class _Reader(ast.NodeVisitor):
    def __init__(self, module: ModuleType, names: dict[str, str], class_name: str | None) -> None:
        self.module, self.names, self.class_name = module, names, class_name
        self.found = _Function()
        self.caught: Caught = ()

    def _qualify(self, node: ast.expr) -> str | None:
        if isinstance(node, ast.Name):
            if node.id in self.names:
                return self.names[node.id]
            return f"{self.module.__name__}.{node.id}"
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls") and self.class_name:
                return f"{self.module.__name__}.{self.class_name}.{node.attr}"
            base = self._qualify(node.value)
            return f"{base}.{node.attr}" if base else None
        return None

    def _note(self, node: ast.expr, *, built: bool) -> None:
        """A function called or handed on; an error class built or raised (`built`), not one
        only named (`except X`, `isinstance(error, X)`)."""
        qualified = self._qualify(node)
        if not qualified or not qualified.startswith("events_service."):
            return
        target = _resolve_object(qualified)
        if built and inspect.isclass(target) and issubclass(target, DomainError):
            self.found.builds.add(target)
        elif inspect.isfunction(target) or inspect.ismethod(target):
            self.found.calls.add((f"{target.__module__}.{target.__qualname__}", self.caught))

    def _classes(self, node: ast.expr | None) -> Caught:
        names = node.elts if isinstance(node, ast.Tuple) else [node] if node is not None else []
        found = []
        for name in names:
            qualified = self._qualify(name)
            target = _resolve_object(qualified) if qualified and qualified.startswith("events_service.") else None
            if target is None and isinstance(name, ast.Name):
                target = getattr(builtins, name.id, None)  # Exception, BaseException
            if inspect.isclass(target) and issubclass(target, BaseException):
                found.append(target)
        return tuple(found)

    def visit_Try(self, node: ast.Try) -> None:
        outer = self.caught
        bare = any(handler.type is None for handler in node.handlers)
        self.caught = outer + (BaseException,) * bare + tuple(c for h in node.handlers for c in self._classes(h.type))
        for statement in node.body:
            self.visit(statement)
        self.caught = outer
        for part in [*node.handlers, *node.orelse, *node.finalbody]:
            self.visit(part)

    visit_TryStar = visit_Try  # noqa: N815 - ast.NodeVisitor's naming

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        # Not the decorators: a route's own `opt=raises(…)` is the declaration under test.
        for statement in node.body:
            self.visit(statement)

    visit_AsyncFunctionDef = visit_FunctionDef  # noqa: N815 - ast.NodeVisitor's naming

    def visit_Call(self, node: ast.Call) -> None:
        self._note(node.func, built=True)
        for argument in [*node.args, *(keyword.value for keyword in node.keywords)]:
            if isinstance(argument, ast.Name | ast.Attribute):
                self._note(argument, built=False)  # a function handed on (with_retry(attempt), to_thread(parse, …))
        self.generic_visit(node)

    def visit_Raise(self, node: ast.Raise) -> None:
        if isinstance(node.exc, ast.Name | ast.Attribute):
            self._note(node.exc, built=True)
        self.generic_visit(node)


@cache
def _module_names(module_name: str) -> dict[str, str]:
    module = importlib.import_module(module_name)
    return _imports(module, ast.parse(inspect.getsource(module)))


def _read_alone(function: Any) -> _Function:
    """A function the module-level walk does not reach: a method of a class made inside a
    function (a controller built from the settings)."""
    module = importlib.import_module(function.__module__)
    reader = _Reader(module, _module_names(module.__name__), None)
    reader.visit(ast.parse(textwrap.dedent(inspect.getsource(function))))
    return reader.found


@cache
def _functions() -> dict[Qualified, _Function]:
    functions: dict[Qualified, _Function] = {}
    for module in _modules():
        try:
            tree = ast.parse(inspect.getsource(module))
        except (OSError, TypeError):
            continue
        names = _imports(module, tree)

        def read(node: ast.AST, qualname: str, class_name: str | None, module: ModuleType = module, names: dict[str, str] = names) -> None:
            reader = _Reader(module, names, class_name)
            reader.visit(node)
            functions[f"{module.__name__}.{qualname}"] = reader.found

        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                read(node, node.name, None)
            elif isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                        read(item, f"{node.name}.{item.name}", node.name)
    return functions


def _reached(found: _Function, name: Qualified, known: dict[Qualified, dict[type[DomainError], list[Qualified]]]) -> bool:
    """Adds to known[name] what found's callees raise uncaught; whether anything was new."""
    mine = known[name]
    new = False
    for callee, caught in found.calls:
        for error, chain in known.get(callee, {}).items():
            if error not in mine and not issubclass(error, caught):
                mine[error] = [name, *chain]
                new = True
    return new


@cache
def _everything_reachable() -> dict[Qualified, dict[type[DomainError], list[Qualified]]]:
    """For every function: what it builds, and what its callees raise that no `try` around the
    call catches, to a fixed point (calls may go round in circles)."""
    functions = _functions()
    known = {name: {error: [name] for error in found.builds} for name, found in functions.items()}
    while any([_reached(found, name, known) for name, found in functions.items()]):
        pass
    return known


def reachable_errors(function: Any) -> dict[type[DomainError], list[Qualified]]:
    """Each domain error the function can raise, with a chain of calls that reaches it."""
    known = _everything_reachable()
    start = f"{function.__module__}.{function.__qualname__}"
    if start in known:
        return known[start]
    found = _read_alone(function)
    mine = {**known, start: {error: [start] for error in found.builds}}
    _reached(found, start, mine)
    return mine[start]
