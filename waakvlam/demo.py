"""The demo municipality: three wijkteams and ~60 households with two years of
history, written command by command through the `Households` application service.

Everything is drawn from `random.Random(seed)` and `today`: the same seed and today
give the same commands with the same fields and the same record times (only the
generated ids differ). Every household's events are in chronological order and
none lies after `today`. Each is recorded as field work is (`domain.household.recording_at`):
a call at once, a home visit typed that evening or in the days after, and never
before what the household's file already holds. All names are fictional.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from contextlib import AbstractContextManager, suppress
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from domain.application import Households, Outcome
from domain.household import recording_at
from domain.values import LOCAL_TZ, Intensity, LifeDomain, SupportLevel, local_date, shares_outside_the_team

WAAK, LICHT, INTENS, CRISIS = (str(i) for i in Intensity)
FIN, WERK, DAG, WON, REL, PSY, LICH, MID, ADL, IADL, SOC, PART, JUS = (str(d) for d in LifeDomain)
EK, NW, VR, CO, EL, SP = (str(s) for s in SupportLevel)

TEAMS: dict[str, dict[str, Any]] = {
    "Wijkteam Noord": {"lead": "carla", "coordinators": ["bram", "fatima"], "generalists": ["anna", "joost"]},
    "Wijkteam Centrum": {"lead": "marieke", "coordinators": ["sanne", "youssef"], "generalists": ["lotte", "pieter"]},
    "Wijkteam Zuid": {"lead": "ingrid", "coordinators": ["ruben", "esra"], "generalists": ["kees", "noor"]},
}
TEAM_SHARES = (2, 1, 1)  # Noord, the demo users' team, is the biggest
PRIVACY_OFFICER = "dirk"
USERS: dict[str, tuple[str, str | None]] = {PRIVACY_OFFICER: ("privacy_officer", None)}  # user -> (role, team)
for _team, _staff in TEAMS.items():
    USERS[_staff["lead"]] = ("team_lead", _team)
    USERS.update({user: ("coordinator", _team) for user in _staff["coordinators"]})
    USERS.update({user: ("generalist", _team) for user in _staff["generalists"]})
ADMINISTRATOR = "admin"
# The partners' accounts, one per kind of partner that reports through Waakvlam: user -> (kind of partner,
# the team of the neighbourhood it works in, or None for the whole municipality, who reports). Each reports
# only what such a partner sees. Residents (a neighbour, a wijkambassadeur) have no account: they tell the
# wijkteam, and a generalist of their neighbourhood's team reports it.
PARTNERS: dict[str, tuple[str, str | None, str]] = {
    "petra": ("housing_corporation", None, "Woonstad, huurincasso"),
    "hanna": ("home_care", "Wijkteam Centrum", "Thuiszorg Zorgzaam, wijkverpleging Centrum"),
    "sofie": ("school", "Wijkteam Noord", "Basisschool De Regenboog, intern begeleider"),
    "gijs": ("gp", "Wijkteam Zuid", "Huisartsenpraktijk De Linde, praktijkondersteuner"),
    "wouter": ("police", "Wijkteam Noord", "Politie, wijkagent Noord"),
}
# Everyone with a demo token: the teams' people, the privacy officer, an administrator and the partners.
STAFF: dict[str, tuple[str, str | None]] = {**USERS, ADMINISTRATOR: ("administrator", None),
                                            **{user: ("partner", team) for user, (_, team, _) in PARTNERS.items()}}


def load_staff(app: Any) -> int:
    """Register the demo's people (domain/staff.py) with their roles, as the administrator did."""
    for user, (role, team) in STAFF.items():
        app.register_staff(user, actor=ADMINISTRATOR, name=user.capitalize(), team=team, roles=(role,),
                           reason="demo municipality")
    return len(STAFF)

SURNAMES = (
    "Jansen, De Vries, Van den Berg, Bakker, Visser, Smit, Meijer, De Boer, Mulder, De Groot, Bos, Vos, Peters, "
    "Hendriks, Van Leeuwen, Dekker, Brouwer, De Wit, Dijkstra, Smits, De Graaf, Van der Meer, Kok, Jacobs, De Haan, "
    "Vermeulen, Van den Heuvel, Van der Veen, Van den Broek, De Bruijn, Schouten, Van Beek, Willems, Van Dijk, "
    "Hoekstra, Maas, Verhoeven, Koster, Prins, Huisman, Kuipers, Postma, Wouters, Boersma, Kramer, Veenstra, "
    "Timmermans, Groen, Yilmaz, El Amrani, Kaya, Bouzid, Tahiri, Öztürk, Pinas, Ramdin, Nguyen, Kowalski, Haddou, "
    "Çelik, Doğan, Sedney, Mohan, Lambrechts").split(", ")
