"""Every command on a household as a form (issue 11 §2.5), declared once: its fields in Dutch, the
application-service method, the API's request body, and what counts as a conflicting change meanwhile.

Contacts have their own quick form (web/routes/contact.py); corrections theirs (web/routes/corrections.py).
"""

from __future__ import annotations

from typing import Any

from api.schemas import commands as bodies
from domain.values import CADENCE_BOUNDS, DEFAULT_CADENCE, Intensity, LifeDomain, SupportLevel
from projections.timeline import CLOSURE_NL, DOMAIN_NL
from web.forms import Choices, CommandForm, Field, Scene

# What each support level is, in the order of the ladder (eigen kracht first: the lightest help that works).
LADDER_NL = {
    "eigen_kracht": "Eigen kracht: wat het huishouden zelf doet.",
    "netwerk": "Netwerk: familie, buren, vrienden helpen.",
    "vrijwillig": "Vrijwillige inzet: een vrijwilliger of maatje.",
    "collectief": "Collectieve voorziening: open voor iedereen, zonder verwijzing (buurthuis, inloop).",
    "eerstelijns": "Eerstelijnszorg: huisarts, maatschappelijk werk, schuldhulp.",
    "specialistisch": "Specialistische zorg: GGZ, jeugdzorg, verslavingszorg; begint met een warme overdracht.",
}
INTENSITY_NL = {"waakvlam": "Waakvlam: op afstand in beeld houden", "licht": "Licht: af en toe contact",
                "intensief": "Intensief: wekelijks contact", "crisis": "Crisis: dagelijks of om de dag"}
DOMAINS: Choices = tuple((d.value, DOMAIN_NL[d.value][:1].upper() + DOMAIN_NL[d.value][1:]) for d in LifeDomain)


def _open_goals(scene: Scene) -> Choices:
    return (("", "Geen doel"), *((goal_id, f"{DOMAIN_NL.get(g['life_domain'], '')}: {g['description'][:80]}")
                                for goal_id, g in scene.plan.get("goals", {}).items() if g["status"] == "open"))


def _coordinators(scene: Scene) -> Choices:
    people = [m for m in scene.staff if (m.role or "") in ("generalist", "coordinator", "team_lead")]
    own = sorted((m for m in people if m.team == scene.household.team), key=lambda m: m.name)
    other = sorted((m for m in people if m.team != scene.household.team), key=lambda m: (m.team or "", m.name))
    return (("", "Kies een medewerker"),
            *((m.user_id, f"{m.name} ({m.team or 'geen team'})") for m in [*own, *other]
              if m.user_id != scene.household.coordinator))


def _higher(scene: Scene) -> Choices:
    rank = Intensity(scene.household.intensity).rank
    return tuple((i.value, INTENSITY_NL[i.value]) for i in Intensity if i.rank > rank)


def _lower(scene: Scene) -> Choices:
    rank = Intensity(scene.household.intensity).rank
    return tuple((i.value, INTENSITY_NL[i.value]) for i in Intensity if i.rank < rank)


def _item(name: str) -> Any:
    return lambda scene: (scene.item or {}).get(name, "")


def _same_item(param: str) -> Any:
    """An event on the very item the form acts on (someone else achieved the goal meanwhile)."""
    return lambda event, fields, item_id: getattr(event, param, None) == item_id


def _kinds(*kinds: str) -> Any:
    return lambda event, fields, item_id: type(event).__name__ in kinds


def _same_name(kind: str) -> Any:
    def touches(event: Any, fields: dict[str, Any], item_id: str | None) -> bool:
        return type(event).__name__ == kind and str(getattr(event, "name", "")).casefold() == \
            str(fields.get("name", "")).casefold()
    return touches


def _same_domain(event: Any, fields: dict[str, Any], item_id: str | None) -> bool:
    return type(event).__name__ == "GoalSet" and event.life_domain == fields.get("life_domain")


def _is_open(scene: Scene) -> bool:
    """The item the form acts on is still open (not achieved, completed, cancelled, ended or withdrawn)."""
    return (scene.item or {}).get("status", "open") == "open"


REASON = Field("reason", "Reden", "textarea", required=True, max_length=2000)
NOTE = Field("note", "Toelichting", "textarea", max_length=2000)
CADENCE_HINT = "; ".join(f"{level} {low} tot {high} dagen" for level, (low, high) in CADENCE_BOUNDS.items())

