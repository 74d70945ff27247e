"""Errors a user can cause. They carry a message naming the thing and the fix; the CLI and UI show it
without a traceback."""


class UserError(Exception):
    """A problem with the user's input (file, URL, config, range...) rather than a bug."""


class ConfigError(UserError):
    """The configuration file is missing, malformed or invalid."""


class ModelError(UserError):
    """A model file is missing, corrupt, has the wrong checksum or the wrong shape."""
