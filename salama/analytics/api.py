from ninja import Router

router = Router(tags=["analytics"])

# The aggregates for other tools, at /api/v1/analytics/aggregate (salama.analytics.aggregate_api).
from .aggregate_api import router as aggregate_router  # noqa: E402

router.add_router("/", aggregate_router)

# Early-warning flags and subscriptions, at /api/v1/organizations/{org_slug}/analytics/ (warning_api).
from .warning_api import router as warning_router  # noqa: E402

router.add_router("/", warning_router)