FORMS: tuple[CommandForm, ...] = (
    # ---- who: members, network, coordinator ----
    CommandForm("members", "Gezinslid toevoegen", "add_member", bodies.MemberIn, (
        Field("name", "Naam", required=True, max_length=200),
        Field("role", "Rol in het gezin", hint="Bijvoorbeeld moeder, zoon, oma.", max_length=100),
        Field("birth_year", "Geboortejaar", "number", hint="Alleen als het ertoe doet, bijvoorbeeld 1987."),
    ), "Het gezinslid is toegevoegd.", "mensen", touches=_same_name("MemberAdded"), created=True),
    CommandForm("members/{member_id}/remove", "Gezinslid verwijderen", "remove_member", bodies.Removal, (
        Field("reason", "Reden", "textarea", hint="Bijvoorbeeld: verhuisd naar eigen woning.", max_length=2000),
    ), "Het gezinslid is verwijderd. Wat eerder over hen is vastgelegd, blijft.", "mensen", item="members",
        intro="Het gezinslid hoort daarna niet meer bij het huishouden. De geschiedenis blijft bewaard.",
        button="Verwijderen", touches=_same_item("member_id")),
    CommandForm("network", "Netwerkpersoon toevoegen", "add_network_person", bodies.NetworkPersonIn, (
        Field("name", "Naam", required=True, max_length=200),
        Field("relation", "Relatie", hint="Bijvoorbeeld buurman, zus, vriendin.", max_length=100),
        Field("notices_decline", "Merkt het op als het slechter gaat", "checkbox",
              hint="Iemand die ziet dat de post blijft liggen of de gordijnen dicht blijven."),
    ), "De netwerkpersoon is toegevoegd.", "mensen", touches=_same_name("NetworkPersonAdded"), created=True),
    CommandForm("network/{person_id}/remove", "Netwerkpersoon verwijderen", "remove_network_person", bodies.Removal, (
        Field("reason", "Reden", "textarea", max_length=2000),
    ), "De netwerkpersoon is verwijderd.", "mensen", item="network", button="Verwijderen",
        touches=_same_item("person_id")),
    CommandForm("coordinator", "Regisseur toewijzen", "assign_coordinator", bodies.CoordinatorIn, (
        Field("coordinator", "Nieuwe regisseur", "select", required=True, choices=_coordinators,
              missing="Kies wie de regisseur wordt."),
        Field("handover_note", "Overdracht", "textarea", max_length=10000,
              hint="Wat de nieuwe regisseur moet weten: wie het gezin is, wat loopt, wat beloofd is."),
        Field("legal_basis", "Wettelijke grondslag", max_length=500,
              hint="Alleen voor een regisseur van een ander team, als het huishouden daar geen toestemming voor "
                   "gaf. Bijvoorbeeld: Wmo 2015 art. 5.2.3."),
    ), "De regisseur is toegewezen.", "top", intro="Er is één regisseur tegelijk. De overdracht is voor de "
        "nieuwe regisseur; die ziet hem op de tijdlijn.", touches=_kinds("CoordinatorAssigned")),
    # ---- the plan: ZRM, goals, agreements, interventions ----
    CommandForm("assessments", "ZRM-meting vastleggen", "record_assessment", bodies.AssessmentIn, (
        Field("scores", "Scores", "scores", required=True),
    ), "De ZRM-meting is vastgelegd.", intro="Vul alleen de leefgebieden in die u nu hebt gescoord; de andere "
        "blijven zoals ze waren. 1 is acute problematiek, 5 volledig zelfredzaam.",
        touches=_kinds("AssessmentRecorded"), created=True),
    CommandForm("goals", "Doel stellen", "set_goal", bodies.GoalIn, (
        Field("life_domain", "Leefgebied", "select", required=True, choices=(("", "Kies een leefgebied"), *DOMAINS),
              default=lambda scene: "", missing="Kies een leefgebied."),
        Field("description", "Doel", "textarea", required=True, max_length=2000,
              hint="In de woorden van het huishouden, bijvoorbeeld: de schulden zijn in beeld."),
    ), "Het doel is gesteld.", touches=_same_domain, created=True),
    CommandForm("goals/{goal_id}/revise", "Doel bijstellen", "revise_goal", bodies.GoalRevision, (
        Field("description", "Doel", "textarea", required=True, max_length=2000, default=_item("description")),
        Field("reason", "Waarom bijgesteld", "textarea", max_length=2000),
    ), "Het doel is bijgesteld.", item="goals", offered=_is_open, touches=_same_item("goal_id")),
    CommandForm("goals/{goal_id}/achieve", "Doel bereikt", "achieve_goal", bodies.Note, (NOTE,),
                "Het doel is bereikt.", item="goals", offered=_is_open, touches=_same_item("goal_id"),
                button="Doel bereikt"),
    CommandForm("goals/{goal_id}/drop", "Doel loslaten", "drop_goal", bodies.ReasonIn, (REASON,),
                "Het doel is losgelaten.", item="goals", offered=_is_open, touches=_same_item("goal_id"),
                button="Doel loslaten"),
    CommandForm("agreements", "Afspraak maken", "make_agreement", bodies.AgreementIn, (
        Field("who", "Wie", required=True, max_length=200, hint="Bijvoorbeeld Sanne, de buurman, de regisseur."),
        Field("what", "Wat", "textarea", required=True, max_length=2000),
        Field("due", "Uiterlijk op", "date", hint="Een datum, zoals 21-10-2026. Mag leeg blijven."),
        Field("goal_id", "Bij welk doel", "select", choices=_open_goals),
    ), "De afspraak is gemaakt.", created=True),
    CommandForm("agreements/{agreement_id}/complete", "Afspraak nagekomen", "complete_agreement", bodies.Note,
                (NOTE,), "De afspraak is nagekomen.", item="agreements", offered=_is_open,
                touches=_same_item("agreement_id"), button="Nagekomen"),
    CommandForm("agreements/{agreement_id}/cancel", "Afspraak laten vervallen", "cancel_agreement", bodies.ReasonIn,
                (REASON,), "De afspraak is vervallen.", item="agreements", offered=_is_open,
                touches=_same_item("agreement_id"), button="Laten vervallen"),
    CommandForm("interventions", "Inzet starten", "start_intervention", bodies.InterventionIn, (
        Field("support_level", "Soort inzet", "radio", required=True, missing="Kies de soort inzet.",
              choices=tuple((level.value, LADDER_NL[level.value]) for level in SupportLevel)),
        Field("provider", "Door wie", max_length=200,
              hint="De organisatie of persoon. Eerstelijns en specialistische zorg noemen altijd de aanbieder."),
        Field("description", "Wat houdt de inzet in", "textarea", max_length=10000),
        Field("goal_id", "Bij welk doel", "select", choices=_open_goals),
        Field("handover_note", "Warme overdracht", "textarea", max_length=10000,
              hint="Nodig bij specialistische zorg: wat de aanbieder moet weten om goed te beginnen."),
        Field("legal_basis", "Wettelijke grondslag", max_length=500,
              hint="Alleen als er geen toestemming is en de wet het delen toestaat, bijvoorbeeld Jeugdwet art. "
                   "7.4.0."),
    ), "De inzet is gestart.", intro="Begin onderaan de ladder: eerst wat het huishouden zelf en met het netwerk "
        "kan. Bij vrijwillige inzet, eerstelijns- en specialistische zorg door een organisatie gaan er gegevens "
        "naar die organisatie. Dat mag alleen met geldige toestemming van het huishouden voor precies die "
        "organisatie, of met een wettelijke grondslag.", extra=("commands/_consents.html",),
        touches=_kinds("ConsentRecorded", "ConsentWithdrawn"), created=True),
    CommandForm("interventions/{intervention_id}/end", "Inzet beëindigen", "end_intervention", bodies.InterventionEnd,
                (Field("outcome", "Resultaat", "textarea", max_length=2000),), "De inzet is beëindigd.",
                item="interventions", offered=_is_open, touches=_same_item("intervention_id"),
                button="Beëindigen"),
    # ---- the course: intensity, cadence, check-ins, signaleringsplan, closure ----
    CommandForm("escalations", "Opschalen", "escalate", bodies.LevelChange, (
        Field("to_level", "Naar", "radio", required=True, choices=_higher,
              missing="Kies de nieuwe intensiteit."), REASON,
    ), "Het huishouden is opgeschaald. Het volgende waakvlamcontact is opnieuw gepland.", "top",
        offered=lambda scene: bool(_higher(scene)),
        touches=_kinds("Escalated", "DeEscalated", "Closed", "Reopened")),
    CommandForm("de-escalations", "Afschalen", "de_escalate", bodies.LevelChange, (
        Field("to_level", "Naar", "radio", required=True, choices=_lower,
              missing="Kies de nieuwe intensiteit."), REASON,
    ), "Het huishouden is afgeschaald.", "top", offered=lambda scene: bool(_lower(scene)),
        intro="Afschalen naar waakvlam houdt het huishouden in beeld: er blijft een waakvlamcontact gepland.",
        touches=_kinds("Escalated", "DeEscalated", "Closed", "Reopened")),
    CommandForm("cadence", "Frequentie van de waakvlamcontacten", "set_cadence", bodies.CadenceIn, (
        Field("cadence", "Dagen tussen twee contacten", "cadence", required=True, hint=CADENCE_HINT,
              default=lambda scene: {k: str(v) for k, v in {**DEFAULT_CADENCE, **scene.household.cadence}.items()}),
    ), "De frequentie is aangepast.", "top", touches=_kinds("CadenceSet")),
    CommandForm("check-ins/{check_in_id}/reschedule", "Waakvlamcontact verzetten", "reschedule_check_in",
                bodies.CheckInReschedule, (
        Field("due", "Nieuwe datum", "date", required=True, hint="Een datum, zoals 21-10-2026.",
              missing="Vul de nieuwe datum in, zoals 21-10-2026."),
        Field("reason", "Reden", "textarea", max_length=2000),
    ), "Het waakvlamcontact is verzet.", "top", item="check_ins", touches=_same_item("check_in_id")),
    CommandForm("check-ins/{check_in_id}/cancel", "Waakvlamcontact annuleren", "cancel_check_in",
                bodies.CheckInCancellation, (
        REASON,
        Field("next_due_on", "Datum van het nieuwe contact", "date",
              hint="Leeg: volgens de frequentie. Het huishouden blijft altijd in beeld."),
    ), "Het waakvlamcontact is geannuleerd; het volgende is gepland.", "top", item="check_ins",
        touches=_same_item("check_in_id"), button="Annuleren"),
    CommandForm("signaleringsplan", "Signaleringsplan", "agree_signaleringsplan", bodies.SignaleringsplanIn, (
        Field("phases", "Fasen", "phases", required=True, default=lambda scene: {
            f"{phase}.{part}": "\n".join(entry.get(part, []))
            for phase, entry in scene.household.signaleringsplan.items() for part in ("signs", "actions")}),
    ), "Het signaleringsplan is vastgelegd.", "signaleringsplan",
        intro="Per fase: aan welke signalen u en het netwerk merken dat het zo ver is, en wat er dan gebeurt. "
              "Eén signaal of actie per regel.", touches=_kinds("SignaleringsplanAgreed")),
    CommandForm("consents", "Toestemming vastleggen", "record_consent", bodies.ConsentIn, (
        Field("given_by", "Gegeven door", required=True, max_length=200, hint="Bijvoorbeeld: Sanne Jansen (moeder)."),
        Field("party", "Aan", required=True, max_length=200,
              hint="De organisatie die gegevens krijgt, precies zoals bij de inzet, bijvoorbeeld GGZ Noord."),
        Field("purpose", "Waarvoor", "textarea", required=True, max_length=2000),
        Field("until", "Geldig tot en met", "date", hint="Leeg: tot de toestemming wordt ingetrokken."),
    ), "De toestemming is vastgelegd.", "toestemmingen", created=True),
    CommandForm("consents/{consent_id}/withdraw", "Toestemming intrekken", "withdraw_consent",
                bodies.ConsentWithdrawal, (Field("reason", "Reden", "textarea", max_length=2000),),
                "De toestemming is ingetrokken.", "toestemmingen", item="consents",
                offered=_is_open, touches=_same_item("consent_id"), button="Intrekken"),
    CommandForm("closure", "Huishouden afsluiten", "close_household", bodies.ClosureIn, (
        Field("reason_code", "Waarom afsluiten", "radio", required=True,
              missing="Kies waarom het huishouden wordt afgesloten.",
              choices=tuple((code, text[:1].upper() + text[1:]) for code, text in CLOSURE_NL.items())),
        NOTE,
    ), "Het huishouden is afgesloten.", "top", offered=lambda scene: scene.household.status == "open",
        intro="Na afsluiten worden er geen waakvlamcontacten meer gepland. Heropenen kan altijd.",
        button="Afsluiten", touches=_kinds("Closed", "Reopened", "Escalated")),
    CommandForm("reopening", "Huishouden heropenen", "reopen_household", bodies.ReopeningIn, (
        REASON,
        Field("intensity", "Intensiteit", "select", choices=(("", "Zoals bij de afsluiting"),
                                                              *((i.value, INTENSITY_NL[i.value]) for i in Intensity))),
    ), "Het huishouden is heropend.", "top", offered=lambda scene: scene.household.status == "closed",
        button="Heropenen", touches=_kinds("Reopened", "Closed")),
)