WOMEN = "Sandra Petra Monique Els Riet Joke Gerda Samira Naima Fatma Aylin Esther Kim Priya Tineke Ilse Wendy".split()
MEN = "Henk Jan Kees Gerrit Ahmed Mehmet Mohamed Peter Marco Dennis Rob Wim Hans Johan Erik Ruud Bas Tarik".split()
CHILDREN = "Daan Sem Noah Liam Lucas Emma Julia Mila Sara Tess Yara Adam Amira Milan Zoë Bilal Luuk Fenna".split()
NETWORK = {  # relations in the informal network, per household shape
    "gezin": ["oma", "zus", "buurvrouw", "vriendin", "trainer van de voetbalclub"],
    "alleen": ["broer", "zus", "vriend", "buurvrouw", "oud-collega"],
    "oudere": ["dochter", "zoon", "buurvrouw", "vriendin van de kerk", "kleinzoon"],
    "paar": ["dochter", "zoon", "buurman", "schoonzus"],
}
# The relations that say whether they are a woman or a man (the others, a trainer or a former colleague, may be
# either), so that a network person's first name fits: no "Hans (buurvrouw)".
WOMEN_RELATIONS = {"oma", "zus", "buurvrouw", "vriendin", "dochter", "vriendin van de kerk", "schoonzus"}
MEN_RELATIONS = {"broer", "vriend", "zoon", "kleinzoon", "buurman"}
CHILD_WORDS = ("kind", "opvoeding", "school", "huiswerk")  # texts that only fit a family with children
DOMAIN_NL = {
    FIN: "financiën", WERK: "werk en opleiding", DAG: "dagbesteding", WON: "huisvesting", REL: "huiselijke relaties",
    PSY: "geestelijke gezondheid", LICH: "lichamelijke gezondheid", MID: "middelengebruik", ADL: "basale ADL",
    IADL: "huishouden en administratie", SOC: "sociaal netwerk", PART: "meedoen in de wijk", JUS: "justitie",
}
# Case themes: household shapes, the domains that worry, and signals (the first one leads to registration);
# "man": the main resident is a man (the signals say so).
PROFILES: list[dict[str, Any]] = [
    {"shapes": ["gezin", "alleen"], "domains": [FIN, WON, PSY, IADL], "signals": [
        ("woningcorporatie", "Huurachterstand van drie maanden; brieven worden niet geopend.", [FIN, WON], "high"),
        ("huisarts", "Slaapt slecht door geldzorgen en zegt het niet meer te overzien.", [FIN, PSY], "normal"),
        ("energieleverancier", "Vooraankondiging afsluiting wegens betalingsachterstand.", [FIN, WON], "high")]},
    {"shapes": ["oudere"], "domains": [SOC, IADL, LICH, ADL, PART], "signals": [
        ("thuiszorg", "Koelkast vrijwel leeg, maaltijden overgeslagen; lijkt vergeetachtig.", [IADL, LICH], "normal"),
        ("buurvrouw", "Gordijnen blijven dicht en de post stapelt zich op.", [SOC, IADL], "normal"),
        ("wijkambassadeur", "Komt niet meer naar de koffieochtend; oogt vermagerd.", [PART, LICH], "low")]},
    {"shapes": ["gezin"], "domains": [REL, WERK, PSY, FIN], "signals": [
        ("school", "Oudste kind verzuimt vaak en komt zonder ontbijt; ouder lijkt overbelast.", [WERK, REL], "normal"),
        ("consultatiebureau", "Afspraken gemist; ouder zegt het niet meer aan te kunnen.", [REL, PSY], "normal"),
        ("politie", "Melding huiselijke onrust na ruzie tussen de ouders; kinderen thuis.", [REL, JUS], "acute")]},
    {"shapes": ["alleen"], "domains": [PSY, DAG, SOC, WON], "signals": [
        ("woningcorporatie", "Buren klagen over nachtelijk lawaai; bewoner reageert verward.", [WON, PSY], "high"),
        ("huisarts", "Stopt met medicatie en zegt afspraken af.", [PSY, LICH], "high"),
        ("buurman", "Bewoner zit al dagen binnen en doet niet open.", [SOC, PSY], "normal")]},
    {"shapes": ["alleen"], "domains": [MID, JUS, FIN, WON, LICH], "signals": [
        ("wijkagent", "Meerdere meldingen van drugsgebruik en bezoek op vreemde tijden.", [MID, JUS], "high"),
        ("woningcorporatie", "Woning vervuild bij reparatiebezoek; lege flessen in de gang.", [WON, MID], "normal"),
        ("reclassering", "Toezicht loopt af; zorg om terugval.", [JUS, MID], "normal")]},
    {"shapes": ["paar"], "domains": [LICH, PSY, DAG, ADL, SOC], "signals": [
        ("huisarts", "Partner zorgt dag en nacht voor meneer met Parkinson en is uitgeput.", [LICH, PSY], "normal"),
        ("wijkverpleging", "Mantelzorger is gevallen en kan de zorg niet meer volhouden.", [LICH, ADL], "high"),
        ("dochter", "Vader is 's nachts onrustig; moeder slaapt niet meer.", [PSY, REL], "normal")]},
    {"shapes": ["gezin"], "domains": [WERK, FIN, PART, SOC, DAG], "signals": [
        ("VluchtelingenWerk", "Net gehuisvest gezin begrijpt de Nederlandse post niet.", [FIN, PART], "normal"),
        ("school", "Kinderen doen het goed; vader zit thuis en is somber.", [DAG, PSY], "low"),
        ("UWV", "Uitkering stopgezet na gemiste afspraak.", [FIN, WERK], "high")]},
    {"shapes": ["alleen"], "man": True, "domains": [WERK, DAG, FIN, JUS, MID], "signals": [  # his mother reports
        ("leerplichtambtenaar", "Jongvolwassene zonder startkwalificatie, gestopt met het mbo.", [WERK, DAG], "normal"),
        ("moeder", "Zoon is thuis weggestuurd na ruzie en slaapt op wisselende adressen.", [WON, REL], "high"),
        ("politie", "Aangehouden voor winkeldiefstal; schulden bij webwinkels.", [JUS, FIN], "normal")]},
]
SMALL_SIGNALS = [
    ("buurvrouw", "Ziet bewoner minder vaak buiten; maakt zich een beetje zorgen.", [SOC], "low"),
    ("thuiszorg", "Medicatie niet ingenomen volgens de baxterrol.", [LICH], "normal"),
    ("woningcorporatie", "Kleine huurachterstand van één maand.", [FIN, WON], "normal"),
    ("school", "Kind komt vaker te laat en is moe in de klas.", [REL], "low"),
    ("huisarts", "Twee afspraken bij de praktijk gemist.", [LICH, PSY], "low"),
    ("wijkambassadeur", "Was weer bij de inloop in het buurthuis; leek goed gehumeurd.", [PART], "low"),
]
GOALS = {
    FIN: ["Overzicht in inkomsten en uitgaven; vaste lasten op tijd betaald", "Betalingsregeling en geen schulden"],
    WERK: ["De kinderen gaan elke dag naar school", "Start met een opleiding, werk of werkervaringsplek"],
    DAG: ["Twee dagdelen per week een vaste dagbesteding", "Weer een vast dag- en nachtritme"],
    WON: ["Behoud van de woning; huisuitzetting voorkomen", "De woning is schoon en veilig"],
    REL: ["Rust in huis en afspraken over de opvoeding", "Minder ruzie thuis; weet waar hulp te halen is"],
    PSY: ["Stabiele stemming en een vaste behandelaar", "Weet wat te doen als de spanning oploopt"],
    LICH: ["Neemt medicatie volgens voorschrift en gaat naar afspraken", "Valt minder en beweegt dagelijks"],
    MID: ["Gebruik verminderd en onder behandeling", "Geen alcohol overdag"],
    ADL: ["Hulp bij wassen en aankleden is geregeld", "Eet dagelijks een warme maaltijd"],
    IADL: ["Boodschappen en huishouden zijn geregeld", "Post wordt wekelijks samen doorgenomen"],
    SOC: ["Minstens twee keer per week contact met iemand uit het netwerk", "Een vast maatje om mee te wandelen"],
    PART: ["Doet weer mee aan een activiteit in de wijk", "Volgt een taalcursus en is lid van een vereniging"],
    JUS: ["Houdt zich aan de afspraken met de reclassering", "Geen nieuwe contacten met de politie"],
}
AGREEMENTS = [  # (life domain or None, who: hh/net/coord/gen, what)
    (FIN, "hh", "Verzamelt alle ongeopende post en neemt die mee naar het spreekuur"),
    (FIN, "coord", "Meldt aan bij schuldhulpverlening en gaat mee naar de intake"),
    (WERK, "hh", "Belt de mentor en plant een gesprek op school"),
    (DAG, "hh", "Gaat een ochtend kijken bij de dagbesteding"),
    (WON, "coord", "Belt de woningcorporatie over een betalingsregeling"),
    (REL, "hh", "Maakt met de kinderen een vast avondritme"), (PSY, "hh", "Maakt een afspraak met de huisarts"),
    (LICH, "net", "Gaat mee naar de controle in het ziekenhuis"),
    (MID, "hh", "Houdt een week bij wanneer er gedronken wordt"),
    (ADL, "net", "Regelt met de thuiszorg een vast moment voor douchen"),
    (IADL, "net", "Doet elke zaterdag samen de boodschappen"), (SOC, "net", "Komt elke woensdag op de koffie"),
    (PART, "gen", "Gaat mee naar de eerste keer bij het buurthuis"),
    (JUS, "hh", "Meldt zich op tijd bij de reclassering"),
    (None, "gen", "Zoekt uit welke voorzieningen er in de wijk zijn"),
    (None, "coord", "Plant een overleg met alle betrokken hulpverleners"),
]
INTERVENTIONS = [  # (support level, life domain, description, provider)
    (EK, FIN, "Houdt zelf een kasboek bij met een app", ""), (EK, DAG, "Maakt zelf een weekplanning", ""),
    (EK, SOC, "Zoekt zelf weer contact met de oude sportclub", ""), (EK, LICH, "Wandelt elke dag een half uur", ""),
    (NW, IADL, "{net} doet wekelijks de boodschappen en kijkt de post na", ""),
    (NW, FIN, "{net} gaat mee naar afspraken bij instanties", ""),
    (NW, REL, "{net} vangt de kinderen twee middagen op", ""), (NW, SOC, "{net} komt vaste momenten op bezoek", ""),
    (VR, FIN, "Schuldhulpmaatje helpt met de administratie", "Humanitas"),
    (VR, SOC, "Maatje voor een wekelijkse wandeling", "Maatjesproject Wijk in Verbinding"),
    (VR, REL, "Vrijwilliger ondersteunt thuis bij de opvoeding", "Home-Start"),
    (VR, PART, "Taalmaatje", "Taalhuis bibliotheek"),
    (VR, MID, "Gesprekken met een ervaringsdeskundige", "Herstelcafé"),
    (CO, FIN, "Formulierenbrigade", "Bibliotheek"), (CO, ADL, "Wijkrestaurant op woensdag", "Buurthuis De Kroon"),
    (CO, LICH, "Bewegen in de wijk: 'Liever bewegen dan moe'", "Sportbuurtwerk"),
    (CO, PSY, "Inloop voor mantelzorgers", "Steunpunt Mantelzorg"), (CO, PART, "Taalcafé", "Buurthuis De Kroon"),
    (CO, WERK, "Huiswerkklas", "Brede school De Regenboog"), (CO, DAG, "Inloop dagactiviteiten", "Buurthuis De Kroon"),
    (EL, FIN, "Schuldhulpverlening", "Schuldhulpverlening gemeente"),
    (EL, PSY, "Gesprekken met de POH-GGZ", "Huisartsenpraktijk De Linde"),
    (EL, LICH, "Wijkverpleging voor medicatie en wondzorg", "Thuiszorg Oost"),
    (EL, WERK, "Werkcoach participatie", "Werkplein"),
    (EL, DAG, "Dagbesteding twee dagen per week", "Dagcentrum De Schakel"),
    (EL, IADL, "Casemanager dementie", "Casemanagement Dementie Regio"),
    (EL, REL, "Schoolmaatschappelijk werk", "SMW"),
    (SP, PSY, "Behandeling bij het FACT-team", "GGZ Midden, FACT-team"),
    (SP, MID, "Ambulante verslavingszorg", "Verslavingszorg Het Anker"),
    (SP, REL, "Ambulante behandeling voor ouders en kinderen", "Jeugdhulp De Boei"),
    (SP, LICH, "Onderzoek geheugenpoli", "Ziekenhuis Rivierenland"),
]
CONSENT_PURPOSE = {VR: "Koppeling aan een vrijwilliger: delen van naam, adres en hulpvraag",
                   EL: "Aanmelding: delen van de hulpvraag en het plan",
                   SP: "Warme overdracht: delen van het plan en de ZRM-meting"}
