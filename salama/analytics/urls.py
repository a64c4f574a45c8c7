from django.urls import path

from . import chart_views, export_views, response_views, views, warning_views

app_name = "analytics"
urlpatterns: list = [
    path("o/<slug:org_slug>/analytics/", views.analysis_view, name="analysis"),
    path("o/<slug:org_slug>/analytics/sharing/", views.sharing_view, name="sharing"),
    path("o/<slug:org_slug>/analytics/responses/", response_views.responses_view, name="responses"),
    path("o/<slug:org_slug>/analytics/report.pdf", response_views.report_pdf, name="report_pdf"),
    path("o/<slug:org_slug>/analytics/warnings/", warning_views.warnings_view, name="warnings"),
    path("o/<slug:org_slug>/analytics/warnings/dismiss/", warning_views.dismiss_view, name="warning_dismiss"),
    path(
        "o/<slug:org_slug>/analytics/warnings/subscriptions/",
        warning_views.subscriptions_view,
        name="warning_subscriptions",
    ),
    path(
        "o/<slug:org_slug>/analytics/warnings/subscriptions/remove/",
        warning_views.unsubscribe_view,
        name="warning_unsubscribe",
    ),
    path("o/<slug:org_slug>/analytics/quality/", warning_views.quality_view, name="quality"),
    path("o/<slug:org_slug>/analytics/export/", export_views.export_view, name="export"),
    path("o/<slug:org_slug>/analytics/chart.svg", chart_views.chart_svg_view, name="chart_svg"),
    path("o/<slug:org_slug>/analytics/chart.png", chart_views.chart_png_view, name="chart_png"),
    path("o/<slug:org_slug>/analytics/map.svg", chart_views.map_svg_view, name="map_svg"),
    path("o/<slug:org_slug>/analytics/map.png", chart_views.map_png_view, name="map_png"),
]
