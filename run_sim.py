"""Run the hotline simulator: ``python run_sim.py [scenario=NAME] [key=value ...] [-m]``.

See README.md for the quick start and sim/config/schema.py for every key.
"""

import time

STARTED = time.perf_counter()  # the command's time counts the imports below (its last line)

from sim.cli import main  # noqa: E402

if __name__ == "__main__":
    main(started=STARTED)
