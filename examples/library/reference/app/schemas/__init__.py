"""marshmallow schemas: request validation (load) and response shapes (dump).

JSON uses the contract's camelCase names, Python the snake_case ones (``data_key``).
Request bodies reject unknown fields; query strings ignore them.
"""
