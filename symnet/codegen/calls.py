"""How a generated driver calls a kernel or a loop step: by address, not by linking.

Numba links every jitted callee's code into its caller and optimizes and compiles the whole
again (the keras-io LSTM step's driver re-optimized its 50 kernels: a third of its compile
time). ``call(kernel, *args)`` instead declares the kernel, compiled for exactly these
argument types, under a stable symbol name, and registers the kernel's native address under
that name with LLVM before the caller is finalized; a cached caller re-registers it on
reload (Numba's ``reload_init``), before its object code is linked. ``launch`` is ``call``
for routines that return nothing (kernels, library routines, loop steps): their caller's
typing need not wait for them, so helper processes compile them meanwhile.
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

from symnet.codegen import compile_pool


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
    compile_pool.wait(module, name, argtypes)  # a helper compiling it fills Numba's cache
    dispatcher.compile(argtypes)
    compiled = dispatcher.overloads[argtypes]
    address = compiled.library.get_pointer_to_function(compiled.fndesc.llvm_func_name)
    ll.add_symbol(_symbol(module, name, argtypes), address)


def _calling(kernel, args: tuple, restype):
    """The signature and codegen of a call of ``kernel`` (a dispatcher's type) on ``args``."""
    dispatcher = kernel.dispatcher
    argtypes = tuple(types.unliteral(a) for a in args)
    module, name = dispatcher.py_func.__module__, dispatcher.py_func.__name__

    def codegen(context, builder, sig, llargs):
        register(module, name, argtypes)
        returns = dispatcher.overloads[argtypes].signature.return_type
        if returns != restype:
            raise TypeError(f"symnet: {module}.{name} returns {returns}, its caller expects {restype}")
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


@intrinsic
def call(typingctx, kernel, *args):
    """``kernel(*args)`` for a jitted ``kernel`` (a module-level function), without its code;
    the kernel compiles now, for its return type."""
    dispatcher = kernel.dispatcher
    argtypes = tuple(types.unliteral(a) for a in args)
    dispatcher.compile(argtypes)
    return _calling(kernel, args, dispatcher.overloads[argtypes].signature.return_type)


@intrinsic
def launch(typingctx, kernel, *args):
    """``call`` for a routine that returns nothing (a kernel, a library routine writing its
    output): it need not compile before its caller's code is generated, and a helper process
    compiles it meanwhile (``symnet.codegen.compile_pool``)."""
    dispatcher = kernel.dispatcher
    compile_pool.prefetch(dispatcher, tuple(types.unliteral(a) for a in args))
    return _calling(kernel, args, types.none)
