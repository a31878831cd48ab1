"""Key every template's name again under today's rule (configuration.models.template_name_key:
one Unicode form, spaces as one). Names that now fold together ("École" typed and "École"
pasted as E + a combining accent) are numbered, the later one getting " (2)", as the first
keying did: the unique constraint on (firm, name_key) can then hold."""

import importlib
import unicodedata

from django.db import migrations

_squashed = importlib.import_module("partnerspace.configuration.migrations.0001_squashed")


def name_key(name):
    # As configuration.models.template_name_key on the day of this migration.
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return " ".join(folded.split())


def key_again(apps, schema_editor):
    Template = apps.get_model("configuration", "ConfigurationTemplate")
    templates = list(Template.objects.order_by("pk"))
    # Out of the way first: a new key may be another row's old one until that row moves.
    for template in templates:
        template.name_key = f"\x01{template.pk}"
    Template.objects.bulk_update(templates, ["name_key"], batch_size=500)
    _squashed.fill_name_keys(apps, schema_editor, key=name_key)


class Migration(migrations.Migration):
    dependencies = [
        ("configuration", "0001_squashed"),
    ]

    operations = [migrations.RunPython(key_again, migrations.RunPython.noop)]
