"""Forward propagation through small networks, written as symnet graphs.

The numbers are the course's: input [3, 5] through two relu layers gives 364 (and 182
with the second set of weights); the single-hidden-layer network below gives 0 with and
without tanh.
"""

import numpy as np

import symnet as sn


def two_layer_network(weights: dict) -> sn.Function:
    """Each node: relu(sum(inputs * weights)); the output node has no activation."""
    x = sn.vector("input_data")
    w = {name: sn.constant(value, name=name) for name, value in weights.items()}
    hidden_0 = sn.stack([sn.relu(sn.sum(x * w["node_0_0"])), sn.relu(sn.sum(x * w["node_0_1"]))])
    hidden_1 = sn.stack([sn.relu(sn.sum(hidden_0 * w["node_1_0"])), sn.relu(sn.sum(hidden_0 * w["node_1_1"]))])
    output = sn.sum(hidden_1 * w["output"])
    return sn.function([x], output)


def single_layer_network(weights: dict, activation=None) -> sn.Function:
    x = sn.vector("input_data")
    hidden = sn.stack([sn.sum(x * weights["node_0"]), sn.sum(x * weights["node_1"])])
    if activation is not None:
        hidden = activation(hidden)
    return sn.function([x], sn.sum(hidden * weights["output"]))


def main() -> None:
    input_data = np.array([3, 5])
    weights = {
        "node_0_0": np.array([2, 4]),
        "node_0_1": np.array([4, -5]),
        "node_1_0": np.array([-1, 1]),
        "node_1_1": np.array([2, 2]),
        "output": np.array([2, 7]),
    }
    print("two relu layers:", two_layer_network(weights)(input_data))
    other = dict(weights, node_1_1=np.array([1, 2]))
    print("two relu layers, other weights:", two_layer_network(other)(input_data))

    single = {"node_0": np.array([2, 1]), "node_1": np.array([4, 2]), "output": np.array([2, -1])}
    point = np.array([-1, 2])
    print("single hidden layer:", single_layer_network(single)(point))
    print("single hidden layer, tanh:", single_layer_network(single, sn.tanh)(point))


if __name__ == "__main__":
    main()
