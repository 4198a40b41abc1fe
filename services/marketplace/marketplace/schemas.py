"""Conversions between the marketplace's aggregates and read-model rows and
its protobuf messages. The OCOP rating shows only while its certificate is
valid on `today`."""
import json

from smartcity.marketplace.v1 import marketplace_pb2 as pb

from marketplace.domainmodel import ocop_stars_shown

SORTS = {pb.SORT_ORDER_UNSPECIFIED: "newest", pb.NEWEST: "newest",
         pb.PRICE_ASCENDING: "price_ascending", pb.PRICE_DESCENDING: "price_descending"}


def average(rating: tuple[int, int]) -> float:
    total, count = rating
    return total / count if count else 0.0


def seller(s, rating: tuple[int, int]) -> pb.Seller:
    return pb.Seller(id=str(s.id), name=s.name, kind=s.kind, commune=s.commune,
                     ocop_producer_code=s.ocop_producer_code, description=s.description,
                     member_ids=s.member_ids, rating_average=average(rating),
                     rating_count=rating[1])


def product(p, rating: tuple[int, int], today) -> pb.Product:
    """A Product aggregate."""
    return pb.Product(
        id=str(p.id), seller_id=p.seller_id, name=p.name, description=p.description,
        category=p.category, unit=p.unit, price_vnd=p.price_vnd, photos=p.photos,
        ocop_stars=ocop_stars_shown(p.ocop_stars, p.certificate_expires_on, today),
        certificate_number=p.certificate_number,
        certificate_expires_on=p.certificate_expires_on,
        geographical_indication=p.geographical_indication, origin_commune=p.origin_commune,
        stock=p.stock, status=p.status, rating_average=average(rating), rating_count=rating[1],
        review_note=p.review_note)


def listing_field(request, path: str):
    """A listing field of a request as the application takes it; the application
    refuses paths that are not listing fields."""
    if path == "ocop":
        return request.ocop.stars, request.ocop.certificate_number, request.ocop.expires_on
    if path == "photos":
        return list(request.photos)
    return getattr(request, path, None)


def product_row(r: dict, today) -> pb.Product:
    """A read-model row."""
    return pb.Product(
        id=r["id"], seller_id=r["seller_id"], name=r["name"], description=r["description"],
        category=r["category"], unit=r["unit"], price_vnd=r["price_vnd"],
        photos=json.loads(r["photos"]),
        ocop_stars=ocop_stars_shown(r["ocop_stars"], r["certificate_expires_on"], today),
        certificate_number=r["certificate_number"],
        certificate_expires_on=r["certificate_expires_on"],
        geographical_indication=r["geographical_indication"],
        origin_commune=r["origin_commune"], stock=r["stock"], status=r["status"],
        rating_average=average((r["rating_sum"], r["rating_count"])),
        rating_count=r["rating_count"])


def product_page(page, today) -> pb.ProductPage:
    return pb.ProductPage(products=[product_row(r, today) for r in page.rows],
                          next_page_token=page.next_page_token)


def order(o) -> pb.Order:
    """An Order aggregate."""
    return pb.Order(
        id=str(o.id), buyer_id=o.buyer_id, seller_id=o.seller_id,
        items=[pb.OrderLine(**item) for item in o.items], total_vnd=o.total_vnd,
        status=o.status, payment_method=o.payment_method, paid=o.paid,
        payment_id=o.payment_ids[0] if o.payment_ids else "",
        delivery_address=o.delivery_address, review_stars=o.review_stars,
        status_reason=o.status_reason, placed_at=o.placed_at)


def order_row(r: dict) -> pb.Order:
    return pb.Order(
        id=r["id"], buyer_id=r["buyer_id"], seller_id=r["seller_id"],
        items=[pb.OrderLine(**item) for item in json.loads(r["items"])],
        total_vnd=r["total_vnd"], status=r["status"], payment_method=r["payment_method"],
        paid=bool(r["payment_id"]), payment_id=r["payment_id"],
        delivery_address=r["delivery_address"], review_stars=r["review_stars"],
        status_reason=r["status_reason"], placed_at=r["placed_at"])


def order_page(page) -> pb.OrderPage:
    return pb.OrderPage(orders=[order_row(r) for r in page.rows],
                        next_page_token=page.next_page_token)
