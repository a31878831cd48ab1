"""The client list at 100,000 clients: first pages, searches and paging under 100 ms.

For SQLite (a scratch file) and PostgreSQL (a scratch database, skipped when the server is
unreachable), each in its own process: migrate, fill one firm with N realistic clients and a
second, small firm beside it, then time real requests to the list through Django's test
client (median and p95 of 30 after 3 warm-ups, SQL queries per request) beside the baseline
"naive": the same listing done the simple way, measured in the same run on the same data.

    python -m benchmarks client_list                    # 100,000 clients, both databases
    python -m benchmarks client_list --clients 10000    # a quick check
    python -m benchmarks client_list --database sqlite --explain

It reports; it does not assert: the exit code is 0 when it ran, whatever the figures.
"""

import argparse
import random
import re
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from benchmarks import common

TARGET_MS = 100.0
SEED = 20240601

# The search words: the generator below makes "schrijnwerk" ~1% and "bouw" ~10% of names.
RARE_WORD = "schrijnwerk"
COMMON_WORD = "bouw"
ABSENT_WORD = "zonnepanelen"


def parse_options(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks client_list",
        description="Time the client list at N clients on SQLite and PostgreSQL.",
    )
    parser.add_argument("--clients", type=int, default=100_000, help="clients in the big firm")
    parser.add_argument("--repeat", type=int, default=30, help="measured requests per line")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured requests first")
    parser.add_argument("--target-ms", type=float, default=TARGET_MS, help="p95 target")
    common.add_database_options(parser)
    parser.add_argument(
        "--explain",
        action="store_true",
        help="print each request's queries with their times, and the plan of the slowest",
    )
    parser.add_argument(
        "--sqlite-analyze",
        action="store_true",
        help="run ANALYZE on SQLite after the fill (the app itself never does)",
    )
    parser.add_argument(
        "--baseline-repeat", type=int, default=10, help="measured calls of the baseline per line"
    )
    parser.add_argument("--no-baseline", action="store_true", help="skip the naive baseline")
    options = parser.parse_args(argv)
    if options.clients < 5000:
        # Below that the Niet actief tab has fewer than 50 pages to measure page 50 of.
        parser.error("--clients must be at least 5000")
    return options


def main(argv: list[str]) -> int:
    options = parse_options(argv)
    if options.worker:
        return worker(options)
    common.print_heading(
        f"Client list benchmark: {options.clients:,} clients; target: p95 under "
        f"{options.target_ms:.0f} ms of server time per request",
        options,
    )
    with common.scratch_directory() as directory:
        results, crashed = common.run_per_database(
            "benchmarks.client_list", argv, options, directory
        )
    print_summary(results, crashed, options.target_ms)
    if warning := common.busy_warning():
        print(warning)
    return 1 if crashed else 0


def print_summary(results: list[dict], crashed: list[str], target_ms: float) -> None:
    print("\nSummary:")
    failures = [r for r in results if not r["passed"]]
    for line in crashed:
        print(f"  CRASH {line}")
    if not results and not crashed:
        print("  nothing was measured")
        return
    if not failures and not crashed:
        measured = sorted({r["database"] for r in results})
        print(
            f"  every request met the target (p95 under {target_ms:.0f} ms) on "
            f"{', '.join(measured)}"
        )
        return
    for r in failures:
        why = r["problem"] or f"p95 {common.ms(r['p95'])} ms > {target_ms:.0f} ms"
        print(f"  FAIL {r['database']}: {r['label']}: {why}")
    print(f"  {len(failures)} of {len(results)} lines failed (reported, not asserted).")


# --------------------------------------------------------------------------------------
# Test data: Belgian-looking companies from word lists
# --------------------------------------------------------------------------------------

SURNAMES = [
    "Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens",
    "Wouters", "Dubois", "Lambert", "Dupont", "Martin", "Simon", "Laurent", "Leclercq",
    "Lefèvre", "Vermeulen", "Hermans", "Desmet", "Verstraeten", "Michiels", "Aerts", "Coppens",
    "Pauwels", "Renard", "Dumont", "Lemaire", "Mathieu", "Gilson", "François", "Noël",
    "Hendrickx", "Segers", "Declercq", "Vandenberghe", "Cools", "Smets", "Bogaerts", "Stevens",
    "Verhoeven", "Jansen", "Wuyts", "Vervoort", "Lenaerts", "Thys", "Dierckx", "Verbeke",
    "Delvaux", "Gérard", "Denis", "Collard", "Van Damme", "De Smet", "De Backer", "De Clercq",
    "Van Acker", "Van Hove", "De Vos", "Van den Bossche", "Vanderstraeten",
]  # fmt: skip
FIRST_NAMES_NL = [
    "Jan", "Pieter", "Koen", "Tom", "Els", "An", "Sofie", "Lien", "Marie", "Luc", "Marc",
    "Hilde", "Bart", "Wim", "Sarah", "Julie", "Laura", "Thomas", "Joris", "Ruben", "Lotte",
    "Noor", "Emma", "Lucas", "Inge", "Griet", "Kris", "Stijn", "Annelies", "Dirk", "Veerle",
    "Jef",
]  # fmt: skip
FIRST_NAMES_FR = [
    "Nicolas", "Olivier", "Céline", "Aurélie", "Mathieu", "Benoît", "Hélène", "Isabelle",
    "Philippe", "Jérôme", "Chloé", "Camille", "Julien", "Sébastien", "Valérie", "Frédéric",
    "Nathalie", "Amélie", "Léa", "Hugo", "Manon", "Maxime", "Anaïs",
]  # fmt: skip

