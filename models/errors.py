"""The one domain error hierarchy; each error carries the HTTP status the API answers with."""


class DomainError(Exception):
    """Base of every rule violation the domain reports."""

    status_code = 400
    title = "Domain rule violated"

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


class InvalidRecords(DomainError):
    """An imported file has bad rows; nothing of it was imported."""

    status_code = 422
    title = "Invalid import file"


class NotAuthenticated(DomainError):
    """No valid credentials came with the request."""

    status_code = 401
    title = "Not authenticated"


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
