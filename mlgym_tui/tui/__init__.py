"""The Textual workbench: watch an agent live, attempt a task as a person, replay a recorded run.

Every screen is a view over the core's event stream (see ``DESIGN.md``): a live episode, a human attempt
and a replay feed the same panels through an :class:`~mlgym_tui.tui.feed.EventFeed`. The CLI and the
tests build the app through one factory, :func:`mlgym_tui.tui.app.make_app`.
"""
