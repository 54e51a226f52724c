"""Project-wide pytest configuration.

The bench's own pytest plugin (station, DUT and scenario fixtures) will be registered here as it
arrives; for now the scenario tests need only the library.
"""
