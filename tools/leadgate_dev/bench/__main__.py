"""`python -m leadgate_dev.bench` (`make bench`). The runner is `leadgate_dev.bench.run`: its worker processes
import the functions they run by module name, which a package's `__main__` cannot give them."""

import sys

from leadgate_dev.bench.run import main

finished = main()
sys.exit(1 if finished.scans or finished.failures else 0)  # a Scan or a wrong answer fails `make bench`
