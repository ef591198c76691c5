"""The re-enrolment wizard's view: the guide's seven steps for one student.

A ``NamedUrlWizardView`` (each step has its URL, so back and reload work),
with three changes to django-formtools' defaults:

* the steps live in a :class:`WizardDraft` row, not in the session
  (:mod:`.storage`), so a family that logs out or changes device resumes
  where it left off;
* a step can only be reached once every step before it is complete, and a
  tampered step name gives 400 (pretix's checkout flow works the same way);
* ``done()`` never runs on a GET: the recap's POST validates, and the draft is
  kept unless the answer was recorded (or someone else's was): a closed
  campaign, a total that changed, or details changed elsewhere too leave it.

Step 2 (the family's details) is kept true to the database (:mod:`.details`);
step 5 stores its files at once, never in the draft (:mod:`.documents`).

What the recap shows is computed by :func:`.summary.build_summary`; each of its
sections links to its step (``?retour=recapitulatif``: once saved, back to the recap).
A family that declines has a path of two steps: the choice (with its reason), then
the last step as a confirmation, with no rules to accept and no total.
"""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import SuspiciousOperation
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.generic import View
from formtools.wizard.forms import ManagementForm
from formtools.wizard.views import NamedUrlWizardView, StepsHelper, WizardView

from accounts.models import Student
from billing.models import FamilyBilling
from documents.uploads import size_limited_uploads

from .. import forms, services, submission
from ..models import Reenrolment, WizardDraft
from .courses import courses_context
from .courses_form import CoursesForm, course_initial
from .details import DETAILS_CONFLICTS, DETAILS_INITIAL, DETAILS_STEP, DetailsStepMixin
from .documents import DOCUMENTS_STEP, DocumentsStepMixin
from .storage import DraftStorage
from .summary import CleanedSteps, SummaryFacts, build_summary, public_summary, summary_total

