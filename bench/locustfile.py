# Locust's side of bench/run.sh: one GET of BENCH_PATH per task. FastHttpUser, Locust's fastest client.
# BENCH_USER_RATE > 0: each user runs at that many tasks per second (constant_throughput), so users x rate is the
# fixed total rate; otherwise users loop without waiting (maximum throughput).
import os

import locust.runners
from locust import FastHttpUser, constant, constant_throughput, task

# Debian's python3-locust 2.12.1 ships an empty version string, and a master then refuses every worker as "an old
# (pre 2.0) worker". Master and workers all load this file before they connect, so give them the package's version.
if not locust.runners.__version__:
    locust.runners.__version__ = "2.12.1"

_RATE = float(os.environ.get("BENCH_USER_RATE", "0"))
_PATH = os.environ.get("BENCH_PATH", "/2b")


class Get(FastHttpUser):
    wait_time = constant_throughput(_RATE) if _RATE > 0 else constant(0)

    @task
    def get(self):
        self.client.get(_PATH)
