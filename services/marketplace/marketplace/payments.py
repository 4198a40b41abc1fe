"""Online payment: the interface a payment provider (a bank or wallet gateway,
outside the platform) is reached through, and a fake one for tests and local
runs. Cash on delivery needs no provider: delivering the order records it.
"""
import hashlib
from typing import Protocol


class PaymentProvider(Protocol):
    def charge(self, order_id: str, amount_vnd: int, idempotency_key: str) -> str:
        """Takes the payment; returns the provider's payment id. The same key
        returns the same id without charging twice."""


class FakePaymentProvider:
    """Accepts every charge; the payment id follows from the key, as a real
    provider's idempotency does."""

    def __init__(self):
        self.charges: dict[str, int] = {}   # payment id -> amount

    def charge(self, order_id: str, amount_vnd: int, idempotency_key: str) -> str:
        payment_id = "fake-" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:16]
        self.charges.setdefault(payment_id, amount_vnd)
        return payment_id


PROVIDERS = {"fake": FakePaymentProvider}


def provider_named(name: str) -> PaymentProvider:
    if name not in PROVIDERS:
        raise ValueError(f"MARKETPLACE_PAYMENT_PROVIDER: unknown provider {name!r}")
    return PROVIDERS[name]()
