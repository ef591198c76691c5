"""The email modules import one another in one direction, at the top, without a circle.

``email_building`` (templates, builders, the message) ← ``tasks`` (sending) ←
``emails`` (queueing). No import hides inside a function.
"""

import ast
import inspect
import subprocess
import sys

import pytest

from conservatoire import email_building, emails, tasks
from tests.conservatoire.test_settings import ROOT

MODULES = {"email_building": email_building, "tasks": tasks, "emails": emails}


def imported_modules(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names.add(("." * node.level) + (node.module or ""))
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("name", MODULES)
def test_no_import_inside_a_function(name):
    tree = ast.parse(inspect.getsource(MODULES[name]))
    functions = [
        node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    assert not [imported_modules(function) for function in functions if imported_modules(function)]


def test_one_direction():
    imports = {
        name: imported_modules(ast.parse(inspect.getsource(m))) for name, m in MODULES.items()
    }
    assert not imports["email_building"] & {".tasks", ".emails", "conservatoire.tasks"}
    assert ".email_building" in imports["tasks"]
    assert not imports["tasks"] & {".emails", "conservatoire.emails"}
    assert ".tasks" in imports["emails"]


@pytest.mark.parametrize("first", ["conservatoire.emails", "conservatoire.tasks"])
def test_either_module_imports_first_in_a_fresh_interpreter(first):
    code = f"import django; django.setup(); import {first}; import conservatoire.emails"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
