"""`python -m repair.batch worker SPEC_JSON`: one bug of a batch, started by `repair batch`."""

import json
import sys

from repair.batch.worker import worker_main

if len(sys.argv) == 3 and sys.argv[1] == "worker":
    sys.exit(worker_main(json.loads(sys.argv[2])))
sys.exit("usage: python -m repair.batch worker SPEC_JSON (started by `repair batch`)")
