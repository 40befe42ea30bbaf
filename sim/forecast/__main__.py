"""``python -m sim.forecast``: see :mod:`sim.forecast.cli`."""

from sim.forecast.cli import main

main()
