"""Referrals out of and into a case, with the lifecycle of ``caseapp.domain.referrals``.

A referral is one ``referral`` record (its current status, a guarded field in sync) and an
append-only ``referral_event`` record per status change (SYNC.md §4: status events never
conflict). Sending needs the person's consent to a referral naming that provider, and to
sharing with law enforcement when the recipient is police, FIA or immigration; a manager or
administrator may send without them only with a recorded reason, which is audited.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from typing import Any

from caseapp.domain import consent, htcds, roles, stages
from caseapp.domain import referrals as rules
from caseapp.errors import FieldErrors, NotFound, PermissionDenied, ValidationError
from caseapp.i18n import N_, _
from caseapp.services.base import Service
from caseapp.services.consent import ConsentRequired, ConsentService
from caseapp.services.directory import ORGANISATION
from caseapp.store.changes import Changes
from caseapp.store.records import Record

REFERRAL = "referral"
REFERRAL_EVENT = "referral_event"


class InvalidReferralTransition(ValidationError):
    msgid = N_("A referral cannot move from %(current)s to %(target)s.")


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _today() -> date:
    return datetime.now(UTC).date()


def _iso(value: date | str | None, name: str) -> str:
    if value is None:
        return _today().isoformat()
    parsed = rules.parse_date(value)
    if parsed is None:
        raise FieldErrors([(name, rules.PROBLEMS["date"], {})])
    return parsed.isoformat()


class ReferralService(Service):
    # -- helpers ------------------------------------------------------------------------
    def _org(self, org_id: str) -> Record:
        record = self.store.get(org_id)
        if record is None or record.type != ORGANISATION:
            raise NotFound()
        return record

    def _referral(self, referral_id: str) -> Record:
        record = self.store.get(referral_id)
        if record is None or record.type != REFERRAL:
            raise NotFound()
        return record

    @staticmethod
    def _check_services(services: list[str], urgency: str) -> list[rules.Problem]:
        problems: list[rules.Problem] = []
        if not isinstance(services, list) or not services or \
                any(not isinstance(s, str) or s not in rules.SERVICE_TYPES for s in services):
            problems.append(("hfz_Services", rules.PROBLEMS["services"],
                             {"codes": ", ".join(rules.SERVICE_TYPES)}))
        if urgency not in rules.URGENCIES:
            problems.append(("hfz_Urgency", rules.PROBLEMS["code"],
                             {"value": str(urgency), "codes": ", ".join(rules.URGENCIES)}))
        return problems

    @staticmethod
    def _check_reason(name: str, reason: str) -> list[rules.Problem]:
        if reason is None or htcds.check_value(name, reason):
            spec = htcds.spec(name)
            return [(name, rules.PROBLEMS["code"],
                     {"value": str(reason), "codes": ", ".join(spec.codes if spec else ())})]
        return []

    def _move(self, referral: Record, target: str, action: str,
              extra: dict[str, Any] | None = None, note: str | None = None,
              override_reason: str | None = None) -> Changes:
        """Change the status and append its event, in one transaction with the audit."""
        current = str(referral.body.get("hfz_Status"))
        if not rules.can_move(current, target):
            raise InvalidReferralTransition(current=_(rules.STATUS_LABELS.get(current, current)),
                                            target=_(rules.STATUS_LABELS.get(target, target)))
        fields: dict[str, Any] = {"hfz_Status": target, **(extra or {})}
        event: dict[str, Any] = {"referral_id": referral.id, "from": current, "to": target,
                                 "at": _now_ms(), "by": self.session.user_id}
        if note:
            event["note"] = note
        if override_reason:
            event["override_reason"] = override_reason
        with self.session.write() as tx:
            self.store.update(referral.id, fields)
            self.store.create(REFERRAL_EVENT, event, team=referral.team, parent=referral.id)
            if target == rules.SENT and referral.body.get("hfz_Direction") == rules.OUTGOING:
                self._mirror_on_case(referral, fields)
            if override_reason:
                self.session.audit.append(self.session.user_id,
                                          "referral_consent_overridden", referral.id,
                                          ["hfz_ConsentOverrideReason",
                                           "hfz_ConsentOverrideBy",
                                           "hfz_ConsentOverridePurposes"])
            self.session.audit.append(self.session.user_id, action, referral.id,
                                      [*fields, *(["note"] if note else [])])
        return tx.changes.with_id(referral.id)

    def _mirror_on_case(self, referral: Record, fields: dict[str, Any]) -> None:
        """HTCDS keeps the latest outgoing referral on the case itself (cas_Referred…);
        copy it there so an HTCDS export carries it."""
        body = {**referral.body, **fields}
        mirrored = {"cas_ReferredOrganisation": body.get("hfz_OrganisationName")
                    or body.get("cas_ReferredOrganisation"),
                    "cas_OutgoingReferralDate": body.get("cas_OutgoingReferralDate"),
                    "cas_ReasonForOutgoingReferral": body.get("cas_ReasonForOutgoingReferral"),
                    "cas_OutgoingReferralDetails": body.get("cas_OutgoingReferralDetails")}
        change = self.store.update(referral.parent or "",
                                   {k: v for k, v in mirrored.items() if v is not None})
        if change is not None:
            self.session.audit.append(self.session.user_id, "case_edited", referral.parent,
                                      list(change.fields))

    @staticmethod
    def _as_json(record: Record) -> dict[str, Any]:
        return {"id": record.id, "case_id": record.parent, **record.body}

    # -- outgoing -----------------------------------------------------------------------
    def draft_body(self, case_id: str, org_id: str, services: list[str],
                   urgency: str = rules.ROUTINE, reason: str = "AdditionalServicesRequired",
                   details: str | None = None) -> dict[str, Any]:
        """The body of a draft outgoing referral, checked as ``create_draft`` checks it, and
        not stored (the desktop lays out a package before anything is written)."""
        self._require(roles.CASE_EDIT)
        case = self._case(case_id)
        if case.body.get("hfz_Stage") == stages.CLOSED:
            raise ValidationError(N_("A closed case cannot be referred; re-open it first."))
        org = self._org(org_id)
        problems = self._check_services(services, urgency)
        problems += self._check_reason("cas_ReasonForOutgoingReferral", reason)
        if details is not None and not isinstance(details, str):
            problems.append(("cas_OutgoingReferralDetails", rules.PROBLEMS["text"], {}))
        if problems:
            raise FieldErrors(problems)
        body: dict[str, Any] = {
            "hfz_Direction": rules.OUTGOING, "hfz_Status": rules.DRAFT,
            "cas_ReferredOrganisation": org.id,
            "hfz_OrganisationName": org.body.get("org_Name"),
            "hfz_Services": list(services), "hfz_Urgency": urgency,
            "cas_ReasonForOutgoingReferral": reason,
        }
        if details:
            body["cas_OutgoingReferralDetails"] = details
        return body

    def create_draft(self, case_id: str, org_id: str, services: list[str],
                     urgency: str = rules.ROUTINE,
                     reason: str = "AdditionalServicesRequired",
                     details: str | None = None) -> Changes:
        """A draft outgoing referral of a case to a directory organisation; returns its id."""
        body = self.draft_body(case_id, org_id, services, urgency, reason, details)
        case = self._case(case_id)
        with self.session.write() as tx:
            change = self.store.create(REFERRAL, body, team=case.team, parent=case.id)
            self.store.create(REFERRAL_EVENT, {"referral_id": change.record.id, "from": None,
                                            "to": rules.DRAFT, "at": _now_ms(),
                                            "by": self.session.user_id},
                           team=case.team, parent=change.record.id)
            self.session.audit.append(self.session.user_id, "referral_created",
                                      change.record.id, list(body))
        return tx.changes.with_id(change.record.id)

    def consent_decision(self, referral_id: str) -> consent.Decision:
        """The consent decision for sending this referral now. Consent may name the provider
        by its directory id or by its name, as staff typed it when recording consent."""
        self._require(roles.CASE_VIEW)
        referral = self._referral(referral_id)
        return self._referral_consent(referral.parent or "", referral.body)

    def _referral_consent(self, case_id: str, body: dict[str, Any]) -> consent.Decision:
        checker = ConsentService(self.session)
        org_id = str(body.get("cas_ReferredOrganisation") or "")
        first = checker.check(case_id, consent.REFERRAL, org_id)
        if first.permitted:
            return first
        name = body.get("hfz_OrganisationName")
        if name:
            by_name = checker.check(case_id, consent.REFERRAL, str(name))
            if by_name.permitted:
                return by_name
            # Report in terms of the name a person recognises, not an id.
            return consent.Decision(first.permitted, first.reason,
                                    {**first.params, "provider": str(name)}, first.entry)
        return first

    def consent_decisions(self, referral_id: str) -> list[tuple[str, consent.Decision]]:
        """(purpose, decision) for every consent sending this referral needs now: the
        referral to the named provider and, when the recipient is law enforcement, the
        sharing with law enforcement as well."""
        referral = self._referral(referral_id)
        return self.consents_needed(referral.parent or "", referral.body)

    def consents_needed(self, case_id: str, body: dict[str, Any]
                        ) -> list[tuple[str, consent.Decision]]:
        """``consent_decisions`` for a referral of ``case_id`` with ``body``, stored or not."""
        self._require(roles.CASE_VIEW)
        needed = [(consent.REFERRAL, self._referral_consent(case_id, body))]
        org = self.store.get(str(body.get("cas_ReferredOrganisation") or ""))
        services = body.get("hfz_Services")
        if rules.is_law_enforcement(org.body if org is not None else {},
                                    services if isinstance(services, list) else []):
            needed.append((consent.LAW_ENFORCEMENT_SHARING, ConsentService(self.session).check(
                case_id, consent.LAW_ENFORCEMENT_SHARING)))
        return needed

    def send(self, referral_id: str, override_reason: str | None = None) -> Changes:
        self._require(roles.CASE_EDIT)
        referral = self._referral(referral_id)
        if referral.body.get("hfz_Direction") != rules.OUTGOING:
            raise ValidationError(N_("Only an outgoing referral can be sent."))
        if not rules.can_move(str(referral.body.get("hfz_Status")), rules.SENT):
            current = str(referral.body.get("hfz_Status"))
            raise InvalidReferralTransition(current=_(rules.STATUS_LABELS.get(current, current)),
                                            target=_(rules.STATUS_LABELS[rules.SENT]))
        missing = [(purpose, decision) for purpose, decision
                   in self.consent_decisions(referral_id) if not decision.permitted]
        extra: dict[str, Any] = {"cas_OutgoingReferralDate": _today().isoformat()}
        override: str | None = None
        if missing:
            if override_reason is None:
                raise ConsentRequired(missing[0][1])
            if self.actor.role not in rules.OVERRIDE_ROLES:
                raise PermissionDenied(N_("Only a manager may send a referral without the "
                                          "person's consent."))
            if not override_reason.strip():
                raise ValidationError(N_("Sending a referral without consent needs a reason."))
            override = override_reason.strip()
            extra["hfz_ConsentOverrideReason"] = override
            extra["hfz_ConsentOverrideBy"] = self.session.user_id
            # Which consents the override stands in for: a reader must see that sharing
            # with law enforcement was decided without the person's agreement.
            extra["hfz_ConsentOverridePurposes"] = [purpose for purpose, _d in missing]
        return self._move(referral, rules.SENT, "referral_sent", extra,
                          override_reason=override)

    # -- incoming -----------------------------------------------------------------------
    def receive(self, case_id: str, referring_organisation: str,
                services: list[str], *, reason: str = "AdditionalServicesRequired",
                received_on: date | str | None = None, details: str | None = None,
                referring_caseworker: str | None = None,
                urgency: str = rules.ROUTINE) -> Changes:
        """Record a referral another organisation made to us for this case. The referring
        organisation is a directory id or, for one not in the directory, its name."""
        self._require(roles.CASE_EDIT)
        case = self._case(case_id)
        problems = self._check_services(services, urgency)
        problems += self._check_reason("cas_ReasonForIncomingReferral", reason)
        if not isinstance(referring_organisation, str) or not referring_organisation.strip():
            problems.append(("cas_ReferringOrganisation", rules.PROBLEMS["required"], {}))
        for name, value in (("cas_IncomingReferralDetails", details),
                            ("cas_ReferringPrimaryCaseWorker", referring_caseworker)):
            if value is not None and not isinstance(value, str):
                problems.append((name, rules.PROBLEMS["text"], {}))
        if received_on is not None and rules.parse_date(received_on) is None:
            problems.append(("cas_IncomingReferralDate", rules.PROBLEMS["date"], {}))
        if problems:
            raise FieldErrors(problems)
        org = self.store.get(referring_organisation.strip())
        name = (str(org.body.get("org_Name")) if org is not None and org.type == ORGANISATION
                else referring_organisation.strip())
        body: dict[str, Any] = {
            "hfz_Direction": rules.INCOMING, "hfz_Status": rules.SENT,
            "cas_ReferringOrganisation": org.id if org is not None and
            org.type == ORGANISATION else None,
            "hfz_OrganisationName": name,
            "cas_IncomingReferralDate": _iso(received_on, "cas_IncomingReferralDate"),
            "cas_ReasonForIncomingReferral": reason,
            "hfz_Services": list(services), "hfz_Urgency": urgency,
        }
        if details:
            body["cas_IncomingReferralDetails"] = details
        if referring_caseworker:
            body["cas_ReferringPrimaryCaseWorker"] = referring_caseworker
        body = {k: v for k, v in body.items() if v is not None}
        with self.session.write() as tx:
            change = self.store.create(REFERRAL, body, team=case.team, parent=case.id)
            self.store.create(REFERRAL_EVENT, {"referral_id": change.record.id, "from": None,
                                            "to": rules.SENT, "at": _now_ms(),
                                            "by": self.session.user_id},
                           team=case.team, parent=change.record.id)
            self.session.audit.append(self.session.user_id, "referral_received",
                                      change.record.id, list(body))
        return tx.changes.with_id(change.record.id)

    # -- responses and closing ----------------------------------------------------------
    def record_response(self, referral_id: str, decision: str,
                        note: str | None = None) -> Changes:
        """``accepted`` or ``declined``: the receiving side's answer (theirs for an outgoing
        referral, ours for an incoming one)."""
        self._require(roles.CASE_EDIT)
        if decision not in (rules.ACCEPTED, rules.DECLINED):
            raise FieldErrors([("hfz_Status", rules.PROBLEMS["code"],
                                {"value": str(decision),
                                 "codes": ", ".join((rules.ACCEPTED, rules.DECLINED))})])
        referral = self._referral(referral_id)
        return self._move(referral, decision, f"referral_{decision}",
                          {"hfz_ResponseDate": _today().isoformat()}, note=note)

    def complete(self, referral_id: str, note: str | None = None) -> Changes:
        self._require(roles.CASE_EDIT)
        return self._move(self._referral(referral_id), rules.COMPLETED, "referral_completed",
                          {"hfz_CompletedDate": _today().isoformat()}, note=note)

    def withdraw(self, referral_id: str, note: str | None = None) -> Changes:
        self._require(roles.CASE_EDIT)
        return self._move(self._referral(referral_id), rules.WITHDRAWN, "referral_withdrawn",
                          note=note)

    # -- reading ------------------------------------------------------------------------
    def get(self, referral_id: str) -> dict[str, Any]:
        self._require(roles.CASE_VIEW)
        referral = self._referral(referral_id)
        self._viewed("referral_viewed", referral.id, referral.body)
        return self._as_json(referral)

    def events(self, referral_id: str) -> list[dict[str, Any]]:
        """The status history, oldest first."""
        self._require(roles.CASE_VIEW)
        referral = self._referral(referral_id)
        events = [e.body for e in self.store.children(referral.id, REFERRAL_EVENT)]
        self._viewed("referral_events_viewed", referral.id, ["referral_event"])
        return sorted(events, key=lambda e: (int(e.get("at") or 0)))

    def list_for_case(self, case_id: str) -> list[dict[str, Any]]:
        self._require(roles.CASE_VIEW)
        case = self._case(case_id)
        self._viewed("referrals_viewed", case.id, ["referral"])
        return [self._as_json(r) for r in self.store.children(case.id, REFERRAL)]

    def list(self, direction: str | None = None, status: str | None = None,
             limit: int = -1) -> list[dict[str, Any]]:
        """Referrals across the caseload, most recently changed first (``limit`` -1: all)."""
        self._require(roles.CASE_VIEW)
        records = self.store.list(REFERRAL, status=status, limit=limit)
        self._viewed("referrals_listed", None, ["referral"])
        return [self._as_json(r) for r in records
                if direction is None or r.body.get("hfz_Direction") == direction]
