"""The family's documents page (one form: every chosen file is sent by its one button)
and the private download view."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView

from . import services
from .forms import DocumentFilesForm, nothing_chosen_message
from .models import DocumentFile
from .uploads import oversized_files, size_limited_uploads


def _responsible_family(request):
    """The family of the logged-in responsible; 404 for anyone else (staff included)."""
    family = getattr(request.user, "family", None)
    if family is None:
        raise Http404
    return family


@method_decorator(never_cache, name="dispatch")
@method_decorator(size_limited_uploads, name="dispatch")
class DocumentListView(LoginRequiredMixin, TemplateView):
    """ "Mes documents": upload now or later ("ultérieurement sur votre espace").

    The table is one form: the files chosen on any rows are sent together by
    « Envoyer les fichiers choisis » (posted to ``documents:upload``, this view too).
    Every accepted file is stored; a refused one is named next to its row, and the
    page is shown again with the table as it is now.
    """

    template_name = "documents/list.html"
    http_method_names = ["get", "post"]

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.family = _responsible_family(request)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        requested = self.requested()
        return self.show(DocumentFilesForm(rows=requested[1]), requested)

    def post(self, request, *args, **kwargs):
        requested = self.requested()
        form = DocumentFilesForm(request.POST, request.FILES, rows=requested[1])
        form.is_valid()  # every field is optional: what matters is what save() refuses
        oversized = oversized_files(request)
        if not form.chosen_count(oversized):
            form.add_error(None, nothing_chosen_message())
            return self.show(form, requested)
        form.save(self.family, request.user, oversized)
        for message in form.received_messages():
            messages.success(request, message)
        if form.errors:
            return self.show(form)  # the table as it is now, each refusal by its row
        return redirect("documents:list")

    def requested(self):
        """The school year and the table's rows, as stored now."""
        school_year = services.current_school_year()
        if school_year is None:
            return None, []
        family_facts, students = services.family_facts(self.family, school_year)
        return school_year, services.requested_documents(
            self.family, school_year, family_facts, students, include_existing=True
        )

    def show(self, form, requested=None):
        school_year, rows = requested or self.requested()
        context = self.get_context_data(
            family=self.family, school_year=school_year, requested=rows, upload_form=form
        )
        return self.render_to_response(context)


# The form's action: the same page, for POST only.
upload = DocumentListView.as_view(http_method_names=["post"])


@never_cache
@login_required
def download(request, pk: int):
    """Serve a stored file as an attachment, to its family or to the Secrétariat.

    Another family gets 404; staff outside the Secrétariat get 403 whether the file
    exists or not (``services.visible_files_q``).
    """
    document_file = (
        DocumentFile.objects.filter(services.visible_files_q(request.user)).filter(pk=pk).first()
    )
    if document_file is None:
        if services.is_staff_refused_files(request.user):
            raise PermissionDenied
        raise Http404
    if document_file.deleted_at is not None or not document_file.file.name:
        raise Http404
    try:
        handle = document_file.file.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=document_file.original_name,
        content_type=document_file.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
