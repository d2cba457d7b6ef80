"""How a generated driver calls a kernel or a loop step: by address, not by linking.

Numba links every jitted callee's code into its caller and optimizes and compiles the whole
again (the keras-io LSTM step's driver re-optimized its 50 kernels: a third of its compile
time). ``call(kernel, *args)`` instead declares the kernel, compiled for exactly these
argument types, under a stable symbol name, and registers the kernel's native address under
that name with LLVM before the caller is finalized; a cached caller re-registers it on
reload (Numba's ``reload_init``), before its object code is linked.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import sys

import llvmlite.binding as ll
from numba import types
from numba.core import cgutils
from numba.core.typing import signature
from numba.extending import intrinsic


def _symbol(module: str, name: str, argtypes: tuple) -> str:
    digest = hashlib.sha1(repr(tuple(map(str, argtypes))).encode()).hexdigest()[:20]
    return f"symnet.{module}.{name}.{digest}"


def register(module: str, name: str, argtypes: tuple) -> None:
    """Compile (or load from cache) ``module.name`` for ``argtypes`` and publish its address."""
    loaded = sys.modules.get(module)
    if loaded is None:  # a generated module lives in the cache folder, not on sys.path
        from symnet.codegen.cache import kernel_module

        loaded = kernel_module(module) if module.startswith("symnet_gen_") else importlib.import_module(module)
    dispatcher = getattr(loaded, name)
    dispatcher.compile(argtypes)
    compiled = dispatcher.overloads[argtypes]
    address = compiled.library.get_pointer_to_function(compiled.fndesc.llvm_func_name)
    ll.add_symbol(_symbol(module, name, argtypes), address)


@intrinsic
def call(typingctx, kernel, *args):
    """``kernel(*args)`` for a jitted ``kernel`` (a module-level function), without its code."""
    dispatcher = kernel.dispatcher
    argtypes = tuple(types.unliteral(a) for a in args)
    dispatcher.compile(argtypes)
    restype = dispatcher.overloads[argtypes].signature.return_type
    module, name = dispatcher.py_func.__module__, dispatcher.py_func.__name__

    def codegen(context, builder, sig, llargs):
        register(module, name, argtypes)
        # run again when a cached caller is loaded, before its code is linked
        context.active_code_library._reload_init.add(functools.partial(register, module, name, argtypes))
        values = [context.cast(builder, v, t, u) for v, t, u in zip(cgutils.unpack_tuple(builder, llargs[1]), args, argtypes)]
        fnty = context.call_conv.get_function_type(restype, argtypes)
        callee = cgutils.get_or_insert_function(builder.module, fnty, _symbol(module, name, argtypes))
        status, result = context.call_conv.call_function(builder, callee, restype, argtypes, values)
        with cgutils.if_unlikely(builder, status.is_error):
            context.call_conv.return_status_propagate(builder, status)
        return result

    return signature(restype, kernel, types.StarArgTuple.from_types(args)), codegen
