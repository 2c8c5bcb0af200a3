"""Household screens. Each views module lists its own routes; they are joined here."""

from django.urls import path

from .views import contacts
from .views import export
from .views import home
from .views import file
from .views import project_panel

app_name = "households"

urlpatterns = [
    path("menages/<int:pk>/droit-d-acces/", export.right_of_access_export, name="right-of-access"),
    # Quick contact log, offline drafts, household search (views/contacts.py).
    path("contacts/nouveau/", contacts.contact_new, name="contact_new"),
    path("contacts/nouveau/menage/", contacts.contact_household, name="contact_household"),
    path("contacts/brouillons/", contacts.contact_sync, name="contact_sync"),
    path("contacts/<int:pk>/enregistre/", contacts.contact_saved, name="contact_saved"),
    path("menages/recherche/", contacts.household_search, name="search"),
    # Team lead: bulk reassignment of référents (views/home.py).
    path("equipe/reaffecter/", home.reassign, name="reassign"),
    path("menages/", file.household_list, name="list"),
    path("menages/<int:pk>/", file.household_detail, name="detail"),
    path("menages/<int:pk>/contacts/", file.household_contacts, name="contacts"),
    path("menages/<int:pk>/modifier/", file.household_edit, name="edit"),
    path("menages/<int:pk>/personnes/nouvelle/", file.person_new, name="person-new"),
    path("menages/<int:pk>/consentements/nouveau/", file.consent_new, name="consent-new"),
    path("consentements/<int:pk>/retrait/", file.consent_withdraw, name="consent-withdraw"),
    path("mesures/<int:pk>/phase/", file.measure_phase, name="measure-phase"),
    path("mesures/<int:pk>/mandats/nouveau/", file.mandate_new, name="mandate-new"),
    path("mesures/<int:pk>/objectifs/nouveau/", file.goal_new, name="goal-new"),
    path("objectifs/<int:pk>/bilans/nouveau/", file.review_new, name="review-new"),
    path("projets/<int:pk>/menages/", project_panel.project_households, name="project-households"),
]
