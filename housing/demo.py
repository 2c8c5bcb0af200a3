"""Deterministic synthetic demo caseload over the projects already in the database.

``manage.py seed_demo`` (and the ``seed_demo`` bootstrap loader) build, on
top of the USH catalogue, what a landlord adviser, an association
caseworker, a team lead, national staff and a funder expect to find on a
development database: partner bodies, two landlord–association demo pairs
with their logins, households with their people, orientations, consents,
support measures (every phase, intensity and outcome), a year of visit
log, goals and reviews, workshops, outcome snapshots, housing units and
the lease path (bail glissant and glissement, sous-location…), attribution
steps, eviction-prevention files with their legal deadlines, and the money
and committees of the projects.

Everything is invented: names come from lists of common French names and
first names, addresses from invented street names in real communes.

Determinism: every random draw comes from ``random.Random`` instances seeded
with ``"<seed>:<purpose>"``; nothing reads the clock (the reference date is
``DEMO_TODAY`` unless given) and nothing calls ``uuid4``. The same seed on
the same database state gives the same rows.

Several models fill denormalised fields in ``save()`` (``organisation``,
``search_key``, ``household``, ``lessor``, ``project``); rows are written
with ``bulk_create`` for speed, so this module sets those fields itself.
"""

from __future__ import annotations

import math
import random
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from core import bootstrap
from core.calendar import add_months, first_day_eviction_possible, next_working_day
from core.text import fold
from households.models import (
    Consent,
    ConsentPurpose,
    Contact,
    ContactKind,
    ContactStatus,
    GoalDomain,
    GoalReview,
    GoalStatus,
    Household,
    Intensity,
    Mandate,
    MeasureKind,
    Outcome,
    Person,
    PersonRole,
    Phase,
    PriorSituation,
    Referral,
    ReferralDecision,
    ReferralSource,
    ReviewMilestone,
    SituationSnapshot,
    SnapshotMoment,
    SupportGoal,
    SupportMeasure,
    TeamMember,
    TeamRole,
    Workshop,
    WorkshopAttendance,
)
from partners.models import Membership, Organisation, OrganisationKind, Partnership, Role, normalize_organisation_name
from projects.models import (
    BudgetKind,
    BudgetLine,
    CarrierRole,
    CommitteeDecision,
    CommitteeKind,
    CommitteeMeeting,
    Expense,
    Funding,
    FundingDecision,
    FunderProgramme,
    Payment,
    PaymentKind,
    Project,
    ProjectCarrier,
    ProjectStatus,
    ProjectTarget,
)

from .deadlines import deadline_for, must_report_to_caf
from .models import (
    AttributionDecision,
    AttributionStep,
    AttributionStepKind,
    EvictionCase,
    EvictionCaseStatus,
    EvictionStep,
    EvictionStepKind,
    Financing,
    Glissement,
    HousingUnit,
    JudgmentResult,
    Lease,
    LeaseKind,
    Typology,
    UnitKind,
)

DEMO_DOMAIN = "demo.logement-accompagne.fr"
DEMO_TODAY = date(2026, 11, 23)
DEFAULT_SEED = 2026
DEFAULT_HOUSEHOLDS = 2000
MIN_PROJECTS = 5
MAX_PROJECTS_WITH_HOUSEHOLDS = 30
DEMO_SHARE = 0.25  # of the households, in each of the two demo projects
BATCH = 2000
PARIS = ZoneInfo("Europe/Paris")

SYNTHETIC_ASSOCIATIONS = ("Association Horizon Logement", "Association Clés de l'Habitat")


class NotEnoughProjects(Exception):
    """The catalogue is not loaded: fewer than ``MIN_PROJECTS`` projects."""


def not_enough_projects_message(found: int) -> str:
    return (
        f"Il faut au moins {MIN_PROJECTS} projets en base pour générer le jeu de démonstration "
        f"(trouvé : {found}). Lancez d'abord « manage.py import_ush_guide »."
    )


# --------------------------------------------------------------------------
# Demo logins (registered in HousingConfig.ready(), created by the seed)
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoLogin:
    slot: str  # landlord_a, association_a, landlord_b, association_b, ush, funder
    first_name: str
    last_name: str
    role: str
    label: str
    job_title: str

    @property
    def email(self) -> str:
        return f"{_slug(self.first_name)}.{_slug(self.last_name)}@{DEMO_DOMAIN}"


def _slug(text: str) -> str:
    return fold(text).replace(" ", "-")


DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin("landlord_a", "Sophie", "Garnier", Role.LANDLORD_ADVISER, "Conseillère sociale — bailleur A",
              "Conseillère en économie sociale et familiale"),
    DemoLogin("association_a", "Karim", "Benali", Role.CASEWORKER, "Travailleur social — association A",
              "Travailleur social, référent logement"),
    DemoLogin("association_a", "Claire", "Moreau", Role.TEAM_LEAD, "Cheffe de projet — association A",
              "Cheffe de service logement accompagné"),
    DemoLogin("association_a", "Julien", "Perrin", Role.ORG_ADMIN, "Administrateur — association A",
              "Directeur administratif et financier"),
    DemoLogin("landlord_a", "Nathalie", "Roussel", Role.ORG_ADMIN, "Administratrice — bailleur A",
              "Responsable de la gestion sociale"),
    DemoLogin("landlord_b", "Élodie", "Marchand", Role.LANDLORD_ADVISER, "Conseillère sociale — bailleur B",
              "Conseillère sociale"),
    DemoLogin("association_b", "Aïcha", "Diallo", Role.CASEWORKER, "Travailleuse sociale — association B",
              "Éducatrice spécialisée, référente logement"),
    DemoLogin("association_b", "Marc", "Fontaine", Role.TEAM_LEAD, "Chef de projet — association B",
              "Chef de projet logement d'abord"),
    DemoLogin("association_b", "Isabelle", "Carpentier", Role.ORG_ADMIN, "Administratrice — association B",
              "Directrice de l'association"),
    DemoLogin("landlord_b", "Olivier", "Brunet", Role.ORG_ADMIN, "Administrateur — bailleur B",
              "Directeur de la proximité"),
    DemoLogin("ush", "Hélène", "Vasseur", Role.NATIONAL_STAFF, "Équipe nationale — USH",
              "Chargée de mission politiques sociales"),
    DemoLogin("funder", "Patrick", "Renaud", Role.FUNDER, "Financeur — DDETS",
              "Chargé de mission hébergement-logement"),
)


def register() -> None:
    """Called from ``HousingConfig.ready()``: demo logins and the bootstrap loader."""
    for login in DEMO_LOGINS:
        bootstrap.register_demo_login(login.label, login.email)
    bootstrap.register_loader(20, "seed_demo", load_demo)


def load_demo(stdout=None) -> None:
    """Bootstrap loader: the demo caseload on a development database without households."""
    from django.conf import settings

    if not (settings.DEBUG or getattr(settings, "EMBEDDED_DATABASE", False)):
        return
    if Household.objects.exists():
        return
    found = Project.objects.count()
    if found < MIN_PROJECTS:
        if stdout is not None:
            stdout.write(f"Jeu de démonstration non chargé : {found} projet(s) en base, il en faut {MIN_PROJECTS}.")
        return
    seed(stdout=stdout)


# --------------------------------------------------------------------------
# Static data: départements and communes, names, streets, texts
# --------------------------------------------------------------------------

# code|name with its article|communes as "Name postcode INSEE", ";"-separated
_GEO_TEXT = """
01|de l'Ain|Bourg-en-Bresse 01000 01053;Oyonnax 01100 01283;Ambérieu-en-Bugey 01500 01004
02|de l'Aisne|Laon 02000 02408;Saint-Quentin 02100 02691;Soissons 02200 02722
03|de l'Allier|Moulins 03000 03190;Montluçon 03100 03185;Vichy 03200 03310
04|des Alpes-de-Haute-Provence|Digne-les-Bains 04000 04070;Manosque 04100 04112
05|des Hautes-Alpes|Gap 05000 05061;Briançon 05100 05023
06|des Alpes-Maritimes|Nice 06000 06088;Nice 06300 06088;Cannes 06400 06029;Grasse 06130 06069;Antibes 06600 06004
07|de l'Ardèche|Privas 07000 07186;Annonay 07100 07010;Aubenas 07200 07019
08|des Ardennes|Charleville-Mézières 08000 08105;Sedan 08200 08409
09|de l'Ariège|Foix 09000 09122;Pamiers 09100 09225
10|de l'Aube|Troyes 10000 10387;Romilly-sur-Seine 10100 10323
11|de l'Aude|Carcassonne 11000 11069;Narbonne 11100 11262
12|de l'Aveyron|Rodez 12000 12202;Millau 12100 12145
13|des Bouches-du-Rhône|Marseille 13003 13055;Marseille 13013 13055;Marseille 13015 13055;Aix-en-Provence 13090 13001;Arles 13200 13004;Martigues 13500 13056
14|du Calvados|Caen 14000 14118;Lisieux 14100 14366;Hérouville-Saint-Clair 14200 14327
15|du Cantal|Aurillac 15000 15014;Saint-Flour 15100 15187
16|de la Charente|Angoulême 16000 16015;Cognac 16100 16102
17|de la Charente-Maritime|La Rochelle 17000 17300;Rochefort 17300 17299;Saintes 17100 17415
18|du Cher|Bourges 18000 18033;Vierzon 18100 18279
19|de la Corrèze|Tulle 19000 19272;Brive-la-Gaillarde 19100 19031
2A|de la Corse-du-Sud|Ajaccio 20000 2A004
2B|de la Haute-Corse|Bastia 20200 2B033
21|de la Côte-d'Or|Dijon 21000 21231;Beaune 21200 21054
22|des Côtes-d'Armor|Saint-Brieuc 22000 22278;Lannion 22300 22113
23|de la Creuse|Guéret 23000 23096
24|de la Dordogne|Périgueux 24000 24322;Bergerac 24100 24037
25|du Doubs|Besançon 25000 25056;Montbéliard 25200 25388
26|de la Drôme|Valence 26000 26362;Montélimar 26200 26198;Romans-sur-Isère 26100 26281
27|de l'Eure|Évreux 27000 27229;Vernon 27200 27681;Louviers 27400 27375
28|d'Eure-et-Loir|Chartres 28000 28085;Dreux 28100 28134
29|du Finistère|Quimper 29000 29232;Brest 29200 29019;Morlaix 29600 29151
30|du Gard|Nîmes 30000 30189;Alès 30100 30007
31|de la Haute-Garonne|Toulouse 31100 31555;Toulouse 31200 31555;Colomiers 31770 31149;Muret 31600 31395
32|du Gers|Auch 32000 32013
33|de la Gironde|Bordeaux 33000 33063;Bordeaux 33300 33063;Mérignac 33700 33281;Pessac 33600 33318;Libourne 33500 33243
34|de l'Hérault|Montpellier 34000 34172;Montpellier 34080 34172;Béziers 34500 34032;Sète 34200 34301
35|d'Ille-et-Vilaine|Rennes 35000 35238;Rennes 35200 35238;Saint-Malo 35400 35288;Fougères 35300 35115
36|de l'Indre|Châteauroux 36000 36044;Issoudun 36100 36088
37|d'Indre-et-Loire|Tours 37000 37261;Joué-lès-Tours 37300 37122
38|de l'Isère|Grenoble 38000 38185;Grenoble 38100 38185;Échirolles 38130 38151;Vienne 38200 38544;Saint-Martin-d'Hères 38400 38421
39|du Jura|Lons-le-Saunier 39000 39300;Dole 39100 39198
40|des Landes|Mont-de-Marsan 40000 40192;Dax 40100 40088
41|de Loir-et-Cher|Blois 41000 41018;Vendôme 41100 41269
42|de la Loire|Saint-Étienne 42000 42218;Saint-Étienne 42100 42218;Roanne 42300 42187;Firminy 42700 42095
43|de la Haute-Loire|Le Puy-en-Velay 43000 43157
44|de la Loire-Atlantique|Nantes 44000 44109;Nantes 44300 44109;Saint-Nazaire 44600 44184;Rezé 44400 44143
45|du Loiret|Orléans 45000 45234;Montargis 45200 45208
46|du Lot|Cahors 46000 46042;Figeac 46100 46102
47|de Lot-et-Garonne|Agen 47000 47001;Villeneuve-sur-Lot 47300 47323;Marmande 47200 47157
48|de la Lozère|Mende 48000 48095
49|de Maine-et-Loire|Angers 49000 49007;Angers 49100 49007;Cholet 49300 49099;Saumur 49400 49328
50|de la Manche|Saint-Lô 50000 50502;Cherbourg-en-Cotentin 50100 50129
51|de la Marne|Reims 51100 51454;Châlons-en-Champagne 51000 51108;Épernay 51200 51230
52|de la Haute-Marne|Chaumont 52000 52121;Saint-Dizier 52100 52448
53|de la Mayenne|Laval 53000 53130
54|de Meurthe-et-Moselle|Nancy 54000 54395;Vandœuvre-lès-Nancy 54500 54547;Lunéville 54300 54329
55|de la Meuse|Bar-le-Duc 55000 55029;Verdun 55100 55545
56|du Morbihan|Vannes 56000 56260;Lorient 56100 56121
57|de la Moselle|Metz 57000 57463;Metz 57050 57463;Thionville 57100 57672;Forbach 57600 57227
58|de la Nièvre|Nevers 58000 58194
59|du Nord|Lille 59000 59350;Roubaix 59100 59512;Tourcoing 59200 59599;Douai 59500 59178;Dunkerque 59140 59183;Valenciennes 59300 59606
60|de l'Oise|Beauvais 60000 60057;Compiègne 60200 60159;Creil 60100 60175
61|de l'Orne|Alençon 61000 61001;Flers 61100 61169
62|du Pas-de-Calais|Arras 62000 62041;Lens 62300 62498;Calais 62100 62193;Boulogne-sur-Mer 62200 62160
63|du Puy-de-Dôme|Clermont-Ferrand 63000 63113;Clermont-Ferrand 63100 63113;Riom 63200 63300
64|des Pyrénées-Atlantiques|Pau 64000 64445;Bayonne 64100 64102
65|des Hautes-Pyrénées|Tarbes 65000 65440;Lourdes 65100 65286
66|des Pyrénées-Orientales|Perpignan 66000 66136;Perpignan 66100 66136
67|du Bas-Rhin|Strasbourg 67000 67482;Strasbourg 67100 67482;Haguenau 67500 67180;Schiltigheim 67300 67447
68|du Haut-Rhin|Mulhouse 68100 68224;Mulhouse 68200 68224;Colmar 68000 68066
69|du Rhône|Lyon 69008 69123;Lyon 69009 69123;Villeurbanne 69100 69266;Vénissieux 69200 69259;Vaulx-en-Velin 69120 69256;Villefranche-sur-Saône 69400 69264
70|de la Haute-Saône|Vesoul 70000 70550
71|de Saône-et-Loire|Mâcon 71000 71270;Chalon-sur-Saône 71100 71076;Le Creusot 71200 71153
72|de la Sarthe|Le Mans 72000 72181;Le Mans 72100 72181
73|de la Savoie|Chambéry 73000 73065;Aix-les-Bains 73100 73008
74|de la Haute-Savoie|Annecy 74000 74010;Annemasse 74100 74012;Thonon-les-Bains 74200 74281
75|de Paris|Paris 75011 75056;Paris 75013 75056;Paris 75018 75056;Paris 75019 75056;Paris 75020 75056
76|de la Seine-Maritime|Rouen 76000 76540;Rouen 76100 76540;Le Havre 76600 76351;Dieppe 76200 76217
77|de Seine-et-Marne|Melun 77000 77288;Meaux 77100 77284;Chelles 77500 77108
78|des Yvelines|Versailles 78000 78646;Mantes-la-Jolie 78200 78361;Trappes 78190 78621;Sartrouville 78500 78586
79|des Deux-Sèvres|Niort 79000 79191
80|de la Somme|Amiens 80000 80021;Amiens 80080 80021;Abbeville 80100 80001
81|du Tarn|Albi 81000 81004;Castres 81100 81065
82|de Tarn-et-Garonne|Montauban 82000 82121
83|du Var|Toulon 83000 83137;Toulon 83200 83137;La Seyne-sur-Mer 83500 83126;Draguignan 83300 83050;Fréjus 83600 83061
84|de Vaucluse|Avignon 84000 84007;Carpentras 84200 84031;Cavaillon 84300 84035
85|de la Vendée|La Roche-sur-Yon 85000 85191;Les Sables-d'Olonne 85100 85194
86|de la Vienne|Poitiers 86000 86194;Châtellerault 86100 86066
87|de la Haute-Vienne|Limoges 87000 87085;Limoges 87100 87085
88|des Vosges|Épinal 88000 88160;Saint-Dié-des-Vosges 88100 88413
89|de l'Yonne|Auxerre 89000 89024;Sens 89100 89387
90|du Territoire de Belfort|Belfort 90000 90010
91|de l'Essonne|Évry-Courcouronnes 91000 91228;Corbeil-Essonnes 91100 91174;Massy 91300 91377;Grigny 91350 91286
92|des Hauts-de-Seine|Nanterre 92000 92050;Colombes 92700 92025;Gennevilliers 92230 92036;Boulogne-Billancourt 92100 92012
93|de la Seine-Saint-Denis|Bobigny 93000 93008;Saint-Denis 93200 93066;Montreuil 93100 93048;Aubervilliers 93300 93001;Aulnay-sous-Bois 93600 93005
94|du Val-de-Marne|Créteil 94000 94028;Vitry-sur-Seine 94400 94081;Champigny-sur-Marne 94500 94017;Ivry-sur-Seine 94200 94041
95|du Val-d'Oise|Cergy 95000 95127;Argenteuil 95100 95018;Sarcelles 95200 95585;Garges-lès-Gonesse 95140 95268
971|de la Guadeloupe|Pointe-à-Pitre 97110 97120;Les Abymes 97139 97101
972|de la Martinique|Fort-de-France 97200 97209
973|de la Guyane|Cayenne 97300 97302
974|de La Réunion|Saint-Denis 97400 97411;Saint-Pierre 97410 97416
976|de Mayotte|Mamoudzou 97600 97611
"""


