"""``sn.scan``, Theano's loop: ``Scan`` holds one step as a closed inner graph and runs it
``n_steps`` times; its pullback is another ``Scan`` over the steps in reverse
(backpropagation through time), reading the forward states it stored."""

from __future__ import annotations

import numbers

import numpy as np

from symnet.errors import ShapeError
from symnet.graph import Apply, Constant, SharedVariable, Variable, clone, inherit_trace, toposort
from symnet.ops.base import Op
from symnet.ops.random import RandomUniform
from symnet.tensor_type import TensorType, is_float

# A random draw inside a step uses the counter ``counter * STEP_STRIDE + step``: each step
# draws anew, each call (the stream's counter moved on by one) anew for up to 2**24 steps.
STEP_STRIDE = 1 << 24


class Scan(Op):
    """One loop. Node inputs: ``[n_steps]`` (only where there are no sequences), the
    sequences, the initial value of each recurrent output, the constants (non-sequences and
    the outer variables the step reads). Inner inputs, the same order: one slice per
    sequence, one value per tap of each recurrent output, one per constant; and ``step``,
    the step's index. Inner outputs: one per output.

    ``taps[k]``: output k's taps (``(-1,)`` feeds the previous value back; ``()``: not fed
    back). ``keep_last[k]``: output k is its final value only, not the stack of every
    step's. ``reverse``: steps run from the last to the first, and outputs are stacked by
    time (output ``[t]`` is step t's), as backpropagation through time needs.

    Not a dataclass: the inner graph has no faithful text, so a function with a scan has no
    graph signature (it is built, not recalled) and two scans are equal only if identical.
    """

    name = "scan"

    def __init__(self, inner_inputs, step, inner_outputs, n_seqs, taps, keep_last, reverse=False, has_n_steps=False, label="scan", n_static=None):
        self.inner_inputs = list(inner_inputs)
        self.step = step
        self.inner_outputs = list(inner_outputs)
        self.n_seqs = n_seqs
        self.taps = tuple(tuple(t) for t in taps)
        self.keep_last = tuple(keep_last)
        self.reverse = reverse
        self.has_n_steps = has_n_steps
        self.label = label
        self.n_static = n_static  # n_steps where it is an int (no sequences)
        self.extends = None  # the Scan whose outputs this one's first outputs are (see merge_extended)
        self.order = toposort(self.inner_outputs)

    # -- layout -----------------------------------------------------------------------------
    @property
    def n_states(self) -> int:
        return sum(1 for t in self.taps if t)

    def split(self, items: list) -> tuple:
        """Node inputs (or values) as (n_steps or None, sequences, initials, constants)."""
        k = 1 if self.has_n_steps else 0
        n = items[0] if self.has_n_steps else None
        seqs = items[k : k + self.n_seqs]
        inits = items[k + self.n_seqs : k + self.n_seqs + self.n_states]
        return n, seqs, inits, items[k + self.n_seqs + self.n_states :]

    def inner_split(self) -> tuple:
        """Inner inputs as (sequence slices, [taps of each recurrent output], constants)."""
        seqs = self.inner_inputs[: self.n_seqs]
        k, taps = self.n_seqs, []
        for t in self.taps:
            if t:
                taps.append(self.inner_inputs[k : k + len(t)])
                k += len(t)
        return seqs, taps, self.inner_inputs[k:]

    @property
    def compilable(self) -> bool:
        """Whether compiled targets run it as a loop of a compiled step (else the NumPy
        fallback): every output fed back with tap -1 or not at all, only recurrent outputs
        kept last, and a known number of steps."""
        return (
            all(t in ((), (-1,)) for t in self.taps)
            and all(t or not last for t, last in zip(self.taps, self.keep_last))
            and (not self.has_n_steps or self.n_static is not None)
        )

    def lag(self, k: int) -> int:
        return -min(self.taps[k])

    # -- the type rule ----------------------------------------------------------------------
    def output_types(self, *input_types):
        n, _, inits, _ = self.split(list(input_types))
        if n is not None and (n.ndim != 0 or n.dtype not in ("int32", "int64")):
            raise TypeError(f"scan: n_steps must be an integer scalar, got {n}")
        steps = self.static_steps(input_types)
        out, state = [], 0
        for k, v in enumerate(self.inner_outputs):
            shape = v.type.shape
            if self.taps[k]:
                init = inits[state]
                state += 1
                step_shape = init.shape if self.taps[k] == (-1,) else init.shape[1:]
                shape = tuple(a if a is not None else b for a, b in zip(shape, step_shape))
            out.append(TensorType(v.dtype, shape if self.keep_last[k] else (steps,) + shape))
        return out

    def static_steps(self, input_types) -> int | None:
        n, seqs, _, _ = self.split(list(input_types))
        if n is not None:
            return self.n_static
        lengths = {t.shape[0] for t in seqs} - {None}
        return lengths.pop() if len(lengths) == 1 else None

    # -- the NumPy reference ----------------------------------------------------------------
    def evaluate(self, *arrays):
        from symnet import interp

        n, seqs, inits, consts = self.split(list(arrays))
        steps = self.steps(n, seqs)
        inner_seqs, inner_taps, inner_consts = self.inner_split()
        env = dict(zip(inner_consts, consts))
        history = []  # per recurrent output: its last ``lag`` values, oldest first
        state = 0
        for k, taps in enumerate(self.taps):
            if taps:
                init = inits[state]
                state += 1
                history.append([init] if taps == (-1,) else list(init[len(init) - self.lag(k) :]))
        stacks = [[] for _ in self.inner_outputs]
        for i in range(steps):
            t = steps - 1 - i if self.reverse else i
            env.update((p, s[t]) for p, s in zip(inner_seqs, seqs))
            env[self.step] = np.int64(t)
            state = 0
            for k, taps in enumerate(self.taps):
                if taps:
                    env.update((p, history[state][tap]) for p, tap in zip(inner_taps[state], taps))
                    state += 1
            values = interp.evaluate(self.inner_outputs, env)
            state = 0
            for k, value in enumerate(values):
                if self.taps[k]:
                    last = history[state][-1]
                    if value.shape != last.shape:
                        raise ShapeError(
                            f"scan: step {t} made output {k} of shape {value.shape}, its previous value has shape "
                            f"{last.shape} (a recurrent output keeps its shape)"
                        )
                    history[state] = history[state][1:] + [value]
                    state += 1
                stacks[k].append(value)
        results, state = [], 0
        for k, v in enumerate(self.inner_outputs):
            if self.keep_last[k]:
                last = history[state][-1] if self.taps[k] else (stacks[k][-1] if stacks[k] else None)
                if last is None:
                    raise ShapeError(f"scan: output {k} has no value after 0 steps")
                results.append(np.asarray(last, dtype=v.dtype))
            else:
                if stacks[k]:
                    stacked = np.stack(stacks[k][::-1] if self.reverse else stacks[k])
                else:
                    like = history[state][-1] if self.taps[k] else None
                    shape = like.shape if like is not None else v.type.shape
                    if None in shape:
                        raise ShapeError(f"scan: output {k} of 0 steps has no known shape ({v.type})")
                    stacked = np.empty((0,) + tuple(shape), v.dtype)
                results.append(np.ascontiguousarray(stacked, dtype=v.dtype))
            if self.taps[k]:
                state += 1
        return results

    def steps(self, n, seqs) -> int:
        if n is not None:
            steps = int(n)
            if steps < 0:
                raise ShapeError(f"scan: n_steps is {steps}, it must be at least 0")
            return steps
        lengths = [len(s) for s in seqs]
        if len(set(lengths)) > 1:
            raise ShapeError(f"scan: the sequences have different lengths {lengths}; slice them to one length")
        return lengths[0]

    # -- compiled targets -------------------------------------------------------------------
    def infer_shape(self, node, sizes):
        n, seqs, inits, consts = self.split(node.inputs)
        if n is not None:
            if not isinstance(n, Constant):
                raise NotImplementedError(
                    f"scan: compiled targets need n_steps as an int when there are no sequences (target='interp' "
                    f"takes a symbolic one)\n  in {node.where()}"
                )
            steps = str(int(n.data))
        else:
            steps = sizes.equal([sizes.of(s)[0] for s in seqs], node, "scan sequence length")
        inner_seqs, inner_taps, inner_consts = self.inner_split()
        for p, s in zip(inner_seqs, seqs):
            sizes.sizes[p] = sizes.of(s)[1:]
        state = 0
        for k, taps in enumerate(self.taps):
            if taps:
                init = sizes.of(inits[state])
                for p in inner_taps[state]:
                    sizes.sizes[p] = init if taps == (-1,) else init[1:]
                state += 1
        for p, c in zip(inner_consts, consts):
            sizes.sizes[p] = sizes.of(c)
        sizes.sizes[self.step] = ()
        out, state = [], 0
        for k, step_sizes in enumerate(sizes.inner(self.order, self.inner_outputs)):
            if self.taps[k]:  # a state keeps its shape: then every step's sizes are these
                init = sizes.of(inits[state])
                state += 1
                for have, want in zip(step_sizes, init if self.taps[k] == (-1,) else init[1:]):
                    sizes.check(f"{have} != {want}", f"scan: the step makes output {k} of another shape than its initial value "
                                f"(size {{}} where the initial value has {{}})\n  in {sizes.literal(node.where())}", (have, want))
            out.append(step_sizes if self.keep_last[k] else (steps,) + tuple(step_sizes))
        return out

    def __str__(self) -> str:
        return f"scan{{{self.label}}}"

    # -- backpropagation through time -------------------------------------------------------
    def pullback(self, node, cotangents):
        from symnet import expr as T
        from symnet.autodiff import backprop

        for k, taps in enumerate(self.taps):
            if taps and taps != (-1,):
                raise NotImplementedError(
                    f"the gradient of scan needs taps [-1] (output {k} has taps {list(taps)})\n  in {node.where()}"
                )
        n, seqs, inits, consts = self.split(node.inputs)
        outputs = node.outputs
        inner_seqs, inner_taps, inner_consts = self.inner_split()
        recurrent = [k for k, t in enumerate(self.taps) if t]
        # the backward step's inner inputs
        b_x = [_like(p, "x") for p in inner_seqs]
        b_prev = [_like(inner_taps[j][0], "prev") for j in range(len(recurrent))]
        cot_seq = [k for k, g in enumerate(cotangents) if g is not None and not self.keep_last[k] and is_float(outputs[k].dtype)]
        b_g = {k: Variable(TensorType(outputs[k].dtype, outputs[k].type.shape[1:]), name="g") for k in cot_seq}
        b_carry = [_like(p, "carry") for p in b_prev]
        # constants' cotangents add up over the steps (not a Constant's: nothing reads it)
        floats = [c for c, outer in zip(inner_consts, consts) if is_float(c.dtype) and not isinstance(outer, Constant)]
        b_acc = [_like(c, "acc") for c in floats]
        b_consts = [_like(c, "c") for c in inner_consts]
        b_step = Variable(TensorType("int64", ()), name="step")
        replace = dict(zip(inner_seqs, b_x))
        replace.update((inner_taps[j][0], b_prev[j]) for j in range(len(recurrent)))
        replace.update(zip(inner_consts, b_consts))
        replace[self.step] = b_step
        made: dict = {}
        step_outputs = clone(self.inner_outputs, replace, made)
        terms = []
        for k, out in enumerate(step_outputs):
            if not is_float(out.dtype):
                continue
            weight = b_g.get(k)
            if self.taps[k]:
                carry = b_carry[recurrent.index(k)]
                weight = carry if weight is None else weight + carry
            if weight is not None:
                terms.append(T.sum(out * weight))
        wrt = b_x + b_prev + b_consts
        if terms:
            cost = terms[0]
            for term in terms[1:]:
                cost = cost + term
            grads = backprop(cost, T.constant(1.0, cost.dtype), wrt)
        else:
            grads = {}

        def g(v):
            return grads.get(v) if grads.get(v) is not None else T.zeros_like(v)

        b_inner_outputs = [g(p) for p in b_prev]  # carries: the cotangent of the previous state
        b_inner_outputs += [acc + g(b_consts[inner_consts.index(c)]) for acc, c in zip(b_acc, floats)]
        float_x = [i for i, p in enumerate(inner_seqs) if is_float(p.dtype)]
        b_inner_outputs += [g(b_x[i]) for i in float_x]
        # The forward step's values the backward step reads are stored by the forward loop
        # (residuals), not computed again: a second forward loop stacks them beside its
        # outputs, and merge_extended() makes it the only forward loop.
        forward_of = {new: old for old, new in made.items() if old not in replace}
        residuals = []  # forward values the gradient's own nodes read
        for grad_node in toposort(b_inner_outputs, is_leaf=lambda v: v in forward_of):
            residuals += [v for v in grad_node.inputs if v in forward_of and v not in residuals]
        residuals += [v for v in b_inner_outputs if v in forward_of and v not in residuals]
        stacked_values = list(self.inner_outputs)
        for v in residuals:
            if forward_of[v] not in stacked_values:
                stacked_values.append(forward_of[v])
        extra = len(stacked_values) - len(self.inner_outputs)
        full = Scan(self.inner_inputs, self.step, stacked_values, self.n_seqs, self.taps + ((),) * extra,
                    [False] * len(stacked_values), self.reverse, self.has_n_steps, self.label, self.n_static)
        full.extends = self
        full_outputs = full.make_node(*node.inputs).outputs
        outputs = full_outputs[: len(self.inner_outputs)]
        b_res = [Variable(v.type, name="res") for v in residuals]
        b_inner_outputs = clone(b_inner_outputs, dict(zip(residuals, b_res)))
        taps = [(-1,)] * (len(b_carry) + len(b_acc)) + [()] * len(float_x)
        keep_last = [True] * (len(b_carry) + len(b_acc)) + [False] * len(float_x)
        b_seqs = b_x + b_prev + [b_g[k] for k in cot_seq] + b_res
        b_inner_inputs = b_seqs + b_carry + b_acc + b_consts
        backward = Scan(b_inner_inputs, b_step, b_inner_outputs, len(b_seqs), taps, keep_last,
                        not self.reverse, self.has_n_steps, f"grad of {self.label}", self.n_static)
        # what the backward loop reads: each step's inputs, its previous states, its cotangents
        prev_states = []
        for j, k in enumerate(recurrent):
            # step t reads the state of the step before it: t - 1, or t + 1 when reversed
            if self.reverse:
                prev_states.append(T.concatenate([outputs[k], inits[j][None]], axis=0)[1:])
            else:
                prev_states.append(T.concatenate([inits[j][None], outputs[k]], axis=0)[:-1])
        carries0 = []
        for j, k in enumerate(recurrent):
            given = cotangents[k] if self.keep_last[k] else None
            carries0.append(T.as_tensor(given) if given is not None else T.zeros_like(inits[j]))
        arguments = ([n] if n is not None else []) + list(seqs) + prev_states + [cotangents[k] for k in cot_seq]
        arguments += [full_outputs[stacked_values.index(forward_of[v])] for v in residuals]
        arguments += carries0 + [T.zeros_like(consts[inner_consts.index(c)]) for c in floats] + list(consts)
        results = backward.make_node(*arguments).outputs
        g_inits = results[: len(b_carry)]
        g_consts = dict(zip(floats, results[len(b_carry) : len(b_carry) + len(b_acc)]))
        g_seqs = dict(zip(float_x, results[len(b_carry) + len(b_acc) :]))
        out = [None] if n is not None else []
        out += [g_seqs.get(i) for i in range(len(seqs))]
        out += list(g_inits)
        out += [g_consts.get(c) for c in inner_consts]
        return out


