"""The one domain error hierarchy; each error carries the HTTP status the API answers with."""
from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo


class DomainError(Exception):
    """Base of every rule violation the domain reports."""

    status_code = 400
    title = "Domain rule violated"
    errors: list[dict[str, str]] | None = None  # per field, shaped like the API's validation errors
    retry_after: int | None = None  # seconds, answered as Retry-After

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


class NotFound(DomainError):
    """A referenced entity does not exist."""

    status_code = 404
    title = "Not found"


class IllegalTransition(DomainError):
    """The lifecycle table has no move for this (state, event)."""

    status_code = 409
    title = "Illegal transition"

    def __init__(self, state: str, event: str):
        super().__init__(f"event '{event}' is not allowed in state '{state}'")
        self.state = state
        self.event = event


class GuardRejected(DomainError):
    """A move exists but its guard refuses it for this school."""

    status_code = 422
    title = "Transition guard rejected"

    def __init__(self, guard: str, reason: str):
        super().__init__(f"guard '{guard}' rejected the transition: {reason}")
        self.guard = guard
        self.reason = reason

    @classmethod
    def of(cls, refusals: Sequence[tuple[str, str]]) -> "GuardRejected":
        """Every guard that refuses, each in `errors` (field: the guard); the first names the error."""
        (guard, reason), *others = refusals
        error = cls(guard, reason)
        if others:
            error.detail = "; ".join(f"guard '{g}' rejected the transition: {r}" for g, r in refusals)
            error.args = (error.detail,)
        error.errors = [{"field": g, "message": r} for g, r in refusals]
        return error


class StaleState(DomainError):
    """The school moved on since the caller read it (version mismatch)."""

    status_code = 409
    title = "Stale state"


class InvalidPolicy(DomainError):
    """A policy file or preset is malformed."""

    status_code = 422
    title = "Invalid policy"


class InvalidCatalog(DomainError):
    """A micro-ability catalog file is malformed."""

    status_code = 422
    title = "Invalid catalog"


class RuleViolated(DomainError):
    """A programme rule refuses the input; `rule` names it."""

    status_code = 422
    title = "Programme rule violated"

    def __init__(self, rule: str, message: str):
        super().__init__(f"{rule}: {message}")
        self.rule = rule


class RulesViolated(DomainError):
    """Several programme rules refuse one input; each is in `errors`, `field` naming the rule."""

    status_code = 422
    title = "Programme rules violated"

    def __init__(self, problems: Sequence[RuleViolated]):
        super().__init__("; ".join(str(p) for p in problems))
        self.errors = [{"field": p.rule, "message": str(p).split(": ", 1)[1]} for p in problems]


class InvalidRecords(DomainError):
    """An imported file has bad rows; nothing of it was imported."""

    status_code = 422
    title = "Invalid import file"


class NotAuthenticated(DomainError):
    """No valid credentials came with the request."""

    status_code = 401
    title = "Not authenticated"


class LoginLocked(DomainError):
    """Too many failed logins for this username or from this client address: logins wait until the lock ends."""

    status_code = 429
    title = "Too many login attempts"

    def __init__(self, retry_after: int):
        super().__init__(f"too many failed logins for this username or from this address: try again in "
                         f"{retry_after} s (the password was not checked)")
        self.retry_after = retry_after


class OutOfScope(DomainError):
    """The subject lies outside the caller's unit subtree, or the caller's role may not do this."""

    status_code = 403
    title = "Forbidden"


class TaskConflict(DomainError):
    """The task is not open, or someone else holds it."""

    status_code = 409
    title = "Task conflict"


class PreconditionFailed(DomainError):
    """If-Match does not name the task's current version."""

    status_code = 412
    title = "Precondition failed"


class KeyReused(DomainError):
    """The caller used this Idempotency-Key before, for a different request."""

    status_code = 422
    title = "Idempotency-Key reused"


class KeyInProgress(DomainError):
    """Another request with this Idempotency-Key is still being handled; retry once it has answered."""

    status_code = 409
    title = "Idempotency-Key in progress"

    def __init__(self, detail: str, retry_after: int | None = None):
        super().__init__(detail)
        self.retry_after = retry_after


class UnknownItems(DomainError):
    """A decision grades or scores items its micro-ability or rubric does not have (they would be dropped unseen)."""

    status_code = 422
    title = "Unknown items"

    def __init__(self, field: str, unknown: Sequence[str], known_as: str, known: Sequence[str]):
        names = ", ".join(f"'{name}'" for name in unknown)
        super().__init__(f"{field}: {names} not among the {known_as} ({', '.join(known)})")
        self.unknown = list(unknown)
        self.errors = [{"field": f"body.{field}.{name}", "message": f"not among the {known_as}"} for name in unknown]