@dataclass(frozen=True)
class City:
    name: str
    postcode: str
    insee: str


@dataclass(frozen=True)
class Departement:
    code: str
    of_name: str  # "du Rhône", "de l'Ain"
    cities: tuple[City, ...]


def _parse_geo(text: str) -> dict[str, Departement]:
    result = {}
    for line in text.strip().splitlines():
        code, of_name, cities = line.split("|")
        parsed = []
        for item in cities.split(";"):
            name, postcode, insee = item.rsplit(" ", 2)
            parsed.append(City(name, postcode, insee))
        result[code] = Departement(code, of_name, tuple(parsed))
    return result


GEO = _parse_geo(_GEO_TEXT)

SURNAMES = (
    "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefebvre Michel Garcia "
    "David Bertrand Roux Vincent Fournier Morel Girard André Mercier Dupont Lambert Bonnet François Martinez "
    "Legrand Faure Rousseau Blanc Guérin Muller Henry Nicolas Morin Mathieu Clément Gauthier Dumont Lopez "
    "Chevalier Robin Masson Sanchez Gérard Nguyen Boyer Denis Lemaire Duval Joly Roger Roche Roy Noël Meyer "
    "Lucas Meunier Pérez Dufour Blanchard Barbier Brun Dumas Schmitt Leroux Colin Fernandez Renard Arnaud "
    "Rolland Caron Aubert Giraud Leclerc Vidal Bourgeois Lemoine Picard Gaillard Lacroix Fabre Dupuis Olivier "
    "Rodriguez Hubert Guillot Rivière Guillaume Adam Rey Moulin Gonzalez Berger Lecomte Ménard Fleury Deschamps "
    "Maillard Marchal Aubry Jacquet Collet Prévost Poirier Charpentier Royer Huet Baron Dupuy Pons Carré Breton "
    "Perrot Guyot Barre Marty Cousin Traoré Haddad Mendy Camara Diop Cissé Kaya Yilmaz Ferreira Pereira Boucher "
    "Hamidi Mansouri Cherif Sow Keita Tran Pham Bensaïd Belkacem Ouali Mekki Rahmani Kone Touré Bah Sylla "
    "Lebrun Texier Besnard Hoarau Payet Jacob Weber Lemaître Benard Tessier Marchetti Santini Le_Gall Le_Goff"
).split()
SURNAMES = [name.replace("_", " ") for name in SURNAMES]

FEMALE_NAMES = (
    "Marie Nathalie Isabelle Sylvie Catherine Sandrine Céline Stéphanie Aurélie Julie Émilie Laura Camille Sarah "
    "Léa Chloé Manon Inès Lina Yasmine Fatima Khadija Nadia Samira Leïla Amina Fatou Aminata Mariam Awa Sonia "
    "Karima Jessica Audrey Virginie Valérie Christine Monique Jacqueline Josiane Odette Ginette Martine Brigitte "
    "Océane Jade Zoé Emma Louise Alice Rose Anaïs Mélanie Vanessa Cindy Nadège Patricia Agnès Malika Houria "
    "Kelly Sabrina Naïma Salimata Mireille Françoise Élise Lucie"
).split()
MALE_NAMES = (
    "Jean Pierre Michel Philippe Alain Patrick Nicolas Christophe Stéphane Laurent Frédéric David Sébastien "
    "Thomas Kevin Mehdi Mohamed Ahmed Youssef Bilal Rachid Samir Mamadou Moussa Ibrahima Oumar Abdoulaye Lucas "
    "Hugo Nathan Enzo Léo Gabriel Louis Adam Noah Rayan Yanis Théo Maxime Alexandre Antoine Romain Anthony "
    "Jérôme Franck Didier Gérard Bernard Marcel Roger Daniel Serge Dominique Bruno Éric Thierry Cédric Grégory "
    "Ali Hamza Sofiane Jordan Dylan Lionel Fabrice Pascal"
).split()

STREETS = (
    "rue des Lilas", "rue des Acacias", "allée des Tilleuls", "avenue des Platanes", "rue du Moulin",
    "rue de la Fontaine", "impasse des Glycines", "chemin des Vignes", "rue des Tisserands", "place du Marché",
    "rue Louise-Michel", "avenue Jean-Jaurès", "rue Victor-Hugo", "rue Jules-Ferry", "boulevard Pasteur",
    "rue de la République", "rue Voltaire", "rue des Écoles", "avenue de la Libération", "rue du Stade",
    "allée des Cerisiers", "rue des Peupliers", "rue Émile-Zola", "rue Gambetta", "rue des Mésanges",
    "rue des Hirondelles", "allée des Érables", "rue de la Paix", "rue du Château-d'Eau", "rue des Prés",
    "rue Aimé-Césaire", "rue Simone-Veil", "rue Lucie-Aubrac", "rue du Parc", "avenue des Sports",
    "rue de la Gare", "rue des Jardins", "square des Marronniers", "rue Pierre-Brossolette", "rue Marie-Curie",
    "rue des Coquelicots", "allée des Bleuets", "rue du Vieux-Pont", "rue des Artisans", "cours des Tanneurs",
)

RESIDENCE_NAMES = (
    "Résidence sociale Les Alizés", "Pension de famille La Passerelle", "Résidence Le Trait d'Union",
    "Maison relais Les Capucines", "Résidence Jeunes Actifs L'Escale", "Foyer de jeunes travailleurs Le Phare",
)

GOAL_TITLES = {
    GoalDomain.BUDGET: ("Stabiliser le paiement du loyer résiduel", "Résorber la dette locative",
                        "Tenir un budget mensuel", "Mettre en place le prélèvement du loyer"),
    GoalDomain.HOME_CARE: ("S'approprier le logement et son entretien", "Équiper le logement du mobilier de base",
                           "Maîtriser les consommations d'énergie"),
    GoalDomain.NEIGHBOURHOOD: ("Apaiser les relations de voisinage", "Trouver sa place dans la résidence"),
    GoalDomain.HEALTH: ("Reprendre un suivi médical régulier", "Maintenir le lien avec le CMP",
                        "Engager des soins en addictologie"),
    GoalDomain.EMPLOYMENT: ("Engager une démarche d'insertion professionnelle", "Accéder à une formation qualifiante"),
    GoalDomain.RIGHTS: ("Ouvrir les droits à l'aide au logement", "Mettre à jour les droits CAF et santé",
                        "Constituer un dossier de surendettement", "Obtenir un titre de séjour pérenne"),
    GoalDomain.OTHER: ("Préparer le glissement du bail", "Préparer l'entrée dans le logement",
                       "Retrouver un lien avec la famille"),
}

WORKSHOP_TITLES = {
    GoalDomain.BUDGET: ("Gérer son budget au quotidien", "Comprendre sa quittance de loyer"),
    GoalDomain.HOME_CARE: ("Les éco-gestes dans le logement", "Petits travaux et entretien du logement"),
    GoalDomain.NEIGHBOURHOOD: ("Bien vivre ensemble dans la résidence", "Découvrir les services du quartier"),
    GoalDomain.HEALTH: ("Prendre soin de soi", "Alimentation et petit budget"),
    GoalDomain.EMPLOYMENT: ("Préparer un entretien d'embauche", "Rencontre avec les structures d'insertion"),
    GoalDomain.RIGHTS: ("Connaître ses droits CAF", "Les démarches en ligne pas à pas"),
    GoalDomain.OTHER: ("Atelier cuisine collective", "Sortie culturelle collective"),
}

CONTACT_OPENINGS = {
    ContactKind.HOME_VISIT: ("Visite à domicile.", "Passage au logement avec le ménage.", "Visite au domicile en fin de matinée."),
    ContactKind.OFFICE: ("Entretien au bureau.", "Rendez-vous à la permanence.", "Entretien dans les locaux de l'association."),
    ContactKind.PHONE: ("Appel téléphonique.", "Échange téléphonique avec la personne de référence.", "Point rapide par téléphone."),
    ContactKind.JOINT_VISIT: ("Visite conjointe avec la conseillère sociale du bailleur.", "Visite à deux voix bailleur-association."),
    ContactKind.WORKSHOP: ("Participation à l'atelier collectif.",),
}
NO_SHOW_NOTES = (
    "Rendez-vous non honoré, message laissé sur le répondeur.",
    "Personne au domicile, avis de passage déposé.",
    "Absent au rendez-vous, nouvel appel prévu.",
)
CONTACT_TOPICS = {
    GoalDomain.BUDGET: ("Point sur le budget du mois, le loyer résiduel a été réglé.",
                        "Travail sur un échéancier avec le fournisseur d'énergie.",
                        "Mise en place d'un prélèvement automatique pour le loyer."),
    GoalDomain.HOME_CARE: ("Le logement est bien entretenu, conseils sur l'aération.",
                           "Aide à l'achat de petit mobilier.",
                           "Explication du fonctionnement du chauffage et des compteurs."),
    GoalDomain.NEIGHBOURHOOD: ("Échange sur les relations avec le voisinage, la situation s'apaise.",
                               "Présentation du gardien et des services de proximité."),
    GoalDomain.HEALTH: ("Point sur le suivi médical, rendez-vous pris au centre de santé.",
                        "Relais avec le CMP pour la continuité des soins."),
    GoalDomain.EMPLOYMENT: ("Point sur la recherche d'emploi, inscription à France Travail à jour.",
                            "Orientation vers un chantier d'insertion."),
    GoalDomain.RIGHTS: ("Constitution du dossier d'aide au logement auprès de la CAF.",
                        "Renouvellement de la complémentaire santé solidaire engagé.",
                        "Aide à la déclaration trimestrielle de ressources."),
    GoalDomain.OTHER: ("Préparation de l'entrée dans les lieux : compteurs et assurance habitation.",
                       "Point général sur la situation du ménage."),
}
CONTACT_NEXT = (
    "Prochain rendez-vous dans deux semaines.", "À revoir le mois prochain.", "Le ménage se montre mobilisé.",
    "Point à faire en comité de suivi.", "Documents à rapporter au prochain rendez-vous.", "",
)

SITUATION_NOTES = {
    PriorSituation.STREET: "Vie à la rue depuis plusieurs mois, domiciliation au CCAS.",
    PriorSituation.HOTEL: "Hébergement à l'hôtel au titre du 115, suroccupation de la chambre.",
    PriorSituation.CHRS: "Hébergé en CHRS, parcours d'insertion jugé suffisant pour l'accès au logement.",
    PriorSituation.EMERGENCY_SHELTER: "Hébergement d'urgence en centre collectif.",
    PriorSituation.THIRD_PARTY: "Hébergé chez un tiers, situation devenue conflictuelle.",
    PriorSituation.SOCIAL_HOUSING: "Locataire du parc social, impayés de loyer récurrents.",
    PriorSituation.PRIVATE_HOUSING: "Logement privé trop cher au regard des ressources.",
    PriorSituation.INTERMEDIATE: "Logé en résidence sociale, durée de séjour dépassée.",
    PriorSituation.SQUAT: "Occupation d'un squat, évacuation annoncée.",
    PriorSituation.INSTITUTION: "Sortie d'hospitalisation longue, besoin d'un logement avec soutien.",
    PriorSituation.PRISON: "Sortie de détention, suivi par le SPIP.",
    PriorSituation.CARAVAN: "Vie en caravane sur un terrain non aménagé, souhait de sédentarisation.",
    PriorSituation.OTHER: "Situation de logement précaire.",
}
HEALTH_NOTES = (
    "Suivi psychiatrique en CMP, traitement stabilisé.",
    "Problèmes de santé chroniques, reconnaissance MDPH en cours.",
    "Addiction à l'alcool, suivi en CSAPA engagé.",
    "Fragilité psychique, isolement important.",
)
VIOLENCE_NOTES = (
    "Départ du domicile conjugal avec les enfants, plainte déposée.",
    "Victime de violences conjugales, ordonnance de protection obtenue.",
    "Mise à l'abri par l'association spécialisée, téléphone grave danger attribué.",
)
REFUSAL_REASONS = (
    "Ménage déjà accompagné au titre d'une mesure ASLL.",
    "Ne relève pas du public cible du projet.",
    "Refus du ménage d'adhérer à l'accompagnement.",
    "Absence de logement adapté disponible sur le secteur.",
    "Ressources insuffisantes au regard du loyer, réorientation vers une pension de famille.",
)
OUTCOME_NOTES = {
    Outcome.REHOUSED_DIRECT: "Ménage relogé en bail direct, relais vers le droit commun.",
    Outcome.MAINTAINED: "Ménage maintenu dans son logement, loyer réglé régulièrement.",
    Outcome.EVICTION_AVOIDED: "Procédure suspendue, plan d'apurement respecté.",
    Outcome.GLISSEMENT: "Glissement du bail réalisé, le ménage est locataire en titre.",
    Outcome.LEFT: "Départ du ménage du logement.",
    Outcome.DROPPED_OUT: "Le ménage ne donne plus suite aux rendez-vous.",
    Outcome.REDIRECTED: "Réorientation vers un dispositif plus adapté.",
    Outcome.EVICTED: "Expulsion réalisée avec le concours de la force publique, mise à l'abri organisée.",
    Outcome.OTHER: "Fin de mesure pour un autre motif.",
}
RESOURCES = (
    ("RSA", 550, 900), ("AAH", 900, 1100), ("Salaire", 1100, 1900), ("ARE (France Travail)", 700, 1300),
    ("Salaire et prime d'activité", 1000, 1700), ("Retraite et ASPA", 800, 1100),
    ("Prestations familiales", 400, 1200), ("Aucune ressource", 0, 0),
)
ADULT_EMPLOYMENT = (
    "Sans emploi", "En recherche d'emploi", "CDI temps partiel", "CDD", "Intérim", "Formation", "Invalidité",
    "Chantier d'insertion",
)

PHASE_WEIGHTS = {
    Phase.IDENTIFICATION: 6, Phase.DIAGNOSTIC: 8, Phase.CONTRACT: 6, Phase.SUPPORT: 45, Phase.ENDED: 22, Phase.WATCH: 13,
}
INTENSITY_WEIGHTS = {Intensity.LIGHT: 30, Intensity.MEDIUM: 45, Intensity.INTENSIVE: 25}
ACCESS_OUTCOMES = {
    Outcome.GLISSEMENT: 16, Outcome.REHOUSED_DIRECT: 30, Outcome.MAINTAINED: 14, Outcome.LEFT: 8,
    Outcome.DROPPED_OUT: 10, Outcome.REDIRECTED: 8, Outcome.OTHER: 4,
}
MAINTAIN_OUTCOMES = {
    Outcome.EVICTED: 6, Outcome.EVICTION_AVOIDED: 26, Outcome.MAINTAINED: 36, Outcome.LEFT: 10,
    Outcome.DROPPED_OUT: 10, Outcome.REDIRECTED: 8, Outcome.OTHER: 4,
}
LEASE_WEIGHTS = {
    LeaseKind.DIRECT: 38, LeaseKind.SLIDING: 20, LeaseKind.SUBLET: 14, LeaseKind.ASSOCIATIVE: 5,
    LeaseKind.RENT_INTERMEDIATION: 8, LeaseKind.MANAGEMENT_MANDATE: 5, LeaseKind.RESIDENCE: 10,
}
ASSOCIATION_LEASES = {LeaseKind.SLIDING, LeaseKind.SUBLET, LeaseKind.ASSOCIATIVE, LeaseKind.RENT_INTERMEDIATION}
NO_CALEOL_LEASES = {LeaseKind.RESIDENCE, LeaseKind.RENT_INTERMEDIATION, LeaseKind.MANAGEMENT_MANDATE}
CALEOL_OK = {AttributionDecision.GRANTED, AttributionDecision.CONDITIONAL, AttributionDecision.GRANTED_RANKED}
CONTACT_KIND_WEIGHTS = {
    ContactKind.HOME_VISIT: 34, ContactKind.OFFICE: 18, ContactKind.PHONE: 30, ContactKind.JOINT_VISIT: 6,
    ContactKind.NO_SHOW: 12,
}
INTENSITY_RATE = {Intensity.LIGHT: 2.2, Intensity.MEDIUM: 3.4, Intensity.INTENSIVE: 5.0, "": 2.5}
ACCESS_SHARE = {
    "1": 0.5, "2.1": 1.0, "2.2": 0.0, "2.3": 0.5, "3.1": 0.6, "3.2": 0.9, "3.3": 0.9, "3.4": 0.7, "3.5": 0.9, "3.6": 0.5,
}
CATEGORY_PREFERENCE = {"2.3": 0, "2.1": 1, "2.2": 2, "1": 3, "3.1": 4, "3.3": 5, "3.6": 6, "3.5": 7, "3.4": 8, "3.2": 9}
RULE_KINDS = {
    EvictionStepKind.PAYMENT_ORDER, EvictionStepKind.CCAPEX_REFERRAL, EvictionStepKind.SUMMONS,
    EvictionStepKind.ORDER_TO_LEAVE, EvictionStepKind.POLICE_REQUEST,
}
RENT_BY_TYPOLOGY = {
    Typology.ROOM: (250, 380, 14, 20), Typology.T1: (260, 340, 22, 32), Typology.T1BIS: (290, 370, 28, 38),
    Typology.T2: (330, 450, 40, 52), Typology.T3: (400, 540, 58, 70), Typology.T4: (470, 640, 72, 88),
    Typology.T5: (540, 730, 85, 105), Typology.T6: (600, 820, 100, 125),
}


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------


