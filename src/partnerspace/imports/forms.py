"""The upload form: the file and the mode. What the file holds is the reader's business."""

from django import forms
from django.utils.translation import gettext_lazy as _

from partnerspace.imports import reading
from partnerspace.imports.models import MAX_SHEET_NAME, ImportMode

ACCEPTED = ".xlsx,.xlsm,.xls,.ods,.csv"


def upload_too_large(upload) -> str | None:
    """The refusal of an upload over the size limit, judged by its size before it is read."""
    if upload is not None and upload.size > reading.MAX_FILE_BYTES:
        return reading.FileProblem("file_too_large", {"limit": reading.MAX_FILE_BYTES}).message()
    return None


class ImportUploadForm(forms.Form):
    # An empty file is the reader's to refuse, in the words the API and the import use.
    file = forms.FileField(
        label=_("Your saved .xlsx file"),
        allow_empty_file=True,
        widget=forms.FileInput(attrs={"accept": ACCEPTED, "data-testid": "import-file"}),
        error_messages={"required": _("Choose the file to import.")},
    )
    mode = forms.ChoiceField(
        label=_("What to do with clients that already exist"),
        choices=[
            (ImportMode.CREATE, _("Create new clients only; refuse rows of existing clients")),
            (ImportMode.UPDATE, _("Create new clients and update existing ones")),
        ],
        initial=ImportMode.CREATE,
        widget=forms.RadioSelect,
    )

    sheet = forms.CharField(
        label=_("Sheet to read (optional)"),
        required=False,
        max_length=MAX_SHEET_NAME,
        help_text=_(
            "Leave empty: the sheet whose column headers we recognise best is read. Type a "
            "sheet's name to read that one."
        ),
        widget=forms.TextInput(attrs={"data-testid": "import-sheet"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "Excel (.xlsx, .xls), OpenDocument (.ods) or CSV, at most %(limit)s MB."
        ) % {"limit": reading.MAX_FILE_BYTES // (1024 * 1024)}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        refusal = upload_too_large(upload)
        if refusal:
            raise forms.ValidationError(refusal, code="file_too_large")
        return upload


class ImportSheetForm(forms.Form):
    """Another worksheet of the uploaded file, chosen on the preview page."""

    sheet = forms.CharField(max_length=MAX_SHEET_NAME)
