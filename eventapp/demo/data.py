"""The 1 December 2015 network day as data. Names, roles, organisations and titles are the
document's own words; times, rooms, venue and capacities are illustrative."""

from datetime import date

EVENT = {
    "slug": "journee-reseau-2015",
    "title": "Journée réseau « Les enfants d'abord »",
    "subtitle": (
        "Plateformes de concertation locales pour la prévention et la détection "
        "de la pauvreté infantile"
    ),
    "organising_body": "SPP Intégration sociale",
    "project": "Les enfants d'abord",
    "date": date(2015, 12, 1),
    "starts": "08:45",
    "ends": "16:00",
    "timezone": "Europe/Brussels",
    "venue_name": "SPP Intégration sociale",
    "venue_address": "Boulevard du Roi Albert II 30, 1000 Bruxelles",
    "contact_email": "journee-reseau@example.org",
    "capacity": 120,
    "proceedings_cover_line": "Compte-rendu de la journée réseau",
    "proceedings_chapter": "Journée réseau",
}

ROOMS = [("Auditorium", 150), ("Salle A", 30), ("Salle B", 30), ("Salle C", 30), ("Salle D", 30)]

THEMES = [
    (
        1,
        # As the document heads its section (its introduction's list adds a "?").
        "Comment gérer le secret professionnel (partagé), le respect de la vie privée "
        "et l'obligation de notification",
        "",
    ),
    (2, "Comment travailler de manière ouverte, proactive et non stigmatisante ?", ""),
    (
        3,
        "Comment coopérer, dans une grande ville, avec plusieurs quartiers "
        "ou entre plusieurs communes ?",
        "",
    ),
    (
        4,
        "Comment adhérer à la politique (locale) existante en matière de pauvreté / "
        "comment s'ancrer ?",
        "",
    ),
]

# name: (role, organisation)
SPEAKERS = {
    "Julien Van Geertsom": ("président du SPP Intégration sociale", ""),
    "Elke Sleurs": (
        "secrétaire d'État à la Lutte contre la pauvreté, à l'Égalité des chances, "
        "aux Personnes handicapées, et à la Politique scientifique, chargée des Grandes villes",
        "",
    ),
    "KPMG": ("", ""),
    "Prof. Dr. Peter Raeymaeckers": (
        "",
        "Université d'Anvers, centre de recherches pour l'Inégalité, la Pauvreté, "
        "l'Exclusion sociale et la Ville (OASeS)",
    ),
    "Lara De Jacquier": ("Coordinatrice-Directrice du Secteur Social", "CPAS de Gembloux"),
    "Nathalie Eeckhout": ("psychologue", "CPAS de Braine-Le-Comte"),
    "Isabelle Colson": ("directrice générale", "CPAS de Vielsalm"),
    "Marilène Pacquet": ("Coordinatrice de plateforme", "CPAS de Vielsalm"),
    "Katja Vanderputten": ("", "CPAS de Bruxelles"),
    "Sylvia Lis": ("Chef du service Psychologie - jobs de vacances", "CPAS de Gand"),
    "Hilde Genetello": ("collègue, psychologue", "CPAS de Gand"),
    "Ilse Baeck": ("", "CPAS de Dilbeek"),
    "Isabelle Laminé": ("", "CPAS de Dilbeek"),
    "Brigitte Vander Herten": (
        "experte du vécu",
        "TaO Armoede (équipes de conseil et de soutien dans la lutte contre la pauvreté "
        "et l'exclusion sociale)",
    ),
    "Maarten Francois": (
        "Régisseur du programme de lutte contre la pauvreté, Direction Bien-être, "
        "équipe de direction",
        "CPAS de Courtrai, ville de Courtrai",
    ),
}