class InvalidServiceToken(DomainError):
    """A service token cannot be created as asked (bad or taken name, unknown role, role at the wrong level)."""

    status_code = 422
    title = "Invalid service token"


class InvalidEvidenceKey(DomainError):
    """An evidence key or prefix could escape its place (traversal, absolute, empty segment, control character)."""

    status_code = 422
    title = "Invalid evidence key"


class EvidenceMissing(NotFound):
    """No such evidence object or version in the store."""

    title = "Evidence not found"


class EvidenceLocked(DomainError):
    """A legal hold or COMPLIANCE retention refuses the change (delete, shortening the retention)."""

    status_code = 423
    title = "Evidence locked"


class EvidenceTooLarge(DomainError):
    """An upload is larger than its limit."""

    status_code = 413
    title = "Evidence too large"


class EvidenceSizeMismatch(DomainError):
    """The bytes received are not the size declared for them."""

    status_code = 422
    title = "Evidence size mismatch"


class InvalidRetention(DomainError):
    """A retention date that cannot be set (not in the future)."""

    status_code = 422
    title = "Invalid retention"


class SignedLinkRefused(DomainError):
    """A presigned upload ticket or download link is forged, expired, or used for another key."""

    status_code = 403
    title = "Signed link refused"


class EvidenceStoreUnavailable(DomainError):
    """The evidence store did not answer, or failed in a way the domain cannot name."""

    status_code = 503
    title = "Evidence store unavailable"


class DatabaseUnavailable(DomainError):
    """The database cannot be reached (stopped, restarting, connections cut): retry the same request shortly."""

    status_code = 503
    title = "Database unavailable"
    retry_after = 1  # seconds, sent as Retry-After


class EvidenceStoreMisconfigured(DomainError):
    """The evidence store URL is malformed, or its bucket cannot enforce locks."""

    status_code = 500
    title = "Evidence store misconfigured"


class SchoolLocked(DomainError):
    """The school is in a locked state: its plans, submissions, grades and evidence may not change."""

    status_code = 423
    title = "School locked"

    def __init__(self, school: str, state: str):
        super().__init__(f"school '{school}' is locked (state '{state}'): its plans, submissions, grades and evidence "
                         "cannot change until a rectification decision reopens it")
        self.school = school
        self.state = state


class EvidenceNotVerified(DomainError):
    """The stored file is not what the upload promised (missing, other size or SHA-256, a type the item refuses)."""

    status_code = 422
    title = "Evidence not verified"

    def __init__(self, upload_id: int, errors: list[dict[str, str]]):
        super().__init__(f"upload {upload_id} was not accepted: " + "; ".join(e["message"] for e in errors))
        self.errors = errors


class CampaignClosed(DomainError):
    """The campaign was closed by the year-end closeout: its schools, teachers and evidence no longer change."""

    status_code = 409
    title = "Campaign closed"

    def __init__(self, campaign: str, closed_at: object):
        when = _shanghai_time(closed_at)
        super().__init__(f"campaign '{campaign}' was closed at {when} by the year-end closeout: it accepts no "
                         "more decisions, claims, submissions, hours, catalog changes, deadlines or evidence "
                         "(reads stay open)")
        self.campaign = campaign
        self.closed_at = when


def _shanghai_time(moment: object) -> str:
    """An instant as Asia/Shanghai wall time to the second (naive ones are UTC, as stored); other text unchanged."""
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment)
        except ValueError:
            return moment
    if not isinstance(moment, datetime):
        return str(moment)
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo("Asia/Shanghai")).replace(microsecond=0).isoformat()


class EvidenceStoreFull(DomainError):
    """The evidence store has no room left for the file; nothing was stored, and the same upload may be retried."""

    status_code = 507
    title = "Evidence store full"


class CampaignExists(DomainError):
    """A campaign with this code exists already (codes are unique across every region and year)."""

    status_code = 409
    title = "Campaign exists"


class ActivationRefused(DomainError):
    """An activation attempt failed; deliberately one answer whatever the reason, so nothing is learned from it."""

    status_code = 400
    title = "Activation refused"

    def __init__(self):
        super().__init__("the username, the activation code or its validity does not allow activation")


class PasswordTooShort(DomainError):
    """A new password is shorter than the minimum."""

    status_code = 422
    title = "Invalid request"

    def __init__(self, minimum: int):
        super().__init__(f"password must have at least {minimum} characters")
        self.errors = [{"field": "body.password", "message": f"at least {minimum} characters"}]
