"""Scale-out on Dask (``pip install symnet[distributed]``): compiled functions over Dask
arrays chunk by chunk (``map_blocks``) and data-parallel training (``DataParallel``, and
``model.fit(..., distribute=client)``)."""

from symnet.distributed.blocks import map_blocks
from symnet.distributed.data_parallel import DataParallel, WorkerLost

__all__ = ["DataParallel", "WorkerLost", "map_blocks"]
