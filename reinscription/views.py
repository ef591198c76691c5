"""The family space ("Réinscriptions" panel) and a validated re-enrolment's recap."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.views.generic import TemplateView

from accounts.models import Student
from billing import services as billing

from . import services, todo
from .models import Reenrolment


class FamilyRequiredMixin(LoginRequiredMixin):
    """Only responsibles of a family reach the family pages."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.family_id:
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class FamilySpaceView(FamilyRequiredMixin, TemplateView):
    """Each student of the family, its status and what the family can do next."""

    template_name = "reinscription/family_space.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        family = self.request.user.family
        campaign = services.open_campaign()
        context["family"] = family
        context["campaign"] = campaign
        context["rows"] = services.family_panel(family, campaign) if campaign else []
        context["left"] = todo.what_is_left(family, campaign) if campaign else None
        return context


class ReenrolmentDetailView(FamilyRequiredMixin, TemplateView):
    """The recap of what was validated for one student (latest snapshot) and its history."""

    template_name = "reinscription/reenrolment_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        student = get_object_or_404(
            Student, pk=self.kwargs["student_id"], family_id=self.request.user.family_id
        )
        reenrolment = (
            Reenrolment.objects.filter(student=student)
            .select_related("campaign__school_year")
            .order_by("-campaign__opens_at")
            .first()
        )
        if reenrolment is None:
            raise Http404
        snapshots = list(reenrolment.snapshots.all())
        context["final"] = billing.final_estimate(student.family, reenrolment.campaign.school_year)
        context["left"] = todo.what_is_left(student.family, reenrolment.campaign)
        context.update(
            {
                "student": student,
                "reenrolment": reenrolment,
                "summary": snapshots[0].data if snapshots else {},
                "snapshots": snapshots,
            }
        )
        return context
