"""Which of the marketplace's domain events leave the service, and as what."""
import uuid

from smartcity.events.v1 import marketplace_pb2 as events

from marketplace.domainmodel import Order, Product


def translate(domain_event, load):
    """The integration event for a stored domain event, or None.

    `load(aggregate_id, version)` gives the aggregate as of that event, or as
    it is now without a version: an order's events name the seller's members
    as they are when published, so the notification centre can tell them.
    """
    aggregate_id = str(domain_event.originator_id)
    match domain_event:
        case Product.Listed():
            return events.ProductListed(
                product_id=aggregate_id, seller_id=domain_event.seller_id,
                name=domain_event.name, category=domain_event.category,
                origin_commune=domain_event.origin_commune)
        case Product.Approved():
            product = as_of(domain_event, load)
            return events.ProductApproved(product_id=aggregate_id, seller_id=product.seller_id,
                                          name=product.name,
                                          approved_by=domain_event.official_id,
                                          seller_member_ids=members_of(product.seller_id, load))
        case Product.Returned():
            product = as_of(domain_event, load)
            return events.ProductReturned(product_id=aggregate_id, seller_id=product.seller_id,
                                          name=product.name,
                                          returned_by=domain_event.official_id,
                                          reason=domain_event.reason,
                                          seller_member_ids=members_of(product.seller_id, load))
        case Order.Placed():
            return events.OrderPlaced(
                order_id=aggregate_id, buyer_id=domain_event.buyer_id,
                seller_id=domain_event.seller_id,
                items=[events.OrderItem(**item) for item in domain_event.items],
                total_vnd=domain_event.total_vnd, payment_method=domain_event.payment_method,
                seller_member_ids=members_of(domain_event.seller_id, load))
        case (Order.Confirmed() | Order.Rejected() | Order.Cancelled() | Order.Expired()
              | Order.Shipped() | Order.Delivered() | Order.Completed()):
            order = as_of(domain_event, load)
            return events.OrderStatusChanged(
                order_id=aggregate_id, status=order.status, previous_status=order.previous_status,
                buyer_id=order.buyer_id, seller_id=order.seller_id,
                actor_id=getattr(domain_event, "actor_id", ""), reason=order.status_reason,
                seller_member_ids=members_of(order.seller_id, load))
        case Order.Paid():
            order = as_of(domain_event, load)
            return events.OrderPaid(order_id=aggregate_id, buyer_id=order.buyer_id,
                                    seller_id=order.seller_id,
                                    payment_id=domain_event.payment_id,
                                    amount_vnd=domain_event.amount_vnd)
        case Order.Reviewed():
            order = as_of(domain_event, load)
            return events.OrderReviewed(order_id=aggregate_id, buyer_id=order.buyer_id,
                                        seller_id=order.seller_id, stars=domain_event.stars,
                                        product_ids=domain_event.product_ids)
    return None


def members_of(seller_id: str, load) -> list[str]:
    return load(uuid.UUID(seller_id), None).member_ids


def as_of(domain_event, load):
    return load(domain_event.originator_id, domain_event.originator_version)