STEPS = [
    ("choix", forms.ChoiceForm),
    ("coordonnees", forms.DetailsForm),
    ("reglement", forms.PaymentForm),
    ("autorisations", forms.AuthorisationsForm),
    ("documents", forms.DocumentsForm),
    ("cours", CoursesForm),
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
# The last step of a family that declines: a confirmation (no rules, no total).
DECLINE_TITLE = gettext_noop("Confirmation of the non-re-enrolment")
# The recap's sections, each with its "Modify" link to the step that holds it.
EDITABLE_STEPS = ("coordonnees", "reglement", "autorisations", "documents", "cours")
# ``?retour=recapitulatif`` on a step opened from the recap: once saved, back to the recap.
RETURN_PARAMETER, RETURN_TO_RECAP = "retour", "recapitulatif"


def wants_reenrol(wizard) -> bool:
    data = wizard.get_cleaned_data_for_step("choix") or {}
    return data.get("decision") != "decline"


class ReenrolmentWizard(DetailsStepMixin, DocumentsStepMixin, NamedUrlWizardView):
    form_list = STEPS
    condition_dict = {name: wants_reenrol for name in STEP_NAMES[1:-1]}
    template_name = "reinscription/wizard.html"

    # --- Setup: who, which student, which campaign, which draft ---------------

    @method_decorator(size_limited_uploads)  # step 5's files: the size limit, then CSRF
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
        self.facts = SummaryFacts(self.student, self.campaign)
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
        if self.facts.enrolment is None:
            # Outside the campaign's basis: nothing to re-enrol in (an empty recap at 0 €);
            # the conservatoire enrols the student ("hors base" on its dashboard).
            return TemplateResponse(
                request,
                "reinscription/outside_basis.html",
                {"student": self.student, "campaign": self.campaign},
                status=403,
            )
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
        if step == DETAILS_STEP:
            self.prepare_details()
        if step == self.steps.last:
            if self.reconcile_details():
                return self.back_to_details()
            incomplete = self.first_incomplete_step(revalidate=True)
            if incomplete != step:
                messages.warning(request, _("Please check this step again."))
                return redirect(self.get_step_url(incomplete))
        self.storage.current_step = step
        if step == self.steps.last:
            # The recap always shows (and carries) the total computed now.
            return self.render(self.get_form())
        form = self.get_form(data=self.storage.current_step_data)
        if step == DETAILS_STEP and form.conflicts:
            # The choices are asked, not yet missed: no error before the family answers.
            form.is_valid()
            for name in form.conflicts:
                form.errors.pop(forms.keep_field(name), None)
        return self.render(form)

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
            if step == DOCUMENTS_STEP and self.is_reachable(step):
                # "Previous step" with files chosen: they are sent too, never dropped.
                if refused := self.send_documents():
                    return refused
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
        if step == DOCUMENTS_STEP and (refused := self.send_documents()):
            return refused
        return WizardView.post(self, request, *args, **kwargs)

    # --- Forms -----------------------------------------------------------------

    def get_form_kwargs(self, step=None):
        kwargs = {}
        if step == "choix":
            kwargs["student"] = self.student
        elif step == DETAILS_STEP:
            kwargs["responsibles"] = self.responsibles
            kwargs["student"] = self.student
            kwargs["conflicts"] = self.storage.extra_data.get(DETAILS_CONFLICTS)
        elif step == "reglement":
            kwargs["is_resident"] = self.family.is_resident
            kwargs["school_year"] = self.campaign.school_year
        elif step == "autorisations":
            kwargs["student"] = self.student
        elif step == DOCUMENTS_STEP and self.steps.current == DOCUMENTS_STEP:
            # The table's rows, for their file fields (the recap revalidates it without).
            kwargs["rows"] = self.requested_documents()
        elif step == "cours":
            kwargs["questions"] = self.facts.questions
            kwargs["previous_year"] = self.campaign.previous_year.label
        elif step == "recapitulatif":
            kwargs["declining"] = not wants_reenrol(self)
        return kwargs

    def get_form_initial(self, step):
        if step == "recapitulatif":
            return {"shown_total": summary_total(self.summary())}
        if step == DETAILS_STEP:
            return self.details_initial()
        if step == "reglement":
            bill = self.billing_preference
            initial = {}  # nothing ticked in advance (the QF box neither)
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
            return {
                **course_initial(self.reenrolment.preferences or {}),
                "comments": self.reenrolment.comments,
            }
        if step == "choix" and self.reenrolment:
            return {
                "decision": self.reenrolment.decision,
                "decline_reason": self.reenrolment.decline_reason,
            }
        return {}

    def process_step(self, form):
        data = super().process_step(form)
        if self.steps.current == DETAILS_STEP:
            data = self.record_details(form, data)
        return data

    @property
    def returns_to_recap(self) -> bool:
        """A step opened with the recap's "Modify" link: saving it leads back to the recap."""
        return (
            self.request.GET.get(RETURN_PARAMETER) == RETURN_TO_RECAP
            and self.steps.current in EDITABLE_STEPS
        )

    def render_next_step(self, form, **kwargs):
        if self.returns_to_recap:
            # The recap (or a step left incomplete): the recap revalidates every step.
            return redirect(self.get_step_url(self.first_incomplete_step()))
        return super().render_next_step(form, **kwargs)

    # --- Cached facts for this request -------------------------------------------

    @property
    def responsibles(self):
        return self.facts.responsibles

    @property
    def enrolment(self):
        return self.facts.enrolment

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
        # The steps of this family's path: seven to re-enrol, two to decline.
        path = list(self.get_form_list())
        declining = not wants_reenrol(self)
        last = step == self.steps.last
        # Modifying a recorded answer: what becomes of it is said first, and again last.
        replacing = self.reenrolment if last or step == self.steps.first else None
        context.update(
            {
                "student": self.student,
                "family": self.family,
                "campaign": self.campaign,
                "step_number": path.index(step) + 1,
                "step_total": len(path),
                "step_title": _(DECLINE_TITLE if last and declining else STEP_TITLES[step]),
                "declining": declining,
                "returns_to_recap": self.returns_to_recap,
                "replacing": replacing,
                "replacing_on": replacing and timezone.localdate(replacing.submitted_at),
                "reenrolment": self.reenrolment,
                # The year's values the steps' sentences hold (dates, QF year, count of
                # debits; the previous year's label for step 6).
                "school_year": self.campaign.school_year,
                "previous_year_label": self.campaign.previous_year.label,
            }
        )
        if step == "documents":
            context["requested"] = self.requested_documents()
        if step == "recapitulatif":
            context["summary"] = self.summary()
            if not declining:
                context["recap_documents"] = self.requested_documents()
                context["edit_urls"] = {
                    name: f"{self.get_step_url(name)}?{RETURN_PARAMETER}={RETURN_TO_RECAP}"
                    for name in EDITABLE_STEPS
                }
        if step == "cours":
            context.update(courses_context(self.facts))
        return context

    def summary(self) -> dict:
        """Everything the recap shows, recomputed from the steps (never from the client)."""
        if not hasattr(self, "_summary"):
            self._summary = build_summary(
                CleanedSteps(self), student=self.student, campaign=self.campaign, facts=self.facts
            )
        return self._summary

    # --- Validation ------------------------------------------------------------------

    def render_done(self, form, **kwargs):
        """Validate every step again, then record; formtools' own version would reset
        the draft whatever the outcome, this one keeps it unless the answer was recorded
        (or someone else's was, which the draft can no longer change)."""
        if not self.campaign.is_open():
            return TemplateResponse(self.request, "reinscription/closed.html", status=403)
        if self.reconcile_details():
            return self.back_to_details()
        final_forms = {}
        for step in self.get_form_list():
            step_form = self.get_form(
                step=step,
                data=self.storage.get_step_data(step),
                files=self.storage.get_step_files(step),
            )
            if not step_form.is_valid():
                return self.render_revalidation_failure(step, step_form, **kwargs)
            final_forms[step] = step_form
        return self.done(list(final_forms.values()), form_dict=final_forms, **kwargs)

    def done(self, form_list, form_dict=None, **kwargs):
        answers = {step: form.cleaned_data for step, form in form_dict.items()}
        result = submission.submit_reenrolment(
            student=self.student,
            campaign=self.campaign,
            user=self.request.user,
            answers=answers,
            base_version=self.storage.extra_data.get("base_version", 0),
            summary=public_summary(self.summary()),
            shown_total=answers[self.steps.last].get("shown_total"),
            details_initial=self.storage.extra_data.get(DETAILS_INITIAL),
        )
        if result.closed:
            return TemplateResponse(self.request, "reinscription/closed.html", status=403)
        if result.details_conflicts:
            self.set_details_conflicts(result.details_conflicts)
            return self.back_to_details()
        if result.total_changed:
            return self.render_changed_total()
        self.storage.reset()
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

    def render_changed_total(self):
        """The recap again, with the total computed now (a sibling validated meanwhile,
        the grid or the family's quotient changed): the family validates it again."""
        self.__dict__.pop("_summary", None)
        data = self.request.POST.copy()
        data[self.get_form_prefix(self.steps.last) + "-shown_total"] = str(
            summary_total(self.summary())
        )
        form = self.get_form(step=self.steps.last, data=data)
        form.is_valid()
        form.add_error(
            None,
            _(
                "The estimated amount has changed since this page was displayed: please "
                "check the new amount below, then validate again."
            ),
        )
        return self.render(form)


def _yes_no(value):
    if value is None:
        return None
    return "yes" if value else "no"