# (word, weight); the "bouw" words and "Schrijnwerkerij" are what the searches look for.
NL_SECTORS = [
    ("Bouw", 10), ("Bouwwerken", 4), ("Wegenbouw", 1.5), ("Landbouw", 1),
    ("Schrijnwerkerij", 2.5), ("Bakkerij", 3), ("Garage", 4), ("Transport", 5),
    ("Consult", 6), ("Immo", 5), ("Elektro", 3), ("Tuinaanleg", 3), ("Dakwerken", 2),
    ("Schilderwerken", 2), ("Sanitair", 2), ("Verzekeringen", 2), ("Architecten", 2),
    ("Brasserie", 2), ("Frituur", 2), ("Apotheek", 2), ("Kapsalon", 2), ("Drukkerij", 1),
    ("Logistics", 3), ("Solutions", 3), ("Invest", 3), ("Management", 4), ("Vastgoed", 3),
    ("Design", 2), ("Media", 2), ("Software", 2), ("Tandartspraktijk", 1),
    ("Dierenartsenpraktijk", 1), ("Beheer", 3), ("Holding", 3), ("Trading", 2),
    ("Interieur", 2), ("Keukens", 2), ("Vloeren", 1), ("Optiek", 1), ("Fietsen", 1),
    ("Slagerij", 1), ("Traiteur", 1), ("Horeca", 2), ("Engineering", 2),
    ("Automatisering", 1), ("Boekhouding", 1), ("Fiscaal Advies", 1),
]  # fmt: skip
FR_SECTORS = [
    ("Construction", 6), ("Menuiserie", 3), ("Boulangerie", 3), ("Garage", 4),
    ("Transports", 4), ("Conseil", 5), ("Immobilière", 4), ("Électricité", 3),
    ("Toiture", 2), ("Peinture", 2), ("Chauffage", 2), ("Assurances", 2), ("Architectes", 2),
    ("Brasserie", 3), ("Friterie", 2), ("Pharmacie", 2), ("Coiffure", 2), ("Imprimerie", 1),
    ("Logistique", 2), ("Solutions", 3), ("Invest", 3), ("Management", 3), ("Patrimoine", 3),
    ("Design", 2), ("Consulting", 3), ("Informatique", 2), ("Cabinet Dentaire", 1),
    ("Vétérinaire", 1), ("Carrosserie", 2), ("Traiteur", 2), ("Boucherie", 1), ("Horeca", 1),
    ("Ingénierie", 1), ("Comptabilité", 1),
]  # fmt: skip
FANTASY = [
    "Noorderlicht", "Horizon", "Atlas", "Delta", "Vitalis", "Prisma", "Optima", "Nova",
    "Aquila", "Zenit", "Orion", "Lumina", "Arcus", "Scaldis", "Mosa", "Kempen", "Polder",
    "Leie", "Westhoek", "Hageland", "Pajot", "Ardenne", "Condroz", "Famenne", "Helios", "Vega",
    "Sirius", "Altair", "Boreal", "Aurora", "Cosmos", "Eureka", "Nexus", "Pegasus", "Phoenix",
    "Quadrant", "Vertex", "Zephyr", "Alfa", "Omega", "Sigma", "Unico", "Primo", "Forte",
    "Verde",
]  # fmt: skip
FR_PLACES = [
    "du Centre", "de la Gare", "des Ardennes", "du Château", "de la Meuse", "du Parc",
    "de la Sambre", "du Marché", "des Trois Rivières", "de l'Ourthe",
]  # fmt: skip
NL_FORMS = [("BV", 70), ("NV", 10), ("CommV", 4), ("VZW", 8), ("CV", 3), ("BVBA", 5)]
FR_FORMS = [("SRL", 65), ("SA", 12), ("SComm", 4), ("ASBL", 10), ("SC", 4), ("SPRL", 5)]
NL_NAME_SHAPES = [
    ("{surname} {sector}", 35), ("{sector} {surname}", 25), ("{fantasy} {sector}", 15),
    ("{sector} {fantasy}", 10), ("{sector} {surname} & Zonen", 5),
    ("{surname} & {surname2}", 5), ("{initials} {sector}", 5),
]  # fmt: skip
FR_NAME_SHAPES = [
    ("{sector} {surname}", 35), ("{surname} {sector}", 15), ("{sector} {place}", 15),
    ("{fantasy} {sector}", 15), ("{sector} {surname} & Fils", 5),
    ("{surname} & {surname2}", 5), ("{initials} {sector}", 10),
]  # fmt: skip

