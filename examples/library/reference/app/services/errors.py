"""Domain errors; the routes map each one to a status code and the Error body."""


class ServiceError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unauthorized(ServiceError):
    """No valid token, or wrong credentials."""


class Forbidden(ServiceError):
    """The caller may not do this."""


class NotFound(ServiceError):
    """No such resource."""


class Conflict(ServiceError):
    """The request conflicts with the current state of a resource."""
