"""Who imports whom (docs/architecture.md, "Apps, and who imports whom"), checked on the code.

The import graph is grimp's (the engine of import-linter): every ``import`` and
``from … import`` statement of the five packages, those inside functions (lazy
imports) included, with its line. Three rules, one test each:

- the family side of an app never imports a back office (``<app>.backoffice``):
  only the entries through which Django loads it may (``<app>.admin`` for the
  admin autodiscovery, ``<app>.apps`` for tasks Celery would not find, the
  management commands), and the family side imports none of those;
- apps are layered, top to bottom: reinscription; billing and documents
  (independent of each other); accounts; conservatoire. No app imports a higher
  one nor its sibling. (Apps named as strings, as in ``conservatoire.settings``,
  are not imports.)
- no import cycle between modules.

The same rules are configured for ``lint-imports`` in pyproject.toml
(``[tool.importlinter]``); the last tests check that each rule catches a
violation, so that a green run means something.
"""

from __future__ import annotations

import importlib.util
import tomllib
from collections import deque
from collections.abc import Iterable
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("conservatoire", "accounts", "billing", "documents", "reinscription")

# Top to bottom; apps in the same tuple are independent of each other.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("reinscription",),
    ("billing", "documents"),
    ("accounts",),
    ("conservatoire",),
)
BACKOFFICE = "backoffice"
# The modules through which Django loads the back office from the places it looks
# in: admin autodiscovery (``<app>.admin``), the app registry (``AppConfig.ready``
# in ``<app>.apps``) and management commands (``<app>.management.commands.*``,
# staff tools run by name). They may import the back office; nobody imports them.
BACKOFFICE_ENTRIES = ("admin", "apps")
BACKOFFICE_ENTRY_PACKAGES = ("management",)


# --- The graph and how an import is shown -----------------------------------------------------


def project_graph() -> grimp.ImportGraph:
    for package in PACKAGES:  # the project's packages, not homonyms found first on sys.path
        spec = importlib.util.find_spec(package)
        assert spec and spec.origin and Path(spec.origin).is_relative_to(ROOT), (package, spec)
    # No cache directory: nothing is written in the tree (the build takes a fraction of a second).
    return grimp.build_graph(*PACKAGES, cache_dir=None)


def describe_import(graph: grimp.ImportGraph, importer: str, imported: str) -> str:
    """``importer:line `statement` -> imported``, one line per statement (lazy ones too)."""
    details = graph.get_import_details(importer=importer, imported=imported)
    if not details:
        return f"{importer} -> {imported}"
    return "\n".join(
        f"{importer}:{d['line_number']} `{d['line_contents']}` -> {imported}" for d in details
    )


def direct_imports(graph: grimp.ImportGraph) -> Iterable[tuple[str, str]]:
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            yield importer, imported


# --- a) The family side never imports a back office -------------------------------------------


def is_backoffice(module: str) -> bool:
    parts = module.split(".")
    return len(parts) > 1 and parts[1] == BACKOFFICE


def is_backoffice_entry(module: str) -> bool:
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in BACKOFFICE_ENTRY_PACKAGES:
        return True
    return len(parts) == 2 and parts[1] in BACKOFFICE_ENTRIES


def backoffice_violations(graph: grimp.ImportGraph) -> list[str]:
    """Imports of a back office (or of an entry that loads one) from the family side.

    Every path from a family module to a back office leaves the family side by one
    direct import, into a back office or into an entry: checking direct imports is
    enough, and reports the very statement to change.
    """
    found = []
    for importer, imported in direct_imports(graph):
        if is_backoffice(importer) or is_backoffice_entry(importer):
            continue
        if is_backoffice(imported):
            found.append(describe_import(graph, importer, imported))
        elif is_backoffice_entry(imported):
            found.append(
                describe_import(graph, importer, imported)
                + "  (entry of the back office: only Django loads it)"
            )
    return found


# --- b) Layers -------------------------------------------------------------------------------


def layer_of(app: str, layers=LAYERS) -> int | None:
    for rank, apps in enumerate(layers):
        if app in apps:
            return rank
    return None


