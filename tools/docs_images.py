"""Make the docs' pictures by running the pages that draw them: tutorial 3's code saves its
training curve, run here with docs/img as the working directory.

    python tools/docs_images.py
"""

import pathlib
import shutil
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.test_docs import run_page  # noqa: E402  (the same runner the docs test uses)

PICTURES = {"tutorials/3-training.md": ["churn_curve.png"]}


def main() -> None:
    target = ROOT / "docs" / "img"
    target.mkdir(exist_ok=True)
    for page, names in PICTURES.items():
        with tempfile.TemporaryDirectory() as tmp:
            run_page(ROOT / "docs" / page, pathlib.Path(tmp))
            for name in names:
                shutil.copy(pathlib.Path(tmp) / name, target / name)
                print(f"docs/img/{name} from docs/{page}")


if __name__ == "__main__":
    main()
