"""The family's documents page, the upload endpoint and the private download view."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

from accounts.models import Student

from . import services
from .forms import UploadForm
from .models import DocumentFile, DocumentType, Scope
from .templatetags.documents_tags import UPLOAD_ERRORS_SESSION_KEY
from .uploads import SizeLimitUploadHandler
from .validators import too_large_message


def _responsible_family(request):
    """The family of the logged-in responsible; 404 for anyone else (staff included)."""
    family = getattr(request.user, "family", None)
    if family is None:
        raise Http404
    return family


@method_decorator(never_cache, name="dispatch")
class DocumentListView(LoginRequiredMixin, TemplateView):
    """ "Mes documents": upload now or later ("ultérieurement sur votre espace")."""

    template_name = "documents/list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        family = _responsible_family(self.request)
        school_year = services.current_school_year()
        requested = []
        if school_year is not None:
            family_facts, students = services.family_facts(family, school_year)
            requested = services.requested_documents(
                family, school_year, family_facts, students, include_existing=True
            )
        context.update(
            family=family,
            school_year=school_year,
            requested=requested,
            next_url=self.request.get_full_path(),
        )
        return context

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            _responsible_family(request)
        return super().dispatch(request, *args, **kwargs)


def _safe_next(request, candidate: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("documents:list")


@csrf_exempt  # CSRF is checked below, once the size-limiting upload handler is in place.
@login_required
@require_POST
def upload(request):
    request.upload_handlers.insert(0, SizeLimitUploadHandler(request))
    return _upload(request)


@csrf_protect
def _upload(request):
    family = _responsible_family(request)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid() and ("document_type" in form.errors or "student" in form.errors):
        raise Http404
    data = form.cleaned_data
    document_type = get_object_or_404(DocumentType, pk=data["document_type"], active=True)
    student = None
    if document_type.scope == Scope.STUDENT:
        if not data.get("student"):
            raise Http404
        student = get_object_or_404(Student, pk=data["student"], family=family)
    elif data.get("student"):
        raise Http404
    next_url = _safe_next(request, data.get("next", ""))
    row_key = f"{document_type.pk}-{student.pk if student else 0}"

    errors: list[str] = [
        too_large_message(name) for name, _size in getattr(request, "documents_oversized", [])
    ]
    files = data.get("files") or []
    if not files and not errors:
        errors.append(_("Choose at least one file (PDF, JPEG or PNG) before sending."))
    saved = 0
    for uploaded in files:
        try:
            services.save_upload(document_type, family, student, uploaded, request.user)
        except ValidationError as error:
            errors.extend(error.messages)
        else:
            saved += 1

    label = document_type.name + (f" — {student.full_name}" if student else "")
    if saved:
        messages.success(
            request,
            ngettext(
                "Thank you: %(count)d file was received for “%(document)s”.",
                "Thank you: %(count)d files were received for “%(document)s”.",
                saved,
            )
            % {"count": saved, "document": label},
        )
    if errors:
        stored = request.session.get(UPLOAD_ERRORS_SESSION_KEY, {})
        stored[row_key] = errors
        request.session[UPLOAD_ERRORS_SESSION_KEY] = stored
        messages.error(
            request,
            ngettext(
                "A file sent for “%(document)s” was refused: see the reason in the table.",
                "Files sent for “%(document)s” were refused: see the reasons in the table.",
                len(errors),
            )
            % {"document": label},
        )
    if "#" not in next_url:
        next_url += f"#document-{row_key}"
    return HttpResponseRedirect(next_url)


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
