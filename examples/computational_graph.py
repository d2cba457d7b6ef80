"""The computational-graph example: g = (x + y) * z and its gradients by reverse mode.

At x = 1, y = 3, z = -3: g = -12, dg/dx = -3, dg/dy = -3, dg/dz = 4.
"""

import symnet as sn


def main() -> None:
    x, y, z = sn.scalar("x"), sn.scalar("y"), sn.scalar("z")
    q = x + y
    g = q * z
    dx, dy, dz = sn.grad(g, [x, y, z])
    f = sn.function([x, y, z], [g, dx, dy, dz])
    value, gx, gy, gz = f(1.0, 3.0, -3.0)
    print("g =", value)
    print("dg/dx =", gx, " dg/dy =", gy, " dg/dz =", gz)
    sn.debugprint(g)


if __name__ == "__main__":
    main()
