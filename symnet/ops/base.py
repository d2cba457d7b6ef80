"""The Op protocol: a type rule (``make_node``), a NumPy reference (``evaluate``), a ``pullback``."""

from __future__ import annotations

from symnet.graph import Apply, Variable


class Op:
    """Base class of all ops. Subclasses are frozen dataclasses: equal parameters, equal ops.

    - ``output_types(*input_types)`` is the type rule; it raises TypeError/ShapeError for
      inputs that can never fit, at graph-build time.
    - ``evaluate(*arrays)`` is the NumPy reference; it returns a list of arrays.
    - ``pullback(node, cotangents)`` returns one cotangent Variable (or None: zero / not
      differentiable) per input, given one cotangent (or None) per output.
    """

    name: str  # set by each subclass

    def output_types(self, *input_types):
        raise NotImplementedError

    def evaluate(self, *arrays):
        raise NotImplementedError

    def pullback(self, node: Apply, cotangents):
        raise NotImplementedError(f"{self.name} has no gradient")

    def value_inputs(self, node: Apply) -> list:
        """The inputs whose values (not only shapes) the op reads; backends order by these."""
        return node.inputs

    def make_node(self, *inputs: Variable) -> Apply:
        return Apply(self, inputs, self.output_types(*(v.type for v in inputs)))

    def __call__(self, *inputs: Variable):
        node = self.make_node(*inputs)
        return node.outputs[0] if len(node.outputs) == 1 else node.outputs

    def __str__(self) -> str:
        return self.name
