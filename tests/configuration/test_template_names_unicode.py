"""Template names are one name whatever their case in any script, not only in ASCII: the
casefolded key, not SQL LOWER() (which on SQLite folds ASCII only), decides."""

import importlib
import unicodedata

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import translation

from partnerspace.configuration.models import ConfigurationTemplate
from partnerspace.configuration.selectors import template_find
from partnerspace.configuration.services import (
    template_create,
    template_duplicate,
    template_update,
)
from partnerspace.core.errors import ValidationFailed

SAME_NAMES = [
    ("École", "école"),
    ("ÖDÖN", "Ödön"),
    ("Straße", "STRASSE"),
    ("Σίσυφος", "ΣΊΣΥΦΟΣ"),
    # Typed, and pasted from macOS (E and a combining accent): one name.
    (unicodedata.normalize("NFC", "École Gent"), unicodedata.normalize("NFD", "École Gent")),
    ("École Gent", "école  gent"),
]


def _refusal(failed: ValidationFailed) -> list[tuple[str, str, str]]:
    return [(e.field, e.code, str(e.message)) for e in failed.errors]


@pytest.mark.django_db
@pytest.mark.parametrize(("first", "second"), SAME_NAMES)
def test_names_that_differ_only_in_the_case_of_a_non_ascii_letter_are_one_name(
    firm_a, first, second
):
    template_create(membership=firm_a.admin, name=first)
    with pytest.raises(ValidationFailed) as refused:
        template_create(membership=firm_a.admin, name=second)
    assert _refusal(refused.value) == [
        ("name", "already_exists", "Er bestaat al een sjabloon met deze naam.")
    ]
    assert ConfigurationTemplate.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(("first", "second"), SAME_NAMES)
def test_the_database_refuses_a_non_ascii_name_in_another_case_that_bypasses_the_service(
    firm_a, first, second
):
    ConfigurationTemplate.objects.create(firm=firm_a.firm, name=first)
    with pytest.raises(IntegrityError), transaction.atomic():
        ConfigurationTemplate.objects.create(firm=firm_a.firm, name=second)


@pytest.mark.django_db
def test_another_firm_may_use_the_same_non_ascii_name(firm_a, firm_b):
    template_create(membership=firm_a.admin, name="École")
    template_create(membership=firm_b.admin, name="école")
    assert ConfigurationTemplate.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("asked", ["École", "école", "ÉCOLE", "  École "])
def test_a_template_is_found_by_its_non_ascii_name_as_typed_or_in_another_case(firm_a, asked):
    template = template_create(membership=firm_a.admin, name="École")
    assert template_find(firm_a.firm, asked) == template


@pytest.mark.django_db
def test_a_template_is_not_found_by_name_in_another_firm(firm_a, firm_b):
    template_create(membership=firm_b.admin, name="École")
    assert template_find(firm_a.firm, "École") is None


@pytest.mark.django_db
def test_renaming_a_template_frees_its_old_name_and_takes_the_new_one(firm_a):
    template = template_create(membership=firm_a.admin, name="Été")
    template_update(membership=firm_a.admin, template=template, name="Œuvre")
    assert template_create(membership=firm_a.admin, name="ÉTÉ").name == "ÉTÉ"
    with pytest.raises(ValidationFailed) as refused:
        template_create(membership=firm_a.admin, name="œuvre")
    assert _refusal(refused.value)[0][1] == "already_exists"
    # Renaming to itself in another case is no clash with itself.
    template_update(membership=firm_a.admin, template=template, name="ŒUVRE")
    assert template_find(firm_a.firm, "œuvre") == template


@pytest.mark.django_db
def test_a_duplicate_of_a_non_ascii_name_is_numbered_past_the_names_taken(firm_a):
    template = template_create(membership=firm_a.admin, name="Été")
    template_create(membership=firm_a.admin, name="KOPIE VAN ÉTÉ")
    with translation.override("nl"):
        copy = template_duplicate(membership=firm_a.admin, template=template)
    assert copy.name == "Kopie van Été (2)"