def merge_extended(outputs: list) -> list:
    """``outputs`` with each scan that another one ``extends`` (the same loop on the same
    inputs, stacking more of the step's values: its gradient's residuals) read from that
    other one, so the loop runs once. An output the first keeps only the final value of is
    the other's last row (or the initial value, after no step). One pair at a time: merging
    a loop rebuilds the loops downstream of it (a stacked layer's), whose pair then matches
    again."""
    while True:
        pair = next(((n, o) for n in toposort(outputs) if isinstance(n.op, Scan) and n.op.extends is not None
                     for o in toposort(outputs) if o.op is n.op.extends
                     and len(o.inputs) == len(n.inputs) and all(a is b for a, b in zip(o.inputs, n.inputs))), None)
        if pair is None:
            return outputs
        outputs = clone(outputs, _read_from(*pair))


def drop_unread(outputs: list) -> list:
    """``outputs`` with every scan output that nothing reads left unstacked: kept last
    (the final state only) if the loop feeds it back, not computed at all otherwise (a
    recurrent layer's cell states when only its h is used, in ``predict``)."""
    nodes = toposort(outputs)
    read = {v for n in nodes for v in n.inputs} | set(outputs)
    replace = {}
    for n in nodes:
        op = n.op
        if not isinstance(op, Scan) or all(v in read or op.keep_last[k] for k, v in enumerate(n.outputs)):
            continue
        kept = [k for k, v in enumerate(n.outputs) if v in read or op.taps[k]]
        shrunk = Scan(op.inner_inputs, op.step, [op.inner_outputs[k] for k in kept], op.n_seqs, [op.taps[k] for k in kept],
                      [op.keep_last[k] or n.outputs[k] not in read for k in kept], op.reverse, op.has_n_steps, op.label,
                      op.n_static)
        with inherit_trace(n.trace):
            new = shrunk.make_node(*n.inputs)
        replace.update((n.outputs[k], v) for k, v in zip(kept, new.outputs) if n.outputs[k] in read)
    return clone(outputs, replace) if replace else outputs


