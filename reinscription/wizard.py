"""The re-enrolment wizard: the guide's seven steps for one student.

A ``NamedUrlWizardView`` (each step has its URL, so back and reload work),
with three changes to django-formtools' defaults:

* the steps live in a :class:`WizardDraft` row, not in the session, so a
  family that logs out or changes device resumes where it left off;
* a step can only be reached once every step before it is complete, and a
  tampered step name gives 400 (pretix's checkout flow works the same way);
* ``done()`` never runs on a GET: the recap's POST validates, after the
  business checks (campaign open, total unchanged) that must not reset the draft.
"""

import json
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import SuspiciousOperation
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.generic import View
from formtools.wizard.forms import ManagementForm
from formtools.wizard.storage.base import BaseStorage
from formtools.wizard.views import NamedUrlWizardView, StepsHelper, WizardView

from accounts.models import SchoolLevel, Student
from billing.models import FamilyBilling, PaymentMode
from billing.rules import mask_iban
from documents import services as documents
from documents.rules import StudentFacts

from . import forms, services
from .models import Reenrolment, WizardDraft
from .rules import Question, course_questions, next_formula

STEPS = [
    ("choix", forms.ChoiceForm),
    ("coordonnees", forms.DetailsForm),
    ("reglement", forms.PaymentForm),
    ("autorisations", forms.AuthorisationsForm),
    ("documents", forms.DocumentsForm),
    ("cours", forms.CoursesForm),
    ("recapitulatif", forms.RecapForm),
]
STEP_NAMES = [name for name, _form in STEPS]
STEP_TITLES = {
    "choix": gettext_noop("Choice"),
    "coordonnees": gettext_noop("Responsible and student"),
    "reglement": gettext_noop("Payment mode"),
    "autorisations": gettext_noop("Authorisations"),
    "documents": gettext_noop("Documents"),
    "cours": gettext_noop("Courses and complementary information"),
    "recapitulatif": gettext_noop("Recap of the re-enrolment"),
}
IGNORED_POST_KEYS = {"csrfmiddlewaretoken"}


class DraftStorage(BaseStorage):
    """formtools storage kept in a :class:`WizardDraft` row (JSON), saved after each request."""

    def __init__(self, prefix, request=None, file_storage=None, *, draft: WizardDraft):
        super().__init__(prefix, request, file_storage)
        self.draft = draft
        self.revision = 0  # bumped whenever the stored steps change
        self.data = draft.data or {}
        if not self.data:
            self.init_data()
        self._saved = json.dumps(self.data, sort_keys=True)

    def init_data(self):
        super().init_data()
        self.revision = getattr(self, "revision", 0) + 1

    def set_step_data(self, step, cleaned_data):
        super().set_step_data(step, cleaned_data)
        self.revision += 1
        for key in IGNORED_POST_KEYS:
            self.data[self.step_data_key][step].pop(key, None)

    def is_empty(self) -> bool:
        return not self.data[self.step_data_key]

    def update_response(self, response):
        super().update_response(response)
        self.save()

    def save(self):
        current = json.dumps(self.data, sort_keys=True)
        if current == self._saved:
            return
        if self.is_empty():
            if self.draft.pk:
                WizardDraft.objects.filter(pk=self.draft.pk).delete()
        else:
            self.draft.data = self.data
            self.draft.updated_by = self.request.user
            self.draft.save()
        self._saved = current


def wants_reenrol(wizard) -> bool:
    data = wizard.get_cleaned_data_for_step("choix") or {}
    return data.get("decision") != "decline"


