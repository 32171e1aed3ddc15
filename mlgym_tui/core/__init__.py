"""The core: tasks, runtimes, the Gymnasium environment, sessions, events and trajectories.

Nothing under this package may import ``textual`` or ``rich``; the workbench is a view over the
event stream the core publishes (a test enforces it).
"""
