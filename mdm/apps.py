from django.apps import AppConfig


class MdmConfig(AppConfig):
    name = "mdm"
    verbose_name = "Master data"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from mdm import audit, history, lookups  # noqa: F401  (signals: history stamp, SQLite's sha256; the __among lookup)

        post_migrate.connect(audit.install_after_migrate, sender=self, dispatch_uid="mdm-audit-triggers")