def _days(rng: random.Random, low: int, high: int) -> timedelta:
    return timedelta(days=rng.randint(low, high))


def _between(rng: random.Random, start: date, end: date) -> date:
    if end <= start:
        return start
    return start + timedelta(days=rng.randint(0, (end - start).days))


def _weekday(day: date, low: date | None = None, high: date | None = None) -> date:
    """The nearest working weekday (Saturday → Friday, Sunday → Monday) within [low, high] when there is one."""
    if day.weekday() < 5:
        return day
    friday = day - timedelta(days=day.weekday() - 4)
    monday = day + timedelta(days=7 - day.weekday())
    for candidate in ((friday, monday) if day.weekday() == 5 else (monday, friday)):
        if (low is None or candidate >= low) and (high is None or candidate <= high):
            return candidate
    return day


def _money(value: float) -> Decimal:
    return Decimal(str(round(value, 2))).quantize(Decimal("0.01"))


def _euros(rng: random.Random, low: float, high: float) -> Decimal:
    return _money(rng.uniform(low, high))


def _weighted(rng: random.Random, weights: dict):
    items = [(k, w) for k, w in weights.items() if w > 0]
    return rng.choices([k for k, _ in items], weights=[w for _, w in items], k=1)[0]


def _round_count(rng: random.Random, expected: float) -> int:
    whole = int(expected)
    return whole + (1 if rng.random() < expected - whole else 0)