LADDER = {WAAK: [EK, NW, CO], LICHT: [EK, NW, VR, CO, EL], INTENS: [VR, EL, EL, SP], CRISIS: [SP, EL]}
CHECK_IN_KINDS = {WAAK: (["telefonisch", "huisbezoek", "digitaal"], [45, 35, 20]),
                  LICHT: (["huisbezoek", "telefonisch", "digitaal"], [50, 35, 15]),
                  INTENS: (["huisbezoek", "telefonisch", "overleg"], [70, 20, 10]),
                  CRISIS: (["huisbezoek", "telefonisch", "overleg"], [60, 30, 10])}
OPENING = {"huisbezoek": "Huisbezoek", "telefonisch": "Gebeld", "digitaal": "Beeldbellen", "overleg": "Overleg met {p}"}
GOING_WELL = ["het gaat stabiel, afspraken lopen", "netwerk is betrokken en houdt een oogje in het zeil",
              "geen nieuwe zorgen", "post is bijgehouden", "goed gesprek, meer rust in huis", "trots op wat gelukt is"]
GOING_BADLY = ["meer spanning dan vorige keer", "afspraken niet nagekomen", "oogt moe en somber",
               "nieuwe rekeningen liggen open", "slaapt slecht", "weinig contact met het netwerk"]
EROPAF = ["deur ging open, korte kennismaking en afspraak gemaakt", "niet thuis, briefje achtergelaten; later gebeld",
          "wantrouwig, maar wel een vervolgafspraak", "binnen gevraagd voor koffie; schrok van de zorgen"]
ESCALATE = {LICHT: ["Lichte terugval na signaal van {s}; tweewekelijks contact.", "Signaleringsplan op oranje ({d})."],
            INTENS: ["Problemen stapelen zich op ({d}); wekelijks contact en extra inzet.",
                     "Na signaal van {s}: afspraken lopen vast, intensievere begeleiding nodig."],
            CRISIS: ["Acute situatie na signaal van {s}; dagelijks contact en crisisoverleg.",
                     "Rood in het signaleringsplan ({d}); direct opgeschaald."]}
DE_ESCALATE = {INTENS: ["Acute dreiging geweken; verder intensief begeleiden."],
               LICHT: ["Situatie stabieler, afspraken worden nagekomen.",
                       "Hulpverlening loopt; minder vaak contact nodig."],
               WAAK: ["Doelen grotendeels behaald en netwerk betrokken; waakvlam met vaste contactmomenten.",
                      "Stabiel sinds maanden; het huishouden houdt zelf de regie, wij houden zicht."]}
PLAN = {  # signaleringsplan per phase: (signs, actions)
    "groen": (["Neemt de telefoon op en houdt afspraken na", "Opent de post wekelijks", "Gaat naar de dagbesteding"],
              ["Waakvlamcontact volgens afspraak", "{net} komt wekelijks langs"]),
    "oranje": (["Slaapt slecht en trekt zich terug", "Post blijft liggen", "Zegt afspraken af", "Drinkt weer meer"],
               ["{net} belt {coord}", "{coord} plant binnen een week een huisbezoek"]),
    "rood": (["Niet meer bereikbaar", "Dreigende afsluiting of huisuitzetting", "Verwaarloost zichzelf"],
             ["{coord} gaat dezelfde dag eropaf", "Opschalen en overleg met de huisarts"]),
}
HANDOVER = ["Overdracht van {p} wegens verlof; kennismaking samen met {p} gedaan.",
            "Caseload herverdeeld; lopende afspraken en signaleringsplan doorgenomen met {p}."]