def layer_violations(graph: grimp.ImportGraph, layers=LAYERS) -> list[str]:
    """Direct imports of a higher app, or of a sibling in the same layer.

    Any chain from an app to a higher one or to its sibling has at least one such
    direct import: the direct ones are the statements to change.
    """
    found = []
    for importer, imported in direct_imports(graph):
        source, target = importer.split(".")[0], imported.split(".")[0]
        if source == target:
            continue
        source_rank, target_rank = layer_of(source, layers), layer_of(target, layers)
        if source_rank is None or target_rank is None:
            found.append(f"{importer} -> {imported}: app not in the layers {layers}")
        elif target_rank < source_rank:
            found.append(describe_import(graph, importer, imported) + f"  ({target} is above)")
        elif target_rank == source_rank:
            found.append(
                describe_import(graph, importer, imported)
                + f"  ({source} and {target} are independent)"
            )
    return found


# --- c) Cycles -------------------------------------------------------------------------------


def is_ancestor(package: str, module: str) -> bool:
    return module.startswith(package + ".")


def cycle_edges(graph: grimp.ImportGraph) -> dict[str, set[str]]:
    """The imports that can make a cycle: all but a package's ``__init__`` importing
    its own submodules (a models package re-exporting its models, ``conservatoire``
    loading the Celery app).

    Python runs a package's ``__init__`` before any of its submodules: every
    submodule implicitly depends on its package, so an ``__init__`` that imports
    its submodules closes that loop in every such package; it is how packages
    work, not a cycle to break. Submodules importing each other (``pkg.a <->
    pkg.b``, directly or through other modules) still are cycles. Not reported,
    as a consequence: a submodule importing a name from its own package's
    ``__init__`` (``from pkg import X`` inside ``pkg.a``), which only works while
    the ``__init__`` imports what defines ``X`` before ``pkg.a``.
    """
    return {
        module: {
            imported
            for imported in graph.find_modules_directly_imported_by(module)
            if not is_ancestor(module, imported)
        }
        for module in graph.modules
    }