def _read_from(n: Apply, o: Apply) -> dict:
    """{output of ``o``: the same value read from ``n``, which extends ``o``}."""
    from symnet import expr as T

    _, _, inits, _ = o.op.split(o.inputs)
    replace, state = {}, 0
    for k, (v, taps) in enumerate(zip(o.outputs, o.op.taps)):
        if o.op.keep_last[k]:  # the final state: the last step's, or the initial value
            with inherit_trace(o.trace):
                if o.op.reverse:
                    replace[v] = T.concatenate([n.outputs[k], inits[state][None]], axis=0)[0]
                else:
                    replace[v] = T.concatenate([inits[state][None], n.outputs[k]], axis=0)[-1]
        else:
            replace[v] = n.outputs[k]
        state += 1 if taps else 0
    return replace


def _like(v: Variable, role: str) -> Variable:
    return Variable(v.type, name=f"{role}_{v.name}" if v.name else role)


# -- the user's call ----------------------------------------------------------------------------
def scan(fn, sequences=None, outputs_info=None, non_sequences=None, n_steps=None, go_backwards=False, name=None):
    """Theano's ``scan``: ``fn(*sequence slices, *previous outputs, *non_sequences)`` once per
    step; returns ``(outputs, updates)``. See docs/guide.md, "Loops"."""
    from symnet import expr as T

    if not callable(fn):
        raise TypeError(f"scan: fn must be a function of the step's values, got {fn!r}")
    label = name or getattr(fn, "__name__", "scan")
    seqs = [_sequence(s, go_backwards) for s in _as_list(sequences)]
    infos = _as_list(outputs_info)
    non_seqs = [T.as_tensor(v, what=f"scan: non_sequences[{k}]") for k, v in enumerate(_as_list(non_sequences))]
    if n_steps is not None:
        if isinstance(n_steps, numbers.Integral) and not isinstance(n_steps, bool):
            if n_steps < 0:
                raise ValueError(f"scan: n_steps must be at least 0, got {n_steps}")
            seqs = [s[: int(n_steps)] for s in seqs]
            steps_input = None if seqs else T.constant(np.int64(n_steps))
        elif isinstance(n_steps, Variable):
            if n_steps.ndim != 0 or not n_steps.dtype.startswith("int"):
                raise TypeError(f"scan: n_steps must be an integer scalar, got {n_steps.type}")
            # with sequences, the loop runs over their first n_steps slices (a symbolic bound)
            seqs = [s[:n_steps] for s in seqs]
            steps_input = None if seqs else n_steps
        else:
            raise TypeError(f"scan: n_steps must be an int or a symbolic integer scalar, got {n_steps!r}")
    else:
        if not seqs:
            raise ValueError("scan: give sequences or n_steps (how many steps to run)")
        steps_input = None
        lengths = [s.type.shape[0] for s in seqs]
        if None not in lengths and len(set(lengths)) > 1:
            seqs = [s[: min(lengths)] for s in seqs]  # Theano: the shortest sequence decides

    inner_seqs = [Variable(TensorType(s.dtype, s.type.shape[1:]), name=f"{s.name}_t" if s.name else None) for s in seqs]
    taps_of, inits, inner_taps = [], [], []
    for k, info in enumerate(infos):
        if info is None:
            taps_of.append(())
            continue
        if isinstance(info, dict):
            if "initial" not in info:
                raise ValueError(f"scan: outputs_info[{k}] is a dict without 'initial'")
            taps = tuple(info.get("taps", [-1]) or ())
            init = info["initial"]
        else:
            taps, init = (-1,), info
        if not taps:
            taps_of.append(())
            continue
        if any(not isinstance(t, numbers.Integral) or t >= 0 for t in taps):
            raise ValueError(f"scan: outputs_info[{k}] taps must be negative ints, got {list(taps)}")
        init = T.as_tensor(init)
        if taps == (-1,):
            step_type = init.type
        else:
            lag = -min(taps)
            if init.ndim == 0 or (init.type.shape[0] is not None and init.type.shape[0] < lag):
                raise ValueError(f"scan: outputs_info[{k}] with taps {list(taps)} needs an initial value with at least {lag} rows")
            step_type = TensorType(init.dtype, init.type.shape[1:])
        taps_of.append(tuple(int(t) for t in taps))
        inits.append(init)
        inner_taps.append([Variable(step_type, name=f"prev{k}") for _ in taps])
    inner_non_seqs = [Variable(v.type, name=v.name) for v in non_seqs]
    step = Variable(TensorType("int64", ()), name="step")
    args = inner_seqs + [p for ps in inner_taps for p in ps] + inner_non_seqs
    returned = fn(*args)
    outs, updates = _outputs_and_updates(returned)
    outs = [T.as_tensor(o, what=f"scan: output {k} of {label}") for k, o in enumerate(outs)]
    if infos and len(infos) != len(outs):
        raise ValueError(f"scan: fn returned {len(outs)} outputs but outputs_info has {len(infos)} entries")
    if not infos:
        taps_of = [()] * len(outs)
    for k, taps in enumerate(taps_of):
        if taps:
            want = inner_taps[sum(1 for t in taps_of[:k] if t)][0].type
            if outs[k].dtype != want.dtype or outs[k].ndim != want.ndim:
                raise TypeError(
                    f"scan: output {k} of fn is {outs[k].type} but its initial value (outputs_info[{k}]) gives "
                    f"{want}: make them the same dtype and rank (e.g. cast the initial value)"
                )
    # shared variables fn updates are states of the loop: read at each step, final value out
    for shared, new in updates:
        if not isinstance(shared, SharedVariable):
            raise TypeError(f"scan: fn's updates must update shared variables, got {shared!r}")
        new = T.cast(T.as_tensor(new), shared.dtype)
        placeholder = Variable(shared.type, name=shared.name)
        taps_of.append((-1,))
        inits.append(shared)
        inner_taps.append([placeholder])
        outs.append(new)
    n_user = len(outs) - len(updates)
    keep_last = [False] * n_user + [True] * len(updates)
    # everything the step reads from outside becomes a constant input (computed once)
    state_of = {shared: inner_taps[len(inits) - len(updates) + j][0] for j, (shared, _) in enumerate(updates)}
    replace = dict(zip(non_seqs, inner_non_seqs))
    replace.update(state_of)
    placeholders = set(args) | set(state_of.values())
    inner, free = _inner_graph(outs, placeholders, replace, step)
    consts = non_seqs + free
    inner_consts = inner_non_seqs + [replace[v] for v in free]
    inner, extra, inner_extra = _hoist(inner, inner_seqs, seqs, dict(zip(inner_consts, consts)))
    seqs, inner_seqs = seqs + extra, inner_seqs + inner_extra
    inner_inputs = inner_seqs + [p for ps in inner_taps for p in ps] + inner_consts
    n_static = int(n_steps) if steps_input is not None and isinstance(n_steps, numbers.Integral) else None
    op = Scan(inner_inputs, step, inner, len(seqs), taps_of, keep_last, False, steps_input is not None, label, n_static)
    node_inputs = ([steps_input] if steps_input is not None else []) + seqs + inits + consts
    results = op.make_node(*node_inputs).outputs
    user = results[:n_user]
    new_updates = {shared: results[n_user + j] for j, (shared, _) in enumerate(updates)}
    return (user[0] if len(user) == 1 else user), new_updates


