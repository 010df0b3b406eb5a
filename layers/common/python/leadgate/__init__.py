"""leadgate: serverless lead intake and lead management."""

__version__ = "1.0.0"
