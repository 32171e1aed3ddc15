"""Agents: anything that turns an observation into the next action (LLMs, scripts, people, replays)."""
