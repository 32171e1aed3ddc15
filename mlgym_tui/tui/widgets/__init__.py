"""Widgets of the workbench, one module per screen region."""
