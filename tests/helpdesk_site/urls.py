"""URLs of the test helpdesk site: django-helpdesk (UI and /api/) at the root."""

from django.urls import include, path

urlpatterns = [path("", include("helpdesk.urls", namespace="helpdesk"))]