@pytest.mark.django_db
def test_writes_that_bypass_save_keep_the_key_in_step_with_the_name(firm_a):
    created = ConfigurationTemplate.objects.bulk_create(
        [ConfigurationTemplate(firm=firm_a.firm, name="Été")]
    )[0]
    assert template_find(firm_a.firm, "été") == created

    ConfigurationTemplate.objects.filter(pk=created.pk).update(name="Œuvre")
    assert template_find(firm_a.firm, "ŒUVRE").pk == created.pk

    created.name = "Ärger"
    ConfigurationTemplate.objects.bulk_update([created], ["name"])
    assert template_find(firm_a.firm, "ärger").pk == created.pk

    created.name = "Ökonomie"
    created.save(update_fields=["name"])
    assert template_find(firm_a.firm, "ÖKONOMIE").pk == created.pk
    assert template_find(firm_a.firm, "ärger") is None


@pytest.mark.django_db
def test_renaming_with_an_sql_expression_is_refused(firm_a):
    from django.db.models.functions import Upper

    template = ConfigurationTemplate.objects.create(firm=firm_a.firm, name="Été")
    with pytest.raises(TypeError):
        ConfigurationTemplate.objects.filter(pk=template.pk).update(name=Upper("name"))


SQUASHED = ("configuration", "0001_squashed")


@pytest.mark.django_db
def test_the_migration_keys_existing_templates_and_numbers_names_that_now_fold_together(
    firm_a, firm_b
):
    # The squashed migration keeps the data step that keyed the templates of databases made
    # before the key existed: run it on rows as such a database held them.
    migration = importlib.import_module("partnerspace.configuration.migrations.0001_squashed")
    state = MigrationExecutor(connection).loader.project_state(SQUASHED).apps
    old = state.get_model("configuration", "ConfigurationTemplate")
    # LOWER() tells these apart on every database; casefolding does not.
    names = ["Straße", "STRASSE", "Strasse (2)", "Kmo", "x" * 98 + "ß", "X" * 98 + "SS"]
    for number, name in enumerate(names):
        old.objects.create(firm_id=firm_a.firm.pk, name=name, name_key=f"unkeyed {number}")
    old.objects.create(firm_id=firm_b.firm.pk, name="STRASSE", name_key="unkeyed")

    migration.fill_name_keys(state, None)

    kept = ConfigurationTemplate.objects.order_by("pk")
    assert [(t.firm_id, t.name, t.name_key) for t in kept] == [
        (firm_a.firm.pk, "Straße", "strasse"),
        (firm_a.firm.pk, "STRASSE (3)", "strasse (3)"),
        (firm_a.firm.pk, "Strasse (2)", "strasse (2)"),
        (firm_a.firm.pk, "Kmo", "kmo"),
        (firm_a.firm.pk, "x" * 98 + "ß", "x" * 98 + "ss"),
        # Numbered within the 100 characters a name may have.
        (firm_a.firm.pk, "X" * 96 + " (2)", "x" * 96 + " (2)"),
        (firm_b.firm.pk, "STRASSE", "strasse"),
    ]


NORMALIZED = ("configuration", "0002_template_name_key_normalized")


@pytest.mark.django_db
def test_the_second_migration_keys_names_again_in_one_form_and_numbers_those_now_one(firm_a):
    migration = importlib.import_module(
        "partnerspace.configuration.migrations.0002_template_name_key_normalized"
    )
    state = MigrationExecutor(connection).loader.project_state(NORMALIZED).apps
    old = state.get_model("configuration", "ConfigurationTemplate")
    nfc, nfd = (unicodedata.normalize(form, "École Gent") for form in ("NFC", "NFD"))
    # As the first keying left them: casefolded only, so three keys for one name.
    for name in (nfc, nfd, "École  Gent", "Kmo"):
        old.objects.create(firm_id=firm_a.firm.pk, name=name, name_key=name.casefold())

    migration.key_again(state, None)

    kept = ConfigurationTemplate.objects.order_by("pk")
    assert [(t.name, t.name_key) for t in kept] == [
        (nfc, "école gent"),
        (nfd + " (2)", "école gent (2)"),
        ("École  Gent (3)", "école gent (3)"),
        ("Kmo", "kmo"),
    ]
