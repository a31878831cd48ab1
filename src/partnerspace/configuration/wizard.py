"""The three-step template wizard's memory: kept in the session, so nothing reaches the
database before "Sjabloon opslaan", and a wizard left half-way leaves nothing behind."""

from partnerspace.configuration.models import ConfigurationTemplate

STEPS = (1, 2, 3)


def _key(request, template_id) -> str:
    return f"template_wizard:{request.firm.pk}:{template_id or 'new'}"


def wizard_state(request, template: ConfigurationTemplate | None) -> dict:
    state = request.session.get(_key(request, template and template.pk))
    if state is not None:
        return state
    if template is None:
        return {
            "name": "",
            "description": "",
            "is_default": False,
            "user_ids": [],
            "integrations": {},
        }
    return {
        "name": template.name,
        "description": template.description,
        "is_default": template.is_default,
        "user_ids": [m.pk for m in template.users.all()],
        "integrations": {
            str(link.firm_integration_id): link.settings
            for link in template.integration_links.all()
        },
    }


def wizard_save(request, template: ConfigurationTemplate | None, state: dict) -> None:
    request.session[_key(request, template and template.pk)] = state


def wizard_forget(request, template: ConfigurationTemplate | None) -> None:
    request.session.pop(_key(request, template and template.pk), None)
