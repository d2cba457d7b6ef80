"""symnet's back end: fused regions in, a runnable native program out (Numba CPU and CUDA).

The loop IR, lowering, printers and build cache land with the CPU backend issue.
"""