class ReenrolmentWizard(NamedUrlWizardView):
    form_list = STEPS
    condition_dict = {name: wants_reenrol for name in STEP_NAMES[1:-1]}
    template_name = "reinscription/wizard.html"

    # --- Setup: who, which student, which campaign, which draft ---------------

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.family_id:
            raise Http404
        self.student = get_object_or_404(
            Student.objects.select_related("family"),
            pk=kwargs["student_id"],
            family_id=request.user.family_id,
        )
        self.family = self.student.family
        self.campaign = services.open_campaign()
        if self.campaign is None:
            return TemplateResponse(request, "reinscription/closed.html", status=403)
        self.reenrolment = Reenrolment.objects.filter(
            student=self.student, campaign=self.campaign
        ).first()
        if self.reenrolment and self.reenrolment.status == Reenrolment.Status.VALIDATED:
            messages.info(
                request,
                _(
                    "The conservatoire has validated this re-enrolment: it "
                    "can no longer be modified online."
                ),
            )
            return redirect("reinscription:reenrolment_detail", student_id=self.student.pk)
        self.prefix = self.get_prefix(request, *args, **kwargs)
        draft = WizardDraft.objects.filter(student=self.student, campaign=self.campaign).first()
        self.storage = DraftStorage(
            self.prefix,
            request,
            draft=draft or WizardDraft(student=self.student, campaign=self.campaign),
        )
        if self.storage.is_empty():
            self.storage.extra_data = {
                "base_version": self.reenrolment.version if self.reenrolment else 0
            }
        self.steps = StepsHelper(self)
        response = View.dispatch(self, request, *args, **kwargs)
        self.storage.update_response(response)
        return response

    def get_prefix(self, request, *args, **kwargs):
        return f"reenrolment_{self.student.pk}"

    def get_step_url(self, step):
        return reverse(self.url_name, kwargs={"student_id": self.student.pk, "step": step})

    # --- Which steps can be reached --------------------------------------------

    def first_incomplete_step(self, *, revalidate: bool = False) -> str:
        """The first step with no stored data (the last if none).

        Only validated data is ever stored, so presence is enough to move on;
        with ``revalidate`` (the recap, whose summary needs every step's
        cleaned data anyway) the stored data must also still be valid, in case
        the family's situation changed since. Validation revalidates everything.
        """
        for step in self.get_form_list():
            if revalidate:
                missing = self.get_cleaned_data_for_step(step) is None
            else:
                missing = self.storage.get_step_data(step) is None
            if missing:
                return step
        return self.steps.last

    def get_cleaned_data_for_step(self, step):
        """formtools' answer, kept for the request until the stored steps change.

        The step conditions, the reachability check and the recap ask for the
        same steps many times per request; each answer validates a form.
        """
        cache = self.__dict__.setdefault("_cleaned_data", {})
        key = (step, self.storage.revision)
        if key not in cache:
            cache[key] = super().get_cleaned_data_for_step(step)
        return cache[key]

    def is_reachable(self, step: str) -> bool:
        steps = list(self.get_form_list())
        return step in steps and steps.index(step) <= steps.index(self.first_incomplete_step())

    def get(self, request, *args, **kwargs):
        step = kwargs.get("step")
        if step is None or step == self.done_step_name:
            return redirect(self.get_step_url(self.first_incomplete_step()))
        if step not in STEP_NAMES:
            raise Http404
        if not self.is_reachable(step):
            messages.warning(request, _("Please complete the previous steps first."))
            return redirect(self.get_step_url(self.first_incomplete_step()))
        if step == self.steps.last:
            incomplete = self.first_incomplete_step(revalidate=True)
            if incomplete != step:
                messages.warning(request, _("Please check this step again."))
                return redirect(self.get_step_url(incomplete))
        self.storage.current_step = step
        if step == self.steps.last:
            # The recap always shows (and carries) the total computed now.
            return self.render(self.get_form())
        return self.render(self.get_form(data=self.storage.current_step_data))

    def post(self, request, *args, **kwargs):
        step = kwargs.get("step")
        if step == self.steps.last and self.storage.is_empty() and self.reenrolment:
            # A double click or a resubmission after the validation went through.
            messages.info(request, _("This re-enrolment has already been validated."))
            return redirect("reinscription:reenrolment_detail", student_id=self.student.pk)
        goto = request.POST.get("wizard_goto_step")
        if goto:
            if not self.is_reachable(goto):
                raise SuspiciousOperation("Unknown or unreachable wizard step.")
            return self.render_goto_step(goto)
        management_form = ManagementForm(request.POST, prefix=self.prefix)
        if not management_form.is_valid():
            raise SuspiciousOperation("Wizard management form missing or tampered.")
        posted_step = management_form.cleaned_data["current_step"]
        if posted_step != step or posted_step not in self.get_form_list():
            raise SuspiciousOperation("Wizard step tampered.")
        if not self.is_reachable(step):
            raise SuspiciousOperation("Wizard step reached out of order.")
        self.storage.current_step = step
        return WizardView.post(self, request, *args, **kwargs)

    # --- Forms -----------------------------------------------------------------

    def get_form_kwargs(self, step=None):
        kwargs = {}
        if step == "choix":
            kwargs["student"] = self.student
        elif step == "coordonnees":
            kwargs["responsibles"] = self.responsibles
            kwargs["student"] = self.student
        elif step == "reglement":
            kwargs["is_resident"] = self.family.is_resident
        elif step == "autorisations":
            kwargs["student"] = self.student
        elif step == "cours":
            kwargs["questions"] = self.questions
            kwargs["instruments"] = self.instruments
        return kwargs

    def get_form_initial(self, step):
        if step == "recapitulatif":
            return {"shown_total": self.summary_total()}
        if step == "coordonnees":
            initial = {
                "address": self.family.address,
                "postal_code": self.family.postal_code,
                "city": self.family.city,
                "school_level": self.student.school_level,
                "school_name": self.student.school_name,
                "emergency_contact_name": self.student.emergency_contact_name,
                "emergency_contact_phone": self.student.emergency_contact_phone,
                "emergency_contact_relation": self.student.emergency_contact_relation,
            }
            for responsible in self.responsibles:
                initial[f"responsible_{responsible.pk}_email"] = responsible.email
                initial[f"responsible_{responsible.pk}_mobile"] = responsible.mobile
            return initial
        if step == "reglement":
            bill = self.billing_preference
            initial = {"wants_qf_tariff": self.family.is_resident and self.family.qf_value}
            if bill:
                initial["payment_mode"] = bill.payment_mode
                initial["pass_culture_number"] = bill.pass_culture_number
            return initial
        if step == "autorisations" and self.reenrolment:
            return {
                "image_rights": _yes_no(self.reenrolment.image_rights),
                "outing_authorisation": _yes_no(self.reenrolment.outing_authorisation),
            }
        if step == "cours" and self.reenrolment:
            return {**self.reenrolment.preferences, "comments": self.reenrolment.comments}
        if step == "choix" and self.reenrolment:
            return {
                "decision": self.reenrolment.decision,
                "decline_reason": self.reenrolment.decline_reason,
            }
        return {}

    # --- Cached facts for this request -------------------------------------------

    @property
    def responsibles(self):
        if not hasattr(self, "_responsibles"):
            self._responsibles = list(
                self.family.responsibles.filter(is_active=True).order_by("pk")
            )
        return self._responsibles

    @property
    def enrolment(self):
        if not hasattr(self, "_enrolment"):
            self._enrolment = services.current_enrolment(self.student, self.campaign)
        return self._enrolment

    @property
    def questions(self) -> list[Question]:
        if not hasattr(self, "_questions"):
            self._questions = course_questions(
                services.student_courses(self.student, self.enrolment)
            )
        return self._questions

    @property
    def instruments(self):
        if not hasattr(self, "_instruments"):
            self._instruments = services.instrument_choices()
        return self._instruments

    @property
    def billing_preference(self):
        if not hasattr(self, "_billing_preference"):
            self._billing_preference = FamilyBilling.objects.filter(
                family=self.family, school_year=self.campaign.school_year
            ).first()
        return self._billing_preference

    # --- Rendering ----------------------------------------------------------------

    def get_context_data(self, form, **kwargs):
        context = super().get_context_data(form=form, **kwargs)
        step = self.steps.current
        context.update(
            {
                "student": self.student,
                "family": self.family,
                "campaign": self.campaign,
                "step_number": STEP_NAMES.index(step) + 1,
                "step_total": len(STEP_NAMES),
                "step_title": _(STEP_TITLES[step]),
                "reenrolment": self.reenrolment,
            }
        )
        if step == "documents":
            context["requested"] = self.requested_documents()
            context["next_url"] = self.get_step_url("documents")
        if step == "recapitulatif":
            context["summary"] = self.summary()
        return context

    def requested_documents(self):
        payment = self.get_cleaned_data_for_step("reglement") or {}
        facts = services.family_facts(self.family, payment)
        student_facts = StudentFacts(
            disciplines=services.student_disciplines(self.enrolment),
            is_adult=self.student.is_adult_learner,
        )
        return documents.requested_documents(
            self.family, self.campaign.school_year, facts, [(self.student, student_facts)]
        )

    def summary_total(self) -> Decimal | None:
        estimate = self.summary().get("estimate")
        return Decimal(estimate["total"]) if estimate else None

    def summary(self) -> dict:
        """Everything the recap shows, recomputed from the steps (never from the client)."""
        if not hasattr(self, "_summary"):
            self._summary = self.build_summary()
        return self._summary

    def build_summary(self) -> dict:
        choice = self.get_cleaned_data_for_step("choix") or {}
        reenrol = choice.get("decision") == "reenrol"
        if reenrol:
            details = self.get_cleaned_data_for_step("coordonnees") or {}
            payment = self.get_cleaned_data_for_step("reglement") or {}
            authorisations = self.get_cleaned_data_for_step("autorisations") or {}
            courses = self.get_cleaned_data_for_step("cours") or {}
        else:
            details, payment, authorisations, courses = {}, {}, {}, {}
        current_formula = (
            self.enrolment.formula.code if self.enrolment and self.enrolment.formula else None
        )
        formula = next_formula(current_formula, administrative=bool(courses.get("administrative")))
        preferences = {
            key: value
            for key, value in courses.items()
            if key != "comments" and value not in ("", None, False)
        }
        if formula:
            preferences["formula"] = formula
        summary = {
            "preferences_display": self.preferences_display(courses) if reenrol else [],
            "student": self.student.full_name,
            "family": self.family.name,
            "decision": choice.get("decision"),
            "decline_reason": choice.get("decline_reason", ""),
            "preferences": preferences,
        }
        if not reenrol:
            return summary
        result = services.estimate(
            self.family,
            self.campaign,
            student=self.student,
            reenrol=True,
            formula_code=formula,
            payment_mode=payment.get("payment_mode") or PaymentMode.ONCE,
            wants_qf_tariff=bool(payment.get("wants_qf_tariff")),
            pass_culture=bool(payment.get("pass_culture_number")),
        )
        summary.update(
            {
                "details": {
                    "address": details.get("address", ""),
                    "postal_code": details.get("postal_code", ""),
                    "city": details.get("city", ""),
                    "responsibles": [
                        {
                            "name": r.get_full_name() or r.username,
                            "email": details.get(f"responsible_{r.pk}_email", ""),
                            "mobile": details.get(f"responsible_{r.pk}_mobile", ""),
                        }
                        for r in self.responsibles
                    ],
                    "school_level": details.get("school_level", ""),
                    "school_level_display": str(
                        SchoolLevel(details["school_level"]).label
                        if details.get("school_level")
                        else ""
                    ),
                    "school_name": details.get("school_name", ""),
                    "emergency_contact_name": details.get("emergency_contact_name", ""),
                    "emergency_contact_phone": details.get("emergency_contact_phone", ""),
                    "emergency_contact_relation": details.get("emergency_contact_relation", ""),
                },
                "payment": {
                    "mode": payment.get("payment_mode", ""),
                    "bank_changed": payment.get("bank_changed"),
                    "iban": mask_iban(payment.get("iban") or ""),
                    "pass_culture_number": payment.get("pass_culture_number", ""),
                    "wants_qf_tariff": bool(payment.get("wants_qf_tariff")),
                },
                "authorisations": {
                    "image_rights": authorisations.get("image_rights"),
                    "outing_authorisation": authorisations.get("outing_authorisation"),
                },
                "comments": courses.get("comments", ""),
                "estimate": services.estimate_data(result),
            }
        )
        summary["_estimate"] = result
        return summary

    def preferences_display(self, courses: dict) -> list[dict]:
        """The step 6 answers as the family read them: question label and chosen label."""
        form = self.get_form(step="cours")
        items = []
        for name, field in form.fields.items():
            value = courses.get(name)
            if name == "comments" or value in ("", None, False):
                continue
            if value is True:
                items.append({"label": str(field.label), "value": ""})
            else:
                choices = dict(getattr(field, "choices", []))
                items.append({"label": str(field.label), "value": str(choices.get(value, value))})
        return items

    # --- Validation ------------------------------------------------------------------

    def render_done(self, form, **kwargs):
        """Business checks first: a failure here must keep the draft (formtools resets it)."""
        if not self.campaign.is_open():
            return TemplateResponse(self.request, "reinscription/closed.html", status=403)
        shown = form.cleaned_data.get("shown_total")
        actual = self.summary_total()
        if actual is not None and shown != actual:
            data = self.request.POST.copy()
            data[self.get_form_prefix() + "-shown_total"] = str(actual)
            form = self.get_form(data=data)
            form.is_valid()
            form.add_error(
                None,
                _(
                    "The estimated amount has changed since this page was displayed: please "
                    "check the new amount below, then validate again."
                ),
            )
            return self.render(form)
        return WizardView.render_done(self, form, **kwargs)

    def done(self, form_list, form_dict=None, **kwargs):
        answers = {step: form.cleaned_data for step, form in form_dict.items()}
        full_summary = self.summary()
        summary = {k: v for k, v in full_summary.items() if not k.startswith("_")}
        result = services.submit_reenrolment(
            student=self.student,
            campaign=self.campaign,
            user=self.request.user,
            answers=answers,
            base_version=self.storage.extra_data.get("base_version", 0),
            summary=summary,
            estimate=full_summary.get("_estimate"),
        )
        if result.closed:
            return TemplateResponse(self.request, "reinscription/closed.html", status=403)
        if result.conflict:
            messages.warning(
                self.request,
                _(
                    "This re-enrolment was validated meanwhile (by another responsible or in "
                    "another window). Here is what was recorded; you can modify it if needed."
                ),
            )
        elif result.reenrolment.status == Reenrolment.Status.DECLINED:
            messages.success(
                self.request,
                _(
                    "Your answer is recorded: %(name)s will not be re-enrolled. A confirmation "
                    "email has been sent."
                )
                % {"name": self.student.first_name},
            )
        else:
            messages.success(
                self.request,
                _(
                    "The re-enrolment of %(name)s is validated. A confirmation email with the "
                    "recap has been sent."
                )
                % {"name": self.student.first_name},
            )
        return redirect("reinscription:reenrolment_detail", student_id=self.student.pk)


def _yes_no(value):
    if value is None:
        return None
    return "yes" if value else "no"