# (postal code, city, region, weight): "vl" Flanders, "wa" Wallonia, "bru" Brussels.
PLACES = [
    ("1000", "Brussel", "bru", 5), ("1030", "Schaerbeek", "bru", 2), ("1050", "Ixelles", "bru", 2),
    ("1080", "Molenbeek-Saint-Jean", "bru", 1), ("1180", "Uccle", "bru", 1),
    ("1200", "Woluwe-Saint-Lambert", "bru", 1), ("1300", "Wavre", "wa", 2),
    ("1348", "Louvain-la-Neuve", "wa", 1), ("1400", "Nivelles", "wa", 1),
    ("1500", "Halle", "vl", 2), ("1800", "Vilvoorde", "vl", 2), ("2000", "Antwerpen", "vl", 8),
    ("2018", "Antwerpen", "vl", 3),
    ("2100", "Deurne", "vl", 2), ("2300", "Turnhout", "vl", 2), ("2400", "Mol", "vl", 1),
    ("2500", "Lier", "vl", 2), ("2800", "Mechelen", "vl", 3), ("2900", "Schoten", "vl", 1),
    ("3000", "Leuven", "vl", 4), ("3200", "Aarschot", "vl", 1), ("3500", "Hasselt", "vl", 3),
    ("3600", "Genk", "vl", 2), ("3800", "Sint-Truiden", "vl", 1), ("4000", "Liège", "wa", 5),
    ("4020", "Liège", "wa", 1), ("4800", "Verviers", "wa", 2), ("5000", "Namur", "wa", 3),
    ("5100", "Jambes", "wa", 1), ("6000", "Charleroi", "wa", 4), ("6700", "Arlon", "wa", 1),
    ("7000", "Mons", "wa", 2), ("7500", "Tournai", "wa", 2), ("8000", "Brugge", "vl", 4),
    ("8400", "Oostende", "vl", 2), ("8500", "Kortrijk", "vl", 3), ("8800", "Roeselare", "vl", 2),
    ("8900", "Ieper", "vl", 1), ("9000", "Gent", "vl", 7), ("9100", "Sint-Niklaas", "vl", 2),
    ("9200", "Dendermonde", "vl", 1), ("9300", "Aalst", "vl", 2), ("9400", "Ninove", "vl", 1),
    ("9700", "Oudenaarde", "vl", 1), ("9800", "Deinze", "vl", 1), ("9900", "Eeklo", "vl", 1),
]  # fmt: skip
NL_STREETS = [
    "Kerkstraat", "Stationsstraat", "Dorpsstraat", "Molenstraat", "Nieuwstraat",
    "Industrieweg", "Kapelstraat", "Schoolstraat", "Hoogstraat", "Meersstraat", "Brugstraat",
    "Veldstraat", "Lindenlaan", "Kouter", "Bosstraat", "Sint-Jansstraat", "Zandstraat",
    "Ambachtenlaan", "Europalaan", "Grote Markt",
]  # fmt: skip
FR_STREETS = [
    "Rue de la Station", "Rue de l'Église", "Chaussée de Bruxelles", "Rue du Moulin",
    "Avenue des Combattants", "Rue Haute", "Place communale", "Rue de la Gare",
    "Rue du Centre", "Zoning industriel", "Rue des Champs", "Rue Saint-Martin",
]  # fmt: skip

STATUS_WEIGHTS = [("draft", 12), ("invited", 18), ("active", 60), ("archived", 10)]
TEMPLATE_NAMES = ["Standaard", "Vennootschap", "Vrij beroep", "Vereniging"]
ADMIN_ASSIGNED = 0.15  # share of clients the administrator is assigned to
ACCOUNTANT_ASSIGNED = 0.05  # share the accountant is assigned to (5,000 of 100,000)
CHUNK = 5000


class Weighted:
    """Fast weighted choice: cumulative weights bisected by random.choices."""

    def __init__(self, pairs):
        self.values = [value for value, _ in pairs]
        self.cumulative = []
        total = 0.0
        for _, weight in pairs:
            total += weight
            self.cumulative.append(total)

    def pick(self, rng: random.Random):
        return rng.choices(self.values, cum_weights=self.cumulative)[0]


