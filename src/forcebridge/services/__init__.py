"""The service layer: the one implementation the API, the CLI and the console all call.

Functions take an open `Session` (one transaction) and the acting tenant; they raise
`forcebridge.errors` exceptions and never commit themselves.
"""
