"""Errors a user can act on: each names the parameter and what is allowed."""


class FlexreproError(Exception):
    """Base class for errors reported to users as one line."""


class ConfigError(FlexreproError, ValueError):
    """A parameter value that is unknown, of the wrong type or out of range."""


class UnknownExperiment(FlexreproError, KeyError):
    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]