RESCHEDULE = ["Op verzoek van het huishouden verschoven", "Ziekenhuisopname; na ontslag langs", "Vakantie"]
CANCEL = ["Afgemeld wegens ziekte; nieuwe afspraak gepland", "Regisseur ziek; afspraak opnieuw ingepland"]
ENDINGS = ["Afgerond; doel bereikt", "Gestopt: sloot niet aan bij de vraag", "Overgenomen door het netwerk",
           "Behandeling afgerond; nazorg via de huisarts"]
CLOSURES = [("goals_achieved", "Doelen behaald; het huishouden redt zich met het eigen netwerk."),
            ("moved", "Verhuisd naar een andere gemeente; warme overdracht aan het wijkteam daar."),
            ("declined", "Wil geen ondersteuning meer; weet ons te vinden als het nodig is."),
            ("goals_achieved", "Stabiel gedurende een jaar waakvlam; afgesloten in overleg."),
            ("handed_over", "Overgedragen aan de specialistische hulpverlening die de regie overneemt."),
            ("no_contact", "Na herhaalde pogingen, ook eropaf, geen contact meer mogelijk."),
            ("deceased", "Hoofdbewoner is overleden; nazorg voor de familie via de huisarts.")]
# Finishing an open plan item: command -> (the open items, the text field, its texts).
FINISH = {"complete_agreement": ("agreements", "note", ["Gedaan.", "Gelukt, met hulp van de buurvrouw.", "Ging goed."]),
          "cancel_agreement": ("agreements", "reason", ["Niet meer nodig.", "Lukte niet; andere afspraak gemaakt."]),
          "achieve_goal": ("goals", "note", ["Doel behaald; houdt dit zelf vol.", "Bereikt met hulp van het netwerk."]),
          "drop_goal": ("goals", "reason", ["Geen prioriteit meer voor het huishouden.", "Ander doel gekozen."]),
          "end_intervention": ("interventions", "outcome", ENDINGS)}
# What else happens between two check-ins (method or FINISH command, weight), and how often, per intensity.
EXTRAS = {"_visit": 3.0, "complete_agreement": 2.0, "cancel_agreement": 0.3, "_make_agreement": 1.2,
          "_revise_goal": 0.5, "achieve_goal": 0.6, "drop_goal": 0.2, "_set_goal": 0.4, "_start_intervention": 0.8,
          "end_intervention": 0.6, "_assess": 0.8, "_add_network": 0.25, "_remove_network": 0.1,
          "_change_members": 0.25, "_small_signal": 0.4, "_handover": 0.12, "_correct": 0.25}
EXTRAS_PER_CHECK_IN = {WAAK: [0, 0, 1], LICHT: [0, 0, 1, 1], INTENS: [0, 1], CRISIS: [0, 0, 1]}
DURATION = {WAAK: (240, 540), LICHT: (28, 70), INTENS: (21, 42), CRISIS: (4, 10)}  # days per level
NEXT_LEVEL = {CRISIS: ([INTENS, LICHT], [6, 4]), INTENS: ([LICHT, WAAK, CRISIS], [6, 2, 1]),
              LICHT: ([WAAK, INTENS, CRISIS], [8, 2, 0.4]), WAAK: ([LICHT, INTENS, CRISIS], [6, 3, 1])}
# How long after it happened a thing is recorded: (ranges of minutes, their weights). A visit is typed back at the
# office, that evening, or a day or three later; a call, a signal or a registration at once; the rest (a plan
# item, an assessment, a rescheduled check-in) soon, or the next day.
IN_PERSON = ("huisbezoek", "keukentafelgesprek", "eropaf", "overleg")
RECORDING_LAG = {"visit": ([(20, 240), (240, 720), (1200, 4320)], [5, 3, 2]),
                 "call": ([(1, 15), (15, 90)], [7, 3]),
                 "desk": ([(2, 30), (30, 480), (1200, 2880)], [6, 3, 1])}