def _inner_graph(outs: list, placeholders: set, replace: dict, step: Variable) -> tuple:
    """(inner outputs, outer variables they read): the nodes that depend on the step's
    inputs (``placeholders``, and the outer variables ``replace`` maps to placeholders) are
    rebuilt over placeholders; every other variable they read is outer: a constant input of
    the loop, computed once before it."""
    from symnet import expr as T

    order = toposort(outs, is_leaf=lambda v: v in replace)
    inside = set(placeholders) | set(replace)
    for node in order:
        # a random draw belongs to the step even if its operands do not: each step draws anew
        if isinstance(node.op, RandomUniform) or any(v in inside for v in node.inputs):
            inside.update(node.outputs)
    free: list = []

    def outer(v):
        if v in replace:
            return replace[v]
        if v in placeholders or (isinstance(v, Constant) and v.ndim == 0):
            return v  # scalar constants stay: kernels print them as literals
        free.append(v)
        replace[v] = Variable(v.type, name=v.name)
        return replace[v]

    made: dict = {}
    for node in order:
        if not any(o in inside for o in node.outputs):
            continue  # computed outside the loop
        inputs = [made[v] if v in made else outer(v) for v in node.inputs]
        with inherit_trace(node.trace):
            if isinstance(node.op, RandomUniform):
                inputs[0] = inputs[0] * T.constant(np.int64(STEP_STRIDE)) + step
            new = node.op.make_node(*inputs)
        made.update(zip(node.outputs, new.outputs))
    return [made[v] if v in made else outer(v) for v in outs], free


