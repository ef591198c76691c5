"""Billing pages: the public tariff simulator and the family's SEPA mandate PDF."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import pgettext
from django.views import View
from django.views.generic import FormView

from conservatoire.models import Identity
from conservatoire.pdf import render_pdf

from . import services
from .conf import creditor
from .forms import SimulatorForm
from .rules.brackets import EstimateInput
from .rules.sepa import compact_code


class SimulatorView(FormView):
    """ "Simulateur de tarif": anyone estimates the price of one formula."""

    template_name = "billing/simulator.html"
    form_class = SimulatorForm

    def dispatch(self, request, *args, **kwargs):
        self.school_year = services.latest_grid_year()
        self.grid = services.load_grid(self.school_year) if self.school_year else None
        return super().dispatch(request, *args, **kwargs)

    def get_form(self, form_class=None):
        if self.grid is None:
            return None
        return super().get_form(form_class)

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "grid": self.grid,
            "qf_year": self.school_year.qf_year,
            "commune": Identity.current().commune,
        }

    def post(self, request, *args, **kwargs):
        if self.grid is None:
            return self.get(request, *args, **kwargs)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        estimate = simulate(
            self.school_year,
            self.grid,
            qf=data["qf"],
            resident=data["resident"],
            formula_code=data["formula"],
            starts_on=data["starts_on"],
            payment_mode=data["payment_mode"],
        )
        return self.render_to_response(self.get_context_data(form=form, estimate=estimate))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["school_year"] = self.school_year
        return context


def simulate(school_year, grid, *, qf, resident, formula_code, starts_on, payment_mode):
    """The simulator's estimate: a typed QF counts as proven (the family will prove it)."""
    return services.estimate_family(
        school_year,
        is_resident=resident,
        qf_value=qf,
        qf_proven=qf is not None,
        enrolments=[
            EstimateInput(
                key="simulation",
                label=pgettext("billing", "Simulation"),
                formula_code=formula_code,
                starts_on=starts_on,
            )
        ],
        payment_mode=payment_mode,
        grid=grid,
    )


class MandatePDFView(LoginRequiredMixin, View):
    """ "Télécharger le mandat SEPA": the family's mandate, prefilled (blank IBAN if unknown)."""

    def get(self, request):
        family = request.user.family
        if family is None:
            raise Http404
        mandate = services.reserve_mandate(family)
        responsibles = list(family.responsibles.filter(is_active=True).order_by("pk"))
        context = {
            "mandate": mandate,
            "family": family,
            "debtor_name": mandate.holder or _debtor_name(family, responsibles, request.user),
            "creditor": creditor(),
            "conservatoire": Identity.current(),
            "today": timezone.localdate(),
            "iban_groups": iban_groups(mandate.iban),
            "bic_chars": list(mandate.bic.ljust(11)) if mandate.bic else [""] * 11,
        }
        pdf = render_pdf("billing/mandate_pdf.html", context)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="mandat-sepa-{mandate.rum}.pdf"'
        response["Cache-Control"] = "private, no-store"
        return response


def _debtor_name(family, responsibles, user) -> str:
    person = user if user in responsibles else (responsibles[0] if responsibles else None)
    if person and person.get_full_name():
        return person.get_full_name()
    return family.name


def iban_groups(iban: str) -> list[list[str]]:
    """The IBAN's characters in groups of 4, one box each; 34 empty boxes when unknown."""
    compact = compact_code(iban) or " " * 34
    return [[c.strip() for c in compact[i : i + 4]] for i in range(0, len(compact), 4)]
