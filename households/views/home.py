"""Home pages of caseworkers and team leads (placeholder until the screens land)."""

from django.shortcuts import render


def caseworker_home(request):
    return render(request, "households/home_caseworker.html", {})


def team_home(request):
    return render(request, "households/home_team.html", {})
