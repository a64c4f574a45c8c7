from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "salama.directory"
    label = "directory"
