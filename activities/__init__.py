"""The I/O that workflows call: classes given their dependencies, built in worker.py."""
