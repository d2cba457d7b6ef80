"""Module ``__getattr__`` for the namespaces laid out as other libraries (``symnet.theano``,
``symnet.keras``): a name that is not there is an error saying symnet does not support it,
not a bare AttributeError."""

from __future__ import annotations

GUIDES = {"theano": "Coming from Theano", "keras": "Coming from Keras"}


def module_getattr(module: str):
    """The ``__getattr__`` of ``module`` (``symnet.theano.tensor`` speaks of ``theano.tensor``)."""
    library = module.split(".")[1]
    public = module.replace(f"symnet.{library}", library, 1)

    def __getattr__(name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        raise AttributeError(f"{public}.{name} is not supported by symnet.{library} (see docs: {GUIDES[library]})")

    return __getattr__
