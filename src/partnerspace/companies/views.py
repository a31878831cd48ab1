"""The client's own space: its company's details, contacts, and the firms it works with."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partnerspace.clients.models import Client
from partnerspace.companies import services
from partnerspace.companies.forms import CompanyContactForm, CompanyForm
from partnerspace.companies.models import COMPANY_FIELDS, Company
from partnerspace.companies.selectors import companies_of_user, company_contacts, company_firms
from partnerspace.core.errors import ServiceError, ValidationFailed
from partnerspace.core.forms import form_add_service_error


@login_required
def home(request):
    companies = list(companies_of_user(request.user))
    if len(companies) == 1:
        return redirect("companies:detail", companies[0].pk)
    return render(request, "companies/choose.html", {"companies": companies})


@login_required
def detail(request, company_id: int):
    company = services.company_of_user(request.user, company_id)
    return render(request, "companies/detail.html", _context(company))


def _context(company: Company, **extra) -> dict:
    return {
        "company": company,
        "contacts": company_contacts(company),
        "links": company_firms(company),
        "contact_form": extra.pop("contact_form", None) or CompanyContactForm(),
        **extra,
    }


@login_required
def edit(request, company_id: int):
    company = services.company_of_user(request.user, company_id)
    initial = {name: getattr(company, name) or "" for name in COMPANY_FIELDS}
    form = CompanyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.company_update(
                user=request.user, company=company, data=form.cleaned_data
            )
        except (ServiceError, ValidationFailed) as error:
            form_add_service_error(form, error)
        else:
            for warning in result.warnings:
                messages.warning(request, warning.message)
            messages.success(
                request, _("Your details are saved; your accounting firm sees them now.")
            )
            return redirect("companies:detail", company.pk)
    return render(request, "companies/edit.html", {"company": company, "form": form})


@login_required
@require_POST
def contact_add(request, company_id: int):
    company = services.company_of_user(request.user, company_id)
    form = CompanyContactForm(request.POST)
    if form.is_valid():
        try:
            warnings = services.company_contact_add(
                user=request.user, company=company, data=form.cleaned_data
            )
        except (ValidationFailed, ServiceError) as failed:
            form_add_service_error(form, failed)
        else:
            for warning in warnings:
                messages.warning(request, warning.message)
            messages.success(request, _("Contact person added."))
            return redirect("companies:detail", company.pk)
    return render(
        request, "companies/detail.html", _context(company, contact_form=form), status=422
    )


@login_required
@require_POST
def end_link(request, company_id: int, client_id: int):
    company = services.company_of_user(request.user, company_id)
    client = Client.objects.filter(pk=client_id, company=company).select_related("firm").first()
    if client is None:
        from django.http import Http404

        raise Http404
    services.company_end_link(user=request.user, company=company, client=client)
    messages.success(
        request,
        _("You no longer work with %(firm)s through Partner Space.") % {"firm": client.firm},
    )
    return redirect("companies:detail", company.pk)