_NON_ALNUM = re.compile(r"[^a-z0-9]")


def enterprise_number(first8: int) -> str:
    """A valid Belgian enterprise number: the check digits are 97 - first8 mod 97."""
    return f"{first8:08d}{97 - first8 % 97:02d}"


def messy_vat(vat: str) -> str:
    """ "BE0403019261" typed as "BE 0403.019.261"."""
    digits = vat[2:]
    return f"BE {digits[:4]}.{digits[4:7]}.{digits[7:]}"


@dataclass
class Fill:
    clients: int = 0
    contacts: int = 0
    assignments: int = 0


@dataclass
class Dataset:
    slug: str
    small_slug: str
    clients: int
    small_clients: int
    contacts: int
    assignments: int
    vat_target_name: str
    vat_target_vat: str
    doppelganger_name: str
    seconds: float = 0.0


class ClientMaker:
    """Builds unsaved Client and Contact objects; deterministic for a given seed."""

    def __init__(self, rng: random.Random):
        from partnerspace.clients.search import fold

        self.rng = rng
        self.fold = fold
        self.nl_sectors = Weighted(NL_SECTORS)
        self.fr_sectors = Weighted(FR_SECTORS)
        self.nl_forms = Weighted(NL_FORMS)
        self.fr_forms = Weighted(FR_FORMS)
        self.nl_shapes = Weighted(NL_NAME_SHAPES)
        self.fr_shapes = Weighted(FR_NAME_SHAPES)
        self.places = Weighted([(p[:3], p[3]) for p in PLACES])
        self.statuses = Weighted(STATUS_WEIGHTS)
        self.now = datetime.now(UTC)

    def language(self, region: str) -> str:
        if region == "bru":
            return "fr" if self.rng.random() < 0.6 else "nl"
        return "fr" if region == "wa" else "nl"

    def name(self, language: str) -> str:
        rng = self.rng
        sectors, forms, shapes = (
            (self.fr_sectors, self.fr_forms, self.fr_shapes)
            if language == "fr"
            else (self.nl_sectors, self.nl_forms, self.nl_shapes)
        )
        name = shapes.pick(rng).format(
            surname=rng.choice(SURNAMES),
            surname2=rng.choice(SURNAMES),
            sector=sectors.pick(rng),
            fantasy=rng.choice(FANTASY),
            place=rng.choice(FR_PLACES),
            initials=rng.choice("ABCDEFGHJKLMNPRSTVW") + rng.choice("ABCDEFGHJKLMNPRSTVW"),
        )
        return f"{name} {forms.pick(rng)}"

    def contacts(self, client, language: str, domain: str):
        from partnerspace.clients.models import Contact

        rng = self.rng
        made = []
        for number in range(1 if rng.random() < 0.65 else 2):
            first = rng.choice(FIRST_NAMES_FR if language == "fr" else FIRST_NAMES_NL)
            last = rng.choice(SURNAMES)
            local = _NON_ALNUM.sub("", self.fold(first)) + "." + _NON_ALNUM.sub("", self.fold(last))
            if rng.random() < 0.15:
                local = "info" if number == 0 else ("compta" if language == "fr" else "boekhouding")
            if any(contact.email == f"{local}@{domain}" for contact in made):
                # Two contacts of one client never share an address (a database constraint).
                local = f"{local}{number + 1}"
            made.append(
                Contact(
                    client=client,
                    first_name=first,
                    last_name=last,
                    email=f"{local}@{domain}",
                    locale=f"{language}-BE" if rng.random() < 0.97 else "en-GB",
                    phone=f"+32 4{rng.randint(70, 99)} {rng.randint(10, 99)} "
                    f"{rng.randint(10, 99)} {rng.randint(10, 99)}",
                    is_primary=number == 0,
                    created_at=client.created_at,
                )
            )
        return made

    def client(self, firm_id: int, first8: int, *, reference: int, templates, **forced):
        from partnerspace.clients.models import Client
        from partnerspace.clients.search import client_search_fields

        rng = self.rng
        postal_code, city, region = self.places.pick(rng)
        language = self.language(region)
        legal_name = forced.pop("legal_name", None) or self.name(language)
        number = enterprise_number(first8)
        has_vat = forced.pop("has_vat", None)
        has_vat = rng.random() < 0.70 if has_vat is None else has_vat
        template = rng.choice(templates) if templates and rng.random() < 0.70 else None
        created = self.now - timedelta(seconds=rng.randint(0, 6 * 365 * 24 * 3600))
        street = rng.choice(FR_STREETS if language == "fr" else NL_STREETS)
        client = Client(
            firm_id=firm_id,
            legal_name=legal_name,
            country="BE",
            company_number=number,
            vat_number=f"BE{number}" if has_vat else None,
            external_reference=f"KL-{reference:06d}" if rng.random() < 0.30 else None,
            street=street,
            house_number=str(rng.randint(1, 250)),
            box=str(rng.randint(1, 12)) if rng.random() < 0.05 else "",
            postal_code=postal_code,
            city=city,
            peppol_mandate=rng.random() < 0.20,
            template=template,
            template_name=template.name if template else "",
            status=forced.pop("status", None) or self.statuses.pick(rng),
            created_at=created,
            updated_at=created + timedelta(days=rng.randint(0, 30)),
        )
        domain = _NON_ALNUM.sub("", self.fold(legal_name.rsplit(" ", 1)[0]))[:24] + ".be"
        contacts = self.contacts(client, language, domain)
        fields = client_search_fields(client, contacts)
        client.search_text = fields["search_text"]
        client.sort_name = fields["sort_name"]
        return client, contacts


