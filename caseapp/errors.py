"""Typed errors. Each carries a message a user can act on, translated when it is shown.

The message id and its parameters are kept apart so the same error can be shown in the
language of whoever reads it; parameters never hold values from a person's record.
"""

from __future__ import annotations

from caseapp.i18n import N_, _


class CaseAppError(Exception):
    msgid = N_("Something went wrong.")
    exit_code = 2

    def __init__(self, msgid: str | None = None, **params: object) -> None:
        self.msgid = msgid or type(self).msgid
        self.params = params
        super().__init__(self.msgid)

    def user_message(self) -> str:
        # Parameters that are themselves message ids (a reason such as "the disk is full")
        # are translated too; other text (a path, a number) comes back unchanged.
        params = {k: _(v) if isinstance(v, str) else v for k, v in self.params.items()}
        return _(self.msgid, **params)

    def __str__(self) -> str:
        return self.user_message()


class ValidationError(CaseAppError):
    msgid = N_("The data is not valid.")


class PassphrasePolicyError(ValidationError):
    msgid = N_("The passphrase is too weak.")


class ProfileError(CaseAppError):
    msgid = N_("The profile cannot be used.")


class ProfileLocked(ProfileError):
    """Work was asked of a locked profile (its keys are gone): unlock first."""

    msgid = N_("The profile is locked; unlock it again.")


class FirstPassphraseRequired(ProfileError):
    """The profile opens only for replacing the first passphrase its administrator set (the
    desktop then asks for a new one)."""

    msgid = N_("This profile still has the first passphrase its administrator set. Change it "
               "first: caseapp profile change-passphrase.")


class ProfileNotFound(ProfileError):
    msgid = N_("No profile with that name exists.")


class WrongPassphrase(CaseAppError):
    msgid = N_("The passphrase or recovery code is wrong.")


class UnlockBackoff(CaseAppError):
    msgid = N_("Too many wrong attempts. Wait %(seconds)s seconds, then try again.")


class UnlockStateDamaged(UnlockBackoff):
    """The record of wrong attempts was deleted or edited: the strictest state applies."""

    msgid = N_("The record of wrong attempts of this profile is missing or was changed. As "
               "a precaution every attempt now waits 15 minutes, until the next successful "
               "unlock. Wait %(seconds)s seconds, then try again.")


class VaultCorrupt(CaseAppError):
    msgid = N_("The case file is damaged and cannot be opened. Restore it from a backup.")


class StorageError(CaseAppError):
    msgid = N_("The change could not be saved (%(reason)s). Nothing was changed; free some "
               "disk space or check the drive, then try again.")


class PermissionDenied(CaseAppError):
    msgid = N_("Your role does not allow this action.")


class NotFound(CaseAppError):
    msgid = N_("The record was not found.")


class InvalidTransition(CaseAppError):
    msgid = N_("A case cannot move from stage %(current)s to stage %(target)s.")


class FieldErrors(ValidationError):
    """Every problem found in a submitted document, each tied to its field, so a form can mark
    them all at once and a command line can print them on one line."""

    msgid = N_("%(field)s: %(problem)s")

    def __init__(self, problems: list[tuple[str, str, dict[str, object]]]) -> None:
        super().__init__()
        # The offending value is never kept, let alone shown: it may be another person's
        # data, and errors reach logs and screens (issue 7, item 8). The field is named.
        self.problems = [(name, problem, {k: v for k, v in params.items() if k != "value"})
                         for name, problem, params in problems]

    def user_message(self) -> str:
        return "; ".join(_(self.msgid, field=name, problem=_(problem, **params))
                         for name, problem, params in self.problems)
