"""The package's public surface is what `__all__` names (as httpx checks its own); every other
module is private, and the modules import one another without a cycle."""

from __future__ import annotations

import graphlib
import pkgutil

import grimp

import forcebridge_emulator

PUBLIC_MODULES = {"testing", "__main__"}


def test_all_names_what_the_package_exports() -> None:
    public = sorted(
        (
            name
            for name in vars(forcebridge_emulator)
            if (not name.startswith("_") or name == "__version__") and name not in PUBLIC_MODULES
        ),
        key=str.casefold,
    )
    assert public == sorted(forcebridge_emulator.__all__, key=str.casefold)


def test_exported_names_belong_to_the_package() -> None:
    for name in forcebridge_emulator.__all__:
        value = getattr(forcebridge_emulator, name)
        if callable(value):
            assert value.__module__ == "forcebridge_emulator", name


def test_every_other_module_is_private() -> None:
    names = {m.name for m in pkgutil.iter_modules(forcebridge_emulator.__path__)}
    assert PUBLIC_MODULES <= names
    assert [n for n in names - PUBLIC_MODULES if not n.startswith("_")] == []


def test_testing_module_surface() -> None:
    from forcebridge_emulator import testing

    assert set(testing.__all__) == {
        "ConnectionDropped",
        "EmulatedOrg",
        "in_process",
        "on_socket",
        "transport",
    }


def test_no_import_cycles_even_through_type_checking_imports() -> None:
    graph = grimp.build_graph("forcebridge_emulator", exclude_type_checking_imports=False)
    deps = {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}
    for module in deps:
        deps[module].discard("forcebridge_emulator")
    graphlib.TopologicalSorter(deps).prepare()  # raises CycleError naming the cycle
