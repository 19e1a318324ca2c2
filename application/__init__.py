"""The application layer: one function per user action or system step, between the adapters and the domain.

Every function takes a `UnitOfWork` (infra/unit_of_work.py) first and, for a person's action, the acting
`Principal`; it returns a result or raises a `DomainError`. It never commits: its caller (a route, a command, a
Prefect task, the demo) commits once, so one action is one transaction. API routes, CLI commands, Prefect tasks and
the demo call these functions and nothing below them; the functions call `models/` (rules, access) and `infra/`
(repositories, stores).
"""
