"""Domain errors; the routes map each one to a status code and the Error body."""


class ServiceError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ServiceError):
    pass


class Conflict(ServiceError):
    pass


class Forbidden(ServiceError):
    pass


class Unauthorized(ServiceError):
    pass
