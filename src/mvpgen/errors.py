"""The errors mvpgen reports to its user.

Every error a user can cause or fix derives from `MvpgenError`; the CLI prints its message on
one line, without a traceback, and exits with its `exit_code`. Anything else is a bug and keeps
its traceback.
"""


class MvpgenError(Exception):
    """An error whose message is meant for the person running mvpgen."""

    exit_code = 1


class SpecError(MvpgenError):
    """The project or resource spec is invalid: a bad name, type, default or flag value."""

    exit_code = 2


class TargetError(MvpgenError):
    """The target folder cannot be written: it exists and is not empty, or is not a folder."""

    exit_code = 2


class RenderError(MvpgenError):
    """Rendering or post-processing the project failed; nothing was left behind."""

    exit_code = 1
