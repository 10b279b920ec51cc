"""The domain's refusals (RuleViolation.rule, domain/household.py and domain/rules.py) in Dutch, with the field
each is about, so a form shows the refusal next to that field ("" : at the top of the form)."""

from __future__ import annotations

from domain.rules import SHARING_NEEDS_CONSENT

FUTURE = "Dit moment ligt in de toekomst. Vul in wanneer het gebeurde, of laat het leeg."
RULES_NL: dict[str, tuple[str, str]] = {
    "a coordinator is named": ("coordinator", "Kies wie de regisseur wordt."),
    "one coordinator at a time": ("coordinator", "Deze medewerker is al de regisseur van dit huishouden."),
    SHARING_NEEDS_CONSENT: ("legal_basis", "Het huishouden heeft geen geldige toestemming gegeven om gegevens met "
                                           "deze organisatie te delen. Leg eerst de toestemming vast, of vul de "
                                           "wettelijke grondslag in."),
    "a household has a label and a team": ("label", "Vul een naam voor het huishouden in."),
    "a member has a name": ("name", "Vul de naam in."),
    "a network person has a name": ("name", "Vul de naam in."),
    "assessments use the ZRM 2017": ("", "Een meting gebruikt de zelfredzaamheid-matrix (ZRM 2017)."),
    "an assessment scores at least one life domain": ("scores", "Vul bij minstens één leefgebied een score in."),
    "a ZRM score is 1 to 5": ("scores", "Een ZRM-score is 1, 2, 3, 4 of 5."),
    "an agreement says who does what": ("what", "Vul in wie wat doet."),
    "specialist care starts with a warm handover": (
        "handover_note", "Specialistische zorg begint met een warme overdracht: schrijf wat de zorgaanbieder "
                         "moet weten."),
    "formal care names its provider": ("provider", "Eerstelijns en specialistische zorg noemen de zorgaanbieder."),
    "cadence is set per intensity": ("cadence", "Vul het aantal dagen per intensiteit in."),
    "a cadence stays within sane bounds": ("cadence", "Een van de aantallen dagen ligt buiten de grenzen die bij "
                                                      "de intensiteit horen (zie de uitleg bij elk veld)."),
    "a consent says who gave it, to whom and for what": ("purpose", "Vul in wie de toestemming gaf, aan wie en "
                                                                    "waarvoor."),
    "a consent is valid when it is recorded": ("until", "De einddatum ligt in het verleden: deze toestemming geldt "
                                                        "dan al niet meer."),
    "escalate only upward": ("to_level", "Opschalen kan alleen naar een hogere intensiteit dan de huidige."),
    "an escalation gives its reason": ("reason", "Vul de reden in."),
    "de-escalate only downward": ("to_level", "Afschalen kan alleen naar een lagere intensiteit dan de huidige."),
    "a de-escalation gives its reason": ("reason", "Vul de reden in."),
    "a check-in is not planned in the past": ("due", "Deze datum ligt in het verleden. Kies vandaag of later."),
    "a cancelled check-in gives its reason": ("reason", "Vul de reden in."),
    "a signaleringsplan names signs or actions for at least one phase": (
        "phases", "Vul voor minstens één fase signalen of acties in."),
    "only a closed household can be reopened": ("", "Dit huishouden is niet afgesloten; heropenen is niet nodig."),
    "a reopening gives its reason": ("reason", "Vul de reden in."),
    "a household is reopened after it was closed": (WHEN := "occurred_at", "Het moment ligt vóór de afsluiting."),
    "a correction says why": ("reason", "Vul de reden van de correctie in."),
    "only recorded facts can be corrected": ("", "Alleen vastgelegde feiten kunnen worden gecorrigeerd. Een besluit "
                                                 "(zoals opschalen of afsluiten) maakt u ongedaan met een nieuw "
                                                 "besluit."),
    "a household is forgotten once": ("", "Dit huishouden is al vernietigd."),
    "an erasure says why": ("reason", "Vul de reden in."),
    "nothing happens to a forgotten household": ("", "Dit huishouden is vernietigd; er kan niets meer worden "
                                                     "vastgelegd."),
    "nothing but reopening on a closed household": ("", "Het huishouden is afgesloten. Heropen het eerst."),
    "nothing happens to a household before it was registered": (
        WHEN, "Het moment ligt vóór de aanmelding van het huishouden."),
    "nothing is recorded as having happened in the future": (WHEN, FUTURE),
    "nothing is recorded in the future": (WHEN, FUTURE),
    "a moment has a time zone": (WHEN, "Vul een datum en tijd in, zoals 21-10-2026 14:30."),
}
FINISHED = ("", "Dit is al afgerond (bereikt, nagekomen, vervallen of beëindigd) en kan niet meer worden gewijzigd.")
OTHER = ("", "Dit kan niet volgens de regels van Waakvlam.")


def refusal(rule: str, fields: set[str]) -> tuple[str, str]:
    """(field, Dutch text) for a refusal; the field is "" when the form has no such field."""
    name, text = RULES_NL.get(rule) or (FINISHED if rule.startswith("a finished ") else OTHER)
    if name == "due" and "due" not in fields and "next_due_on" in fields:
        name = "next_due_on"
    return (name if name in fields else ""), text
