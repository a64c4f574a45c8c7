"""The delivery engine: every outgoing message (alerts, escalations, notices) goes through here.

See docs/delivery.md. Producers call `salama.delivery.engine.create_message`, `add_version` and
`create_deliveries` inside their own transaction; workers do the rest.
"""
