"""Many episodes: a grid of tasks × agents × models × attempts, on a local process pool or on Ray.

The pieces, in the order a batch uses them: :mod:`.grid` (cells and their identity), :mod:`.ledger`
(which cells are done; marking the rest), :mod:`.job` (one episode as picklable data, run anywhere),
:mod:`.executor` (what an executor is), :mod:`.local` and :mod:`.ray_executor` (where it runs),
:mod:`.budget` (shared limits; GPUs are leased by :mod:`mlgym_tui.core.runtime.gpus`, as for any
episode), :mod:`.cleanup` (what a killed episode left), :mod:`.progress` (what people see),
:mod:`.runner` (the whole batch), :mod:`.report` (the end).

From Python: ``run_batch(BatchOptions(tasks=[...], agents=[...], attempts=4, out=Path("runs")))``. The
local executor starts workers from a forkserver, which imports the caller's main module in each worker as
multiprocessing always does: a script calling it needs the ``if __name__ == "__main__":`` guard.

Contract with scoring and other readers of ``--out`` (``<out>/<task>/<agent>[-<model>]/<stamp>-s<seed>/``
as for ``mlgym-tui run``):

- A batch run folder's trajectory header has ``config.batch = {id, cell, attempt, launch}``; ``cell`` is
  ``<task>/<agent>[/<model>]/a<attempt>`` and the seed is ``--seed + attempt``.
- A run that did not finish (killed, hung, interrupted, or a duplicate) keeps its folder, gets
  ``batch-status.json`` (``status``, ``reason``, ``batch``, ``marked``) and has any ``result.json``
  renamed ``result.partial.json``: it has no ``result.json``, so it is never scored, and a cell has at
  most one scored run per batch grid. Scoring that wants to show marked runs can read the status file.
- ``<out>/batch.json`` is the manifest (each cell's state, folder, exit status, score), rewritten when a
  batch starts and ends; ``<out>/.batch/`` holds the lock and one log per episode try.
- On Ray, ``--out`` must be the same shared path on every node (see :mod:`.ray_executor`).
"""
