"""What a run did not do is said at its end, and in CI it fails the run.

A skipped test is a check that did not happen: a green run with skips claims less than it
seems. Every run ends with the matrix variants that did not run and why (pytest's own `-ra`
lists every other skip), and with `CI` set (`.ci/run` sets it) any skip or xfail turns the
exit code into a failure, whatever skipped it.
"""

from __future__ import annotations

import os

import pytest

# The matrix test's name: one test per variant, `test_variant[<variant id>]`.
VARIANT_TEST = "test_variant["


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


class Ledger:
    """A plugin: the skipped tests of this run, and the matrix variants reported at all."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.skipped: dict[str, str] = {}  # node id -> reason
        self.variants: set[str] = set()

    def skipped_variants(self) -> dict[str, str]:
        return {
            variant_id(nodeid): reason
            for nodeid, reason in self.skipped.items()
            if VARIANT_TEST in nodeid
        }

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # Under xdist the controller gets every worker's reports through this hook too.
        if VARIANT_TEST in report.nodeid:
            self.variants.add(variant_id(report.nodeid))
        if report.skipped and report.nodeid not in self.skipped:
            self.skipped[report.nodeid] = skip_reason(report)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if in_ci() and self.skipped and exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        write = terminalreporter.write_line
        missed = self.skipped_variants()
        if self.variants:
            terminalreporter.section("matrix", sep="-")
            ran = len(self.variants) - len(missed)
            write(f"matrix: {ran} of {len(self.variants)} selected variants ran", bold=True)
            if missed:
                write(f"matrix: {len(missed)} variants did NOT run:", red=True, bold=True)
                for variant, reason in sorted(missed.items()):
                    write(f"  {variant}: {reason}", red=True)
        if self.skipped and in_ci():
            write(
                f"CI: {len(self.skipped)} tests skipped, and in CI a skip is a failure "
                "(a check that did not run): exit 1",
                red=True,
                bold=True,
            )


def variant_id(nodeid: str) -> str:
    return nodeid.split(VARIANT_TEST, 1)[1].rstrip("]")


def skip_reason(report: pytest.TestReport) -> str:
    if hasattr(report, "wasxfail"):
        return f"xfail: {report.wasxfail or 'expected to fail'}"
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def pytest_configure(config: pytest.Config) -> None:
    # Only where every report arrives: not in an xdist worker (the controller prints).
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(Ledger(config), "mvpgen-ledger")
