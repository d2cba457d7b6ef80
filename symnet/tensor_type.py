"""TensorType: dtype, ndim and statically known sizes; NumPy promotion and broadcasting rules."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from symnet.errors import ShapeError

DTYPES = ("bool", "int32", "int64", "float32", "float64")


def normalize_dtype(dtype) -> str:
    name = np.dtype(dtype).name
    if name not in DTYPES:
        raise TypeError(f"unsupported dtype {name!r}; symnet supports {', '.join(DTYPES)}")
    return name


def is_float(dtype: str) -> bool:
    return dtype.startswith("float")


def upcast(*dtypes: str) -> str:
    """NumPy's promotion of array dtypes (int32 with float32 gives float64, as NumPy does)."""
    return normalize_dtype(np.result_type(*dtypes))


@dataclass(frozen=True)
class TensorType:
    """The static type of a tensor. ``shape[i]`` is an int where the size is known, else None.

    A dimension of known size 1 is *broadcastable*: only such dimensions broadcast (the
    Theano rule), so un-broadcasting in gradients is decided at compile time.
    """

    dtype: str
    shape: tuple

    def __post_init__(self) -> None:
        object.__setattr__(self, "dtype", normalize_dtype(self.dtype))
        shape = tuple(None if s is None else int(s) for s in self.shape)
        if any(s is not None and s < 0 for s in shape):
            raise ShapeError(f"negative size in shape {shape}")
        object.__setattr__(self, "shape", shape)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def broadcastable(self) -> tuple:
        return tuple(s == 1 for s in self.shape)

    def with_dtype(self, dtype: str) -> TensorType:
        return TensorType(dtype, self.shape)

    def accepts(self, array: np.ndarray) -> bool:
        """True if a concrete array's shape fits the known sizes."""
        return array.ndim == self.ndim and all(
            s is None or s == a for s, a in zip(self.shape, array.shape)
        )

    def __str__(self) -> str:
        dims = ", ".join("?" if s is None else str(s) for s in self.shape)
        return f"{self.dtype}[{dims}]"


def broadcast_shapes(*shapes: tuple) -> tuple:
    """Broadcast static shapes (None = unknown size), raising ShapeError on a known conflict."""
    ndim = max((len(s) for s in shapes), default=0)
    padded = [(1,) * (ndim - len(s)) + tuple(s) for s in shapes]
    out = []
    for axis, sizes in enumerate(zip(*padded)):
        known = {s for s in sizes if s is not None and s != 1}
        if len(known) > 1:
            raise ShapeError(f"cannot broadcast shapes {' and '.join(map(str, shapes))} (axis {axis})")
        if known:
            out.append(known.pop())
        elif all(s == 1 for s in sizes):
            out.append(1)
        else:
            out.append(None)
    return tuple(out)