def fill_firm(
    firm,
    count: int,
    rng: random.Random,
    *,
    admin,
    accountant,
    templates,
    forced: dict[int, dict] | None = None,
    avoid: set[int] = frozenset(),
) -> Fill:
    """`count` clients with their contacts and assignments, bulk-created in chunks."""
    from partnerspace.clients.models import Client, ClientAssignment, Contact

    forced = forced or {}
    maker = ClientMaker(rng)
    # Distinct first-eight digits: the 0-series (0200.000.0xx up) and some of the 1-series.
    pool = rng.sample(range(2_000_000, 10_500_000), count + len(avoid) + len(forced))
    firsts = [n for n in pool if n not in avoid][:count]
    reserved = {f["first8"] for f in forced.values() if "first8" in f}
    firsts = [n for n in firsts if n not in reserved]
    made = Fill()
    next_first = iter(firsts)
    for start in range(0, count, CHUNK):
        clients, contacts = [], []
        for index in range(start, min(start + CHUNK, count)):
            wanted = dict(forced.get(index, {}))
            first8 = wanted.pop("first8", None) or next(next_first)
            client, its_contacts = maker.client(
                firm.pk, first8, reference=index + 1, templates=templates, **wanted
            )
            clients.append(client)
            contacts.append(its_contacts)
        Client.objects.bulk_create(clients)
        for client, its_contacts in zip(clients, contacts, strict=True):
            for contact in its_contacts:
                contact.client_id = client.pk
        flat = [contact for its_contacts in contacts for contact in its_contacts]
        Contact.objects.bulk_create(flat)
        assignments = []
        for client in clients:
            if admin is not None and rng.random() < ADMIN_ASSIGNED:
                assignments.append(ClientAssignment(client_id=client.pk, membership=admin))
            if accountant is not None and rng.random() < ACCOUNTANT_ASSIGNED:
                assignments.append(ClientAssignment(client_id=client.pk, membership=accountant))
        ClientAssignment.objects.bulk_create(assignments)
        made.clients += len(clients)
        made.contacts += len(flat)
        made.assignments += len(assignments)
    return made


