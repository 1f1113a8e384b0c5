"""Notebook -> module conversion: magics are neutralised, nothing runs, lines map back."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import time
import traceback
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_raw_cell

from grader.intake.notebook import PRELUDE, NotebookError, adapt_script, convert_notebook, locate

FILES = Path(__file__).resolve().parent.parent / "files" / "intake"


def notebook(*cells: str | tuple[str, str]) -> bytes:
    """Notebook bytes as Jupyter writes them; a tuple is (cell_type, source)."""
    nb = new_notebook()
    for cell in cells:
        if isinstance(cell, str):
            nb.cells.append(new_code_cell(cell))
        elif cell[0] == "markdown":
            nb.cells.append(new_markdown_cell(cell[1]))
        else:
            nb.cells.append(new_raw_cell(cell[1]))
    return nbformat.writes(nb).encode()


def run_module(source: str) -> dict[str, object]:
    namespace: dict[str, object] = {"__name__": "converted"}
    exec(compile(source, "converted.py", "exec"), namespace)
    return namespace


def error_line(source: str) -> int:
    """The line of converted.py where running the module raised."""
    try:
        run_module(source)
    except Exception as exc:  # the test notebooks raise on purpose
        frames = traceback.extract_tb(exc.__traceback__)
        return [frame.lineno for frame in frames if frame.filename == "converted.py"][-1] or 0
    raise AssertionError("the module did not raise")


# --- the realistic fixture -------------------------------------------------------


def test_fixture_notebook_converts_to_source_that_compiles_without_outputs_or_metadata() -> None:
    converted = convert_notebook((FILES / "magics.ipynb").read_bytes())

    compile(converted.source, "magics.py", "exec")
    assert "All tests passed" not in converted.source
    assert "Successfully installed" not in converted.source
    assert "nbgrader" not in converted.source and "points" not in converted.source
    assert "marker_raw" not in converted.source  # raw cells are not code
    assert "Exercise 3" not in converted.source  # markdown neither
    assert converted.source.startswith(PRELUDE)
    assert "# --- code cell 8 ---" in converted.source


def test_fixture_notebook_records_a_note_per_magic_and_shell_escape() -> None:
    notes = convert_notebook((FILES / "magics.ipynb").read_bytes()).notes

    assert "code cell 1, line 4: shell escape `!pip install wandb` was not run" in notes
    assert "code cell 1, line 1: `%matplotlib inline` has no effect when grading" in notes
    assert "code cell 2, line 1: shell escape `!touch marker_bang` was not run" in notes
    assert "code cell 3, line 1: shell escape `%%bash` cell was not run" in notes
    assert "code cell 4, line 1: shell escape `!touch marker_assign` was not run" in notes
    assert "code cell 6, line 1: `%time` was ignored; the statement ran without it" in notes
    assert "code cell 7: `%%time` was ignored; the cell's code ran without it" in notes
    assert "code cell 8, line 1: shell escape `!touch marker_literal` was not run" in notes
    assert "code cell 8, line 2: shell escape `%sx touch marker_sx` was not run" in notes
    assert "code cell 8, line 3: magic `%cd /` was not run" in notes


def test_converted_notebook_runs_no_shell_command_and_needs_no_ipython(tmp_path: Path) -> None:
    converted = convert_notebook((FILES / "magics.ipynb").read_bytes())
    run = tmp_path / "run"
    run.mkdir()
    module = run / "ex03_forward_pass.py"
    module.write_text(converted.source)
    # The fixture holds a realistic `!pip install wandb`. If the stand-in ever regressed,
    # this test must not install anything: `pip` resolves to a fake that leaves a marker.
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    for name in ("pip", "pip3"):
        (fake_bin / name).write_text("#!/bin/sh\ntouch marker_pip\n")
        (fake_bin / name).chmod(0o755)
    env = dict(os.environ, PATH=f"{fake_bin}{os.pathsep}{os.environ.get('PATH', '')}")
    env |= {"PIP_NO_INDEX": "1", "PIP_NO_INPUT": "1"}

    done = subprocess.run(
        [sys.executable, "-I", str(module)],
        cwd=run,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in run.iterdir()) == ["ex03_forward_pass.py"]  # no markers
    assert f"cwd: {run}" in done.stdout  # %cd / did nothing
    assert "ipython loaded: False" in done.stdout
    assert "listing: [] True" in done.stdout  # x = !cmd gives an empty SList
    assert "result: 42" in done.stdout  # %time ran its statement in the module
    assert "triple: 6" in done.stdout  # the %%time cell's definitions survive
    warnings = [line for line in done.stderr.splitlines() if line.startswith("[grader]")]
    assert "[grader] shell escape not run: !touch marker_bang" in warnings
    assert "[grader] shell escape not run: %%bash" in warnings
    assert "[grader] shell escape not run: !pip install wandb" in warnings
    assert "[grader] magic not run: %cd /" in warnings
    assert not any("matplotlib" in line for line in warnings)  # display magics are silent


def test_prelude_imports_only_sys_and_never_ipython() -> None:
    tree = ast.parse(PRELUDE)
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported == {"sys"}


# --- line map ----------------------------------------------------------------------


def test_runtime_error_maps_back_to_its_cell_and_line() -> None:
    source = notebook(
        ("markdown", "# intro"),
        "\n\nimport math\n",  # IPython drops the two leading blank lines
        "!pip install \\\n    wandb\nx = 1",  # a continued escape collapses to one line
        "%%bash\necho a\necho b\necho c",  # the whole cell collapses to one line
        "def f():\n    return 1 / 0\n\n\nf()",
    )
    converted = convert_notebook(source)

    line = error_line(converted.source)

    # the innermost converted.py frame is `return 1 / 0`, cell 4 line 2
    assert locate(converted.line_map, line) == (4, 2)


def test_error_after_collapsed_lines_in_the_same_cell_maps_to_the_right_line() -> None:
    converted = convert_notebook(notebook("\n!pip install \\\n  a \\\n  b\ny = 2\nz = 1 / 0\n"))

    assert locate(converted.line_map, error_line(converted.source)) == (1, 6)
    assert converted.notes == ("code cell 1, line 2: shell escape `!pip install a b` was not run",)


def test_syntax_error_line_maps_back_to_its_cell() -> None:
    converted = convert_notebook(notebook("x = 1", "%matplotlib inline\n\ndef broken(:\n    pass"))

    with pytest.raises(SyntaxError) as info:
        compile(converted.source, "converted.py", "exec")

    assert locate(converted.line_map, info.value.lineno or 0) == (2, 3)


def test_prelude_and_cell_headers_map_to_no_cell() -> None:
    converted = convert_notebook(notebook("x = 1", "y = 2"))
    lines = converted.source.splitlines()
    header = lines.index("# --- code cell 2 ---") + 1

    assert locate(converted.line_map, 1) is None
    assert locate(converted.line_map, header) is None
    assert locate(converted.line_map, header + 1) == (2, 1)
    assert lines[header] == "y = 2"


# --- semantics kept from Jupyter ---------------------------------------------------


def test_cells_run_in_document_order_not_execution_count_order() -> None:
    first = new_code_cell("order = ['first']", execution_count=9)
    second = new_code_cell("order.append('second')", execution_count=1)
    nb = new_notebook(cells=[first, second])
    converted = convert_notebook(nbformat.writes(nb))

    assert run_module(converted.source)["order"] == ["first", "second"]


def test_future_import_at_the_start_of_a_cell_is_hoisted_above_the_prelude() -> None:
    cell = "from __future__ import annotations\ndef f(a: Undefined) -> int:\n    return 1"
    converted = convert_notebook(notebook("x = 1", cell))

    assert converted.source.startswith("from __future__ import annotations\n")
    namespace = run_module(converted.source)
    assert namespace["f"].__annotations__ == {"a": "Undefined", "return": "int"}  # type: ignore[attr-defined]


def test_future_import_after_other_code_is_left_for_python_to_reject_as_jupyter_does() -> None:
    converted = convert_notebook(notebook("import os\nfrom __future__ import annotations"))

    with pytest.raises(SyntaxError, match="from __future__ imports must occur"):
        compile(converted.source, "converted.py", "exec")


def test_indented_cell_is_dedented_as_ipython_does() -> None:
    converted = convert_notebook(notebook("    a = 1\n    b = a + 1"))

    assert run_module(converted.source)["b"] == 2


def test_display_is_available_without_import_as_in_jupyter() -> None:
    assert run_module(convert_notebook(notebook("display('hi')\nok = True")).source)["ok"] is True


# --- cells that cannot be converted ------------------------------------------------


def test_cell_that_ipython_fails_to_transform_is_commented_out_with_a_note(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Really raised for a cell of 501 magics (IPython's limit is 500), but that takes 3 s.
    from IPython.core.inputtransformer2 import TransformerManager

    real = TransformerManager.transform_cell

    def flaky(self: TransformerManager, cell: str) -> str:
        if "!boom" in cell:
            raise RuntimeError("Input transformation still changing after 500 iterations.")
        return real(self, cell)

    monkeypatch.setattr(TransformerManager, "transform_cell", flaky)

    converted = convert_notebook(notebook("!boom\ndef f():\n    return 1", "y = 2"))

    namespace = run_module(converted.source)
    assert "f" not in namespace and namespace["y"] == 2
    assert "# def f():" in converted.source
    assert converted.notes == (
        "code cell 1 was left out: IPython could not convert it (Input transformation still "
        "changing after 500 iterations.)",
    )


def test_cell_too_costly_to_transform_is_left_out_quickly() -> None:
    # Each magic makes IPython re-tokenize the whole cell: this cell took 90 s unguarded.
    cell = "!ls\n" * 499 + "x = 1\n" * 20_000
    started = time.perf_counter()

    converted = convert_notebook(notebook(cell, "y = 2"))

    assert time.perf_counter() - started < 10
    assert converted.notes == (
        "code cell 1 was left out: it is too large to convert; split it into smaller cells",
    )
    assert run_module(converted.source)["y"] == 2


def test_counting_magics_stays_linear_on_hostile_lines() -> None:
    # Lines built to make a backtracking pattern quadratic; budget 0 skips IPython itself.
    # (The first pattern used took 0.75 s at 16 KB, growing quadratically.)
    cell = " " * 300_000 + "a" * 300_000
    started = time.perf_counter()

    converted = convert_notebook(notebook(cell, "a = 1 ," * 40_000), transform_budget=0)

    assert time.perf_counter() - started < 5
    assert len(converted.notes) == 2


def test_notes_are_capped() -> None:
    converted = convert_notebook(notebook(*[f"!echo {i}" for i in range(40)]))

    assert len(converted.notes) == 20
    assert converted.notes[-1] == "... and 21 more notes about magics and cells"


# --- files that are not usable notebooks ---------------------------------------------


def _message(raw: bytes) -> str:
    with pytest.raises(NotebookError) as info:
        convert_notebook(raw)
    message = str(info.value)
    assert message.startswith("Notebook could not be parsed: ")
    assert message.endswith(". Open it in Jupyter, save it, and submit again.")
    return message


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ((FILES / "invalid_json.ipynb").read_bytes(), "it is not valid JSON ("),
        (b"[1, 2]", "it holds a JSON list, not a notebook object"),
        (b'{"cells": []}', "it has no `nbformat` field"),
        (b'{"nbformat": 1, "cells": []}', "nbformat version 1 is not supported"),
        (b"<!DOCTYPE html><html><body>Sign in</body></html>", "it is not valid JSON ("),
        (b"", "it is not valid JSON ("),
        (b'{"nbformat": 3, "worksheets": 7}', "it is an old (nbformat 3) notebook that could not"),
        (b'{"nbformat": "4", "cells": []}', "nbformat version '4' is not supported"),
        ((FILES / "no_cells.ipynb").read_bytes(), "it has no `cells` list"),
        (b'{"nbformat": 4, "cells": [{"source": "x"}]}', "cell 1 of the file has no `cell_type`"),
        (b'{"nbformat": 4, "cells": [{"cell_type": "code"}]}', "code cell 1 has no `source` text"),
        (b'{"nbformat": 4, "cells": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "too deeply"),
        (
            b'{"nbformat": 4, "cells": [{"cell_type": "code", "source": "x = \'\\ud800\'"}]}',
            "code cell 1 contains text that is not valid Unicode",
        ),
    ],
    ids=["invalid-json", "json-list", "no-nbformat", "nbformat1", "html", "empty", "bad-nbformat3",
         "string-version",
         "no-cells", "no-cell-type", "no-source", "deep-nesting", "lone-surrogate"],
)  # fmt: skip
def test_unusable_notebook_is_refused_with_the_reason(raw: bytes, reason: str) -> None:
    assert reason in _message(raw)


def test_utf8_bom_and_markdown_without_source_are_tolerated() -> None:
    raw = json.dumps(
        {"nbformat": 4, "nbformat_minor": 2, "metadata": {},
         "cells": [{"cell_type": "markdown"}, {"cell_type": "code", "source": ["x = ", "3"]}]}
    ).encode()  # fmt: skip

    assert run_module(convert_notebook(b"\xef\xbb\xbf" + raw).source)["x"] == 3


# --- file forms students' tools write ----------------------------------------------


def _python_notebook(*sources: str) -> dict[str, object]:
    return json.loads(notebook(*sources).decode())


@pytest.mark.parametrize(
    ("encoding", "label"),
    [("utf-16", "UTF-16"), ("utf-16-le", "UTF-16"), ("cp1252", "Windows-1252 (Latin-1)")],
    ids=["utf16-bom", "utf16-no-bom", "windows-1252"],
)
def test_notebook_in_another_encoding_is_read_with_a_note(encoding: str, label: str) -> None:
    text = json.dumps(_python_notebook("name = 'José'"), ensure_ascii=False)

    converted = convert_notebook(text.encode(encoding))

    assert run_module(converted.source)["name"] == "José"
    assert converted.notes == (
        f"the notebook is not saved as UTF-8; it was read as {label}. If any "
        "accented text looks wrong, save it as UTF-8 and submit again.",
    )


def test_utf8_notebook_gets_no_encoding_note() -> None:
    text = json.dumps(_python_notebook("name = 'José'"), ensure_ascii=False)

    assert convert_notebook(b"\xef\xbb\xbf" + text.encode()).notes == ()
    assert convert_notebook(text.encode()).notes == ()


def test_binary_file_is_refused_as_not_text() -> None:
    with pytest.raises(NotebookError) as info:
        convert_notebook(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")

    assert str(info.value) == (
        "Notebook could not be read: it is not a text file (it holds the control character "
        "0x1a at character 6). Open it in Jupyter, save it (Jupyter saves UTF-8 text), and "
        "submit again."
    )


def test_nbformat3_notebook_is_upgraded_with_a_note() -> None:
    converted = convert_notebook((FILES / "nbformat3.ipynb").read_bytes())

    assert run_module(converted.source)["x"] == 1
    assert converted.kind == "notebook"
    assert converted.notes == (
        "the notebook was saved in the old notebook format 3; it was upgraded to format 4, as "
        "Jupyter does when it opens it",
    )
    assert "# --- code cell 1 ---\nx = 1\n" in converted.source


def test_nbformat2_notebook_is_upgraded_too() -> None:
    v2 = {
        "nbformat": 2,
        "metadata": {"name": "old"},
        "worksheets": [
            {"cells": [{"cell_type": "code", "input": "y = 2", "language": "python",
                        "outputs": []}]}
        ],
    }  # fmt: skip

    converted = convert_notebook(json.dumps(v2))

    assert run_module(converted.source)["y"] == 2
    assert "old notebook format 2" in converted.notes[0]


def test_python_script_saved_as_ipynb_is_graded_as_a_script() -> None:
    script = b"import math\n\n\ndef area(r):\n    return math.pi * r * r\n"

    converted = convert_notebook(script)

    assert converted.kind == "module"
    assert converted.source == script.decode()
    assert converted.line_map == ()
    assert converted.notes == (
        "the file is a Python script, not a Jupyter notebook (it is not JSON); "
        "it was graded as a script. Save notebooks from Jupyter with File > Save.",
    )


def test_text_that_is_neither_json_nor_python_is_still_refused() -> None:
    assert "it is not valid JSON (" in _message(b"this is my homework, see attached\n")


@pytest.mark.parametrize(
    ("kernelspec", "shown"),
    [({"name": "ir", "language": "R"}, "R"), ({"name": "julia-1.9", "language": "julia"}, "Julia")],
    ids=["R", "Julia"],
)
def test_notebook_of_another_language_is_refused(kernelspec: dict[str, str], shown: str) -> None:
    nb = _python_notebook("x <- 1")
    nb["metadata"] = {"kernelspec": kernelspec}

    with pytest.raises(NotebookError) as info:
        convert_notebook(json.dumps(nb))

    assert str(info.value) == (
        f"This notebook runs {shown}, not Python, so it cannot be graded. Open the course's "
        "notebook in Jupyter with a Python 3 kernel, put your code in it, and submit again."
    )


def test_language_info_alone_also_says_the_language() -> None:
    nb = _python_notebook("x = 1")
    nb["metadata"] = {"language_info": {"name": "python", "version": "3.11"}}
    assert run_module(convert_notebook(json.dumps(nb)).source)["x"] == 1
    nb["metadata"] = {"language_info": {"name": "R"}}
    with pytest.raises(NotebookError, match="This notebook runs R, not Python"):
        convert_notebook(json.dumps(nb))


def test_code_over_the_cap_is_refused() -> None:
    with pytest.raises(NotebookError, match=r"code cells hold 2 MB of code, over the 1 MB limit"):
        convert_notebook(notebook("#" * (2 << 20)))


# --- scripts exported from a notebook -------------------------------------------------

VSCODE_EXPORT = (
    "# %%\n"
    "import math\n"
    "get_ipython().run_line_magic('matplotlib', 'inline')\n"
    "\n"
    "# %%\n"
    "def area(r):\n"
    "    return math.pi * r * r\n"
    "\n"
    "# %%\n"
    "get_ipython().system('pip install tqdm')\n"
    "shown = area(1)\n"
)


def test_vscode_export_runs_with_a_stand_in_and_keeps_its_line_numbers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    adapted, notes = adapt_script(VSCODE_EXPORT)

    namespace = run_module(adapted)
    assert namespace["shown"] == pytest.approx(3.14159265)
    assert adapted.split("\n")[1:] == VSCODE_EXPORT.split("\n")[1:]
    assert notes == (
        "line 3: `%matplotlib inline` has no effect when grading",
        "line 10: shell escape `!pip install tqdm` was not run",
    )
    assert capsys.readouterr().err == "[grader] shell escape not run: !pip install tqdm\n"


@pytest.mark.parametrize(
    "source",
    [
        "def area(r):\n    return r\n",  # never calls it
        "from shell_tools import get_ipython\n\nget_ipython()\n",  # brings its own (not
        # IPython's: None outside a kernel, so that one gets the stand-in all the same)
        "def get_ipython():\n    return None\nget_ipython()\n",  # defines it
        "x = 1\nget_ipython().system('ls')\n",  # no free line before the call
        "# %%\nfrom __future__ import annotations\nget_ipython()\n",  # line 2 must stay first
        "s = '''\n\n'''\nget_ipython()\n",  # the blank line is inside a string
        "# %%\nget_ipython(\n",  # a syntax error: the worker reports it
    ],
    ids=[
        "no-call",
        "imported",
        "defined",
        "code-first",
        "future-import",
        "in-string",
        "syntax-error",
    ],
)
def test_scripts_that_need_no_stand_in_are_unchanged(source: str) -> None:
    assert adapt_script(source) == (source, ())


def test_stand_in_goes_after_future_imports_and_the_docstring() -> None:
    source = '"""Doc."""\nfrom __future__ import annotations\n\n# %%\nget_ipython().system("ls")\n'

    adapted, notes = adapt_script(source)

    assert adapted.split("\n")[:2] == source.split("\n")[:2]
    assert adapted.split("\n")[2].startswith("exec(")
    assert adapted.split("\n")[3:] == source.split("\n")[3:]
    assert notes == ("line 5: shell escape `!ls` was not run",)
    run_module(adapted)


def test_script_named_ipynb_also_gets_the_stand_in() -> None:
    converted = convert_notebook(VSCODE_EXPORT.encode())

    assert converted.kind == "module"
    assert run_module(converted.source)["shown"] == pytest.approx(3.14159265)
    assert converted.notes[1:] == (
        "line 3: `%matplotlib inline` has no effect when grading",
        "line 10: shell escape `!pip install tqdm` was not run",
    )
