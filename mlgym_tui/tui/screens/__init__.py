"""Screens of the workbench: home, watch, human, replay, scoreboard, help, and small dialogs."""