def fill(count: int) -> Dataset:
    """The big firm (N clients) and a small one (2%) that shares one VAT number with it."""
    from django.db import transaction

    from partnerspace.accounts.models import User
    from partnerspace.configuration.models import ConfigurationTemplate
    from partnerspace.firms.models import Firm, Membership

    rng = random.Random(SEED)
    small_count = max(200, count // 50)
    target_index = count // 2
    target_first8 = 4_030_192  # 0403.019.2xx, kept out of the random pool
    target_number = enterprise_number(target_first8)
    with transaction.atomic():
        big = Firm.objects.create(name="Boekhoudkantoor Groot", slug="groot")
        admin = Membership.objects.create(
            firm=big,
            user=User.objects.create_user(
                "beheerder@groot.example", None, first_name="Anna", last_name="Peeters"
            ),
            is_administrator=True,
        )
        accountant = Membership.objects.create(
            firm=big,
            user=User.objects.create_user(
                "boekhouder@groot.example", None, first_name="Bart", last_name="Maes"
            ),
            is_accountant=True,
        )
        templates = [
            ConfigurationTemplate.objects.create(firm=big, name=name, is_default=i == 0)
            for i, name in enumerate(TEMPLATE_NAMES)
        ]
        big_fill = fill_firm(
            big,
            count,
            rng,
            admin=admin,
            accountant=accountant,
            templates=templates,
            forced={target_index: {"first8": target_first8, "status": "active", "has_vat": True}},
            avoid={target_first8},
        )
        small = Firm.objects.create(name="Cabinet Petit", slug="petit")
        small_admin = Membership.objects.create(
            firm=small,
            user=User.objects.create_user(
                "admin@petit.example", None, first_name="Chloé", last_name="Dubois"
            ),
            is_administrator=True,
        )
        small_template = ConfigurationTemplate.objects.create(
            firm=small, name="Standard", is_default=True
        )
        doppelganger = "Dubbelganger Kleine Firma NV"
        small_fill = fill_firm(
            small,
            small_count,
            rng,
            admin=small_admin,
            accountant=None,
            templates=[small_template],
            forced={
                0: {
                    "first8": target_first8,
                    "legal_name": doppelganger,
                    "status": "active",
                    "has_vat": True,
                }
            },
            avoid={target_first8},
        )
    from partnerspace.clients.models import Client

    target = Client.objects.get(firm=big, company_number=target_number)
    return Dataset(
        slug=big.slug,
        small_slug=small.slug,
        clients=big_fill.clients,
        small_clients=small_fill.clients,
        contacts=big_fill.contacts + small_fill.contacts,
        assignments=big_fill.assignments + small_fill.assignments,
        vat_target_name=target.legal_name,
        vat_target_vat=target.vat_number,
        doppelganger_name=doppelganger,
    )


# --------------------------------------------------------------------------------------
# The baseline: the same listing done the simple way
# --------------------------------------------------------------------------------------


def naive_listing(
    membership, *, tab: str = "active", query: str = "", page: int = 1, page_size: int = 25
) -> int:
    """What a first version would do: icontains without the trigram index, ORDER BY
    legal_name, a full COUNT of the list and of each tab, and each row's primary contact,
    assigned staff and template fetched one row at a time (N+1). Renders nothing.

    The query is split into terms as the app does, so both find the same clients.
    """
    from partnerspace.clients.models import INACTIVE_STATUSES, Client, ClientStatus
    from partnerspace.clients.search import search_terms

    clients = Client.objects.filter(firm=membership.firm)
    if not membership.sees_all_clients:
        clients = clients.filter(assignments__membership=membership)
    # The tab badges: a full COUNT per tab.
    clients.filter(status=ClientStatus.ACTIVE).count()
    clients.filter(status__in=INACTIVE_STATUSES).count()
    if tab == "inactive":
        clients = clients.filter(status__in=INACTIVE_STATUSES)
    else:
        clients = clients.filter(status=ClientStatus.ACTIVE)
    for term in search_terms(query):
        clients = clients.filter(search_text__icontains=term)
    total = clients.count()
    offset = (page - 1) * page_size
    for client in clients.order_by("legal_name")[offset : offset + page_size]:
        client.primary_contact = client.contacts.filter(is_primary=True).first()
        client.staff = list(client.assigned.select_related("user"))
        client.template_label = client.template.name if client.template else ""
    return total


# --------------------------------------------------------------------------------------
# The requests measured
# --------------------------------------------------------------------------------------


@dataclass
class Scenario:
    label: str
    who: str  # "admin" or "accountant"
    params: dict
    htmx: bool = False
    expect_rows: bool = True
    expect_text: str = ""
    refuse_text: str = ""

    @property
    def naive_arguments(self) -> dict:
        return {
            "tab": self.params.get("tab", "active"),
            "query": self.params.get("q", ""),
            "page": int(self.params.get("page", 1)),
            "page_size": int(self.params.get("size", 25)),
        }


def scenarios(data: Dataset, shares: dict[str, float]) -> list[Scenario]:
    messy = messy_vat(data.vat_target_vat)
    return [
        Scenario("Niet actief, page 1", "admin", {"tab": "inactive"}),
        Scenario("Niet actief, page 1, 100 rows", "admin", {"tab": "inactive", "size": 100}),
        Scenario("Actief, page 1", "admin", {"tab": "active"}),
        Scenario(f"search '{RARE_WORD}' ({shares[RARE_WORD]:.1%})", "admin", {"q": RARE_WORD}),
        Scenario(
            f"search '{COMMON_WORD}' ({shares[COMMON_WORD]:.1%})", "admin", {"q": COMMON_WORD}
        ),
        Scenario(
            f"search '{messy}'",
            "admin",
            {"q": messy},
            expect_text=data.vat_target_name,
            refuse_text=data.doppelganger_name,
        ),
        Scenario(f"search '{ABSENT_WORD}' (none)", "admin", {"q": ABSENT_WORD}, expect_rows=False),
        Scenario("Niet actief, page 50", "admin", {"tab": "inactive", "page": 50}),
        Scenario("accountant, Actief, page 1", "accountant", {"tab": "active"}),
        Scenario(f"htmx: search '{RARE_WORD}'", "admin", {"q": RARE_WORD}, htmx=True),
    ]


def check_response(scenario: Scenario, response) -> str:
    """What is wrong with the answer, or ""."""
    from django.utils.html import escape

    if response.status_code != 200:
        return f"HTTP {response.status_code}"
    content = response.content.decode()
    has_table = 'data-testid="client-table"' in content
    if scenario.expect_rows and not has_table:
        return "no rows shown"
    if not scenario.expect_rows and has_table:
        return "rows shown where none match"
    if scenario.expect_text and escape(scenario.expect_text) not in content:
        return f"{scenario.expect_text!r} not found"
    if scenario.refuse_text and escape(scenario.refuse_text) in content:
        return f"{scenario.refuse_text!r} from the other firm shown"
    if scenario.htmx and "<html" in content:
        return "a whole page where the partial was asked for"
    return ""


@dataclass
class Line:
    database: str
    label: str
    median: float
    p95: float
    cpu_median: float
    queries: int
    slowest_sql_ms: float
    passed: bool
    problem: str = ""
    matches: int | None = None
    naive_median: float | None = None
    naive_p95: float | None = None
    naive_queries: int | None = None


def worker(options: argparse.Namespace) -> int:
    """The child process of one database: prepare the data, measure, report."""
    common.setup_django()
    data = prepare(options)
    lines = measure_requests(data, options)
    if options.results:
        common.write_json(options.results, [asdict(line) for line in lines])
    return 0


def database_name() -> tuple[str, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        sqlite = connection.vendor == "sqlite"
        cursor.execute("SELECT sqlite_version()" if sqlite else "SHOW server_version")
        version = cursor.fetchone()[0]
    return ("SQLite" if sqlite else "PostgreSQL"), version


def prepare(options: argparse.Namespace) -> Dataset:
    """Migrate the empty scratch database and fill it."""
    from django.core.management import call_command
    from django.db import connection

    name, version = database_name()
    print(f"== {name} {version} ==", flush=True)
    with common.Stopwatch() as watch:
        call_command("migrate", interactive=False, verbosity=0)
    print(f"migrated in {watch.seconds:.1f} s", flush=True)
    with common.Stopwatch() as watch:
        data = fill(options.clients)
    data.seconds = watch.seconds
    print(
        f"filled {data.clients:,} clients in firm '{data.slug}' and {data.small_clients:,} in "
        f"'{data.small_slug}' ({data.contacts:,} contacts, {data.assignments:,} assignments) "
        f"in {watch.seconds:.1f} s (not a target)",
        flush=True,
    )
    if connection.vendor == "postgresql":
        # What autovacuum does after a load like this one: statistics, visibility map,
        # and the GIN index's pending list merged.
        with common.Stopwatch() as watch, connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        print(f"VACUUM ANALYZE (as autovacuum would) in {watch.seconds:.1f} s", flush=True)
    elif options.sqlite_analyze:
        with common.Stopwatch() as watch, connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"ANALYZE in {watch.seconds:.1f} s (--sqlite-analyze)", flush=True)
    else:
        print("no ANALYZE: the app never runs it on SQLite (--sqlite-analyze to try it)")
    return data


def measure_requests(data: Dataset, options: argparse.Namespace) -> list[Line]:
    """Time every scenario and its baseline; print the table (and the plans with --explain)."""
    from django.db import close_old_connections, connection
    from django.test import Client as Browser
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from partnerspace.clients.models import Client
    from partnerspace.clients.search import search_filter
    from partnerspace.firms.models import Membership

    vendor = connection.vendor
    name, version = database_name()
    admin = Membership.objects.select_related("firm", "user").get(
        firm__slug=data.slug, is_administrator=True
    )
    accountant = Membership.objects.select_related("firm", "user").get(
        firm__slug=data.slug, is_accountant=True
    )
    firm_clients = Client.objects.filter(firm=admin.firm)
    shares = {
        word: search_filter(firm_clients, word).count() / data.clients
        for word in (RARE_WORD, COMMON_WORD)
    }
    print(
        f"search words: '{RARE_WORD}' matches {shares[RARE_WORD]:.1%} of the firm's clients, "
        f"'{COMMON_WORD}' {shares[COMMON_WORD]:.1%}; {data.vat_target_vat} is "
        f"'{data.vat_target_name}' (and '{data.doppelganger_name}' in '{data.small_slug}')"
    )

    browsers = {}
    for who, membership in (("admin", admin), ("accountant", accountant)):
        browsers[who] = Browser()
        browsers[who].force_login(membership.user)
    memberships = {"admin": admin, "accountant": accountant}
    base_url = reverse("clients:list", args=[data.slug])

    lines: list[Line] = []
    explained: list[tuple[str, list[dict]]] = []
    print(
        f"measuring {options.repeat} requests after {options.warmup} warm-ups per line "
        f"(baseline: {options.baseline_repeat} after 1); {common.load_average()} ...",
        flush=True,
    )
    for scenario in scenarios(data, shares):
        browser = browsers[scenario.who]
        headers = {"HX-Request": "true", "HX-Target": "client-results"} if scenario.htmx else {}

        def request(browser=browser, scenario=scenario, headers=headers):
            return browser.get(base_url, scenario.params, headers=headers)

        # The test client keeps the connection open between requests; a server closes it
        # when CONN_MAX_AGE says so (at once on SQLite), and the next request reconnects.
        timing = common.measure(
            request, repeat=options.repeat, warmup=options.warmup, after=close_old_connections
        )
        with CaptureQueriesContext(connection) as captured:
            response = request()
        close_old_connections()
        slowest = max(captured.captured_queries, key=lambda q: float(q["time"]), default=None)
        slowest_ms = float(slowest["time"]) * 1000 if slowest else 0.0
        problem = check_response(scenario, response)
        line = Line(
            database=vendor,
            label=scenario.label,
            median=timing.median,
            p95=timing.p95,
            cpu_median=timing.cpu_median,
            queries=len(captured),
            slowest_sql_ms=slowest_ms,
            passed=not problem and timing.p95 < options.target_ms,
            problem=problem,
        )
        explained.append((scenario.label, captured.captured_queries))
        if not options.no_baseline:
            membership = memberships[scenario.who]

            def naive(membership=membership, scenario=scenario):
                return naive_listing(membership, **scenario.naive_arguments)

            naive_timing = common.measure(
                naive, repeat=options.baseline_repeat, warmup=1, after=close_old_connections
            )
            with CaptureQueriesContext(connection) as captured:
                line.matches = naive()
            close_old_connections()
            line.naive_median = naive_timing.median
            line.naive_p95 = naive_timing.p95
            line.naive_queries = len(captured)
        lines.append(line)

    print(f"done; {common.load_average()}")
    print_report(name, version, lines, options)
    if warning := common.busy_warning():
        print(warning)
    if options.explain:
        print_plans(vendor, explained)
    return lines


def print_report(name: str, version: str, lines: list[Line], options) -> None:
    target = f"{options.target_ms:.0f}"
    print(
        f"\n{name} {version}, {options.clients:,} clients: server time per request in ms "
        f"(median, p95 of {options.repeat}), SQL queries per request; searches in the Actief "
        "tab (the default), their share of all the firm's clients in brackets; baseline "
        "'naive' measured on the same data"
    )
    rows = []
    for line in lines:
        result = "PASS" if line.passed else ("ERROR" if line.problem else "FAIL")
        ratio = f"{line.naive_median / line.median:.1f}x" if line.naive_median else "-"
        rows.append(
            [
                line.label,
                "-" if line.matches is None else f"{line.matches:,}",
                line.queries,
                common.ms(line.median),
                common.ms(line.p95),
                common.ms(line.cpu_median),
                common.ms(line.slowest_sql_ms),
                target,
                result,
                "-" if line.naive_queries is None else line.naive_queries,
                common.ms(line.naive_median),
                common.ms(line.naive_p95),
                ratio,
            ]
        )
    common.print_table(
        [
            "request",
            "matches",
            "SQL",
            "median",
            "p95",
            "CPU",
            "slowest SQL",
            "target",
            "result",
            "naive SQL",
            "naive median",
            "naive p95",
            "naive/app",
        ],
        rows,
        align="lrrrrrrrlrrrr",
    )
    for line in lines:
        if line.problem:
            print(f"  ERROR {line.label}: {line.problem}")
    print(
        "  CPU: median CPU time of this process per request (the wall-clock figures include\n"
        "  waiting for a CPU when the machine is busy; on PostgreSQL the server's own CPU is\n"
        "  not in it). slowest SQL: the longest query of one request (ms, to the ms).\n"
        "  naive/app: how many times longer the baseline's median is (it renders nothing).",
        flush=True,
    )


def print_plans(vendor: str, explained: list[tuple[str, list[dict]]]) -> None:
    """Each request's queries with their times, and the plan of the slowest one."""
    from django.db import connection

    print("\nThe queries of each request (ms), and the plan of the slowest:")
    for label, queries in explained:
        print(f"\n-- {label}")
        for query in queries:
            print(f"  {float(query['time']) * 1000:7.1f}  {query['sql'][:150]}")
        if not queries:
            continue
        slowest = max(queries, key=lambda q: float(q["time"]))
        print(f"  slowest, in full:\n    {slowest['sql']}")
        prefix = "EXPLAIN QUERY PLAN " if vendor == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
        try:
            with connection.cursor() as cursor:
                cursor.execute(prefix + slowest["sql"])
                for row in cursor.fetchall():
                    print("    plan:", " | ".join(str(cell) for cell in row))
        except Exception as error:  # a plan we cannot show is not fatal
            print(f"    (no plan: {error})")
    sys.stdout.flush()


if __name__ == "__main__":
    # The child process: `python -m benchmarks.client_list ... --worker`.
    sys.exit(main(sys.argv[1:]))
