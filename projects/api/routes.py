"""Routes of the project resources (registered by config/api.py)."""

from . import views

VIEWSETS = [
    ("projects", views.ProjectViewSet, "project"),
    ("project-carriers", views.ProjectCarrierViewSet, "project-carrier"),
    ("project-actions", views.ActionViewSet, "project-action"),
    ("project-targets", views.ProjectTargetViewSet, "project-target"),
    ("budget-lines", views.BudgetLineViewSet, "budget-line"),
    ("fundings", views.FundingViewSet, "funding"),
    ("payments", views.PaymentViewSet, "payment"),
    ("expenses", views.ExpenseViewSet, "expense"),
    ("committee-meetings", views.CommitteeMeetingViewSet, "committee-meeting"),
    ("committee-decisions", views.CommitteeDecisionViewSet, "committee-decision"),
]
VIEWS: list = []
