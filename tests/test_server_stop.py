"""The matrix excuses exactly one exit of `make` that is not the service's doing."""

import pytest

from test_matrix import make_lost_wait_race

RACE = "make: *** wait: No child processes.  Stop.\nmake: *** Waiting for unfinished jobs....\n"


@pytest.mark.parametrize(
    ("returncode", "output", "excused"),
    [
        (2, "worker stopped\n" + RACE, True),
        # A recipe that failed is never excused, even beside the race's message.
        (2, RACE + "make: *** [Makefile:12: run] Error 1\n", False),
        (2, "make: *** [Makefile:12: run] Error 2\n", False),
        (1, RACE, False),
        (2, "worker stopped\n", False),
    ],
)
def test_only_makes_wait_race_is_excused(returncode: int, output: str, excused: bool) -> None:
    assert make_lost_wait_race(returncode, output) is excused
