"""Make the docs' pictures: tutorial 3's training curve by running that page's own code,
and tutorial 2's graph pictures by drawing symnet graphs (layered, with matplotlib: no
graphviz needed).

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


def draw_graph(outputs, path, title: str) -> None:
    """Variables as ellipses, ops as boxes, inputs at the bottom, like ``sn.to_dot``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Ellipse, FancyBboxPatch

    from symnet.graph import graph_inputs, toposort

    level, items, edges = {}, [], []
    for v in graph_inputs(outputs):
        level[v] = 0
        items.append((v, f"{v.label()}", "var"))
    for node in toposort(outputs):
        depth = max((level[x] for x in node.inputs), default=0) + 1
        level[node] = depth
        items.append((node, node.op.name, "op"))
        edges += [(x, node) for x in node.inputs]
        for v in node.outputs:
            level[v] = depth + 1
            items.append((v, str(v.type), "var"))
            edges.append((node, v))
    rows: dict = {}
    for thing, _, _ in items:
        rows.setdefault(level[thing], []).append(thing)
    position = {thing: (k - (len(row) - 1) / 2, lvl) for lvl, row in rows.items() for k, thing in enumerate(row)}
    width = max(len(r) for r in rows.values())
    fig, ax = plt.subplots(figsize=(max(4, 1.9 * width), 0.9 * (len(rows) + 1)))
    for a, b in edges:
        (x0, y0), (x1, y1) = position[a], position[b]
        ax.annotate("", xy=(x1, y1 - 0.22), xytext=(x0, y0 + 0.22), arrowprops={"arrowstyle": "->", "color": "0.4"})
    for thing, label, kind in items:
        x, y = position[thing]
        if kind == "op":
            ax.add_patch(FancyBboxPatch((x - 0.4, y - 0.18), 0.8, 0.36, boxstyle="round,pad=0.02", fc="#dbe8f6", ec="#34609c"))
        else:
            ax.add_patch(Ellipse((x, y), 0.95, 0.4, fc="white", ec="0.3"))
        ax.text(x, y, label, ha="center", va="center", fontsize=8)
    ax.set_xlim(-width / 2 - 0.2, width / 2 + 0.2)
    ax.set_ylim(-0.6, max(rows) + 0.6)
    ax.set_axis_off()
    ax.set_title(title, fontsize=10)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def graph_pictures(target: pathlib.Path) -> None:
    import symnet as sn

    x, y, z = sn.scalar("x"), sn.scalar("y"), sn.scalar("z")
    g = (x + y) * z
    draw_graph([g], target / "graph_g.png", "g = (x + y) * z")
    draw_graph(sn.grad(g, [x, y, z]), target / "graph_grad.png", "sn.grad(g, [x, y, z]), before rewriting")
    print("docs/img/graph_g.png, docs/img/graph_grad.png")


def main() -> None:
    target = ROOT / "docs" / "img"
    target.mkdir(exist_ok=True)
    graph_pictures(target)
    for page, names in PICTURES.items():
        with tempfile.TemporaryDirectory() as tmp:
            run_page(ROOT / "docs" / page, pathlib.Path(tmp))
            for name in names:
                shutil.copy(pathlib.Path(tmp) / name, target / name)
                print(f"docs/img/{name} from docs/{page}")


if __name__ == "__main__":
    main()
