import pyarrow
from django.apps import AppConfig
from django.conf import settings

from matching import engine


class MatchingConfig(AppConfig):
    name = "matching"
    verbose_name = "Matching"

    def ready(self) -> None:
        engine.DUCKDB_CONFIG.update(
            memory_limit=settings.MDM_DUCKDB_MEMORY_LIMIT, temp_directory=str(settings.DATA_DIR / "duckdb")
        )
        # A run's feature table is built once and dropped: the system allocator gives its
        # memory back at once, where pyarrow's default pool kept it for the write to come.
        pyarrow.set_memory_pool(pyarrow.system_memory_pool())
