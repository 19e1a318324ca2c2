"""A person's in-app notifications: reading them, and marking one read."""
from infra import reminders
from infra.unit_of_work import UnitOfWork
from models.org import Principal
from models.reminders import Notification


def list_notifications(uow: UnitOfWork, user: Principal, unread_only: bool, page: int, page_size: int
                       ) -> tuple[int, list[tuple[Notification, str]]]:
    """The caller's own notifications (only unread ones if asked) with their campaign codes, newest first, paged;
    and how many there are."""
    return reminders.notifications_of(uow.session, user.id, unread_only, page, page_size)


def mark_notification_read(uow: UnitOfWork, user: Principal, notification_id: int) -> tuple[Notification, str]:
    """Mark one of the caller's notifications read (the first time only); NotFound for anyone else's."""
    return reminders.mark_read(uow.session, user.id, notification_id)
