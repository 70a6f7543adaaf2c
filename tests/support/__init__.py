"""Helpers shared by test modules of several folders (ports, servers, processes)."""