def load_demo(app: Households, *, seed: int = 2026, households: int = 60,
              today: datetime | None = None, progress: Callable[[int, int], None] | None = None) -> list[UUID]:
    """Register the demo municipality; return the households' ids in the order they were told.
    `progress(done, total)` is called after each household.

    `today` (default: now; a naive value is taken as UTC) must not lie in the future: the
    household refuses events that happened later than now."""
    rng, lags = random.Random(seed), random.Random(f"recording lags {seed}")
    today = datetime.now(UTC) if today is None else today
    today = today.replace(tzinfo=UTC) if today.tzinfo is None else today
    endings = (["closed"] * max(1, households // 10) + ["reopened"] * max(1, households // 40)
               + ["crisis"] * max(1, households // 20) + ["overdue"] * max(1, households // 8))
    endings = (endings + ["open"] * households)[:households]
    rng.shuffle(endings)
    profiles = [PROFILES[n % len(PROFILES)] for n in range(households)]
    rng.shuffle(profiles)
    teams = [team for team, share in zip(TEAMS, TEAM_SHARES, strict=True) for _ in range(share)]
    teams = [teams[n % len(teams)] for n in range(households)]
    rng.shuffle(teams)
    surnames = rng.sample(SURNAMES, len(SURNAMES))
    ids = []
    for n, (ending, profile, team) in enumerate(zip(endings, profiles, teams, strict=True)):
        ids.append(_Story(app, rng, lags, today, team, surnames[n % len(surnames)], profile).tell(ending))
        if progress is not None:
            progress(n + 1, households)
    return ids


class _Horizon(Exception):
    """The story reached the moment it stops (today, or earlier for an overdue household)."""


class _Story:
    """One household's history, told command by command in chronological order."""

    def __init__(self, app: Households, rng: random.Random, lags: random.Random, today: datetime, team: str,
                 surname: str, profile: dict[str, Any]) -> None:
        self.app, self.rng, self.today, self.team, self.surname, self.profile = app, rng, today, team, surname, profile
        self.lags = lags  # the record times' own draws, apart from the story's
        self.staff = TEAMS[team]
        self.coordinator = rng.choices(self.staff["coordinators"], weights=[3, 2])[0]
        self.shape = rng.choice(profile["shapes"])
        self.horizon, self.t = today, datetime.min.replace(tzinfo=UTC)
        self.recorded = self.t  # when the last event was recorded: the file is typed in order
        self.woman = False  # whether the main resident is a woman
        self.hid: UUID
        self.main, self.level = "", LICHT
        self.changes: list[tuple[date, str]] = []  # planned level changes
        self.members: list[tuple[str, str, int, str, int]] = []  # id, name, birth year, role, event version
        self.network: list[tuple[str, str, bool, str]] = []  # id, name, notices decline, relation
        self.goals: dict[str, tuple[str, str]] = {}  # open goals: id -> (life domain, description)
        self.agreements: dict[str, str] = {}  # open agreements: id -> what
        self.interventions: dict[str, tuple[str, str]] = {}  # running: id -> (support level, description)
        self.scores: dict[str, int] = {}  # the ZRM picture as it develops
        self.contacts: list[tuple[int, str, str]] = []  # event version, kind, summary of non-check-in contacts
        self.assessed = date.min
        self.seen, self.check_in = 0, ("", date.min)  # the last event looked at; the open check-in (id, due)
        self.has_plan = self.handed_over = self.corrected = False

    # ---- the arc of the story --------------------------------------------------

    def tell(self, ending: str) -> UUID:
        rng, today = self.rng, local_date(self.today)
        age = rng.randint({"closed": 200, "reopened": 420, "overdue": 40}.get(ending, 21), 730)
        start = today - timedelta(days=age)
        close_day = today
        if ending in ("closed", "reopened"):
            close_day = start + timedelta(days=rng.randint(120, age - 240 if ending == "reopened" else age - 20))
            self.horizon = datetime.combine(close_day, time(0), LOCAL_TZ)
        elif ending == "overdue":
            self.horizon = self.today - timedelta(days=rng.randint(5, 25))
        first = rng.choices([LICHT, INTENS, CRISIS], [65, 25, 10])[0]
        self._plan_levels(first, start, close_day)
        if ending == "crisis":
            crisis_day = today - timedelta(days=rng.randint(2, 8))
            self.changes = [change for change in self.changes if change[0] < crisis_day]
            if (self.changes[-1][1] if self.changes else first) != CRISIS:
                self.changes.append((crisis_day, CRISIS))
        self._register(start, first)
        with suppress(_Horizon):
            self._intake()
            self._follow()
        self.horizon = self.today
        if ending in ("closed", "reopened"):
            self._close(close_day, CLOSURES[0] if ending == "reopened" else rng.choice(CLOSURES))
        if ending == "reopened":
            with suppress(_Horizon):
                self._reopen(close_day + timedelta(days=rng.randint(60, 150)))
                self._follow()
        if ending == "overdue":
            self._make_overdue()
        return self.hid

    def _plan_levels(self, level: str, day: date, end: date) -> None:
        self.changes = []
        while (day := day + timedelta(days=self.rng.randint(*DURATION[level]))) < end:
            level = self.rng.choices(*NEXT_LEVEL[level])[0]
            self.changes.append((day, level))

    def _register(self, day: date, level: str) -> None:
        rng = self.rng
        woman = self.woman = rng.random() < 0.6 and not self.profile.get("man")
        label = {"gezin": "Fam.", "paar": "Dhr. en mevr."}.get(self.shape, "Mevr." if woman else "Dhr.")
        cadence = rng.choice([{}, {WAAK: 56}, {WAAK: 91}, {LICHT: 21}, {LICHT: 21, WAAK: 63}, {INTENS: 10, LICHT: 21}])
        who = rng.choice([self.staff["lead"], *self.staff["generalists"]])
        when = self._time(day)
        with self._recording(when, "call"):
            outcome = self.app.register(actor=who, label=f"{label} {self.surname}", team=self.team, intensity=level,
                                        cadence=cadence, occurred_at=when)
        self.hid, self.level = outcome.household_id, level
        self._signal(None, self.profile["signals"][0], who)
        self._do("assign_coordinator", None, actor=self.staff["lead"], coordinator=self.coordinator)
        self.main = rng.choice(WOMEN if woman else MEN)
        born = {"gezin": (28, 46), "alleen": (19, 60), "oudere": (74, 92), "paar": (70, 88)}[self.shape]
        self._add_member(f"{self.main} {self.surname}", "hoofdbewoner", self.today.year - rng.randint(*born), who)

    def _intake(self) -> None:
        """Eropaf after the signal, then the keukentafelgesprek (the first check-in) and the first plan."""
        rng, year, registered = self.rng, self.today.year, local_date(self.t)
        check_in, due = self._next_check_in()
        talk = registered + timedelta(days=rng.randint(1, max(1, (due - registered).days - 1)))
        if rng.random() < 0.6:
            self._contact("eropaf", registered + timedelta(days=rng.randint(0, (talk - registered).days - 1)),
                          f"Onaangekondigd langs na signaal van {self.profile['signals'][0][0]}: {rng.choice(EROPAF)}.")
        domains = self.profile["domains"]
        self.scores = {d: rng.randint(1, 2) if i < 2 else rng.randint(2, 3) for i, d in enumerate(domains)}
        self.scores |= {d: rng.randint(3, 5) for d in rng.sample([d for d in DOMAIN_NL if d not in domains], 2)}
        self.scores[domains[0]] = 1 if self.level == CRISIS else self.scores[domains[0]]
        worries = ", ".join(DOMAIN_NL[d] for d in domains[:3])
        self._contact("keukentafelgesprek", talk, f"Keukentafelgesprek over alle leefgebieden; zorgen vooral rond "
                      f"{worries}. Eigen kracht en netwerk verkend.", check_in=check_in, actor=self.coordinator)
        if self.shape == "gezin":
            if rng.random() < 0.6:
                self._add_member(f"{rng.choice(self._others())} {self.surname}", "ouder",
                                 self.members[0][2] + rng.randint(-4, 3))
            for _ in range(rng.randint(1, 3)):
                self._add_member(f"{rng.choice(CHILDREN)} {self.surname}", "kind", year - rng.randint(1, 17))
        elif self.shape == "paar":
            self._add_member(f"{rng.choice(self._others())} {self.surname}", "partner",
                             self.members[0][2] - rng.randint(0, 5))
        for n in range(rng.randint(1, 3)):
            self._add_network(None, notices=n == 0 and rng.random() < 0.8)
        self._assess(None, better=False)
        for step, most in ((self._set_goal, 3), (self._make_agreement, 3), (self._start_intervention, 2)):
            for _ in range(rng.randint(1, most)):
                step(None)

    def _follow(self) -> None:
        """Check-ins on the cadence, what else happens in between, and the planned level changes."""
        while True:
            check_in, due = self._next_check_in()
            slack = 3 if self.level in (WAAK, LICHT) else 1
            day = max(due - timedelta(days=self.rng.randint(0, slack)), local_date(self.t))
            change = bool(self.changes) and self.changes[0][0] <= day
            self._extras(self.changes[0][0] if change else day)
            if self._next_check_in()[1] < due:
                continue  # a signal brought the check-in forward: it comes first
            if change:
                change_day, level = self.changes.pop(0)
                self._change_level(max(change_day, local_date(self.t)), level)
                continue
            roll, coordinator = self.rng.random(), self.coordinator
            if roll < 0.05:
                when = self._time(day)
                due = max(due, local_date(when)) + timedelta(days=self.rng.randint(3, 10))
                with self._recording(when, "desk"):
                    self.app.reschedule_check_in(self.hid, check_in, actor=coordinator, occurred_at=when, due=due,
                                                 reason=self.rng.choice(RESCHEDULE))
            elif roll < 0.08:
                when = self._time(day)
                with self._recording(when, "desk"):
                    self.app.cancel_check_in(self.hid, check_in, actor=coordinator, occurred_at=when,
                                             reason=self.rng.choice(CANCEL),
                                             next_due_on=local_date(when) + timedelta(days=self.rng.randint(2, 9)))
            else:
                kind = self.rng.choices(*CHECK_IN_KINDS[self.level])[0]
                self._contact(kind, day, check_in=check_in)

    def _extras(self, before: date) -> None:
        start = local_date(self.t)
        if (span := (before - start).days) < 2:
            return
        count = self.rng.choice(EXTRAS_PER_CHECK_IN[self.level])
        due = self.check_in[1]
        for offset in sorted(self.rng.randint(1, span - 1) for _ in range(count)):
            action, day = self.rng.choices(list(EXTRAS), list(EXTRAS.values()))[0], start + timedelta(days=offset)
            if action in FINISH:
                self._finish(day, action)
            else:
                getattr(self, action)(day)
            if self._next_check_in()[1] < due:
                return  # a signal brought the check-in forward: the rest waits until after it

    def _change_level(self, day: date, level: str) -> None:
        rng, coordinator = self.rng, self.coordinator
        if Intensity(level).rank > Intensity(self.level).rank:
            source, text, domains, urgency = rng.choice(self.profile["signals"][1:])
            signal = (source, text, domains, "acute" if level == CRISIS else urgency)
            self._signal(day, signal, rng.choice([coordinator, *self.staff["generalists"]]))
            if rng.random() < 0.6:
                kind = "eropaf" if level == CRISIS else rng.choice(["huisbezoek", "telefonisch"])
                self._contact(kind, day, f"Na signaal van {source}: {rng.choice(GOING_BADLY)}.")
            reason = rng.choice(ESCALATE[level]).format(s=source, d=", ".join(DOMAIN_NL[d] for d in domains))
            self._do("escalate", None, actor=coordinator, to_level=level, reason=reason)
            self.level = level
            if level == CRISIS:
                self._contact("overleg", None, "Crisisoverleg met huisarts en betrokken hulpverleners; taken verdeeld.",
                              participants=[coordinator, "huisarts", self.staff["lead"]])
            if rng.random() < 0.7:
                self._assess(None, worse=domains, better=False)
            if level in (INTENS, CRISIS):
                self._start_intervention(None)
            return
        self._contact(rng.choice(["huisbezoek", "overleg"]), day, f"Evaluatie: {rng.choice(GOING_WELL)}.")
        if rng.random() < 0.7:
            self._assess(None, better=True)
        self._do("de_escalate", None, actor=coordinator, to_level=level, reason=rng.choice(DE_ESCALATE[level]))
        self.level = level
        formal = [i for i, (support, _) in self.interventions.items() if support in (SP, EL)]
        if formal and rng.random() < 0.7:
            self._finish(None, "end_intervention", formal[0])
        if rng.random() < 0.5:
            self._finish(None, "achieve_goal")
        if level == WAAK and not self.has_plan and rng.random() < 0.7:
            names = {"net": self._watcher(), "coord": coordinator}
            phases = {phase: {"signs": rng.sample(signs, 2), "actions": [a.format(**names) for a in actions]}
                      for phase, (signs, actions) in PLAN.items()}
            self._do("agree_signaleringsplan", None, actor=coordinator, phases=phases)
            self.has_plan = True

    def _close(self, day: date, closure: tuple[str, str]) -> None:
        code, note = closure
        self._contact("huisbezoek", day, "Afsluitend gesprek: terug- en vooruitgekeken.", actor=self.coordinator)
        for intervention_id in list(self.interventions):
            self._finish(None, "end_intervention", intervention_id, "Beëindigd bij afsluiting")
        for goal_id in list(self.goals):
            self._finish(None, "achieve_goal" if code == "goals_achieved" else "drop_goal", goal_id, "Bij afsluiting")
        for agreement_id in list(self.agreements):
            self._finish(None, "cancel_agreement", agreement_id, "Vervalt bij afsluiting")
        self._do("close_household", None, actor=self.coordinator, reason_code=code, note=note)

    def _reopen(self, day: date) -> None:
        self._do("reopen_household", day, actor=self.staff["lead"], intensity=LICHT,
                 reason="Nieuw signaal van de huisarts: terugval. Heropend op verzoek van het huishouden.")
        self.level = LICHT
        self._signal(None, ("huisarts", "Terugval na afsluiting; vraagt zelf om hulp.", [PSY, FIN], "high"),
                     self.coordinator)
        self._contact("huisbezoek", day + timedelta(days=2), "Opnieuw kennisgemaakt; plan geactualiseerd.")
        self._assess(None, worse=[PSY], better=False)
        self._set_goal(None)
        self._plan_levels(LICHT, day, local_date(self.today))

    def _make_overdue(self) -> None:
        """Leave the open check-in unattended past its due date (bringing it forward was the last thing done)."""
        check_in, due = self._next_check_in()
        if due < local_date(self.today):
            return
        when = self._time(local_date(self.t))
        room = (local_date(self.today) - local_date(when)).days - 1
        with self._recording(when, "desk"):
            self.app.reschedule_check_in(self.hid, check_in, actor=self.coordinator, occurred_at=when,
                                         due=local_date(when) + timedelta(days=self.rng.randint(1, max(1, room))),
                                         reason=f"Vervroegd: {self._watcher()} maakt zich zorgen")

    # ---- the things that happen -------------------------------------------------

    def _contact(self, kind: str, day: date | None, summary: str = "", *, check_in: str | None = None,
                 actor: str | None = None, participants: list[str] | None = None) -> None:
        """A contact; with `check_in` the contact completes that check-in (and the next one is scheduled)."""
        rng, generalists = self.rng, self.staff["generalists"]
        actor = actor or rng.choice([self.coordinator, self.coordinator, *generalists[:1] * 3, *generalists[1:]])
        if participants is None:
            participants = [self.main] + ([self._watcher()] if self.network and rng.random() < 0.3 else [])
        if not summary:
            good = rng.random() < (0.8 if self.level in (WAAK, LICHT) else 0.35)
            opening = OPENING.get(kind, "Contact").format(p=rng.choice(["huisarts", "thuiszorg", "school"]))
            summary = f"{opening}: {rng.choice(GOING_WELL if good else GOING_BADLY)}."
        fields = {"kind": kind, "summary": summary, "participants": participants,
                  "life_domains": rng.sample(sorted(self.scores) or self.profile["domains"], 2)}
        if check_in:
            self._do("complete_check_in", day, check_in, actor=actor, **fields)
        else:
            self.contacts.append((self._do("record_contact", day, actor=actor, **fields).version, kind, summary))

    def _visit(self, day: date) -> None:
        kind = self.rng.choices(["huisbezoek", "telefonisch", "digitaal", "overleg"], [40, 30, 15, 15])[0]
        partner = self.rng.choice(["huisarts", "thuiszorg", "school", "woningcorporatie"])
        self._contact(kind, day, participants=[self.coordinator, partner] if kind == "overleg" else None)

    def _signal(self, day: date | None, signal: tuple[str, str, list[str], str], actor: str) -> None:
        source, description, domains, urgency = signal
        self._do("record_signal", day, actor=actor, source=source, description=description,
                 life_domains=domains, urgency=urgency)
        self._next_check_in()  # a check-in it brought forward was moved when the signal was recorded

    def _small_signal(self, day: date) -> None:
        options = [s for s in SMALL_SIGNALS if set(s[2]) & set(self.profile["domains"])] or SMALL_SIGNALS[:1]
        signal = self.rng.choice(self._fitting(options, lambda s: s[1]))
        self._signal(day, signal, self.rng.choice(self.staff["generalists"]))

    def _assess(self, day: date | None, *, worse: list[str] = (), better: bool | None = None) -> None:
        """A ZRM assessment of some domains; without `better` a periodic one, at most once a quarter."""
        rng = self.rng
        if better is None:
            if day is None or (day - self.assessed).days < 90:
                return
            better = rng.random() < (0.6 if self.level in (WAAK, LICHT) else 0.2)
            worse = [] if better else sorted(self.scores, key=lambda d: (self.scores[d], d))[:1]
        for domain in worse:
            self.scores[domain] = max(1, self.scores.get(domain, 3) - 1)
        if better:
            for domain in sorted(self.scores, key=lambda d: (self.scores[d], d))[:rng.randint(1, 2)]:
                self.scores[domain] = min(5, self.scores[domain] + 1)
        scored = sorted({d for d in self.scores if rng.random() < 0.8} | set(worse)) or sorted(self.scores)
        self._do("record_assessment", day, actor=self.coordinator, scores={d: self.scores[d] for d in scored})
        self.assessed = local_date(self.t)

    def _set_goal(self, day: date | None) -> None:
        taken = [domain for domain, _ in self.goals.values()]
        free = [d for d in sorted(self.scores, key=lambda d: (self.scores[d], d)) if d not in taken]
        if free and self.scores[free[0]] <= 3:
            description = self.rng.choice(self._fitting(GOALS[free[0]]))
            outcome = self._do("set_goal", day, actor=self.coordinator, life_domain=free[0], description=description)
            self.goals[outcome.item_id] = (free[0], description)

    def _revise_goal(self, day: date) -> None:
        if self.goals:
            goal_id = self.rng.choice(list(self.goals))
            domain, description = self.goals[goal_id]
            self.goals[goal_id] = (domain, f"{description}, stap voor stap")
            self._do("revise_goal", day, goal_id, actor=self.coordinator, description=self.goals[goal_id][1],
                     reason=self.rng.choice(["Eerste doel bleek te groot; samen bijgesteld.", "Situatie veranderd."]))

    def _make_agreement(self, day: date | None) -> None:
        domains = [domain for domain, _ in self.goals.values()] + self.profile["domains"]
        options = [a for a in AGREEMENTS if a[0] is None or a[0] in domains]
        domain, who, what = self.rng.choice(self._fitting(options, lambda a: a[2]))
        name = {"hh": self.main, "net": self._watcher(), "coord": self.coordinator,
                "gen": self.staff["generalists"][0]}[who]
        goal_id = next((g for g, (d, _) in self.goals.items() if d == domain), None)
        due = local_date(self.t) + timedelta(days=self.rng.randint(7, 42))
        outcome = self._do("make_agreement", day, actor=self.coordinator, who=name, what=what, due=due, goal_id=goal_id)
        self.agreements[outcome.item_id] = what

    def _start_intervention(self, day: date | None) -> None:
        support = self.rng.choice(LADDER[self.level])
        running = [description for _, description in self.interventions.values()]
        options = [i for i in INTERVENTIONS if i[0] == support and i[2].format(net=self._watcher()) not in running]
        options = self._fitting(options, lambda i: i[2])
        if not (options := [i for i in options if i[1] in self.scores] or options):
            return
        _, domain, description, provider = self.rng.choice(options)
        description = description.format(net=self._watcher())
        handover = "" if support != SP else (
            f"Warme overdracht: {self.coordinator} stelde het huishouden in een gezamenlijk gesprek voor aan "
            f"{provider}; toestemming voor het delen van het plan mondeling gegeven.")
        goal_id = next((g for g, (d, _) in self.goals.items() if d == domain), None)
        when = self._time(day)
        if shares_outside_the_team(SupportLevel(support), provider) \
                and not self.app.get(self.hid).has_consent(provider, local_date(when)):
            # Support by an organisation outside the team: the household's consent, in the same talk
            with self._recording(when, "desk"):
                self.app.record_consent(self.hid, actor=self.coordinator, party=provider, occurred_at=when,
                                        given_by=self.members[0][1] if self.members else "het huishouden",
                                        purpose=CONSENT_PURPOSE[support])
        with self._recording(when, "desk"):
            outcome = self.app.start_intervention(self.hid, actor=self.coordinator, support_level=support,
                                                  description=description, provider=provider, goal_id=goal_id,
                                                  handover_note=handover, occurred_at=when)
        self.interventions[outcome.item_id] = (support, description)

    def _finish(self, day: date | None, command: str, item_id: str | None = None, text: str = "") -> None:
        """Finish an open goal, agreement or intervention: the given one, else the oldest."""
        items, field, texts = FINISH[command]
        if item_id or (item_id := next(iter(getattr(self, items)), None)):
            del getattr(self, items)[item_id]
            self._do(command, day, item_id, actor=self.coordinator, **{field: text or self.rng.choice(texts)})

    def _add_member(self, name: str, role: str, born: int, actor: str | None = None) -> None:
        outcome = self._do("add_member", None, actor=actor or self.coordinator, name=name, role=role, birth_year=born)
        self.members.append((outcome.item_id, name, born, role, outcome.version))

    def _change_members(self, day: date) -> None:
        leaving = [m for m in self.members if (m[3] == "kind" and self.today.year - m[2] >= 17) or m[3] == "partner"]
        if leaving:
            reason = "Opgenomen in het verpleeghuis" if leaving[0][3] == "partner" else "Woont nu op kamers"
            self._do("remove_member", day, leaving[0][0], actor=self.coordinator, reason=reason)
            self.members.remove(leaving[0])
        elif self.shape == "gezin" and self.today.year - self.members[0][2] < 40:
            self._time(day)
            self._add_member(f"{self.rng.choice(CHILDREN)} {self.surname}", "kind", local_date(self.t).year)

    def _add_network(self, day: date | None, notices: bool = False) -> None:
        taken = [relation for *_, relation in self.network]
        relation = self.rng.choice([r for r in NETWORK[self.shape] if r not in taken] or NETWORK[self.shape])
        names = WOMEN if relation in WOMEN_RELATIONS else MEN if relation in MEN_RELATIONS else WOMEN + MEN
        name = f"{self.rng.choice(names)} ({relation})"
        outcome = self._do("add_network_person", day, actor=self.coordinator, name=name, relation=relation,
                           notices_decline=notices)
        self.network.append((outcome.item_id, name, notices, relation))

    def _remove_network(self, day: date) -> None:
        if others := [person for person in self.network if not person[2]]:
            self.network.remove(others[0])
            self._do("remove_network_person", day, others[0][0], actor=self.coordinator,
                     reason=self.rng.choice(["Verhuisd", "Contact verwaterd"]))

    def _handover(self, day: date) -> None:
        if not self.handed_over:
            previous, self.handed_over = self.coordinator, True
            self.coordinator = next(c for c in self.staff["coordinators"] if c != previous)
            self._do("assign_coordinator", day, actor=self.staff["lead"], coordinator=self.coordinator,
                     handover_note=self.rng.choice(HANDOVER).format(p=previous))

    def _correct(self, day: date) -> None:
        if self.corrected or not self.contacts:
            return
        self.corrected = True
        version, kind, summary = self.contacts[-1]
        if self.rng.random() < 0.4:
            _, _, born, _, version = self.members[0]
            changes, reason = {"birth_year": born + 1}, "Geboortejaar verkeerd overgenomen uit het signaal."
        elif kind == "telefonisch":
            changes, reason = {"kind": "digitaal"}, "Was een beeldbelgesprek, geen telefoongesprek."
        else:
            changes, reason = {"summary": f"{summary} Ook de post besproken."}, "Verslag aangevuld."
        self._do("correct", day, actor=self.coordinator, target_version=version, changes=changes, reason=reason)

    # ---- time and plumbing ------------------------------------------------------

    def _fitting(self, options: list[Any], text: Callable[[Any], str] = str) -> list[Any]:
        """The options that fit this household: children's matters only in a family (else all options)."""
        fit = [o for o in options if self.shape == "gezin" or not any(w in text(o).lower() for w in CHILD_WORDS)]
        return fit or options

    def _others(self) -> list[str]:
        """First names for the main resident's partner or the children's other parent: of the other sex."""
        return MEN if self.woman else WOMEN

    def _watcher(self) -> str:
        """The network person who helps notice decline (else anyone in the network, else the household)."""
        watchers = [p[1] for p in self.network if p[2]] or [p[1] for p in self.network]
        return watchers[0] if watchers else self.main

    def _next_check_in(self) -> tuple[str, date]:
        """The open check-in (id, due), read from the events recorded since the last look: much cheaper than
        loading the household. The latest scheduling event decides it."""
        for event in self.app.events.get(self.hid, gt=self.seen):
            self.seen = event.originator_version
            self.t = max(self.t, event.occurred_at)  # the story goes on after it (a check-in moved on recording)
            if type(event).__name__ in ("CheckInScheduled", "CheckInRescheduled"):
                self.check_in = (event.check_in_id, event.due)
        return self.check_in

    def _time(self, day: date | None) -> datetime:
        """A moment in office hours on `day` (or shortly after the last one), never before the last, nor past
        the horizon."""
        minute = self.rng.randrange(510, 1050)
        after = self.t + timedelta(minutes=self.rng.randint(2, 20))
        when = after if day is None else max(after, datetime.combine(day, time(minute // 60, minute % 60), LOCAL_TZ))
        if when > self.horizon:
            raise _Horizon
        self.t = when.astimezone(UTC)
        return self.t

    def _recording(self, when: datetime, how: str) -> AbstractContextManager[datetime]:
        """Record what happened at `when` some minutes to days later (RECORDING_LAG[how]), never before the
        household's last event was recorded (the file is typed in order), nor after today."""
        ranges, weights = RECORDING_LAG[how]
        low, high = self.lags.choices(ranges, weights)[0]
        lag = timedelta(minutes=self.lags.randint(low, high))
        self.recorded = min(max(self.recorded, when + lag), self.today)
        return recording_at(self.recorded)

    def _do(self, command: str, day: date | None, *args: Any, **fields: Any) -> Outcome:
        when = self._time(day)
        kind = fields.get("kind", "")
        how = ("visit" if kind in IN_PERSON else "call") if kind else "call" if command == "record_signal" else "desk"
        with self._recording(when, how):
            return getattr(self.app, command)(self.hid, *args, occurred_at=when, **fields)


# ---- partners' signals: an inbox that is not empty on the first morning ---------------------

PARTNER_SIGNALS = [
    # (who reports: a partner's account, or a generalist who took a resident's call; source; the team of the
    # neighbourhood; about_name; about_address; domains; what was seen; urgency; seen hours ago; reported hours later)
    ("petra", "housing_corporation", "Wijkteam Noord", "", "Lindelaan 14", [WON, FIN],
     "Huurachterstand van drie maanden; brieven worden niet beantwoord.", "high", 20, 2),
    ("hanna", "home_care", "Wijkteam Centrum", "Mevrouw Bakker", "Esdoornstraat 3", [LICH, SOC],
     "Mevrouw eet slecht en is de laatste weken veel alleen.", "normal", 30, 14),
    ("sofie", "school", "Wijkteam Noord", "Familie El Idrissi", "", [WERK, REL],
     "Oudste zoon vaak te laat en moe; ouders niet bereikbaar.", "normal", 52, 22),
    ("gijs", "gp", "Wijkteam Zuid", "Dhr. Visser", "Beukenlaan 9", [PSY, SOC],
     "Somber en eenzaam sinds het overlijden van zijn vrouw; komt niet meer op het spreekuur.", "normal", 44, 20),
    ("kees", "neighbour", "Wijkteam Zuid", "", "Kastanjeplein 7", [REL],
     "Regelmatig harde ruzie 's avonds; kinderen huilen.", "acute", 3, 0.25),
    ("wouter", "police", "Wijkteam Noord", "", "Populierweg 21", [JUS, MID],
     "Melding overlast en vermoedelijk drugsgebruik in de woning.", "high", 70, 45),
]
RESIDENT_REPORTERS = {"neighbour": "Buurvrouw (anoniem), belde het wijkteam"}  # reported by the team for them


def load_partner_signals(app: Households, household_ids: list[UUID], *, seed: int = 2026,
                         today: datetime | None = None) -> list[UUID]:
    """Partners' reports of the last days, each filed with the team of its neighbourhood: most still new in
    the inbox, one linked to a household of its team at waakvlam or licht (its check-in moves forward), one
    dismissed, both by the team's lead. Returns the signals' ids."""
    rng = random.Random(seed)
    today = datetime.now(UTC) if today is None else today
    signal_ids = []
    for actor, source, team, name, address, domains, what, urgency, seen, later in PARTNER_SIGNALS:
        reporter = PARTNERS[actor][2] if actor in PARTNERS else RESIDENT_REPORTERS[source]
        seen_at = today - timedelta(hours=seen)
        with recording_at(seen_at + timedelta(hours=later)):
            signal_ids.append(app.report_signal(
                actor=actor, source=source, reporter_name=reporter, about_name=name, about_address=address,
                team=team, life_domains=domains, description=what, urgency=urgency, occurred_at=seen_at).signal_id)
    first, last = PARTNER_SIGNALS[0][2], PARTNER_SIGNALS[-1][2]
    quiet = [h for h in household_ids if (found := app.get(h)).status == "open" and found.team == first
             and found.intensity in (WAAK, LICHT)]
    with recording_at(today):  # triaged now: after all else the households' files hold
        if quiet:
            app.link_signal(signal_ids[0], rng.choice(quiet), actor=TEAMS[first]["lead"])
        app.dismiss_signal(signal_ids[-1], actor=TEAMS[last]["lead"], reason="Is al bekend bij de politie en "
                           "Veilig Thuis; wijkagent houdt contact.")
    return signal_ids


def load_team_policies(app: Households) -> None:
    """Each demo team's policy names its lead, who hears of check-ins far over time (other settings default)."""
    for team, staff in TEAMS.items():
        app.set_team_policy(team, actor=staff["lead"], team_lead=staff["lead"])
