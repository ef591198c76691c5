"""The family space: the "Réinscriptions" panel."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.views.generic import TemplateView

from .models import Campaign


class FamilyRequiredMixin(LoginRequiredMixin):
    """Only responsibles of a family reach the family pages."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.family_id:
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class FamilySpaceView(FamilyRequiredMixin, TemplateView):
    template_name = "reinscription/family_space.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        family = self.request.user.family
        context["family"] = family
        context["campaign"] = Campaign.objects.open_at().select_related("school_year").first()
        context["students"] = list(family.students.all())
        return context
