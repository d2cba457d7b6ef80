"""The docs cannot rot: every ```python block of a tutorial runs (a page's blocks in order,
in one fresh process), a ```text block right after one is what it must print, and the site
builds with ``mkdocs build --strict``."""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PAGES = sorted((ROOT / "docs" / "tutorials").glob("*.md")) + [ROOT / "docs" / "index.md"]
FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```\s*$", re.S | re.M)
MARK = "@@ block {} @@"


def blocks(page: pathlib.Path) -> list:
    """(code, expected output or None) for each python block of ``page``."""
    found = [(m.group(1), m.group(2)) for m in FENCE.finditer(page.read_text())]
    out = []
    for k, (kind, text) in enumerate(found):
        if kind == "python":
            following = found[k + 1] if k + 1 < len(found) else None
            out.append((text, following[1] if following and following[0] == "text" else None))
    return out


def run_page(page: pathlib.Path, workdir: pathlib.Path) -> list:
    """The output of each python block of ``page``, run in order in one process."""
    # the marks come from the main process only: a page that starts worker processes (Dask's)
    # has them import it
    parts = [f"if __name__ == '__main__':\n    print({MARK.format(k)!r}, flush=True)\n{code}" for k, (code, _) in enumerate(blocks(page))]
    script = workdir / "page.py"
    script.write_text("\n".join(parts))
    env = dict(os.environ, MPLBACKEND="Agg")  # the CUDA simulator setting comes from conftest
    done = subprocess.run([sys.executable, str(script)], cwd=workdir, capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, f"{page.name}:\n{done.stderr[-4000:]}"
    pieces = re.split(r"^@@ block (\d+) @@\n", done.stdout, flags=re.M)
    return [pieces[k] for k in range(2, len(pieces), 2)]


def _tidy(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_tutorial_code_runs_and_prints_what_the_page_says(page, tmp_path):
    outputs = run_page(page, tmp_path)
    expected = blocks(page)
    assert len(outputs) == len(expected)
    for k, ((code, want), got) in enumerate(zip(expected, outputs)):
        if want is not None:
            assert _tidy(got) == _tidy(want), f"{page.name}, block {k}:\n{code}"


def test_the_site_builds_strictly(tmp_path):
    pytest.importorskip("mkdocs")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]


if __name__ == "__main__":  # python tests/test_docs.py PAGE: print each block's output
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for k, out in enumerate(run_page(pathlib.Path(sys.argv[1]).resolve(), pathlib.Path(tmp))):
            print(f"--- block {k}\n{out}", end="")
