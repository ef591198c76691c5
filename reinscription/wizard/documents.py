"""Step 5 of the wizard (the documents): its table, and the files sent at once.

No file lives in the draft: the files chosen are stored through ``documents`` when the
step is posted (even with "Previous step"). :class:`DocumentsStepMixin` is mixed into
:class:`.views.ReenrolmentWizard`.
"""

from django.contrib import messages

from documents import services as documents
from documents.rules import StudentFacts
from documents.uploads import oversized_files

from .. import services

DOCUMENTS_STEP = "documents"


class DocumentsStepMixin:
    """Step 5: the requested documents of this student and family, and their upload."""

    def send_documents(self):
        """Store the files chosen at step 5 now, through ``documents`` (never in the draft).

        Return ``None`` when every file was accepted (the step goes on), else the step
        again (200), each refused file named by its row; the files accepted beside it
        stay stored, and nothing typed in other steps is touched.
        """
        self.storage.current_step = DOCUMENTS_STEP
        form = self.get_form(data=self.request.POST, files=self.request.FILES)
        form.is_valid()  # every field is optional: what matters is what save() refuses
        form.save(self.family, self.request.user, oversized_files(self.request))
        for message in form.received_messages():
            messages.success(self.request, message)
        self.__dict__.pop("_requested_documents", None)  # the table as it is now
        return self.render(form) if form.errors else None

    def process_step_files(self, form):
        """No file lives in the draft: step 5 stored them already (:meth:`send_documents`)."""
        return {}

    def requested_documents(self):
        """Step 5's table: this student's documents and the family's (once per request)."""
        if "_requested_documents" not in self.__dict__:
            self._requested_documents = self._load_requested_documents()
        return self._requested_documents

    def _load_requested_documents(self):
        payment = self.get_cleaned_data_for_step("reglement") or {}
        facts = services.family_facts(self.family, payment)
        student_facts = StudentFacts(
            disciplines=services.student_disciplines(self.enrolment),
            is_adult=self.student.is_adult_learner,
        )
        return documents.requested_documents(
            self.family, self.campaign.school_year, facts, [(self.student, student_facts)]
        )
