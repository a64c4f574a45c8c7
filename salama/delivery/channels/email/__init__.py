from .channel import EmailChannel, build_message

__all__ = ["EmailChannel", "build_message"]