# The compte-rendu's speaker lines where the document names people differently from
# "Name, role, organisation", or several people on one line, or ends the line with its own
# punctuation.
_VAN_GEERTSOM = "Julien Van Geertsom, président du SPP Intégration sociale,"
_VANDERPUTTEN = "Katja Vanderputten, CPAS de Bruxelles :"
_GEMBLOUX = "Lara De Jacquier, Coordinatrice-Directrice du Secteur Social du CPAS de Gembloux"
_VIELSALM = (
    "Isabelle Colson, directrice générale, Marilène Pacquet, Coordinatrice de plateforme, "
    "CPAS de Vielsalm"
)
_GAND = (
    "Sylvia Lis : Chef du service Psychologie - jobs de vacances et Hilde Genetello : "
    "collègue, psychologue, CPAS de Gand"
)
_DILBEEK = (
    "Ilse Baeck, Isabelle Laminé, toutes deux du CPAS de Dilbeek, et Brigitte Vander Herten, "
    "experte du vécu auprès de TaO Armoede (équipes de conseil et de soutien dans la lutte "
    "contre la pauvreté et l'exclusion sociale)"
)

WORKSHOP_SPEAKERS = {
    1: [("Lara De Jacquier", _GEMBLOUX)],
    2: [
        ("Nathalie Eeckhout", ""),
        ("Isabelle Colson", _VIELSALM),
        ("Marilène Pacquet", _VIELSALM),
    ],
    3: [
        ("Katja Vanderputten", _VANDERPUTTEN),
        ("Sylvia Lis", _GAND),
        ("Hilde Genetello", _GAND),
    ],
    4: [
        ("Ilse Baeck", _DILBEEK),
        ("Isabelle Laminé", _DILBEEK),
        ("Brigitte Vander Herten", _DILBEEK),
        ("Maarten Francois", ""),
    ],
}

_WORKSHOP_ROOMS = {1: "Salle A", 2: "Salle B", 3: "Salle C", 4: "Salle D"}


def _round(start: str, end: str, with_summaries: bool) -> list[dict]:
    # The compte-rendu has one section per theme: its summary sits on the first round.
    return [
        {
            "kind": "workshop",
            "title": title,
            "start": start,
            "end": end,
            "room": _WORKSHOP_ROOMS[number],
            "theme": number,
            "capacity": 30,
            "speakers": WORKSHOP_SPEAKERS[number],
            "summary": f"theme-{number}" if with_summaries else None,
        }
        for number, title, _ in THEMES
    ]


ITEMS = [
    {"kind": "break", "title": "Accueil et café", "start": "08:45", "end": "09:30"},
    {
        "kind": "plenary",
        "title": "Introduction",
        "start": "09:30",
        "end": "10:00",
        "room": "Auditorium",
        "description": (
            "Mot d'explication du président du SPP Intégration sociale "
            "et de la secrétaire d'État Elke Sleurs."
        ),
        "speakers": [("Julien Van Geertsom", _VAN_GEERTSOM), ("Elke Sleurs", "")],
        "summary": "1-introduction",
    },
    {
        "kind": "plenary",
        "title": "L'étude Les enfants d'abord",
        "start": "10:00",
        "end": "10:45",
        "room": "Auditorium",
        "description": (
            "Présentation de l'étude par KPMG : vue d'ensemble de la méthode utilisée, "
            "bonnes pratiques identifiées et recommandations stratégiques."
        ),
        "speakers": [("KPMG", "")],
    },
    {"kind": "break", "title": "Pause café", "start": "10:45", "end": "11:00"},
    {
        "kind": "plenary",
        "title": "Les réseaux d'un point de vue universitaire",
        "start": "11:00",
        "end": "11:45",
        "room": "Auditorium",
        "description": (
            "La perspective universitaire de réseaux tels que les plateformes de réflexion."
        ),
        "speakers": [("Prof. Dr. Peter Raeymaeckers", "")],
        "summary": "2-reseaux",
    },
    {"kind": "break", "title": "Déjeuner", "start": "11:45", "end": "13:00"},
    *_round("13:00", "14:15", with_summaries=True),
    {"kind": "break", "title": "Pause café", "start": "14:15", "end": "14:45"},
    *_round("14:45", "16:00", with_summaries=False),
]
