"""Waiting for what a real worker or server does a little later."""

import time


def wait_until(condition, timeout: float = 15.0, what: str = "the condition", interval=0.05):
    """Poll ``condition`` until it returns a true value (returned), or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)
