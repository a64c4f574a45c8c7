from django.urls import path

from . import views

app_name = "risk"
base = "o/<slug:org_slug>/risk/"
defender = base + "defenders/<uuid:defender_id>/"
assessment = base + "assessments/<uuid:assessment_id>/"
plan = base + "plans/<uuid:plan_id>/"
urlpatterns = [
    path(base, views.org_list_view, name="org_list"),
    path(defender, views.defender_view, name="defender"),
    path(defender + "new/", views.start_view, name="start"),
    path(defender + "plans/new/", views.plan_create_view, name="plan_create"),
    path(assessment, views.detail_view, name="detail"),
    path(assessment + "step/<int:step>/", views.step_view, name="step"),
    path(assessment + "items/remove/", views.item_remove_view, name="item_remove"),
    path(assessment + "threats/rescore/", views.threat_rescore_view, name="threat_rescore"),
    path(assessment + "reveal/", views.reveal_view, name="reveal"),
    path(plan, views.plan_detail_view, name="plan_detail"),
    path(plan + "reveal/", views.plan_reveal_view, name="plan_reveal"),
    path(plan + "measures/", views.measure_add_view, name="measure_add"),
    path(plan + "template/", views.template_apply_view, name="template_apply"),
    path(plan + "measures/<uuid:measure_id>/status/", views.measure_status_view, name="measure_status"),
]
