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
    - ``infer_shape(node, sizes)`` is the run-time shape rule of compiled targets, as
      PyTensor's: each output's sizes as code, from ``sizes.of(input)``, adding the checks
      the op implies (``sizes.check``, ``sizes.equal``; ``symnet.codegen.shapes.ShapeEnv``).
    - ``flops(node, values)`` counts its floating-point operations for ``sn.cost``.

    How a target computes a single op is not here: each back end registers a rule by op
    type (``symnet.codegen.rules``); an op without one runs ``evaluate`` there.
    """

    name: str  # set by each subclass

    def output_types(self, *input_types):
        raise NotImplementedError

    def evaluate(self, *arrays):
        raise NotImplementedError

    def pullback(self, node: Apply, cotangents):
        raise NotImplementedError(f"{self.name} has no gradient")

    def infer_shape(self, node: Apply, sizes) -> list:
        """Output sizes as code strings, one tuple per output. The default knows only
        outputs whose sizes the type rule fixed."""
        shapes = [v.type.shape for v in node.outputs]
        if any(None in shape for shape in shapes):
            raise NotImplementedError(
                f"{self.name} has no infer_shape: compiled targets need its output sizes from its inputs' "
                f"(target='interp' runs it)\n  in {node.where()}"
            )
        return [tuple(str(s) for s in shape) for shape in shapes]

    def flops(self, node: Apply, values: dict) -> int:
        """Floating-point operations of one evaluation, given every variable's value."""
        return 0

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
