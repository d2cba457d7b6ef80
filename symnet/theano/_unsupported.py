"""Module ``__getattr__`` for the Theano namespaces: a name that is not there is an error
saying symnet.theano does not support it, not a bare AttributeError."""

from __future__ import annotations


def module_getattr(module: str):
    theano_name = module.replace("symnet.theano", "theano")

    def __getattr__(name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        raise AttributeError(f"{theano_name}.{name} is not supported by symnet.theano (see docs: Coming from Theano)")

    return __getattr__
