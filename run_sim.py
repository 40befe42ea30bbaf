"""Run the hotline simulator: ``python run_sim.py [scenario=NAME] [key=value ...] [-m]``.

See README.md for the quick start and sim/config/schema.py for every key.
"""

from sim.cli import main

if __name__ == "__main__":
    main()