def _hoist(inner: list, inner_seqs: list, seqs: list, outer_const: dict) -> tuple:
    """Computations of the step that read only sequences and constants, done for all steps
    at once before the loop: ``x_t @ W`` becomes one product ``X @ W`` (an LSTM's input
    projection), elementwise work on the slices one fused pass. Returns (inner outputs, the
    new sequences, their inner slices). Elementwise ops and products by a constant matrix
    are moved; anything else stays in the step."""
    stacked = dict(zip(inner_seqs, seqs))  # inner value → its outer stack over the steps
    order = toposort(inner)
    for node in order:
        if not any(v in stacked for v in node.inputs):
            continue
        if not all(v in stacked or v in outer_const or (isinstance(v, Constant) and v.ndim == 0) for v in node.inputs):
            continue
        with inherit_trace(node.trace):
            outs = _over_steps(node, stacked, outer_const)
        if outs is not None:
            stacked.update(zip(node.outputs, outs))
    moved = set(stacked) - set(inner_seqs)
    frontier = []  # moved values the step still reads, or returns
    for node in order:
        if node.outputs[0] not in moved:
            frontier += [v for v in node.inputs if v in moved and v not in frontier]
    frontier += [v for v in inner if v in moved and v not in frontier]
    slices = [Variable(v.type, name=v.name) for v in frontier]
    return clone(inner, dict(zip(frontier, slices))), [stacked[v] for v in frontier], slices


