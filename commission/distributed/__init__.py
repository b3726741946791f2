"""Past one machine: ``calculate`` as a map over rep partitions on Dask.

:func:`calculate_partitioned` cuts a data folder into rep partitions
(:mod:`.split`), runs the ordinary reader, validation and engine on each on a
Dask worker (:mod:`.run`), and writes the same ``lines.csv`` and ``payouts.csv``
as one process would, byte for byte. Imports the engine, inputs and the result
writer; only the doors import this room.
"""

from __future__ import annotations

from commission.distributed.run import Partitioned, calculate_partitioned, dask_client
from commission.distributed.split import Unsplittable

__all__ = ["Partitioned", "Unsplittable", "calculate_partitioned", "dask_client"]
