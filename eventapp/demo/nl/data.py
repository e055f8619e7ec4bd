"""The Dutch texts of the demo event, keyed as ``eventapp.demo.data`` keys the French.

Official Belgian Dutch names: POD Maatschappelijke Integratie (POD MI) for the SPP Intégration
sociale (SPP IS), OCMW for CPAS, Universiteit Antwerpen; Brussels, Ghent, Kortrijk and
Antwerp by their Dutch names, the Walloon municipalities (Gembloux, Braine-Le-Comte, Vielsalm)
by their own. Person names and KPMG stay as they are.
"""

# data.EVENT's texts, under the same keys.
EVENT = {
    "title": "Netwerkdag ‘Kinderen eerst’",
    "subtitle": "Lokale overlegplatformen voor de preventie en opsporing van kinderarmoede",
    "organising_body": "POD Maatschappelijke Integratie",
    "project": "Kinderen eerst",
    "venue_name": "POD Maatschappelijke Integratie",
    "venue_address": "Koning Albert II-laan 30, 1000 Brussel",
    "proceedings_cover_line": "Verslag van de netwerkdag",
    "proceedings_chapter": "Netwerkdag",
}

# data.ROOMS: French name -> Dutch name.
ROOMS = {
    "Auditorium": "Auditorium",
    "Salle A": "Zaal A",
    "Salle B": "Zaal B",
    "Salle C": "Zaal C",
    "Salle D": "Zaal D",
}

# data.THEMES: number -> (title, description).
THEMES = {
    1: (
        # As the compte-rendu heads its section (its introduction's list adds a "?").
        "Hoe omgaan met het (gedeelde) beroepsgeheim, het respect voor de privacy "
        "en de meldingsplicht",
        "",
    ),
    2: ("Hoe open, proactief en niet-stigmatiserend werken?", ""),
    3: (
        "Hoe samenwerken, in een grootstad, met meerdere wijken of tussen meerdere gemeenten?",
        "",
    ),
    4: ("Hoe aansluiten bij het bestaande (lokale) armoedebeleid / hoe verankeren?", ""),
}

# data.SPEAKERS: name -> (role, organisation).
SPEAKERS = {
    "Julien Van Geertsom": ("voorzitter van de POD Maatschappelijke Integratie", ""),
    "Elke Sleurs": (
        "staatssecretaris voor Armoedebestrijding, Gelijke Kansen, Personen met een beperking, "
        "en Wetenschapsbeleid, belast met Grote Steden",
        "",
    ),
    "KPMG": ("", ""),
    "Prof. Dr. Peter Raeymaeckers": (
        "",
        "Universiteit Antwerpen, onderzoekscentrum voor Ongelijkheid, Armoede, "
        "Sociale Uitsluiting en de Stad (OASeS)",
    ),
    "Lara De Jacquier": ("Coördinatrice-directrice van de Sociale Sector", "OCMW Gembloux"),
    "Nathalie Eeckhout": ("psycholoog", "OCMW Braine-Le-Comte"),
    "Isabelle Colson": ("algemeen directeur", "OCMW Vielsalm"),
    "Marilène Pacquet": ("Platformcoördinatrice", "OCMW Vielsalm"),
    "Katja Vanderputten": ("", "OCMW Brussel"),
    "Sylvia Lis": ("Hoofd van de dienst Psychologie - vakantiejobs", "OCMW Gent"),
    "Hilde Genetello": ("collega, psycholoog", "OCMW Gent"),
    "Ilse Baeck": ("", "OCMW Dilbeek"),
    "Isabelle Laminé": ("", "OCMW Dilbeek"),
    "Brigitte Vander Herten": (
        "ervaringsdeskundige",
        "TaO Armoede (teams voor advies en ondersteuning in de strijd tegen armoede "
        "en sociale uitsluiting)",
    ),
    "Maarten Francois": (
        "Regisseur van het Armoedebestrijdingsprogramma, Directie Welzijn, directieteam",
        "OCMW Kortrijk, stad Kortrijk",
    ),
}

# The compte-rendu's speaker lines (the credits of data.ITEMS' speakers), by speaker name:
# each speaker carries one credit, the same in every item.
_VIELSALM = (
    "Isabelle Colson, algemeen directeur, Marilène Pacquet, Platformcoördinatrice, OCMW Vielsalm"
)
_GENT = (
    "Sylvia Lis: Hoofd van de dienst Psychologie - vakantiejobs en Hilde Genetello: "
    "collega, psycholoog, OCMW Gent"
)
_DILBEEK = (
    "Ilse Baeck, Isabelle Laminé, beiden van het OCMW Dilbeek, en Brigitte Vander Herten, "
    "ervaringsdeskundige bij TaO Armoede (teams voor advies en ondersteuning in de strijd "
    "tegen armoede en sociale uitsluiting)"
)
CREDITS = {
    "Julien Van Geertsom": (
        "Julien Van Geertsom, voorzitter van de POD Maatschappelijke Integratie,"
    ),
    "Lara De Jacquier": (
        "Lara De Jacquier, Coördinatrice-directrice van de Sociale Sector van het OCMW Gembloux"
    ),
    "Isabelle Colson": _VIELSALM,
    "Marilène Pacquet": _VIELSALM,
    "Katja Vanderputten": "Katja Vanderputten, OCMW Brussel:",
    "Sylvia Lis": _GENT,
    "Hilde Genetello": _GENT,
    "Ilse Baeck": _DILBEEK,
    "Isabelle Laminé": _DILBEEK,
    "Brigitte Vander Herten": _DILBEEK,
}

# data.ITEMS other than the theme workshops (which take their theme's title), by their French
# title: (title, description).
ITEMS = {
    "Accueil et café": ("Onthaal en koffie", ""),
    "Introduction": (
        "Inleiding",
        "Toelichting door de voorzitter van de POD Maatschappelijke Integratie "
        "en door staatssecretaris Elke Sleurs.",
    ),
    "L'étude Les enfants d'abord": (
        "De studie Kinderen eerst",
        "Voorstelling van de studie door KPMG: overzicht van de gebruikte methode, "
        "vastgestelde goede praktijken en beleidsaanbevelingen.",
    ),
    "Pause café": ("Koffiepauze", ""),
    "Les réseaux d'un point de vue universitaire": (
        "Netwerken vanuit academisch oogpunt",
        "Het academische perspectief op netwerken zoals de overlegplatformen.",
    ),
    "Déjeuner": ("Lunch", ""),
}
