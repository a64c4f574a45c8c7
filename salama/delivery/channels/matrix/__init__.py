"""Matrix room messages: an organisation's optional room, sent to through the Client-Server API.

Also a small Django app (label `matrix`) holding `MatrixRoom`, so its migrations stay its own.
The channel class lives in `channel.py` and imports no model; this package imports nothing, so
loading the app and loading the channel registry stay independent.
"""
