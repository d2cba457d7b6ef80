"""The op catalogue: each op defined once (type rule, NumPy evaluate, pullback)."""
