"""Admin blueprint: the organiser area under /admin/; every page but the login needs one.

The blueprint is made in eventapp.admin.blueprint; importing this package adds its pages."""

from eventapp.admin import (  # noqa: F401  (each adds its pages to the blueprint)
    account_views,
    audit,
    imports,
    proceedings,
    tokens,
    views,
    views_allocation,
    views_programme,
    views_registrations,
)
from eventapp.admin.blueprint import PUBLIC_ENDPOINTS, bp

__all__ = ["PUBLIC_ENDPOINTS", "bp"]
