"""The kiosk's devices, one subpackage per kind: a contract, real backends and a simulated one.

Each kind (`idcard`, `doccam`, `printer`, ...) has an abstract async contract with typed
results and errors, the backends that talk to real hardware stacks (each blocking library
on its own single-thread executor), and a simulated backend for the demo that implements
the same contract for real. The UI never calls a device library directly.
"""
