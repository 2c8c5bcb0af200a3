"""Home page of landlord advisers (placeholder until the screen lands)."""

from django.shortcuts import render


def landlord_home(request):
    return render(request, "housing/home_landlord.html", {})
