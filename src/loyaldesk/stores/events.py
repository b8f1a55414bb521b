"""Events of the stores domain."""

from __future__ import annotations

from loyaldesk.kernel.events import DomainEvent


class StoreCreated(DomainEvent):
    event_type = "store.created"
    subject_type = "store"
    slug: str

    def subject_id(self) -> int | None:
        return self.store_id


class StaffMemberAdded(DomainEvent):
    event_type = "staff.added"
    subject_type = "staff"
    staff_id: int
    role: str

    def subject_id(self) -> int | None:
        return self.staff_id


class StaffRoleChanged(DomainEvent):
    event_type = "staff.role_changed"
    subject_type = "staff"
    staff_id: int
    old_role: str
    new_role: str

    def subject_id(self) -> int | None:
        return self.staff_id


class StaffMemberRemoved(DomainEvent):
    event_type = "staff.removed"
    subject_type = "staff"
    staff_id: int

    def subject_id(self) -> int | None:
        return self.staff_id


class ApiKeyCreated(DomainEvent):
    event_type = "api_key.created"
    subject_type = "api_key"
    api_key_id: int
    prefix: str
    scopes: list[str]

    def subject_id(self) -> int | None:
        return self.api_key_id


class ApiKeyRevoked(DomainEvent):
    event_type = "api_key.revoked"
    subject_type = "api_key"
    api_key_id: int

    def subject_id(self) -> int | None:
        return self.api_key_id


class StaffInvited(DomainEvent):
    """Someone was invited to a role in the store (the payload names no address: that is personal data)."""

    event_type = "staff.invited"
    subject_type = "staff_invitation"
    invitation_id: int
    role: str

    def subject_id(self) -> int | None:
        return self.invitation_id


class StaffInvitationRevoked(DomainEvent):
    event_type = "staff.invitation_revoked"
    subject_type = "staff_invitation"
    invitation_id: int

    def subject_id(self) -> int | None:
        return self.invitation_id