def _natural(number: str) -> tuple:
    """Sort key of a project number: "2.3.2" before "2.3.19"."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in number.replace("-", ".").split("."))


class Cover:
    """Weighted choices that return every not-yet-seen value of a key first.

    So that a small run still shows every phase, outcome, lease kind…; the
    forced values land on whichever rows come first, and rows are shuffled.
    """

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.seen: dict[str, Counter] = defaultdict(Counter)

    def __call__(self, key: str, weights: dict):
        seen = self.seen[key]
        for value, weight in weights.items():
            if weight > 0 and not seen[value]:
                seen[value] += 1
                return value
        value = _weighted(self.rng, weights)
        seen[value] += 1
        return value

    def unsee(self, key: str, value) -> None:
        """The row that drew ``value`` will not show it after all."""
        if self.seen[key][value] > 0:
            self.seen[key][value] -= 1


# --------------------------------------------------------------------------
# Plans (in memory, before the rows are written)
# --------------------------------------------------------------------------


@dataclass(eq=False)
class ProjectCtx:
    index: int
    project: Project
    landlord: Organisation
    association: Organisation | None
    dept: Departement
    main_city: City
    demo_slot: str = ""
    access_share: float = 0.5
    households: int = 0
    starts_on: date | None = None
    ends_on: date | None = None
    window_start: date | None = None
    referents: list = field(default_factory=list)  # [(membership, weight)]
    lead: Membership | None = None
    follow_ups: list = field(default_factory=list)  # [(held_on, meeting)], past ones, sorted
    action_id: int | None = None
    main_funding: Funding | None = None
    plans: list = field(default_factory=list)

    @property
    def supporting(self) -> Organisation:
        return self.association or self.landlord


@dataclass(eq=False)
class Plan:
    """One household file while it is being built."""

    idx: int
    ctx: ProjectCtx
    household: Household
    measure: SupportMeasure
    access: bool
    dv: bool
    phase: str
    ident: date
    diag: date | None
    contract: date | None
    ended: date | None
    watch_until: date | None
    authors: list  # [(membership, since, until)]
    replacement: tuple | None = None  # (membership, since, until)
    co_referent: Membership | None = None
    goals: list = field(default_factory=list)


@dataclass
class StepPlan:
    kind: str
    on: date
    amount: Decimal | None = None
    result: str = ""
    notes: str = ""
    deadline: object = None  # housing.deadlines.Deadline


@dataclass
class CasePlan:
    opened_on: date
    steps: list
    status: str = EvictionCaseStatus.OPEN
    closed_on: date | None = None
    arrears: Decimal = Decimal("0")
    eviction_on: date | None = None


class _Stop(Exception):
    pass


@dataclass
class AccessPath:
    application: date
    attempts: list  # [(proposal, caleol, decision)]
    signed: date
    move_in: date
    decision_step: bool


# --------------------------------------------------------------------------
# The seeder
# --------------------------------------------------------------------------


class DemoSeeder:
    def __init__(self, *, seed: int = DEFAULT_SEED, households: int = DEFAULT_HOUSEHOLDS,
                 today: date = DEMO_TODAY, stdout=None):
        if households < 1:
            raise ValueError("households must be positive")
        self.seed = seed
        self.n_households = households
        self.today = today
        self.stdout = stdout
        self.rows: dict[type, list] = defaultdict(list)
        self.contact_goals: list[tuple[Contact, SupportGoal]] = []
        self.meeting_participants: list[tuple[CommitteeMeeting, Organisation]] = []
        self.created: Counter = Counter()
        self.bodies: dict[str, dict[str, Organisation]] = {}
        self.national: dict[str, Organisation] = {}
        self.communes: dict[str, Organisation] = {}
        self.unit_refs: dict[int, int] = defaultdict(int)
        self.tenant_refs: dict[int, int] = defaultdict(int)
        self.taken_unit_refs: set[tuple[int, str]] = set()
        self.taken_rpls: set[str] = set()
        self.payment_seq = 0
        self.elapsed = 0.0

    # -- utilities ---------------------------------------------------------

    def rng(self, purpose: str) -> random.Random:
        return random.Random(f"{self.seed}:{purpose}")

    def ts(self, day: date, hour: int = 9, minute: int = 0) -> datetime:
        return datetime.combine(day, dtime(hour, minute), tzinfo=PARIS)

    def add(self, obj):
        self.rows[type(obj)].append(obj)
        return obj

    def say(self, line: str) -> None:
        if self.stdout is not None:
            self.stdout.write(line)

    # -- entry point -------------------------------------------------------

    def run(self) -> Counter:
        started = time.monotonic()
        projects = self._projects()
        with transaction.atomic():
            self._national_bodies()
            ctxs = self._contexts(projects)
            self._local_bodies(ctxs)
            self._allocate(ctxs)
            self._project_dates(ctxs)
            self._people(ctxs)
            self._project_side(ctxs)
            self._households(ctxs)
            self._workshops(ctxs)
            self._write()
        self.elapsed = time.monotonic() - started
        return self.created

    # -- projects and organisations ----------------------------------------

    def _projects(self) -> list[Project]:
        from projects.models import Action

        projects = list(
            Project.objects.select_related("lead_landlord")
            .prefetch_related(
                Prefetch("project_carriers", queryset=ProjectCarrier.objects.select_related("organisation").order_by("id")),
                Prefetch("actions", queryset=Action.objects.order_by("id")),
            )
            .order_by("number", "id")
        )
        if len(projects) < MIN_PROJECTS:
            raise NotEnoughProjects(not_enough_projects_message(len(projects)))
        projects.sort(key=lambda p: (_natural(p.number), p.pk))
        return projects

    def _org(self, name: str, kind: str, *, short_name: str = "", dept: Departement | None = None,
             city: City | None = None) -> Organisation:
        key = normalize_organisation_name(name)
        org = Organisation.objects.filter(normalized_name=key).first()
        if org is not None:
            return org
        org = Organisation(
            name=name, kind=kind, short_name=short_name,
            departement=dept.code if dept else "",
            city=city.name if city else "", postcode=city.postcode if city else "",
            created_at=self.ts(self.today - timedelta(days=800)),
        )
        org.save()
        self.created[Organisation] += 1
        return org

    def _national_bodies(self) -> None:
        paris = GEO["75"]
        specs = (
            ("ush", OrganisationKind.FEDERATION, "Union sociale pour l'habitat", "USH"),
            ("cglls", OrganisationKind.CGLLS, "Caisse de garantie du logement locatif social", "CGLLS"),
            ("action_logement", OrganisationKind.ACTION_LOGEMENT, "Action Logement Services", "Action Logement"),
        )
        for slot, kind, name, short in specs:
            existing = Organisation.objects.filter(kind=kind).order_by("id").first()
            self.national[slot] = existing or self._org(name, kind, short_name=short, dept=paris, city=paris.cities[0])

    @staticmethod
    def _landlord_of(project: Project) -> Organisation | None:
        if project.lead_landlord_id:
            return project.lead_landlord
        rank = {CarrierRole.LEAD: 0, CarrierRole.CO_LEAD: 1, CarrierRole.PARTNER: 2, CarrierRole.ASSOCIATED: 3}
        for carrier in sorted(project.project_carriers.all(), key=lambda c: (rank.get(c.role, 9), c.organisation.normalized_name)):
            if carrier.organisation.is_landlord:
                return carrier.organisation
        return None

    @staticmethod
    def _association_of(project: Project, *, real_only: bool = False) -> Organisation | None:
        rank = {CarrierRole.PARTNER: 0, CarrierRole.CO_LEAD: 1, CarrierRole.ASSOCIATED: 2, CarrierRole.LEAD: 3}
        for carrier in sorted(project.project_carriers.all(), key=lambda c: (rank.get(c.role, 9), c.organisation.normalized_name)):
            org = carrier.organisation
            if org.kind == OrganisationKind.ASSOCIATION and not (real_only and org.name in SYNTHETIC_ASSOCIATIONS):
                return org
        return None

    def _departement_of(self, project: Project, landlord: Organisation, association: Organisation | None) -> Departement:
        for code in project.departements or []:
            code = code.upper()
            if code in GEO:
                return GEO[code]
        for org in (landlord, association):
            if org is not None and org.departement in GEO:
                return GEO[org.departement]
        codes = sorted(code for code in GEO if len(code) == 2)
        return GEO[self.rng(f"dept:{project.number}:{project.pk}").choice(codes)]

    @staticmethod
    def _main_city(project: Project, dept: Departement) -> City:
        territory = f" {fold(project.territory_text)} "
        for city in dept.cities:
            if f" {fold(city.name)} " in territory:
                return city
        return dept.cities[0]

    def _contexts(self, projects: list[Project]) -> list[ProjectCtx]:
        candidates = [p for p in projects if self._landlord_of(p) is not None]
        if len(candidates) < 2:
            raise NotEnoughProjects(
                "Il faut au moins deux projets portés par un organisme Hlm pour le jeu de démonstration. "
                "Lancez d'abord « manage.py import_ush_guide »."
            )

        def preference(p: Project):
            real = self._association_of(p, real_only=True)
            short = (p.duration_months or 36) < 24  # a demo project should have some history
            return (0 if real else 1, 1 if short else 0, CATEGORY_PREFERENCE.get(p.category, 10), _natural(p.number), p.pk)

        ranked = sorted(candidates, key=preference)
        first = ranked[0]
        landlord_a, assoc_a = self._landlord_of(first), self._association_of(first, real_only=True)

        def distinct(p: Project, strict: bool) -> bool:
            if self._landlord_of(p) == landlord_a:
                return False
            other = self._association_of(p, real_only=True)
            return not strict or other is None or other != assoc_a

        second = (next((p for p in ranked[1:] if distinct(p, True)), None)
                  or next((p for p in ranked[1:] if distinct(p, False)), None)
                  or ranked[1])

        others = [p for p in candidates if p not in (first, second)]
        rng = self.rng("projects")
        chosen = rng.sample(others, min(MAX_PROJECTS_WITH_HOUSEHOLDS - 2, len(others)))
        violence = [p for p in others if p.category == "3.2"]
        if violence and not any(p.category == "3.2" for p in chosen):
            chosen[-1] = violence[0]
        chosen.sort(key=lambda p: (_natural(p.number), p.pk))

        ctxs = []
        for index, project in enumerate([first, second, *chosen]):
            landlord = self._landlord_of(project)
            association = self._association_of(project)
            slot = "a" if index == 0 else "b" if index == 1 else ""
            dept = self._departement_of(project, landlord, association)
            if slot and association is None:
                name = SYNTHETIC_ASSOCIATIONS[index]
                association = self._org(name, OrganisationKind.ASSOCIATION, dept=dept, city=dept.cities[0])
                if not ProjectCarrier.objects.filter(project=project, organisation=association).exists():
                    ProjectCarrier.objects.create(
                        project=project, organisation=association, role=CarrierRole.PARTNER,
                        created_at=self.ts(self.today - timedelta(days=800)),
                    )
                    self.created[ProjectCarrier] += 1
            if association is not None and association == landlord:
                association = None
            share = ACCESS_SHARE.get(project.category, 0.5)
            if project.access_or_maintain == "access":
                share = 1.0
            elif project.access_or_maintain == "maintain":
                share = 0.0
            elif project.access_or_maintain == "both" and share in (0.0, 1.0):
                share = 0.5
            ctx = ProjectCtx(
                index=index, project=project, landlord=landlord, association=association, dept=dept,
                main_city=self._main_city(project, dept), demo_slot=slot, access_share=share,
            )
            actions = list(project.actions.all())
            if actions:
                mine = [a for a in actions if association is not None and a.partner_id == association.pk]
                ctx.action_id = (mine or actions)[0].pk
            ctxs.append(ctx)
        return ctxs

    def _local_bodies(self, ctxs: list[ProjectCtx]) -> None:
        for ctx in ctxs:
            dept = ctx.dept
            if dept.code not in self.bodies:
                city = dept.cities[0]
                of = dept.of_name
                council = "Ville de Paris" if dept.code == "75" else f"Conseil départemental {of}"
                self.bodies[dept.code] = {
                    "siao": self._org(f"SIAO {of}", OrganisationKind.SIAO, dept=dept, city=city),
                    "ccapex": self._org(f"CCAPEX {of}", OrganisationKind.CCAPEX, dept=dept, city=city),
                    "state": self._org(f"DDETS {of}", OrganisationKind.STATE, dept=dept, city=city),
                    "department": self._org(council, OrganisationKind.DEPARTMENT, dept=dept, city=city),
                    "caf": self._org(f"CAF {of}", OrganisationKind.CAF, dept=dept, city=city),
                    "justice": self._org(f"SPIP {of}", OrganisationKind.JUSTICE, dept=dept, city=city),
                    "health": self._org(f"Centre médico-psychologique de {city.name}", OrganisationKind.HEALTH,
                                        dept=dept, city=city),
                }
            name = ctx.main_city.name
            if name not in self.communes and not (dept.code == "75"):
                self.communes[name] = self._org(f"Ville de {name}", OrganisationKind.MUNICIPALITY, dept=dept,
                                                city=ctx.main_city)

    def _allocate(self, ctxs: list[ProjectCtx]) -> None:
        total = self.n_households
        demo_each = round(total * DEMO_SHARE) if len(ctxs) > 2 else total // 2
        ctxs[0].households = demo_each
        ctxs[1].households = demo_each if len(ctxs) > 2 else total - demo_each
        rest = total - ctxs[0].households - ctxs[1].households
        others = ctxs[2:]
        if others and rest > 0:
            weights = [min(300, ctx.project.target_households or 30) for ctx in others]
            for i in self.rng("allocation").choices(range(len(others)), weights=weights, k=rest):
                others[i].households += 1
        ctxs[:] = [ctx for ctx in ctxs if ctx.households > 0 or ctx.demo_slot]

    def _project_dates(self, ctxs: list[ProjectCtx]) -> None:
        today = self.today
        for ctx in ctxs:
            p = ctx.project
            rng = self.rng(f"project-dates:{p.number}:{p.pk}")
            duration = p.duration_months or 36
            elapsed = min(rng.randint(18, 30), max(duration - 3, 3))
            starts = p.starts_on or add_months(today.replace(day=1), -elapsed)
            ends = p.ends_on or add_months(starts, duration) - timedelta(days=1)
            changes = {"status": ProjectStatus.IN_PROGRESS}
            if p.starts_on is None:
                changes["starts_on"] = starts
            if p.ends_on is None:
                changes["ends_on"] = ends
            if p.status != ProjectStatus.IN_PROGRESS or len(changes) > 1:
                Project.objects.filter(pk=p.pk).update(**changes, updated_at=timezone.now())
                for name, value in changes.items():
                    setattr(p, name, value)
                self.created["projects_updated"] += 1
            ctx.starts_on, ctx.ends_on = starts, ends
            window = max(starts, today - timedelta(days=3 * 365))
            ctx.window_start = min(window, today - timedelta(days=90))

    # -- people: users, memberships, partnerships --------------------------

    def _people(self, ctxs: list[ProjectCtx]) -> None:
        User = get_user_model()
        rng = self.rng("staff")
        salt_rng = self.rng("password-salt")
        salt = "".join(salt_rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(22))
        password = make_password(bootstrap.DEMO_PASSWORD, salt=salt)
        ctx_a, ctx_b = ctxs[0], ctxs[1]
        slots = {
            "landlord_a": ctx_a.landlord, "association_a": ctx_a.association,
            "landlord_b": ctx_b.landlord, "association_b": ctx_b.association,
            "ush": self.national["ush"], "funder": self.bodies[ctx_a.dept.code]["state"],
        }
        joined = self.ts(min(ctx.starts_on for ctx in ctxs) - timedelta(days=60))
        taken = {login.email for login in DEMO_LOGINS} | {bootstrap.DEMO_ADMIN_EMAIL}
        wanted_users: dict[str, dict] = {}
        wanted_memberships: list[tuple[str, Organisation, str, str, date]] = []
        for login in DEMO_LOGINS:
            wanted_users[login.email] = {"first_name": login.first_name, "last_name": login.last_name}
            wanted_memberships.append((login.email, slots[login.slot], login.role, login.job_title,
                                       ctx_a.starts_on - timedelta(days=60)))

        def new_person(org: Organisation, role: str, titles: tuple[str, ...], started: date) -> str:
            female = rng.random() < 0.6
            first = rng.choice(FEMALE_NAMES if female else MALE_NAMES)
            last = rng.choice(SURNAMES)
            base = f"{_slug(first)}.{_slug(last)}"
            email, n = f"{base}@{DEMO_DOMAIN}", 1
            while email in taken:
                n += 1
                email = f"{base}{n}@{DEMO_DOMAIN}"
            taken.add(email)
            wanted_users[email] = {"first_name": first, "last_name": last}
            wanted_memberships.append((email, org, role, rng.choice(titles), started))
            return email

        # Support staff of each supporting organisation: the referent pools.
        households_by_org: Counter = Counter()
        for ctx in ctxs:
            households_by_org[ctx.supporting.pk] += ctx.households
        demo_associations = {ctx_a.association.pk: "association_a", ctx_b.association.pk: "association_b"}
        pools: dict[int, list[tuple[str, float]]] = {}
        leads: dict[int, str] = {}
        seen: set[int] = set()
        for ctx in ctxs:
            org = ctx.supporting
            if org.pk in seen:
                continue
            seen.add(org.pk)
            started = ctx.starts_on - timedelta(days=rng.randint(30, 400))
            at_landlord = ctx.association is None
            role = Role.LANDLORD_ADVISER if at_landlord else Role.CASEWORKER
            titles = (("Conseillère en économie sociale et familiale", "Conseiller social", "Chargée d'accompagnement social")
                      if at_landlord else
                      ("Travailleur social", "Éducatrice spécialisée", "Conseillère en économie sociale et familiale",
                       "Assistante de service social", "Référent logement"))
            pool: list[tuple[str, float]] = []
            slot = demo_associations.get(org.pk)
            if slot:
                for login in DEMO_LOGINS:
                    if login.slot == slot and login.role == Role.CASEWORKER:
                        pool.append((login.email, 1.0))
                    if login.slot == slot and login.role == Role.TEAM_LEAD:
                        leads[org.pk] = login.email
                count = rng.randint(3, 5)
            else:
                count = max(2, min(8, round(households_by_org[org.pk] / 30)))
            for _ in range(count):
                pool.append((new_person(org, role, titles, started), 1.0))
            if org.pk not in leads:
                leads[org.pk] = new_person(org, Role.TEAM_LEAD, ("Cheffe de service", "Responsable du pôle logement",
                                                                 "Chef de projet logement accompagné"), started)
            pools[org.pk] = pool
        # One more landlord adviser at each landlord (the demo landlords have theirs).
        for ctx in ctxs:
            org = ctx.landlord
            if org.pk in seen:
                continue
            seen.add(org.pk)
            new_person(org, Role.LANDLORD_ADVISER, ("Conseillère sociale", "Chargé de gestion sociale", "Conseillère en économie sociale et familiale"),
                       ctx.starts_on - timedelta(days=rng.randint(30, 400)))

        existing = {u.email: u for u in User.objects.filter(email__in=list(wanted_users))}
        new_users = [
            User(email=email, first_name=v["first_name"], last_name=v["last_name"], password=password,
                 is_active=True, date_joined=joined)
            for email, v in wanted_users.items() if email not in existing
        ]
        User.objects.bulk_create(new_users, batch_size=BATCH)
        self.created["users"] += len(new_users)
        users = {**existing, **{u.email: u for u in new_users}}

        existing_ms = {(m.user_id, m.organisation_id): m for m in Membership.objects.filter(user__in=list(users.values()))}
        by_email: dict[str, Membership] = {}
        new_ms = []
        for email, org, role, title, started in wanted_memberships:
            user = users[email]
            m = existing_ms.get((user.pk, org.pk))
            if m is None:
                m = Membership(user=user, organisation=org, role=role, job_title=title, is_active=True,
                               started_on=started, created_at=self.ts(started))
                new_ms.append(m)
                existing_ms[(user.pk, org.pk)] = m
            by_email.setdefault(email, m)
        Membership.objects.bulk_create(new_ms, batch_size=BATCH)
        self.created[Membership] += len(new_ms)

        for ctx in ctxs:
            org = ctx.supporting
            ctx.referents = [(by_email[email], weight) for email, weight in pools[org.pk]]
            ctx.lead = by_email[leads[org.pk]]

        # Conventions de partenariat bailleur–association.
        for ctx in ctxs:
            if ctx.association is None:
                continue
            title = f"Convention de partenariat — projet {ctx.project.number}"
            if Partnership.objects.filter(landlord=ctx.landlord, association=ctx.association, title=title).exists():
                continue
            Partnership(
                landlord=ctx.landlord, association=ctx.association, title=title,
                signed_on=ctx.starts_on - timedelta(days=30), starts_on=ctx.starts_on, ends_on=ctx.ends_on,
                notes="Accompagnement social des ménages orientés, gestion locative adaptée, comités de suivi mensuels.",
                created_at=self.ts(ctx.starts_on - timedelta(days=30)),
            ).save()
            self.created[Partnership] += 1

    # -- projects side: targets, budgets, money, committees ----------------

    def _project_side(self, ctxs: list[ProjectCtx]) -> None:
        ids = [ctx.project.pk for ctx in ctxs]
        with_targets = defaultdict(dict)
        for t in ProjectTarget.objects.filter(project_id__in=ids):
            with_targets[t.project_id][t.year] = t.households
        with_budget = set(BudgetLine.objects.filter(project_id__in=ids).values_list("project_id", flat=True))
        with_funding = set(Funding.objects.filter(project_id__in=ids).values_list("project_id", flat=True))
        with_meetings = set(CommitteeMeeting.objects.filter(project_id__in=ids).values_list("project_id", flat=True))
        cover = Cover(self.rng("money-cover"))
        for ctx in ctxs:
            p = ctx.project
            rng = self.rng(f"money:{p.number}:{p.pk}")
            duration = p.duration_months or 36
            n_years = max(1, math.ceil(duration / 12))
            total_target = p.target_households or max(10, round(ctx.households * 1.2))
            if p.pk not in with_targets:
                base, extra = divmod(total_target, n_years)
                units_base, units_extra = divmod(p.target_units, n_years) if p.target_units else (None, 0)
                for year in range(1, n_years + 1):
                    units = None if units_base is None else units_base + (1 if year <= units_extra else 0)
                    self.add(ProjectTarget(project=p, year=year, households=base + (1 if year <= extra else 0), units=units,
                                           created_at=self.ts(ctx.starts_on)))
            yearly = max(1, round(total_target / n_years))
            lines = []
            if p.pk not in with_budget:
                lines = self._budget_lines(rng, ctx, yearly)
            if p.pk not in with_funding:
                self._fundings(rng, cover, ctx, lines)
            if p.pk not in with_meetings:
                self._committees(rng, ctx)

    def _months_in_year(self, ctx: ProjectCtx, year: int) -> int:
        start = max(ctx.starts_on, date(year, 1, 1))
        end = min(ctx.ends_on, date(year, 12, 31))
        if end < start:
            return 0
        return (end.year - start.year) * 12 + end.month - start.month + 1

    def _budget_lines(self, rng: random.Random, ctx: ProjectCtx, yearly: int) -> list[BudgetLine]:
        p = ctx.project
        support_cost = Decimal(rng.choice([2500, 3000, 3500, 4000, 4500, 5000, 6000]))
        gla_cost = Decimal(rng.choice([1500, 1800, 2000, 2400]))
        coordination = rng.randint(8, 25) * 1000
        rent_reduction = rng.randint(5, 20) * 1000 if rng.random() < 0.3 else 0
        investment = rng.randint(20, 150) * 1000 if rng.random() < 0.15 else 0
        diagnostics = rng.random() < 0.2
        units_yearly = max(1, round((p.target_units or yearly * 3) / max(1, math.ceil((p.duration_months or 36) / 12))))
        years = list(range(ctx.starts_on.year, ctx.ends_on.year + 1))
        lines = []
        for year in years:
            months = self._months_in_year(ctx, year)
            if not months:
                continue
            frac = Decimal(months) / 12
            quantity = max(1, round(yearly * float(frac)))

            def line(kind, planned, unit_cost=None, qty=None):
                obj = BudgetLine(project=p, kind=kind, year=year, planned=_money(float(planned)), unit_cost=unit_cost,
                                 quantity=qty, created_at=self.ts(ctx.starts_on - timedelta(days=60)))
                lines.append(self.add(obj))

            line(BudgetKind.SUPPORT, support_cost * quantity, support_cost, quantity)
            if ctx.association is not None and ctx.access_share > 0:
                gla_qty = max(1, round(units_yearly * float(frac)))
                line(BudgetKind.GLA, gla_cost * gla_qty, gla_cost, gla_qty)
            line(BudgetKind.COORDINATION, coordination * frac)
            if year == years[-1]:
                line(BudgetKind.EVALUATION, rng.randint(5, 15) * 1000)
            if rent_reduction:
                line(BudgetKind.RENT_REDUCTION, rent_reduction * frac)
            if investment and year == years[0]:
                line(BudgetKind.INVESTMENT, investment)
            if diagnostics and year == years[0]:
                line(BudgetKind.OTHER, 100 * quantity, Decimal(100), quantity)
        self._expenses(rng, ctx, lines)
        return lines

    def _expenses(self, rng: random.Random, ctx: ProjectCtx, lines: list[BudgetLine]) -> None:
        today = self.today
        supplier = {
            BudgetKind.SUPPORT: (ctx.association or ctx.landlord).name,
            BudgetKind.GLA: ctx.landlord.name,
            BudgetKind.COORDINATION: ctx.landlord.name,
            BudgetKind.RENT_REDUCTION: ctx.landlord.name,
            BudgetKind.EVALUATION: "Cabinet Trajectoires Conseil",
            BudgetKind.INVESTMENT: "Entreprise Bâti-Rénov",
            BudgetKind.OTHER: (ctx.association or ctx.landlord).name,
        }
        labels = {
            BudgetKind.SUPPORT: "Accompagnement social (salaires et charges)",
            BudgetKind.GLA: "Gestion locative adaptée",
            BudgetKind.COORDINATION: "Coordination et pilotage",
            BudgetKind.RENT_REDUCTION: "Minoration de loyer",
            BudgetKind.OTHER: "Frais de diagnostic",
        }
        for line in lines:
            if line.kind == BudgetKind.EVALUATION:
                day = min(ctx.ends_on, date(line.year, 12, 15))
                if day <= today:
                    self._expense(line, day, line.planned * Decimal(str(round(rng.uniform(0.8, 1.0), 3))),
                                  f"Évaluation du projet {line.year}", supplier[line.kind])
                continue
            if line.kind == BudgetKind.INVESTMENT:
                for share, offset in ((Decimal("0.6"), 60), (Decimal("0.4"), 180)):
                    day = ctx.starts_on + timedelta(days=offset)
                    if day <= today:
                        self._expense(line, day, line.planned * share, "Travaux d'adaptation des logements", supplier[line.kind])
                continue
            quarters = []
            for q in range(1, 5):
                q_start = date(line.year, 3 * q - 2, 1)
                q_end = add_months(q_start, 3) - timedelta(days=1)
                if q_end >= ctx.starts_on and q_start <= ctx.ends_on:
                    quarters.append((q, q_end))
            for q, q_end in quarters:
                if q_end > today:
                    continue
                amount = line.planned / len(quarters) * Decimal(str(round(rng.uniform(0.75, 1.05), 3)))
                self._expense(line, q_end, amount, f"{labels[line.kind]} — T{q} {line.year}", supplier[line.kind])

    def _expense(self, line: BudgetLine, day: date, amount: Decimal, label: str, supplier: str) -> None:
        amount = _money(float(amount))
        if amount <= 0:
            return
        self.add(Expense(budget_line=line, project_id=line.project.pk, spent_on=day, amount=amount, label=label,
                         supplier=supplier, created_at=self.ts(day)))

    def _fundings(self, rng: random.Random, cover: Cover, ctx: ProjectCtx, lines: list[BudgetLine]) -> None:
        p = ctx.project
        today = self.today
        bodies = self.bodies[ctx.dept.code]
        total = p.cost_amount or sum((line.planned for line in lines), Decimal(0)) or Decimal(100000)
        fundings: list[Funding] = []

        def funding(funder, programme, share, decision, decided_on, ref_prefix):
            requested = _money(float(total) * share)
            awarded = Decimal(0)
            if decision == FundingDecision.GRANTED:
                awarded = _money(float(requested) * rng.uniform(0.8, 1.0))
            obj = Funding(
                project=p, funder=funder, programme=programme, amount_requested=requested, amount_awarded=awarded,
                decision=decision, decided_on=None if decision == FundingDecision.REQUESTED else decided_on,
                reference=f"{ref_prefix}-{decided_on.year}-{rng.randint(1, 999):03d}",
                report_due_on=add_months(decided_on, 12) if decision == FundingDecision.GRANTED else None,
                created_at=self.ts(decided_on - timedelta(days=45)),
            )
            fundings.append(self.add(obj))
            return obj

        decided = ctx.starts_on - _days(rng, 30, 120)
        # The demo projects are FNAVDL-funded through their DDETS (the demo funder's organisation).
        if rng.random() < 0.75 or ctx.demo_slot:
            main = funding(bodies["state"], FunderProgramme.FNAVDL, rng.uniform(0.5, 0.7), FundingDecision.GRANTED, decided, "FNAVDL")
        else:
            main = funding(self.national["cglls"], FunderProgramme.CGLLS, rng.uniform(0.4, 0.6), FundingDecision.GRANTED, decided, "CGLLS")
        ctx.main_funding = main
        decisions = {FundingDecision.GRANTED: 6, FundingDecision.REQUESTED: 2, FundingDecision.REFUSED: 1}
        if rng.random() < 0.55:
            commune = self.communes.get(ctx.main_city.name)
            funder = commune if commune is not None and rng.random() < 0.4 else bodies["department"]
            funding(funder, FunderProgramme.LOCAL_AUTHORITY, rng.uniform(0.1, 0.25), cover("decision", decisions),
                    decided + _days(rng, 0, 90), "CL")
        if rng.random() < 0.2:
            funding(self.national["action_logement"], FunderProgramme.ACTION_LOGEMENT, rng.uniform(0.05, 0.15),
                    cover("decision", decisions), decided + _days(rng, 0, 120), "AL")
        if rng.random() < 0.45:
            funding(ctx.landlord, FunderProgramme.OWN_FUNDS, rng.uniform(0.05, 0.15), FundingDecision.GRANTED, decided, "FP")

        # Funder -> lead landlord: grant instalments.
        for f in fundings:
            if f.decision != FundingDecision.GRANTED or f.funder == ctx.landlord:
                continue
            schedule = (
                (f.decided_on + _days(rng, 20, 60), Decimal("0.5")),
                (add_months(f.decided_on, 12) + _days(rng, 0, 30), Decimal("0.3")),
                (ctx.ends_on + _days(rng, 30, 90), Decimal("0.2")),
            )
            for day, share in schedule:
                if day <= today:
                    self._payment(ctx, f, PaymentKind.GRANT_INSTALMENT, f.funder, ctx.landlord, f.amount_awarded * share, day)
        # Lead landlord -> partner association: transfers each semester.
        if ctx.association is not None:
            support_yearly = sum((line.planned for line in lines if line.kind == BudgetKind.SUPPORT), Decimal(0))
            support_yearly = support_yearly / max(1, len({line.year for line in lines})) if lines else total / 6
            day = add_months(ctx.starts_on, 2)
            while day <= today and day <= ctx.ends_on + timedelta(days=60):
                amount = support_yearly / 2 * Decimal(str(round(rng.uniform(0.8, 0.95), 3)))
                self._payment(ctx, main, PaymentKind.PARTNER_TRANSFER, ctx.landlord, ctx.association, amount,
                              next_working_day(day))
                day = add_months(day, 6)

    def _payment(self, ctx, funding, kind, payer, payee, amount, day) -> None:
        amount = _money(float(amount))
        if amount <= 0 or payer == payee:
            return
        self.payment_seq += 1
        self.add(Payment(project=ctx.project, funding=funding, kind=kind, payer=payer, payee=payee, amount=amount,
                         paid_on=day, reference=f"VIR-{day:%Y%m%d}-{self.payment_seq:05d}", created_at=self.ts(day)))

    def _committees(self, rng: random.Random, ctx: ProjectCtx) -> None:
        today = self.today
        p = ctx.project
        bodies = self.bodies[ctx.dept.code]
        landlord_name = ctx.landlord.short_name or ctx.landlord.name
        steering_places = (f"Siège de {landlord_name}", f"Préfecture — {ctx.dept.cities[0].name}", "Visioconférence")
        follow_places = (f"Locaux de {ctx.supporting.name}", f"Agence de {landlord_name}", "Visioconférence")
        owners = (ctx.landlord.name, ctx.supporting.name)

        def meeting(kind, held, place, summary, participants, decisions):
            m = self.add(CommitteeMeeting(project=p, kind=kind, held_on=held, place=place,
                                          summary=summary if held <= today else "",
                                          created_at=self.ts(min(held, today) - timedelta(days=14))))
            for org in participants:
                if org is not None:
                    self.meeting_participants.append((m, org))
            if held <= today:
                for subject, text in decisions:
                    self.add(CommitteeDecision(meeting=m, subject=subject, decision=text, owner=rng.choice(owners),
                                               due_on=held + _days(rng, 20, 60), created_at=self.ts(held)))
            return m

        steering_participants = (ctx.landlord, ctx.association, bodies["state"], bodies["department"],
                                 bodies["caf"] if rng.random() < 0.5 else None)
        day = add_months(ctx.starts_on, 1)
        while day <= today + timedelta(days=60) and day <= ctx.ends_on + timedelta(days=60):
            held = next_working_day(day + _days(rng, 0, 10))
            decisions = [
                ("Bilan d'activité", rng.choice(("Bilan d'étape validé ; diffusion aux financeurs.",
                                                 "Bilan validé ; le rythme des entrées est à accélérer."))),
                ("Suivi budgétaire", rng.choice(("Consommation conforme au prévisionnel.",
                                                 "Sous-consommation de la ligne GLA : redéploiement proposé."))),
            ]
            if rng.random() < 0.5:
                decisions.append(("Objectifs de l'année", "Objectif annuel de ménages accompagnés confirmé."))
            meeting(CommitteeKind.STEERING, held, rng.choice(steering_places),
                    "Point d'étape du projet : entrées et sorties, suivi budgétaire, partenariats.",
                    steering_participants, decisions)
            day = add_months(day, 6)

        follow_participants = (ctx.landlord, ctx.association, bodies["siao"], bodies["ccapex"] if ctx.access_share < 1 else None)
        day = add_months(ctx.starts_on, 2).replace(day=1)
        while day <= today:
            held = next_working_day(day.replace(day=rng.randint(5, 24)))
            if held > today:
                break
            k = rng.randint(1, 4)
            decisions = [rng.choice((
                ("Entrées dans le dispositif", f"Entrée de {k} ménage(s) validée."),
                ("Fins d'accompagnement", f"Fin d'accompagnement validée pour {k} ménage(s)."),
                ("Renouvellement des mandats", f"Renouvellement de {k} mandat(s) d'accompagnement."),
                ("Situations complexes", "Situation d'impayé examinée : saisine de la CCAPEX proposée."),
                ("Veille active", f"Passage en veille active de {k} ménage(s)."),
            ))]
            m = meeting(CommitteeKind.FOLLOW_UP, held, rng.choice(follow_places),
                        "Examen des situations en cours, validation des entrées et des fins d'accompagnement.",
                        follow_participants, decisions)
            ctx.follow_ups.append((held, m))
            day = add_months(day, 1)

    # -- households ----------------------------------------------------------

    def _households(self, ctxs: list[ProjectCtx]) -> None:
        rng = self.rng("households")
        cover = Cover(self.rng("cover"))
        existing = HousingUnit.objects.values_list("landlord_id", "landlord_reference", "rpls_id")
        for landlord_id, reference, rpls in existing:
            self.taken_unit_refs.add((landlord_id, reference))
            if rpls:
                self.taken_rpls.add(rpls)
        slots = [ctx for ctx in ctxs for _ in range(ctx.households)]
        rng.shuffle(slots)
        plans = [self._household(idx, ctx, rng, cover) for idx, ctx in enumerate(slots)]
        self._references(ctxs, plans)

    def _references(self, ctxs: list[ProjectCtx], plans: list[Plan]) -> None:
        prefixes: dict[int, str] = {}
        counters = {"A": 0, "B": 0}
        for ctx in ctxs:
            org = ctx.supporting
            if org.pk not in prefixes:
                letter = "B" if org.is_landlord else "A"
                counters[letter] += 1
                prefixes[org.pk] = f"{letter}{counters[letter]}"
        seq: Counter = Counter()
        for plan in sorted(plans, key=lambda pl: (pl.ctx.supporting.pk, pl.ident, pl.idx)):
            org_id = plan.ctx.supporting.pk
            year = plan.ident.year
            seq[(org_id, year)] += 1
            hh = plan.household
            hh.reference = f"{prefixes[org_id]}-{year}-{seq[(org_id, year)]:04d}"
            hh.search_key = fold(f"{hh.display_name} {hh.reference}")

    def _measure_dates(self, rng: random.Random, phase: str, outcome: str, ws: date):
        T = self.today
        ident = diag = contract = ended = None
        if phase == Phase.IDENTIFICATION:
            ident = max(ws, T - _days(rng, 0, 45))
        elif phase == Phase.DIAGNOSTIC:
            ident = max(ws, T - _days(rng, 15, 110))
            diag = min(T, ident + _days(rng, 7, 35))
        elif phase in (Phase.CONTRACT, Phase.SUPPORT):
            contract = T - (_days(rng, 0, 40) if phase == Phase.CONTRACT else _days(rng, 40, 700))
            diag = contract - _days(rng, 7, 35)
            ident = diag - _days(rng, 5, 40)
            if ident < ws:
                shift = ws - ident
                ident, diag, contract = ident + shift, min(T, diag + shift), min(T, contract + shift)
                diag = max(diag, ident)
                contract = max(contract, diag)
        else:
            ended = T - (_days(rng, 1, 150) if phase == Phase.WATCH else _days(rng, 10, 560))
            ended = min(T - timedelta(days=1), max(ended, ws + _days(rng, 60, 200)))
            low, high = {Outcome.DROPPED_OUT: (30, 240), Outcome.REDIRECTED: (30, 300),
                         Outcome.GLISSEMENT: (420, 640)}.get(outcome, (150, 720))
            ident = max(ws, ended - _days(rng, low, high))
            if ident > ended - timedelta(days=20):
                ident = ended - timedelta(days=20)
            diag = ident + _days(rng, 7, 35)
            if diag >= ended:
                diag = None
            else:
                contract = diag + _days(rng, 7, 35)
                early_exit = outcome in (Outcome.DROPPED_OUT, Outcome.REDIRECTED) and rng.random() < 0.4
                if contract >= ended - timedelta(days=14) or early_exit:
                    contract = None
        return ident, diag, contract, ended

    def _household(self, idx: int, ctx: ProjectCtx, rng: random.Random, cover: Cover) -> Plan:
        T = self.today
        p = ctx.project
        cat = p.category
        org = ctx.supporting
        access = rng.random() < ctx.access_share
        dv = rng.random() < (0.85 if cat == "3.2" else 0.006)
        phase = cover("phase", PHASE_WEIGHTS)
        ended_phase = phase in (Phase.ENDED, Phase.WATCH)
        outcome = ""
        if ended_phase:
            weights = dict(ACCESS_OUTCOMES if access else MAINTAIN_OUTCOMES)
            if ctx.association is None:
                weights[Outcome.GLISSEMENT] = 0
            outcome = cover("outcome", weights)

        # -- composition ------------------------------------------------------
        surname = rng.choice(SURNAMES)
        female_head = True if (cat == "3.2" or dv) else rng.random() < 0.55
        if cat == "3.6":
            size = 1 if rng.random() < 0.8 else 2
            head_age = rng.randint(62, 88)
        elif cat == "3.3":
            size = 1 if rng.random() < 0.75 else rng.randint(2, 3)
            head_age = rng.randint(18, 25)
        elif cat == "3.2" or dv:
            size = 1 + _weighted(rng, {0: 25, 1: 30, 2: 25, 3: 15, 4: 5})
            head_age = rng.randint(21, 50)
        else:
            size = _weighted(rng, {1: 32, 2: 20, 3: 18, 4: 15, 5: 9, 6: 6})
            head_age = rng.randint(22, 64)
        hh = Household(
            organisation_id=org.pk, project=p, reference="", display_name=f"Ménage {surname}",
            domestic_violence=dv,
        )
        people = [self._person(rng, hh, org, PersonRole.HEAD, female_head, surname, head_age)]
        remaining = size - 1
        if remaining and not dv and cat != "3.2" and rng.random() < (0.85 if cat == "3.6" else 0.55):
            partner_age = max(18, head_age + rng.randint(-6, 6))
            partner_name = surname if rng.random() < 0.6 else rng.choice(SURNAMES)
            people.append(self._person(rng, hh, org, PersonRole.PARTNER, not female_head, partner_name, partner_age))
            remaining -= 1
        if remaining and head_age > 40 and rng.random() < 0.1:
            people.append(self._person(rng, hh, org, PersonRole.OTHER, rng.random() < 0.5, surname, rng.randint(18, 25)))
            remaining -= 1
        for _ in range(remaining):
            age = rng.randint(0, max(0, min(17, head_age - 17)))
            people.append(self._person(rng, hh, org, PersonRole.CHILD, rng.random() < 0.5, surname, age))

        # -- situation ---------------------------------------------------------
        if access:
            weights = {
                PriorSituation.STREET: 6, PriorSituation.HOTEL: 8, PriorSituation.CHRS: 14,
                PriorSituation.EMERGENCY_SHELTER: 8, PriorSituation.THIRD_PARTY: 22, PriorSituation.PRIVATE_HOUSING: 10,
                PriorSituation.INTERMEDIATE: 10, PriorSituation.SQUAT: 3, PriorSituation.INSTITUTION: 4,
                PriorSituation.PRISON: 2, PriorSituation.CARAVAN: 2, PriorSituation.OTHER: 3,
                PriorSituation.SOCIAL_HOUSING: 2,
            }
            boost = {"3.5": (PriorSituation.PRISON, 80), "3.4": (PriorSituation.CARAVAN, 80),
                     "3.1": (PriorSituation.INSTITUTION, 20), "3.2": (PriorSituation.EMERGENCY_SHELTER, 30),
                     "3.3": (PriorSituation.INTERMEDIATE, 30)}.get(cat)
            if boost:
                weights[boost[0]] = boost[1]
            prior = cover("prior", weights)
        else:
            prior = PriorSituation.SOCIAL_HOUSING
        hh.prior_situation = prior
        if cat == "3.3":
            kind, low, high = rng.choice((("Contrat d'engagement jeune", 400, 560), ("Salaire", 800, 1400)))
        elif cat == "3.6":
            kind, low, high = "Retraite et ASPA", 750, 1100
        else:
            kind, low, high = rng.choice(RESOURCES)
        hh.resources_kind = kind
        hh.monthly_resources = _euros(rng, low, high) if high else Decimal("0.00")
        hh.situation_notes = SITUATION_NOTES[prior]
        if cat == "3.1" or rng.random() < 0.2:
            hh.health_notes = rng.choice(HEALTH_NOTES)
        if prior == PriorSituation.PRISON or cat == "3.5":
            hh.justice_notes = "Sortie de détention, obligations de suivi auprès du SPIP."
        if dv:
            hh.violence_notes = rng.choice(VIOLENCE_NOTES)

        # -- measure dates, eviction story, housing ----------------------------
        ws = ctx.window_start
        ident, diag, contract, ended = self._measure_dates(rng, phase, outcome, ws)
        unit = None
        lease_kind = None
        case_plan: CasePlan | None = None
        leases: list[Lease] = []
        if access:
            lease_kind, ended, leases, unit = self._access_story(rng, cover, ctx, hh, people, phase, outcome, ident, ended)
        else:
            unit = self._unit(rng, ctx, len(people), None)
            ident, diag, contract, ended, leases, case_plan = self._maintain_story(
                rng, ctx, hh, unit, phase, outcome, ident, diag, contract, ended)
        if ended is not None:
            if diag is not None and diag > ended:
                diag = contract = None
            if contract is not None and contract > ended:
                contract = None
        if access and leases and not ended_phase and rng.random() < 0.08:
            lease = leases[-1]
            opened = lease.starts_on + _days(rng, 90, 400)
            if opened <= T - timedelta(days=20):
                case_plan = self._eviction_chain(rng, opened, lease, "open", T, stop=rng.choice((
                    EvictionStepKind.ARREARS, EvictionStepKind.CAF_REPORT, EvictionStepKind.REPAYMENT_PLAN,
                    EvictionStepKind.PAYMENT_ORDER, EvictionStepKind.SUMMONS)))
                self._add_case(lease, case_plan)
        hh.created_at = self.ts(ident - _days(rng, 0, 20))
        if access and not hh.nur and rng.random() < 0.5:
            hh.nur = self._nur(rng, ctx, ident - _days(rng, 60, 700))
        self.add(hh)
        for person in people:
            self.add(person)

        # -- the measure and its team -------------------------------------------
        watch_until = None
        if phase == Phase.WATCH:
            watch_until = max(add_months(ended, 6), T + _days(rng, 7, 60))
        elif phase == Phase.ENDED and add_months(ended, 6) < T and rng.random() < 0.4:
            watch_until = add_months(ended, 6)
        intensity = cover("intensity", INTENSITY_WEIGHTS) if contract else ""
        pool = ctx.referents
        referent = _weighted(rng, {m: w for m, w in pool})
        end = ended or T
        measure = SupportMeasure(
            household=hh, project=p, action_id=ctx.action_id, organisation_id=org.pk,
            kind=_weighted(rng, {MeasureKind.AVDL: 45, MeasureKind.ASLL: 20, MeasureKind.PROJECT: 30, MeasureKind.OTHER: 5}),
            phase=phase, intensity=intensity, referent=referent, identified_on=ident, diagnostic_on=diag,
            contract_signed_on=contract, ended_on=ended, outcome=outcome, watch_until=watch_until,
            external_reference=f"AS-{ident.year}-{rng.randint(1, 9999):04d}" if rng.random() < 0.5 else "",
            diagnostic_notes=(f"Diagnostic partagé avec le ménage : {SITUATION_NOTES[prior].lower()}" if diag else ""),
            outcome_notes=OUTCOME_NOTES.get(outcome, "") if outcome else "",
            created_at=self.ts(ident),
        )
        if ended and ctx.follow_ups and rng.random() < 0.7:
            candidates = [m for held, m in ctx.follow_ups if ended - timedelta(days=40) <= held <= ended]
            if candidates:
                measure.end_meeting = candidates[-1]
        self.add(measure)
        plan = Plan(idx=idx, ctx=ctx, household=hh, measure=measure, access=access, dv=dv, phase=phase, ident=ident,
                    diag=diag, contract=contract, ended=ended, watch_until=watch_until,
                    authors=[(referent, ident, None)])
        self._team(rng, plan, pool, referent, end)

        # -- orientation, consent, mandates, goals, contacts, snapshots -----------
        self._referrals(rng, cover, plan, prior, case_plan)
        self._consents(rng, plan, case_plan)
        self._mandates(rng, plan)
        self._goals(rng, cover, plan, lease_kind, outcome)
        self._contacts(rng, plan)
        self._snapshots(rng, plan, outcome, case_plan, bool(leases))
        ctx.plans.append(plan)
        return plan

    def _person(self, rng, hh, org, role, female, last_name, age) -> Person:
        first = rng.choice(FEMALE_NAMES if female else MALE_NAMES)
        birth = self.today - timedelta(days=age * 365 + rng.randint(0, 364))
        if role == PersonRole.CHILD:
            employment = "Scolarisé(e)" if age >= 3 else ""
        elif age >= 62:
            employment = "Retraité(e)"
        else:
            employment = rng.choice(ADULT_EMPLOYMENT)
        return Person(household=hh, organisation_id=org.pk, role=role, first_name=first, last_name=last_name,
                      birth_date=birth, employment=employment, search_key=fold(f"{last_name} {first}"),
                      created_at=self.ts(self.today))

    def _nur(self, rng, ctx: ProjectCtx, registered: date) -> str:
        return f"{ctx.dept.code:0>3}{registered:%y%m}{rng.randint(0, 99_999_999):08d}".upper()

    # -- housing units and leases -------------------------------------------

    def _unit(self, rng: random.Random, ctx: ProjectCtx, size: int, lease_kind: str | None) -> HousingUnit:
        cat = ctx.project.category
        kind = UnitKind.ORDINARY
        city = ctx.main_city if rng.random() < 0.6 else rng.choice(ctx.dept.cities)
        number = rng.randint(1, 180)
        street = rng.choice(STREETS)
        address = f"{number} {street}"
        if lease_kind == LeaseKind.RESIDENCE:
            kind = {"3.3": UnitKind.FJT, "3.1": UnitKind.BOARDING_HOUSE, "3.6": UnitKind.BOARDING_HOUSE}.get(
                cat, UnitKind.SOCIAL_RESIDENCE)
            typology = Typology.ROOM if rng.random() < 0.4 else Typology.T1
            address = f"{rng.choice(RESIDENCE_NAMES)}, {address}, logement {rng.randint(1, 60)}"
            financing = Financing.PLAI
        else:
            if cat == "3.6" and rng.random() < 0.5 or rng.random() < 0.04:
                kind = UnitKind.ADAPTED
            typology = _weighted(rng, {
                1: {Typology.T1: 30, Typology.T1BIS: 20, Typology.T2: 50},
                2: {Typology.T2: 70, Typology.T3: 30},
                3: {Typology.T2: 20, Typology.T3: 80},
                4: {Typology.T3: 50, Typology.T4: 50},
                5: {Typology.T4: 60, Typology.T5: 40},
            }.get(size, {Typology.T5: 60, Typology.T6: 40}))
            if rng.random() < 0.3:
                address += f", bât. {rng.choice('ABCDEF')}, appt {rng.randint(1, 60)}"
            financing = _weighted(rng, {Financing.PLAI: 40, Financing.PLAI_A: 8, Financing.PLUS: 42,
                                        Financing.PLS: 5, Financing.OTHER: 5})
        low, high, s_low, s_high = RENT_BY_TYPOLOGY[typology]
        landlord = ctx.landlord
        while True:
            self.unit_refs[landlord.pk] += 1
            reference = f"LGT-{self.unit_refs[landlord.pk]:05d}"
            if (landlord.pk, reference) not in self.taken_unit_refs:
                break
        rpls = ""
        if kind in (UnitKind.ORDINARY, UnitKind.ADAPTED) and rng.random() < 0.7:
            while True:
                rpls = f"{rng.randint(10**9, 10**10 - 1)}"
                if rpls not in self.taken_rpls:
                    self.taken_rpls.add(rpls)
                    break
        unit = HousingUnit(
            landlord=landlord, project=ctx.project, kind=kind, rpls_id=rpls, landlord_reference=reference,
            address=address, postcode=city.postcode, commune_insee=city.insee, city=city.name, typology=typology,
            surface=Decimal(rng.randint(s_low, s_high)), floor=rng.randint(0, 2 if cat == "3.6" else 8),
            financing=financing, rent=_euros(rng, low, high), charges=_euros(rng, 35, 140),
            created_at=self.ts(self.today - _days(rng, 400, 4000)),
        )
        return self.add(unit)

    def _lease(self, ctx: ProjectCtx, unit: HousingUnit, kind: str, hh: Household, signed: date, starts: date,
               ends: date | None = None, parent: Lease | None = None, planned: date | None = None) -> Lease:
        association_tenant = kind in ASSOCIATION_LEASES
        tenant_reference = ""
        if not association_tenant:
            self.tenant_refs[ctx.landlord.pk] += 1
            tenant_reference = f"LOC{self.tenant_refs[ctx.landlord.pk]:07d}"
        lease = Lease(
            unit=unit, lessor=ctx.landlord, kind=kind,
            tenant_household=None if association_tenant else hh,
            tenant_organisation=ctx.association if association_tenant else None,
            occupant=hh, parent_lease=parent, signed_on=signed, starts_on=starts, ends_on=ends,
            monthly_rent=unit.rent, monthly_charges=unit.charges, planned_glissement_on=planned,
            tenant_reference=tenant_reference, created_at=self.ts(signed),
        )
        return self.add(lease)

    def _access_path(self, rng, cover, ident: date, lease_kind: str, limit: date, need_lease: bool, margin: int) -> AccessPath:
        attempts = []
        decision_step = False
        if lease_kind in NO_CALEOL_LEASES:
            move_in = ident + _days(rng, 0, 75)
            signed = move_in - _days(rng, 0, 7)
        else:
            proposal = ident + _days(rng, 10, 90)
            if rng.random() < 0.18:
                caleol = proposal + _days(rng, 5, 21)
                attempts.append([proposal, caleol, cover("caleol_failed", {
                    AttributionDecision.POSTPONED: 40, AttributionDecision.REFUSED: 25, AttributionDecision.DECLINED: 35})])
                proposal = caleol + _days(rng, 15, 60)
            caleol = proposal + _days(rng, 5, 21)
            attempts.append([proposal, caleol, cover("caleol_ok", {
                AttributionDecision.GRANTED: 80, AttributionDecision.CONDITIONAL: 12, AttributionDecision.GRANTED_RANKED: 8})])
            signed = caleol + _days(rng, 5, 25)
            move_in = signed + _days(rng, 0, 10)
            decision_step = rng.random() < 0.3
        if need_lease and move_in > limit - timedelta(days=margin):
            shift = move_in - (limit - timedelta(days=margin) - _days(rng, 0, 20))
            move_in -= shift
            signed -= shift
            for attempt in attempts:
                attempt[0] -= shift
                attempt[1] -= shift
        first = attempts[0][0] if attempts else move_in
        application = min(first, ident) - _days(rng, 60, 900)
        return AccessPath(application, attempts, signed, move_in, decision_step)

    def _access_story(self, rng, cover, ctx: ProjectCtx, hh: Household, people, phase, outcome, ident, ended):
        T = self.today
        weights = dict(LEASE_WEIGHTS)
        if ctx.association is None:
            for kind in ASSOCIATION_LEASES:
                weights[kind] = 0
        if ctx.project.category in ("3.1", "3.3", "3.6"):
            weights[LeaseKind.RESIDENCE] *= 3
        if outcome == Outcome.GLISSEMENT:
            lease_kind = LeaseKind.SLIDING
        elif outcome == Outcome.REHOUSED_DIRECT:
            lease_kind = LeaseKind.DIRECT
        else:
            lease_kind = cover("lease_kind", weights)
        need_lease = outcome in (Outcome.GLISSEMENT, Outcome.REHOUSED_DIRECT, Outcome.MAINTAINED, Outcome.LEFT)
        limit = ended or T - timedelta(days=1)
        margin = 150 if outcome == Outcome.GLISSEMENT else 30
        path = self._access_path(rng, cover, ident, lease_kind, limit, need_lease, margin)
        housed = path.move_in <= limit
        steps_limit = min(T, ended) if ended else T

        unit = None
        if housed or any(a[0] <= steps_limit for a in path.attempts):
            unit = self._unit(rng, ctx, len(people), lease_kind)
        org_id = hh.organisation_id

        def step(kind, on, unit_=None, decision="", notes=""):
            if on <= steps_limit:
                self.add(AttributionStep(household=hh, organisation_id=org_id, unit=unit_, kind=kind, occurred_on=on,
                                         decision=decision, notes=notes, created_at=self.ts(on)))

        if lease_kind not in NO_CALEOL_LEASES:
            hh.nur = self._nur(rng, ctx, path.application)
            step(AttributionStepKind.APPLICATION, path.application, notes=f"Demande enregistrée, NUR {hh.nur}")
            for i, (proposal, caleol, decision) in enumerate(path.attempts):
                last = i == len(path.attempts) - 1
                proposed = unit if last else (self._unit(rng, ctx, len(people), lease_kind) if proposal <= steps_limit else None)
                step(AttributionStepKind.PROPOSAL, proposal, proposed)
                notes = {
                    AttributionDecision.GRANTED_RANKED: "Candidat classé en rang 1",
                    AttributionDecision.CONDITIONAL: "Sous réserve de l'ouverture des droits APL",
                    AttributionDecision.POSTPONED: "Ajournement : pièce justificative manquante",
                    AttributionDecision.REFUSED: "Non-attribution : taux d'effort trop élevé",
                    AttributionDecision.DECLINED: "Refus du ménage : logement trop éloigné de l'école",
                }.get(decision, "")
                step(AttributionStepKind.CALEOL, caleol, proposed, decision, notes)
                if last and path.decision_step:
                    step(AttributionStepKind.DECISION, caleol + _days(rng, 1, 8), proposed, decision,
                         "Décision notifiée au ménage")
            if housed:
                step(AttributionStepKind.LEASE_SIGNED, path.signed, unit)
                step(AttributionStepKind.MOVE_IN, path.move_in, unit)
        for _, caleol, decision in path.attempts:
            if caleol > steps_limit:
                cover.unsee("caleol_ok" if decision in CALEOL_OK else "caleol_failed", decision)
        if not housed:
            if outcome not in (Outcome.GLISSEMENT, Outcome.REHOUSED_DIRECT):
                cover.unsee("lease_kind", lease_kind)
            return lease_kind, ended, [], unit

        leases = []
        move_in, signed = path.move_in, path.signed
        lease_end = None
        if outcome == Outcome.LEFT:
            lease_end = max(move_in + timedelta(days=30), ended - _days(rng, 0, 20))
            if ended < lease_end:
                ended = min(T - timedelta(days=1), lease_end)
        if lease_kind == LeaseKind.SLIDING:
            planned = add_months(move_in, rng.choice((12, 12, 18, 24)))
            slide = None
            if outcome == Outcome.GLISSEMENT:
                slide = min(planned + _days(rng, -20, 30), ended - _days(rng, 0, 45))
                slide = max(slide, move_in + timedelta(days=120))
                slide = min(slide, T - timedelta(days=1))
                ended = max(ended, min(T - timedelta(days=1), slide + _days(rng, 0, 30)))
            elif ended is None and planned + timedelta(days=30) <= T and rng.random() < 0.7:
                slide = min(T - timedelta(days=1), planned + _days(rng, -15, 30))
            if slide is not None and slide <= move_in + timedelta(days=30):
                slide = None
            first = self._lease(ctx, unit, LeaseKind.SLIDING, hh, signed, move_in,
                                ends=(slide - timedelta(days=1)) if slide else lease_end, planned=planned)
            leases.append(first)
            if slide is not None:
                decided = max(move_in + timedelta(days=1), slide - _days(rng, 10, 45))
                direct_signed = decided + timedelta(days=rng.randint(0, (slide - decided).days))
                second = self._lease(ctx, unit, LeaseKind.DIRECT, hh, direct_signed, slide, ends=None, parent=first)
                leases.append(second)
                self.add(Glissement(from_lease=first, to_lease=second, caleol_decided_on=decided, effective_on=slide,
                                    created_at=self.ts(slide)))
                self.add(AttributionStep(household=hh, organisation_id=org_id, unit=unit, kind=AttributionStepKind.CALEOL,
                                         occurred_on=decided, decision=AttributionDecision.GRANTED,
                                         notes="Glissement du bail validé", created_at=self.ts(decided)))
        else:
            leases.append(self._lease(ctx, unit, lease_kind, hh, signed, move_in, ends=lease_end))
        return lease_kind, ended, leases, unit

    def _maintain_story(self, rng, ctx: ProjectCtx, hh, unit, phase, outcome, ident, diag, contract, ended):
        T = self.today
        Y = T - timedelta(days=1)
        ws = ctx.window_start
        target = None
        if ended is not None:
            target = {
                Outcome.EVICTED: "evicted", Outcome.EVICTION_AVOIDED: "avoided",
                Outcome.MAINTAINED: "settled" if rng.random() < 0.6 else None,
                Outcome.LEFT: "left" if rng.random() < 0.6 else None,
            }.get(outcome, "settled" if rng.random() < 0.3 else None)
        elif rng.random() < 0.75:
            target = "settled" if rng.random() < 0.2 else "open"
        recent_lease = rng.random() < 0.25
        gap_days = rng.randint(365, 12 * 365)
        position = rng.random()

        def lease_signed(opened: date) -> date:
            """Signed long before the arrears; a quarter after the 2023 law when the dates allow it."""
            latest = opened - timedelta(days=150)
            if recent_lease and latest > date(2023, 8, 1):
                return date(2023, 8, 1) + timedelta(days=int(position * (latest - date(2023, 8, 1)).days))
            return max(date(2003, 1, 6), opened - timedelta(days=gap_days))

        case_plan = None
        lease_end = None
        if target in ("evicted", "avoided", "settled", "left") and ended is not None:
            estimate = {"settled": 220, "avoided": 430, "left": 400, "evicted": 640}[target]
            opened = ended - timedelta(days=estimate) - _days(rng, 0, 60)
            for _ in range(6):
                signed = lease_signed(opened)
                case_plan = self._eviction_chain_for(rng, opened, signed, unit, target, Y)
                closing = case_plan.closed_on
                if closing is None:
                    opened -= timedelta(days=150)
                    continue
                if closing > ended + timedelta(days=30):
                    opened -= closing - ended
                    continue
                break
            closing = case_plan.closed_on
            if closing is not None:
                if target in ("evicted", "left"):
                    ended = min(Y, closing + _days(rng, 0, 30))
                    lease_end = closing
                else:
                    ended = min(Y, max(ended, closing))
            ident = max(case_plan.opened_on + _days(rng, 0, 90), min(ws, ended - timedelta(days=60)))
            ident = min(ident, ended - timedelta(days=30))
            diag = ident + _days(rng, 7, 35)
            contract = diag + _days(rng, 7, 35)
            if diag >= ended:
                diag = contract = None
            elif contract >= ended - timedelta(days=14) or (outcome == Outcome.DROPPED_OUT and rng.random() < 0.4):
                contract = None
        else:
            opened = ident - _days(rng, 0, 150)
            signed = lease_signed(opened)
            if target is not None:
                stop = None
                if target == "open":
                    stop = _weighted(rng, {
                        EvictionStepKind.ARREARS: 8, EvictionStepKind.CAF_REPORT: 8, EvictionStepKind.REPAYMENT_PLAN: 12,
                        EvictionStepKind.FSL: 8, EvictionStepKind.PAYMENT_ORDER: 12, EvictionStepKind.CCAPEX_REFERRAL: 10,
                        EvictionStepKind.SUMMONS: 10, EvictionStepKind.SOCIAL_DIAGNOSIS: 6, EvictionStepKind.HEARING: 6,
                        EvictionStepKind.JUDGMENT: 8, EvictionStepKind.ORDER_TO_LEAVE: 5,
                        EvictionStepKind.ENFORCEMENT_DELAY: 2, EvictionStepKind.POLICE_REQUEST: 4,
                        EvictionStepKind.POLICE_DECISION: 3,
                    })
                case_plan = self._eviction_chain_for(rng, opened, signed, unit, target, ended or Y, stop=stop)
        if case_plan is not None:
            signed = lease_signed(case_plan.opened_on)
        starts = signed + _days(rng, 0, 15)
        lease = self._lease(ctx, unit, LeaseKind.DIRECT, hh, signed, starts, ends=lease_end)
        if case_plan is not None:
            self._add_case(lease, case_plan)
        return ident, diag, contract, ended, [lease], case_plan

    # -- eviction prevention ---------------------------------------------------

    def _eviction_chain_for(self, rng, opened, signed, unit, target, limit, stop=None) -> CasePlan:
        probe = Lease(signed_on=signed, monthly_rent=unit.rent, monthly_charges=unit.charges)
        return self._eviction_chain(rng, opened, probe, target, limit, stop=stop)

    def _eviction_chain(self, rng: random.Random, opened: date, lease: Lease, target: str, limit: date,
                        stop: str | None = None) -> CasePlan:
        """Steps of an eviction-prevention file from ``opened`` on, never after ``limit``.

        ``target``: settled, avoided, left, evicted (a closed file) or open
        (stopped at ``stop``). Deadlines come from the DeadlineRule table.
        """
        K = EvictionStepKind
        monthly = lease.monthly_rent + lease.monthly_charges
        signed = lease.signed_on
        debt = _money(float(monthly) * rng.uniform(1.3, 3.5))
        growth = rng.uniform(0, 2)
        plan = CasePlan(opened_on=opened, steps=[])
        # Per-file random decisions are drawn up front so that cutting the file at
        # ``limit`` never changes the draws of the other files.
        with_caf_delay = rng.randint(10, 40)
        gaps = [rng.randint(5, 45) for _ in range(16)]
        plan_months = rng.choice((6, 12, 18, 24))
        fsl_aid = _euros(rng, 300, 1500)
        with_repayment = rng.random() < {"settled": 1.0, "avoided": 0.4, "evicted": 0.3}.get(target, 0.5)
        with_fsl = rng.random() < 0.5
        with_payment_order = target != "settled" or rng.random() < 0.3
        with_over_indebtedness = rng.random() < 0.12
        result = {"avoided": JudgmentResult.DELAYS if rng.random() < 0.75 else JudgmentResult.DISMISSED,
                  "left": JudgmentResult.TERMINATION, "evicted": JudgmentResult.TERMINATION}.get(
            target, JudgmentResult.TERMINATION if rng.random() < 0.5 else JudgmentResult.DELAYS)
        with_protocol = rng.random() < 0.6
        with_order_to_leave = target != "left" or rng.random() < 0.5
        with_enforcement_delay = rng.random() < 0.3
        delay_months = rng.choice((1, 3, 6, 12))
        implicit_refusal = target == "open" and rng.random() < 0.4
        closing_gap = {"settled": rng.randint(60, 200), "avoided": rng.randint(20, 90), "left": rng.randint(15, 60)}.get(target, 0)
        remaining_share = rng.uniform(0, 0.3)

        def add(kind, on, amount=None, result="", notes=""):
            if on > limit:
                raise _Stop
            deadline = deadline_for(kind, on, signed) if kind in RULE_KINDS else None
            plan.steps.append(StepPlan(kind, on, amount, result, notes, deadline))
            if stop is not None and kind == stop:
                raise _Stop
            return deadline.due_on if deadline else on

        g = iter(gaps)
        try:
            day = add(K.ARREARS, opened, debt, notes=f"Impayé de {debt} € constaté")
            if must_report_to_caf(debt, monthly):
                day = add(K.CAF_REPORT, opened + timedelta(days=with_caf_delay), debt,
                          notes="Impayé égal à deux mois de loyer et charges")
            if with_repayment:
                instalment = _money(float(debt) / plan_months)
                day = add(K.REPAYMENT_PLAN, day + timedelta(days=next(g)), debt,
                          notes=f"Plan de {plan_months} mensualités de {instalment} €")
            if with_fsl:
                day = add(K.FSL, day + timedelta(days=next(g)), fsl_aid, notes="Aide FSL accordée (maintien)")
            if target == "settled":
                if with_payment_order:
                    add(K.PAYMENT_ORDER, day + timedelta(days=20 + next(g)), debt, notes="Commandement délivré par huissier")
                raise _Stop
            debt = _money(float(debt) + float(monthly) * growth)
            po_day = day + timedelta(days=20 + next(g))
            po_due = add(K.PAYMENT_ORDER, po_day, debt, notes="Commandement délivré par huissier")
            if with_over_indebtedness:
                add(K.OVER_INDEBTEDNESS, po_day + timedelta(days=next(g)),
                    notes="Dossier déposé auprès de la commission de surendettement")
            cc_day = po_day + timedelta(days=7 + next(g))
            cc_due = add(K.CCAPEX_REFERRAL, cc_day, notes="Saisine de la CCAPEX par le bailleur")
            summons_day = next_working_day(max(po_due, cc_due) + timedelta(days=next(g)))
            summons_due = add(K.SUMMONS, summons_day, notes="Assignation notifiée au préfet")
            add(K.SOCIAL_DIAGNOSIS, summons_day + timedelta(days=10 + next(g)),
                notes="Diagnostic social et financier transmis au juge")
            hearing = next_working_day(summons_due + timedelta(days=next(g)))
            add(K.HEARING, hearing, notes="Audience devant le juge des contentieux de la protection")
            judgment_day = next_working_day(hearing + timedelta(days=next(g)))
            judgment_notes = {
                JudgmentResult.DELAYS: "Délais de paiement accordés, clause résolutoire suspendue",
                JudgmentResult.TERMINATION: "Résiliation du bail, expulsion ordonnée",
                JudgmentResult.DISMISSED: "Demande du bailleur rejetée",
            }[result]
            day = add(K.JUDGMENT, judgment_day, debt, result, judgment_notes)
            if result != JudgmentResult.TERMINATION:
                if with_protocol or target == "open":
                    add(K.COHESION_PROTOCOL, judgment_day + timedelta(days=20 + next(g)),
                        notes="Protocole de cohésion sociale signé pour deux ans")
                if target != "open":
                    raise _Stop
                raise _Stop
            if target == "left" and not with_order_to_leave:
                raise _Stop
            otl_day = judgment_day + timedelta(days=30 + next(g))
            otl_due = add(K.ORDER_TO_LEAVE, otl_day, notes="Commandement de quitter les lieux délivré")
            if target == "left":
                raise _Stop
            earliest = otl_due
            if with_enforcement_delay:
                delay_day = otl_day + timedelta(days=15 + next(g))
                add(K.ENFORCEMENT_DELAY, delay_day, notes=f"Délai de {delay_months} mois accordé par le juge de l'exécution")
                earliest = max(earliest, add_months(delay_day, delay_months))
            request_day = next_working_day(earliest + timedelta(days=next(g)))
            request_due = add(K.POLICE_REQUEST, request_day, notes="Demande adressée au préfet")
            if implicit_refusal:
                add(K.POLICE_DECISION, request_due, notes="Refus implicite : silence du préfet pendant deux mois")
                raise _Stop
            decision_day = next_working_day(request_day + timedelta(days=20 + next(g) % 35))
            add(K.POLICE_DECISION, decision_day, notes="Concours de la force publique accordé")
            eviction = next_working_day(first_day_eviction_possible(decision_day + timedelta(days=14 + next(g))))
            add(K.EVICTION, eviction, notes="Expulsion réalisée, mise à l'abri proposée par le SIAO")
            plan.eviction_on = eviction
        except _Stop:
            pass
        last = plan.steps[-1].on
        reached = {s.kind for s in plan.steps}
        plan.arrears = debt
        if target == "evicted":
            if K.EVICTION in reached:
                plan.status, plan.closed_on = EvictionCaseStatus.EVICTED, plan.eviction_on
        elif target in ("settled", "avoided", "left"):
            complete = {
                "settled": True,
                "avoided": K.JUDGMENT in reached and (result != JudgmentResult.DELAYS or not with_protocol
                                                     or K.COHESION_PROTOCOL in reached),
                "left": K.JUDGMENT in reached and (not with_order_to_leave or K.ORDER_TO_LEAVE in reached),
            }[target]
            closing = last + timedelta(days=closing_gap)
            if complete and closing <= limit:
                plan.status = {"settled": EvictionCaseStatus.SETTLED, "avoided": EvictionCaseStatus.AVOIDED,
                               "left": EvictionCaseStatus.LEFT}[target]
                plan.closed_on = closing
                plan.arrears = {"settled": Decimal("0.00"),
                                "avoided": _money(float(debt) * remaining_share)}.get(target, debt)
        return plan

    def _add_case(self, lease: Lease, plan: CasePlan) -> None:
        case = self.add(EvictionCase(
            lease=lease, lessor_id=lease.lessor.pk, opened_on=plan.opened_on, closed_on=plan.closed_on,
            status=plan.status, arrears_amount=plan.arrears, created_at=self.ts(plan.opened_on),
        ))
        for s in plan.steps:
            self.add(EvictionStep(
                case=case, lessor_id=lease.lessor.pk, kind=s.kind, occurred_on=s.on, amount=s.amount,
                judgment_result=s.result, deadline_on=s.deadline.due_on if s.deadline else None,
                deadline_rule=s.deadline.rule if s.deadline else None, notes=s.notes[:255],
                created_at=self.ts(s.on),
            ))

    # -- the measure's surroundings ------------------------------------------

    def _team(self, rng: random.Random, plan: Plan, pool, referent: Membership, end: date) -> None:
        m = plan.measure
        ident = plan.ident
        members = {referent}
        ref_row = self.add(TeamMember(measure=m, membership=referent, role=TeamRole.REFERENT, since=ident,
                                      created_at=self.ts(ident)))
        others = [mm for mm, _ in pool if mm not in members]
        span = (end - ident).days
        if span > 120 and others and rng.random() < 0.12:
            # Referent reassigned during the measure.
            change = ident + timedelta(days=rng.randint(60, span - 30))
            new = rng.choice(others)
            ref_row.until = change - timedelta(days=1)
            self.add(TeamMember(measure=m, membership=new, role=TeamRole.REFERENT, since=change,
                                created_at=self.ts(change)))
            m.referent = new
            members.add(new)
            plan.authors = [(referent, ident, change - timedelta(days=1)), (new, change, None)]
            others = [mm for mm in others if mm != new]
        if others and rng.random() < 0.15:
            co = rng.choice(others)
            since = plan.diag or ident
            self.add(TeamMember(measure=m, membership=co, role=TeamRole.CO_REFERENT, since=since, created_at=self.ts(since)))
            plan.co_referent = co
            members.add(co)
            others = [mm for mm in others if mm != co]
        if others and span > 60 and rng.random() < 0.08:
            stand_in = rng.choice(others)
            since = ident + timedelta(days=rng.randint(30, span))
            until = since + _days(rng, 14, 45)
            self.add(TeamMember(measure=m, membership=stand_in, role=TeamRole.REPLACEMENT, since=since, until=until,
                                created_at=self.ts(since)))
            plan.replacement = (stand_in, since, until)
            members.add(stand_in)
        lead = plan.ctx.lead
        if lead not in members:
            self.add(TeamMember(measure=m, membership=lead, role=TeamRole.LEAD, since=ident, created_at=self.ts(ident)))

    def _author_on(self, rng: random.Random, plan: Plan, day: date) -> Membership:
        if plan.replacement and plan.replacement[1] <= day <= plan.replacement[2] and rng.random() < 0.6:
            return plan.replacement[0]
        if plan.co_referent is not None and rng.random() < 0.2:
            return plan.co_referent
        for membership, since, until in plan.authors:
            if since <= day and (until is None or day <= until):
                return membership
        return plan.authors[-1][0]

    def _referrals(self, rng: random.Random, cover: Cover, plan: Plan, prior: str, case_plan) -> None:
        ctx = plan.ctx
        hh = plan.household
        S = ReferralSource
        if plan.access:
            weights = {S.SIAO: 30, S.DALO: 10, S.PDALHPD: 8, S.CHRS: 12, S.ASSOCIATION: 8, S.SOCIAL_SERVICES: 8,
                       S.LANDLORD: 4, S.CCAPEX: 2, S.SPIP: 3, S.MENTAL_HEALTH: 4, S.OTHER: 3}
        else:
            weights = {S.LANDLORD: 40, S.CCAPEX: 25 if case_plan else 5, S.SOCIAL_SERVICES: 12, S.ASSOCIATION: 5,
                       S.PDALHPD: 5, S.SIAO: 2, S.DALO: 2, S.CHRS: 1, S.SPIP: 1, S.MENTAL_HEALTH: 3, S.OTHER: 4}
        boost = {"3.5": (S.SPIP, 60), "3.1": (S.MENTAL_HEALTH, 40), "3.2": (S.ASSOCIATION, 30)}.get(ctx.project.category)
        if boost:
            weights[boost[0]] = boost[1]
        source = cover("referral_source", weights)
        bodies = self.bodies[ctx.dept.code]
        referring = {
            S.SIAO: bodies["siao"], S.CCAPEX: bodies["ccapex"], S.DALO: bodies["state"], S.PDALHPD: bodies["department"],
            S.SOCIAL_SERVICES: bodies["department"], S.SPIP: bodies["justice"], S.MENTAL_HEALTH: bodies["health"],
            S.LANDLORD: ctx.landlord, S.ASSOCIATION: ctx.association,
        }.get(source)
        referred = plan.ident - _days(rng, 0, 30)
        org_id = hh.organisation_id
        pending = plan.phase == Phase.IDENTIFICATION and cover(
            "referral_pending", {True: 60, False: 40})
        if pending:
            decision, decided = ReferralDecision.PENDING, None
        else:
            decision = ReferralDecision.ACCEPTED
            decided = min(plan.ident, referred + _days(rng, 0, 20))
        self.add(Referral(household=hh, organisation_id=org_id, project=ctx.project, source=source,
                          referring_organisation=referring, referred_on=referred, prior_situation=prior,
                          decision=decision, decided_on=decided, created_at=self.ts(referred)))
        if rng.random() < 0.12:
            earlier = referred - _days(rng, 60, 300)
            self.add(Referral(
                household=hh, organisation_id=org_id, project=ctx.project,
                source=_weighted(rng, weights), referring_organisation=None, referred_on=earlier,
                prior_situation=prior, decision=ReferralDecision.REFUSED, decided_on=earlier + _days(rng, 7, 30),
                refusal_reason=rng.choice(REFUSAL_REASONS), created_at=self.ts(earlier),
            ))

    def _consents(self, rng: random.Random, plan: Plan, case_plan) -> None:
        ctx = plan.ctx
        hh = plan.household
        bodies = self.bodies[ctx.dept.code]
        given = plan.diag or plan.ident
        wanted = []
        if ctx.association is not None:
            if rng.random() < 0.65:
                wanted.append((ctx.landlord, ConsentPurpose.SUPPORT_PROGRESS))
            if rng.random() < 0.2:
                wanted.append((ctx.landlord, ConsentPurpose.SOCIAL_DETAILS))
        if rng.random() < 0.15:
            wanted.append((bodies["caf"], ConsentPurpose.TENANCY))
        if case_plan is not None and rng.random() < 0.4:
            wanted.append((bodies["ccapex"], ConsentPurpose.SOCIAL_DETAILS))
        if (ctx.project.category == "3.1" and rng.random() < 0.6) or (hh.health_notes and rng.random() < 0.3):
            wanted.append((bodies["health"], ConsentPurpose.HEALTH))
        for partner, purpose in wanted:
            withdrawn = None
            if rng.random() < 0.08 and given + timedelta(days=30) < self.today:
                withdrawn = _between(rng, given + timedelta(days=30), self.today)
            self.add(Consent(household=hh, organisation_id=hh.organisation_id, partner=partner, purpose=purpose,
                             given_on=given, withdrawn_on=withdrawn, recorded_by=plan.measure.referent,
                             created_at=self.ts(given)))

    def _mandates(self, rng: random.Random, plan: Plan) -> None:
        if plan.contract is None:
            return
        end = plan.ended or self.today
        start = plan.contract
        for number in range(1, 5):
            ends = add_months(start, 6) - timedelta(days=1)
            self.add(Mandate(measure=plan.measure, organisation_id=plan.measure.organisation_id, number=number,
                             starts_on=start, ends_on=ends, decided_on=start - _days(rng, 0, 14),
                             created_at=self.ts(start)))
            if ends >= end:
                break
            start = ends + timedelta(days=1)

    def _goals(self, rng: random.Random, cover: Cover, plan: Plan, lease_kind, outcome: str) -> None:
        if plan.contract is None:
            return
        T = self.today
        D = GoalDomain
        weights = {D.BUDGET: 25, D.HOME_CARE: 15, D.NEIGHBOURHOOD: 8, D.HEALTH: 12, D.EMPLOYMENT: 10, D.RIGHTS: 22, D.OTHER: 8}
        domains = [cover("goal_domain", weights)]
        for _ in range(rng.randint(1, 3)):
            extra = _weighted(rng, {d: w for d, w in weights.items() if d not in domains})
            domains.append(extra)
        end = plan.ended
        org_id = plan.measure.organisation_id
        for i, domain in enumerate(domains):
            set_on = plan.contract if i == 0 else min(end or T, plan.contract + _days(rng, 0, 30))
            if domain == D.OTHER:
                title = "Préparer le glissement du bail" if lease_kind == LeaseKind.SLIDING else rng.choice(GOAL_TITLES[D.OTHER])
            else:
                title = rng.choice(GOAL_TITLES[domain])
            status, closed = GoalStatus.OPEN, None
            if end is not None:
                weights_status = ({GoalStatus.ABANDONED: 70, GoalStatus.PARTLY: 30} if outcome == Outcome.DROPPED_OUT
                                  else {GoalStatus.ACHIEVED: 45, GoalStatus.PARTLY: 30, GoalStatus.ABANDONED: 25})
                status = _weighted(rng, weights_status)
                closed = _between(rng, min(end, set_on + timedelta(days=30)), end)
            elif set_on + timedelta(days=45) < T and rng.random() < 0.25:
                status = _weighted(rng, {GoalStatus.ACHIEVED: 60, GoalStatus.PARTLY: 25, GoalStatus.ABANDONED: 15})
                closed = _between(rng, set_on + timedelta(days=45), T)
            goal = self.add(SupportGoal(measure=plan.measure, organisation_id=org_id, domain=domain, title=title,
                                        set_on=set_on, status=status, closed_on=closed,
                                        notes="Objectif co-construit avec le ménage." if rng.random() < 0.5 else "",
                                        created_at=self.ts(set_on)))
            plan.goals.append(goal)
            horizon = closed or end or T + timedelta(days=75)
            progress = 0
            for milestone, months in ((ReviewMilestone.TWO_MONTHS, 2), (ReviewMilestone.SIX_MONTHS, 6)):
                due = add_months(set_on, months)
                if due > horizon:
                    break
                reviewed, value, note = None, None, ""
                if due <= T and rng.random() < 0.85:
                    reviewed = max(set_on, min(T, due + _days(rng, -7, 20)))
                    progress = min(100, max(progress, rng.randint(10, 60) if months == 2 else rng.randint(30, 100)))
                    if status == GoalStatus.ACHIEVED and months == 6:
                        progress = max(progress, 80)
                    value = progress
                    note = rng.choice(("Avancée régulière.", "Des freins persistent.", "Objectif à réajuster.", ""))
                self.add(GoalReview(goal=goal, organisation_id=org_id, milestone=milestone, due_on=due,
                                    reviewed_on=reviewed, progress=value, notes=note, created_at=self.ts(min(due, T))))

    def _note(self, rng: random.Random, kind: str, goals: list) -> str:
        domain = goals[0].domain if goals else rng.choice(list(CONTACT_TOPICS))
        parts = [rng.choice(CONTACT_OPENINGS[kind]), rng.choice(CONTACT_TOPICS[domain]), rng.choice(CONTACT_NEXT)]
        return " ".join(part for part in parts if part)

    def _contacts(self, rng: random.Random, plan: Plan) -> None:
        T = self.today
        window = T - timedelta(days=365)
        end = plan.ended or T
        m = plan.measure
        hh = plan.household
        org_id = m.organisation_id
        rate = INTENSITY_RATE[m.intensity]
        segments = []
        if plan.diag is None:
            segments.append((plan.ident, end, 2.0, CONTACT_KIND_WEIGHTS))
        else:
            segments.append((plan.ident, plan.diag - timedelta(days=1), 2.0, CONTACT_KIND_WEIGHTS))
            if plan.contract is None:
                segments.append((plan.diag, end, 4.0, CONTACT_KIND_WEIGHTS))
            else:
                segments.append((plan.diag, plan.contract - timedelta(days=1), 4.0, CONTACT_KIND_WEIGHTS))
                segments.append((plan.contract, end, rate, CONTACT_KIND_WEIGHTS))
        if plan.phase == Phase.WATCH:
            segments.append((plan.ended + timedelta(days=1), min(T, plan.watch_until), 0.7,
                             {ContactKind.PHONE: 60, ContactKind.HOME_VISIT: 25, ContactKind.NO_SHOW: 15}))
        durations = {ContactKind.HOME_VISIT: (30, 120), ContactKind.OFFICE: (30, 90), ContactKind.PHONE: (5, 30),
                     ContactKind.JOINT_VISIT: (45, 120)}
        for low, high, per_month, kinds in segments:
            low, high = max(low, window), min(high, T)
            if high < low:
                continue
            n = _round_count(rng, per_month * ((high - low).days + 1) / 30.4 * rng.uniform(0.85, 1.15))
            for _ in range(n):
                day = _weekday(_between(rng, low, high), low, high)
                kind = _weighted(rng, kinds)
                status = ContactStatus.DONE
                if kind != ContactKind.NO_SHOW and rng.random() < 0.04:
                    status = ContactStatus.CANCELLED
                duration = None
                if status == ContactStatus.DONE and kind in durations:
                    a, b = durations[kind]
                    duration = rng.randrange(a, b + 1, 5)
                goals = []
                if status == ContactStatus.DONE and kind != ContactKind.NO_SHOW and plan.goals and rng.random() < 0.65:
                    active = [g for g in plan.goals if g.set_on <= day and (g.closed_on is None or g.closed_on >= day)]
                    if active:
                        goals = rng.sample(active, min(len(active), rng.randint(1, 2)))
                note = ""
                if status == ContactStatus.DONE and rng.random() < 0.85:
                    note = rng.choice(NO_SHOW_NOTES) if kind == ContactKind.NO_SHOW else self._note(rng, kind, goals)
                elif status == ContactStatus.CANCELLED:
                    note = "Rendez-vous annulé à la demande du ménage."
                contact = self.add(Contact(
                    measure=m, household=hh, organisation_id=org_id, author=self._author_on(rng, plan, day), kind=kind,
                    status=status, occurred_on=day, duration_minutes=duration,
                    client_uuid=uuid.UUID(int=rng.getrandbits(128), version=4), note=note,
                    created_at=self.ts(day, rng.randint(8, 18), rng.randrange(0, 60, 5)),
                ))
                for goal in goals:
                    self.contact_goals.append((contact, goal))
        # Appointments already planned in the coming weeks.
        planned = 0
        if plan.ended is None:
            planned = rng.choice((1, 1, 2))
        elif plan.phase == Phase.WATCH and rng.random() < 0.3:
            planned = 1
        for _ in range(planned):
            day = T + _days(rng, 1, 21)
            while day.weekday() >= 5:
                day += timedelta(days=1)
            kind = (ContactKind.PHONE if plan.ended else
                    _weighted(rng, {ContactKind.HOME_VISIT: 45, ContactKind.OFFICE: 30, ContactKind.PHONE: 15,
                                    ContactKind.JOINT_VISIT: 10}))
            self.add(Contact(
                measure=m, household=hh, organisation_id=org_id, author=self._author_on(rng, plan, T), kind=kind,
                status=ContactStatus.PLANNED, occurred_on=day, duration_minutes=None,
                client_uuid=uuid.UUID(int=rng.getrandbits(128), version=4), note="",
                created_at=self.ts(T, 8),
            ))

    def _snapshots(self, rng: random.Random, plan: Plan, outcome: str, case_plan, housed: bool) -> None:
        m = plan.measure
        org_id = m.organisation_id
        entry_arrears = case_plan.steps[0].amount if case_plan and case_plan.steps else Decimal("0.00")
        if plan.diag:
            self.add(SituationSnapshot(
                measure=m, organisation_id=org_id, moment=SnapshotMoment.ENTRY, observed_on=plan.diag,
                rent_arrears=entry_arrears, housing_benefit=rng.random() < (0.35 if plan.access else 0.6),
                minimum_income=rng.random() < 0.55, health_cover=rng.random() < 0.75, employed=rng.random() < 0.2,
                still_housed=not plan.access, created_at=self.ts(plan.diag),
            ))
        if plan.ended is None:
            return
        still = housed and outcome not in (Outcome.EVICTED, Outcome.LEFT)
        exit_arrears = Decimal("0.00")
        if case_plan is not None:
            exit_arrears = case_plan.arrears
        self.add(SituationSnapshot(
            measure=m, organisation_id=org_id, moment=SnapshotMoment.EXIT, observed_on=plan.ended,
            rent_arrears=exit_arrears, housing_benefit=rng.random() < 0.85, minimum_income=rng.random() < 0.55,
            health_cover=rng.random() < 0.95, employed=rng.random() < 0.28, still_housed=still,
            created_at=self.ts(plan.ended),
        ))
        later = add_months(plan.ended, 12)
        if later <= self.today:
            self.add(SituationSnapshot(
                measure=m, organisation_id=org_id, moment=SnapshotMoment.FOLLOW_UP, observed_on=later,
                rent_arrears=Decimal("0.00") if rng.random() < 0.8 else _euros(rng, 100, 1500),
                housing_benefit=rng.random() < 0.85, minimum_income=rng.random() < 0.5, health_cover=rng.random() < 0.95,
                employed=rng.random() < 0.3, still_housed=still and rng.random() < 0.9, created_at=self.ts(later),
            ))

    # -- workshops ----------------------------------------------------------------

    def _workshops(self, ctxs: list[ProjectCtx]) -> None:
        T = self.today
        for ctx in ctxs:
            if len(ctx.plans) < 5:
                continue
            rng = self.rng(f"workshops:{ctx.project.number}:{ctx.project.pk}")
            org = ctx.supporting
            places = (f"Salle commune, {rng.choice(STREETS)}, {ctx.main_city.name}", f"Locaux de {org.name}",
                      f"Maison des habitants de {ctx.main_city.name}")
            months = [add_months(T.replace(day=1), -k) for k in range(11, -1, -1)]
            for first in months:
                if first < ctx.starts_on.replace(day=1):
                    continue
                held = _weekday(first.replace(day=rng.randint(4, 26)))
                if held > T:
                    continue
                self._workshop(rng, ctx, held, places)
            if ctx.demo_slot:
                day = T + _days(rng, 3, 20)
                while day.weekday() >= 5:
                    day += timedelta(days=1)
                self._workshop(rng, ctx, day, places)

    def _workshop(self, rng: random.Random, ctx: ProjectCtx, held: date, places) -> None:
        theme = rng.choice(list(WORKSHOP_TITLES))
        duration = rng.choice((90, 120, 150))
        capacity = rng.randint(8, 15)
        w = self.add(Workshop(organisation=ctx.supporting, project=ctx.project, title=rng.choice(WORKSHOP_TITLES[theme]),
                              theme=theme, held_on=held, duration_minutes=duration, place=rng.choice(places),
                              capacity=capacity, created_at=self.ts(min(held, self.today) - timedelta(days=21))))
        if held > self.today:
            return
        candidates = [pl for pl in ctx.plans
                      if pl.contract and pl.contract <= held and (pl.ended or self.today) >= held and not pl.dv]
        if not candidates:
            return
        chosen = rng.sample(candidates, min(len(candidates), rng.randint(3, capacity)))
        for plan in chosen:
            attended = rng.random() < 0.85
            hh = plan.household
            self.add(WorkshopAttendance(workshop=w, household=hh, organisation_id=hh.organisation_id, attended=attended,
                                        participants=rng.choice((1, 1, 1, 2, 3)) if attended else 1,
                                        created_at=self.ts(held)))
            if not attended:
                continue
            goals = [g for g in plan.goals if g.domain == theme and g.set_on <= held and (g.closed_on is None or g.closed_on >= held)]
            contact = self.add(Contact(
                measure=plan.measure, household=hh, organisation_id=plan.measure.organisation_id,
                author=self._author_on(rng, plan, held), kind=ContactKind.WORKSHOP, status=ContactStatus.DONE,
                occurred_on=held, duration_minutes=duration, workshop=w,
                client_uuid=uuid.UUID(int=rng.getrandbits(128), version=4),
                note=f"Participation à l'atelier « {w.title} ».", created_at=self.ts(held, 17),
            ))
            for goal in goals:
                self.contact_goals.append((contact, goal))

    # -- writing ----------------------------------------------------------------------

    WRITE_ORDER = (
        ProjectTarget, BudgetLine, Expense, Funding, Payment, CommitteeMeeting, CommitteeDecision,
        Household, Person, Referral, Consent, SupportMeasure, Mandate, TeamMember, SupportGoal, GoalReview,
        Workshop, Contact, WorkshopAttendance, SituationSnapshot,
        HousingUnit, Lease, Glissement, AttributionStep, EvictionCase, EvictionStep,
    )

    def _bulk(self, model, objs) -> None:
        if objs:
            model.objects.bulk_create(objs, batch_size=BATCH)
        self.created[model] += len(objs)

    def _write(self) -> None:
        for model in self.WRITE_ORDER:
            objs = self.rows.get(model, [])
            if model is Lease:
                # A lease that replaces another one points to it: parents first.
                self._bulk(Lease, [lease for lease in objs if lease.parent_lease is None])
                self._bulk(Lease, [lease for lease in objs if lease.parent_lease is not None])
                continue
            self._bulk(model, objs)
            if model is CommitteeMeeting:
                through = CommitteeMeeting.participants.through
                rows = [through(committeemeeting_id=m.pk, organisation_id=o.pk) for m, o in self.meeting_participants]
                through.objects.bulk_create(rows, batch_size=BATCH)
                self.created["participants"] += len(rows)
            if model is Contact:
                through = Contact.goals.through
                rows = [through(contact_id=c.pk, supportgoal_id=g.pk) for c, g in self.contact_goals]
                through.objects.bulk_create(rows, batch_size=BATCH)
                self.created["contact_goals"] += len(rows)

    # -- summary ----------------------------------------------------------------------

    SUMMARY = (
        (Organisation, "organisations créées"), (ProjectCarrier, "porteurs ajoutés (association de démonstration)"),
        ("projects_updated", "projets passés « en cours »"), ("users", "comptes utilisateurs"),
        (Membership, "rattachements"), (Partnership, "conventions de partenariat"),
        (ProjectTarget, "objectifs annuels"), (BudgetLine, "lignes budgétaires"), (Expense, "dépenses"),
        (Funding, "financements"), (Payment, "paiements"), (CommitteeMeeting, "réunions de comité"),
        (CommitteeDecision, "décisions de comité"), ("participants", "présences d'organisations en comité"),
        (Household, "ménages"), (Person, "personnes"), (Referral, "orientations"), (Consent, "consentements"),
        (SupportMeasure, "mesures d'accompagnement"), (Mandate, "mandats"), (TeamMember, "membres d'équipe"),
        (SupportGoal, "objectifs d'accompagnement"), (GoalReview, "bilans d'objectif"), (Workshop, "ateliers collectifs"),
        (WorkshopAttendance, "participations aux ateliers"), (Contact, "contacts"),
        ("contact_goals", "objectifs travaillés en contact"), (SituationSnapshot, "situations constatées"),
        (HousingUnit, "logements"), (Lease, "baux"), (Glissement, "glissements de bail"),
        (AttributionStep, "étapes d'attribution"), (EvictionCase, "dossiers de prévention des expulsions"),
        (EvictionStep, "étapes de prévention des expulsions"),
    )

    def summary_lines(self) -> list[str]:
        lines = [f"Jeu de démonstration créé (graine {self.seed}, date de référence {self.today:%d/%m/%Y}) :"]
        width = max(len(label) for _, label in self.SUMMARY)
        for key, label in self.SUMMARY:
            lines.append(f"  {label:<{width}} {self.created.get(key, 0):>7}".replace(",", " "))
        lines.append(f"Comptes de démonstration (mot de passe « {bootstrap.DEMO_PASSWORD} ») :")
        for login in DEMO_LOGINS:
            lines.append(f"  {login.label} : {login.email}")
        lines.append(f"Durée : {self.elapsed:.1f} s")
        return lines


# --------------------------------------------------------------------------
# Module API
# --------------------------------------------------------------------------


def seed(*, seed: int = DEFAULT_SEED, households: int = DEFAULT_HOUSEHOLDS, today: date = DEMO_TODAY,
         stdout=None) -> DemoSeeder:
    """Build the demo caseload; raises NotEnoughProjects without a catalogue.

    The caller checks that no household exists yet (the command and the
    loader do).
    """
    seeder = DemoSeeder(seed=seed, households=households, today=today, stdout=stdout)
    seeder.run()
    for line in seeder.summary_lines():
        seeder.say(line)
    return seeder


@transaction.atomic
def reset() -> dict[str, int]:
    """Delete what the seed creates: household and housing data, project money
    and committees of the projects that hold households, demo accounts.

    Development databases only (the command checks). Organisations, project
    carriers, partnerships, project targets and project dates are kept: the
    next run finds and reuses them.
    """
    User = get_user_model()
    project_ids = list(Household.objects.exclude(project=None).values_list("project_id", flat=True).distinct())
    deleted: Counter = Counter()

    def wipe(qs) -> None:
        count, by_model = qs.delete()
        deleted.update(by_model)

    wipe(EvictionStep.objects.all())
    wipe(EvictionCase.objects.all())
    wipe(AttributionStep.objects.all())
    wipe(Glissement.objects.all())
    while Lease.objects.exists():
        # Leases that nothing replaces first (parent_lease is PROTECT).
        wipe(Lease.objects.filter(next_leases__isnull=True))
    wipe(HousingUnit.objects.all())
    wipe(Contact.goals.through.objects.all())
    wipe(Contact.objects.all())
    wipe(WorkshopAttendance.objects.all())
    wipe(Workshop.objects.all())
    wipe(Household.objects.all())
    wipe(Payment.objects.filter(project_id__in=project_ids))
    wipe(Expense.objects.filter(project_id__in=project_ids))
    wipe(BudgetLine.objects.filter(project_id__in=project_ids))
    wipe(Funding.objects.filter(project_id__in=project_ids))
    wipe(CommitteeMeeting.objects.filter(project_id__in=project_ids))
    wipe(User.objects.filter(email__endswith=f"@{DEMO_DOMAIN}").exclude(email=bootstrap.DEMO_ADMIN_EMAIL))
    return dict(deleted)
