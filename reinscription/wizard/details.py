"""Step 2 of the wizard (the family's details), kept true to the database.

The draft records the values the step was built with (``DETAILS_INITIAL``); a field
the family left as shown follows the stored value (a co-parent, the account page or
an import may change it meanwhile), and a field changed on both sides is shown with
both values for the family to choose (``DETAILS_CONFLICTS``). Validation decides it
again under the family's lock (:func:`..submission.submit_reenrolment`).

:class:`DetailsStepMixin` is mixed into :class:`.views.ReenrolmentWizard`.
"""

from functools import cached_property

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from .. import forms, services

DETAILS_STEP = "coordonnees"
# Keys of the draft's extra data: step 2's values as the family was shown them, and
# the fields changed both by the family and elsewhere, waiting for the family's choice.
DETAILS_INITIAL = "details_initial"
DETAILS_CONFLICTS = "details_conflicts"


class DetailsStepMixin:
    """Step 2 against the stored values: its initial values, the draft brought up to
    date, the conflicts for the family to settle."""

    def details_initial(self) -> dict:
        """Step 2's initial values: the family's, its responsibles' and the student's, as stored."""
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

    @cached_property
    def current_details(self) -> dict[str, str]:
        return services.current_details(self.family, self.responsibles, self.student)

    def prepare_details(self) -> None:
        """Before showing step 2: record the values it is built with, if the family
        has not answered it yet, else bring its answer up to date."""
        if self.storage.get_step_data(DETAILS_STEP) is None:
            self.storage.extra_data[DETAILS_INITIAL] = dict(self.current_details)
        else:
            self.reconcile_details()

    def reconcile_details(self) -> dict:
        """Bring the draft's step 2 up to date with the values stored now; return the
        fields changed both by the family and elsewhere (kept in the draft, for step 2
        to ask which value to keep).

        A field the family left as shown takes the value stored since, in the draft
        too (so step 2 shows it when reopened). A draft begun before the initial values
        were recorded is left as it is (validation writes what it holds, as it did).
        """
        extra = self.storage.extra_data
        data = self.storage.get_step_data(DETAILS_STEP)
        initial = extra.get(DETAILS_INITIAL)
        if data is None or initial is None or DETAILS_STEP not in self.get_form_list():
            return {}
        prefix = self.get_form_prefix(DETAILS_STEP)
        form = forms.DetailsForm(
            data=data, prefix=prefix, responsibles=self.responsibles, student=self.student
        )
        form.is_valid()  # the fields that validate are in cleaned_data
        outcome = services.reconcile_details(form.cleaned_data, initial, self.current_details)
        if outcome.refreshed:
            data = data.copy()
            for name, value in outcome.refreshed.items():
                data[f"{prefix}-{name}"] = value
                initial[name] = value
            self.storage.set_step_data(DETAILS_STEP, data)
        self.set_details_conflicts(outcome.conflicts)
        return outcome.conflicts

    def set_details_conflicts(self, conflicts: dict) -> None:
        extra = self.storage.extra_data
        if conflicts == extra.get(DETAILS_CONFLICTS, {}):
            return
        if conflicts:
            extra[DETAILS_CONFLICTS] = conflicts
        else:
            extra.pop(DETAILS_CONFLICTS, None)
        self.storage.revision += 1  # step 2's form (so its cleaned data) changes

    def record_details(self, form, data):
        """When step 2 is stored: keep the values it was built with (once per draft),
        and settle the conflicts the family chose for (the draft then holds the value
        chosen, measured against the value saved since)."""
        initial = self.storage.extra_data.setdefault(DETAILS_INITIAL, {})
        choices = {forms.keep_field(name) for name in form.conflicts}
        for name in form.fields:
            if name not in choices:
                initial.setdefault(name, services.detail_text(name, form[name].initial))
        if not form.conflicts:
            return data
        data = data.copy()
        for name, conflict in form.conflicts.items():
            initial[name] = conflict["stored"]
            if form.cleaned_data.get(forms.keep_field(name)) == forms.KEEP_STORED:
                data[form.add_prefix(name)] = conflict["stored"]
            data.pop(form.add_prefix(forms.keep_field(name)), None)
        self.storage.extra_data.pop(DETAILS_CONFLICTS, None)
        return data

    def back_to_details(self):
        messages.warning(
            self.request,
            _(
                "Some of your details were changed elsewhere (by the other responsible, on "
                "the account page or by the conservatoire) since you began: for each one, "
                "choose the value to keep."
            ),
        )
        return redirect(self.get_step_url(DETAILS_STEP))