def strongly_connected_components(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; the components with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return sorted(components)


def shortest_cycle(edges: dict[str, set[str]], component: list[str]) -> list[str]:
    """The shortest cycle through the component's first module (BFS inside the component)."""
    members = set(component)
    start = component[0]
    previous: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for child in sorted(edges.get(node, ())):
            if child not in members:
                continue
            if child == start:
                path = [node]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return [start, *reversed(path[:-1]), start]
            if child not in previous:
                previous[child] = node
                queue.append(child)
    raise AssertionError(f"no cycle through {start} in {component}")


def cycle_violations(graph: grimp.ImportGraph) -> list[str]:
    """Each group of modules that import each other, with one cycle of it, statement by statement.

    A mutual import (A -> B -> A) is a group of two; longer cycles are reported the same way.
    """
    edges = cycle_edges(graph)
    found = []
    for component in strongly_connected_components(edges):
        cycle = shortest_cycle(edges, component)
        kind = "mutual import" if len(component) == 2 else f"cycle of {len(component)} modules"
        steps = "\n".join(
            "    " + line
            for importer, imported in zip(cycle, cycle[1:], strict=False)
            for line in describe_import(graph, importer, imported).splitlines()
        )
        found.append(f"{kind}: {' -> '.join(cycle)}\n{steps}")
    return found


# --- The project -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return project_graph()


def report(title: str, violations: list[str]) -> str:
    return f"{title} ({len(violations)}):\n" + "\n".join(violations)


def test_the_family_side_never_imports_a_back_office(graph):
    violations = backoffice_violations(graph)
    assert not violations, report(
        "Family-side modules importing a back office (move the code into <app>.backoffice, "
        "or what both sides need out of it)",
        violations,
    )


def test_no_app_imports_a_higher_app_nor_its_sibling(graph):
    violations = layer_violations(graph)
    assert not violations, report(
        "Imports against the layers reinscription > billing | documents > accounts > "
        "conservatoire (hand plain values down instead)",
        violations,
    )


def test_no_two_modules_import_each_other(graph):
    violations = cycle_violations(graph)
    assert not violations, report(
        "Import cycles (lazy imports count: move what both need into a third module)",
        violations,
    )


# --- Each check catches what it is for ------------------------------------------------------


def synthetic_graph(*imports: tuple[str, str]) -> grimp.ImportGraph:
    graph = grimp.ImportGraph()
    for number, (importer, imported) in enumerate(imports, start=1):
        graph.add_import(
            importer=importer,
            imported=imported,
            line_number=number,
            line_contents=f"import {imported}",
        )
    return graph


def test_the_checks_catch_a_family_module_importing_a_back_office():
    graph = synthetic_graph(
        ("reinscription.admin", "reinscription.backoffice.admin"),  # the entry: allowed
        ("reinscription.apps", "reinscription.backoffice.tasks"),  # allowed
        ("billing.management.commands.import_tariffs", "billing.backoffice.imports"),  # allowed
        ("reinscription.backoffice.admin", "billing.backoffice.families"),  # back office: fine
        ("reinscription.backoffice.admin", "reinscription.services"),  # downwards: fine
        ("reinscription.services", "reinscription.backoffice.exports"),
        ("reinscription.wizard.steps", "billing.backoffice"),
        ("documents.views", "documents.admin"),
    )
    assert backoffice_violations(graph) == [
        "documents.views:8 `import documents.admin` -> documents.admin"
        "  (entry of the back office: only Django loads it)",
        "reinscription.services:6 `import reinscription.backoffice.exports` "
        "-> reinscription.backoffice.exports",
        "reinscription.wizard.steps:7 `import billing.backoffice` -> billing.backoffice",
    ]


def test_the_checks_catch_an_import_against_the_layers():
    graph = synthetic_graph(
        ("reinscription.services", "billing.services"),  # downwards: fine
        ("documents.models", "accounts.models"),  # fine
        ("conservatoire.emails", "accounts.models"),
        ("billing.services", "documents.rules"),
        ("accounts.services", "reinscription.models"),
    )
    violations = layer_violations(graph)
    assert [v.split(" ")[0] for v in violations] == [
        "accounts.services:5",
        "billing.services:4",
        "conservatoire.emails:3",
    ]
    assert "(billing and documents are independent)" in violations[1]


def test_the_checks_catch_mutual_imports_and_longer_cycles_not_a_package_init():
    graph = synthetic_graph(
        ("billing.services", "billing.tasks"),
        ("billing.tasks", "billing.services"),
        ("conservatoire.a", "conservatoire.b"),
        ("conservatoire.b", "conservatoire.c"),
        ("conservatoire.c", "conservatoire.a"),
        ("reinscription.models", "reinscription.models.campaign"),  # a models package
        ("reinscription.models.staff", "reinscription.models"),
        ("reinscription.models", "reinscription.models.staff"),
        ("reinscription.models.staff", "reinscription.models.campaign"),
    )
    violations = cycle_violations(graph)
    assert len(violations) == 2, violations
    assert violations[0].startswith("mutual import: billing.services -> billing.tasks ->")
    assert "billing.tasks:2 `import billing.services` -> billing.services" in violations[0]
    assert violations[1].startswith(
        "cycle of 3 modules: conservatoire.a -> conservatoire.b -> conservatoire.c -> "
        "conservatoire.a"
    )


def test_grimp_sees_imports_inside_functions(tmp_path, monkeypatch):
    package = tmp_path / "lazyapp"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "services.py").write_text(
        "def notify():\n    from .tasks import send\n\n    send()\n"
    )
    (package / "tasks.py").write_text("from .services import notify\n\n\ndef send(): ...\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("lazyapp", cache_dir=None)
    assert graph.direct_import_exists(importer="lazyapp.services", imported="lazyapp.tasks")
    assert cycle_violations(graph) == [
        "mutual import: lazyapp.services -> lazyapp.tasks -> lazyapp.services\n"
        "    lazyapp.services:2 `from .tasks import send` -> lazyapp.tasks\n"
        "    lazyapp.tasks:1 `from .services import notify` -> lazyapp.services"
    ]


def test_the_lint_imports_contracts_say_the_same():
    """pyproject.toml's contracts (for ``lint-imports``) follow the rules above."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    assert tuple(config["root_packages"]) == PACKAGES
    contracts = {contract["type"]: contract for contract in config["contracts"]}
    assert [tuple(layer.split(" | ")) for layer in contracts["layers"]["layers"]] == list(LAYERS)
    assert contracts["protected"]["protected_modules"] == [f"*.{BACKOFFICE}"]
    entries = [*BACKOFFICE_ENTRIES, *BACKOFFICE_ENTRY_PACKAGES]
    assert sorted(contracts["protected"]["allowed_importers"]) == sorted(
        [f"*.{BACKOFFICE}", *(f"*.{entry}" for entry in entries)]
    )
    assert sorted(contracts["acyclic_siblings"]["ancestors"]) == sorted(PACKAGES)
