"""`python -m engine.runtime FD KIND THREADS SLICE_S SNAPSHOT_INTERVAL_S`: one worker process.
Started by the executor, never by hand."""

import sys

from engine.runtime.worker import worker_main

worker_main(sys.argv[1:])
