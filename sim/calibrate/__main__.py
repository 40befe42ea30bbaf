"""``python -m sim.calibrate``: see :mod:`sim.calibrate.cli`."""

from sim.calibrate.cli import main

main()
