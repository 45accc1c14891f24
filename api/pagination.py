from rest_framework.pagination import CursorPagination


class GoldenCursor(CursorPagination):
    """Cursor pages by golden ID: stable under inserts (a page never repeats or skips a
    record because another was created), at most `max_page_size` per page."""

    ordering = "golden_id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