def _over_steps(node, stacked: dict, outer_const: dict):
    """``node`` computed for every step at once from the stacks of its step-varying inputs
    (a new leading axis), or None where its op cannot be."""
    from symnet import expr as T
    from symnet.ops.elementwise import Elemwise
    from symnet.ops.linalg import Matmul
    from symnet.ops.shape import DimShuffle

    if isinstance(node.op, Elemwise):
        rank = node.outputs[0].ndim
        inputs = []
        for v in node.inputs:
            if v in stacked:  # (steps, *v's axes), aligned to the output's trailing axes
                inputs.append(DimShuffle((0,) + ("x",) * (rank - v.ndim) + tuple(range(1, v.ndim + 1)))(stacked[v]))
            elif v in outer_const:
                inputs.append(DimShuffle(("x",) * (rank + 1 - v.ndim) + tuple(range(v.ndim)))(outer_const[v]))
            else:
                inputs.append(v)  # a scalar constant
        return node.op.make_node(*inputs).outputs
    if isinstance(node.op, Matmul):
        a, b = node.inputs
        if a in stacked and b in outer_const and b.ndim == 2 and a.ndim in (1, 2):
            return [T.matmul(stacked[a], outer_const[b])]
    return None


def _sequence(s, go_backwards: bool):
    from symnet import expr as T

    if isinstance(s, dict):
        if set(s) - {"input", "taps"} or s.get("taps", [0]) not in ([0], (0,), None):
            raise NotImplementedError("scan: sequence taps other than [0] are not supported yet")
        s = s["input"]
    s = T.as_tensor(s)
    if s.ndim == 0:
        raise ValueError(f"scan: a sequence must have a leading axis to iterate over, got the scalar {s.label()}")
    return s[::-1] if go_backwards else s


def _as_list(value) -> list:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _outputs_and_updates(returned) -> tuple:
    """fn may return outputs, (outputs, updates) or (updates, outputs), as Theano's."""
    def is_updates(x):
        return isinstance(x, dict) or (isinstance(x, (list, tuple)) and x and all(isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], SharedVariable) for p in x))

    if isinstance(returned, tuple) and len(returned) == 2 and (is_updates(returned[0]) or is_updates(returned[1])):
        first, second = returned
        outs, updates = (second, first) if is_updates(first) else (first, second)
    elif isinstance(returned, dict):
        outs, updates = [], returned
    else:
        outs, updates = returned, {}
    outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
    updates = list(updates.items()) if isinstance(updates, dict) else list(updates)
    return outs, updates
