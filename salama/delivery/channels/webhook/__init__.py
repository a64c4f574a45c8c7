from .channel import WebhookChannel, sign

__all__ = ["WebhookChannel", "sign"]
