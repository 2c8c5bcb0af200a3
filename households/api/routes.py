"""Routes of the household resources (registered by config/api.py)."""

from . import views

VIEWSETS = [
    ("households", views.HouseholdViewSet, "household"),
    ("people", views.PersonViewSet, "person"),
    ("support-measures", views.SupportMeasureViewSet, "supportmeasure"),
    ("contacts", views.ContactViewSet, "contact"),
    ("referrals", views.ReferralViewSet, "referral"),
    ("consents", views.ConsentViewSet, "consent"),
    ("goals", views.SupportGoalViewSet, "supportgoal"),
    ("outcomes", views.OutcomeViewSet, "situationsnapshot"),
    ("workshops", views.WorkshopViewSet, "workshop"),
    ("workshop-attendances", views.WorkshopAttendanceViewSet, "workshopattendance"),
]
#: Plain views (route, view, name); listed before the router so that contacts/bulk/ is not read as a contact id.
VIEWS = [
    ("contacts/bulk/", views.BulkContactsView.as_view(), "contact-bulk"),
    ("removals/", views.RemovalsView.as_view(), "removals"),
]
