"""The marketplace read side: rows of sellers, products and orders kept by a
projection of the marketplace's events, and the queries the API answers
from them.

Events are matched by class name ("Product.Listed"). Text search goes
through a words table, kept with the products: each word of a product's
name, description and geographical indication, folded (lower case, no
diacritics, đ as d), so "che thai nguyen" finds "Chè Thái Nguyên". Each query
word must begin a word of the product: a range on the words' primary key,
one per query word, which answers on both databases without scanning the
products, also when nothing matches. The OCOP rating is stored as certified;
whether the certificate is still valid is decided when a query runs, against
today's date.

Lists are paged by keyset: the token carries the last row's sort key and the
next page starts strictly after it. Each list's filter and order match an
index below.
"""
import base64
import binascii
import json
import re
import unicodedata
from dataclasses import dataclass

from kit.errors import InvalidArgument
from kit.projections import Projection
from marketplace.domainmodel import ORDER_STATUSES, PRODUCT_STATUSES

DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 20, 100
# Indexed words are runs of [a-z0-9] cut to WORD_LENGTH, so that every word
# starting with p lies between p and p + "z"... in any collation PostgreSQL
# may use, not only in byte order.
WORD_LENGTH = 32
WORD = re.compile(r"[a-z0-9]+")
MAX_QUERY_WORDS = 8
_APPROVED = "status = 'approved'"

TABLES = (
    """CREATE TABLE IF NOT EXISTS {schema}.sellers (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        commune TEXT NOT NULL,
        ocop_producer_code TEXT NOT NULL DEFAULT '',
        rating_sum INTEGER NOT NULL DEFAULT 0,
        rating_count INTEGER NOT NULL DEFAULT 0)""",
    """CREATE TABLE IF NOT EXISTS {schema}.products (
        id TEXT PRIMARY KEY,
        seller_id TEXT NOT NULL,
        name TEXT NOT NULL,
        description TEXT NOT NULL,
        category TEXT NOT NULL,
        unit TEXT NOT NULL,
        price_vnd BIGINT NOT NULL,
        photos TEXT NOT NULL,
        ocop_stars INTEGER NOT NULL,
        certificate_number TEXT NOT NULL,
        certificate_expires_on TEXT NOT NULL,
        geographical_indication TEXT NOT NULL,
        origin_commune TEXT NOT NULL,
        stock INTEGER NOT NULL,
        status TEXT NOT NULL,
        listed_at DOUBLE PRECISION NOT NULL,
        rating_sum INTEGER NOT NULL DEFAULT 0,
        rating_count INTEGER NOT NULL DEFAULT 0)""",
    # Public search, partial on approved rows so a page is read off an index in order.
    "CREATE INDEX IF NOT EXISTS products_newest ON {schema}.products "
    f"(listed_at DESC, id DESC) WHERE {_APPROVED}",
    "CREATE INDEX IF NOT EXISTS products_category ON {schema}.products "
    f"(category, listed_at DESC, id DESC) WHERE {_APPROVED}",
    "CREATE INDEX IF NOT EXISTS products_origin ON {schema}.products "
    f"(origin_commune, listed_at DESC, id DESC) WHERE {_APPROVED}",
    "CREATE INDEX IF NOT EXISTS products_price ON {schema}.products "
    f"(price_vnd, id) WHERE {_APPROVED}",
    "CREATE INDEX IF NOT EXISTS products_category_price ON {schema}.products "
    f"(category, price_vnd, id) WHERE {_APPROVED}",
    "CREATE INDEX IF NOT EXISTS products_pending ON {schema}.products "
    "(listed_at DESC, id DESC) WHERE status = 'pending'",
    "CREATE INDEX IF NOT EXISTS products_seller ON {schema}.products "
    "(seller_id, listed_at DESC, id DESC)",
    # Text search: folded word -> product, of every product (status is the products').
    """CREATE TABLE IF NOT EXISTS {schema}.product_words (
        word TEXT NOT NULL,
        product_id TEXT NOT NULL,
        PRIMARY KEY (word, product_id))""",
    "CREATE INDEX IF NOT EXISTS product_words_product ON {schema}.product_words "
    "(product_id, word)",
    """CREATE TABLE IF NOT EXISTS {schema}.orders (
        id TEXT PRIMARY KEY,
        buyer_id TEXT NOT NULL,
        seller_id TEXT NOT NULL,
        status TEXT NOT NULL,
        items TEXT NOT NULL,
        total_vnd BIGINT NOT NULL,
        payment_method TEXT NOT NULL,
        payment_id TEXT NOT NULL DEFAULT '',
        delivery_address TEXT NOT NULL,
        review_stars INTEGER NOT NULL DEFAULT 0,
        status_reason TEXT NOT NULL DEFAULT '',
        placed_at DOUBLE PRECISION NOT NULL,
        expires_at DOUBLE PRECISION NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS orders_buyer ON {schema}.orders "
    "(buyer_id, placed_at DESC, id DESC)",
    "CREATE INDEX IF NOT EXISTS orders_seller ON {schema}.orders "
    "(seller_id, placed_at DESC, id DESC)",
    # The expiry timer's candidates.
    "CREATE INDEX IF NOT EXISTS orders_unconfirmed ON {schema}.orders "
    "(expires_at) WHERE status = 'placed'",
)


def fold(text: str) -> str:
    """Lower case without Vietnamese diacritics: "Chè Thái Nguyên" → "che thai nguyen"."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.split())


def words_of(text: str) -> list[str]:
    """The distinct indexed words of a text, in order: "Chè (200g)" → ["che", "200g"]."""
    return list(dict.fromkeys(word[:WORD_LENGTH] for word in WORD.findall(fold(text))))


def searchable_words(name: str, description: str, geographical_indication: str) -> list[str]:
    return words_of(f"{name} {description} {geographical_indication}")


# The projection -----------------------------------------------------------------
class MarketplaceProjection(Projection):
    name = "marketplace"
    tables = TABLES
    drop = tuple(f"DROP TABLE IF EXISTS {{schema}}.{table}"
                 for table in ("sellers", "products", "product_words", "orders"))

    def process(self, sql, domain_event) -> None:
        handler = getattr(self, "_" + type(domain_event).__qualname__.replace(".", "_"), None)
        if handler is not None:
            handler(sql, domain_event)

    def _Seller_Verified(self, sql, e):
        sql.execute("INSERT INTO {schema}.sellers (id, name, kind, commune) "
                    "VALUES (%s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
                    (str(e.originator_id), e.name, e.kind, e.commune))

    def _Seller_ProfileUpdated(self, sql, e):
        sql.execute("UPDATE {schema}.sellers SET commune = %s, ocop_producer_code = %s "
                    "WHERE id = %s", (e.commune, e.ocop_producer_code, str(e.originator_id)))

    def _Product_Listed(self, sql, e):
        sql.execute(
            "INSERT INTO {schema}.products (id, seller_id, name, description, category, unit, "
            "price_vnd, photos, ocop_stars, certificate_number, certificate_expires_on, "
            "geographical_indication, origin_commune, stock, status, listed_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (str(e.originator_id), e.seller_id, e.name, e.description, e.category, e.unit,
             e.price_vnd, json.dumps(list(e.photos)), e.ocop_stars, e.certificate_number,
             e.certificate_expires_on, e.geographical_indication, e.origin_commune, e.stock,
             "pending", e.timestamp.timestamp()))
        _index_words(sql, str(e.originator_id),
                     searchable_words(e.name, e.description, e.geographical_indication))

    def _Product_Approved(self, sql, e):
        _update(sql, "products", e, status="approved")

    def _Product_Returned(self, sql, e):
        _update(sql, "products", e, status="returned")

    def _Product_Edited(self, sql, e):
        columns = dict(e.changes)
        if "photos" in columns:
            columns["photos"] = json.dumps(list(columns["photos"]))
        if e.back_to_review:
            columns["status"] = "pending"
        _update(sql, "products", e, **columns)
        if not columns.keys().isdisjoint(SEARCHED_COLUMNS):
            product_id = str(e.originator_id)
            [row] = sql.rows("SELECT name, description, geographical_indication "
                             "FROM {schema}.products WHERE id = %s", (product_id,))
            sql.execute("DELETE FROM {schema}.product_words WHERE product_id = %s",
                        (product_id,))
            _index_words(sql, product_id, searchable_words(**row))

    def _Product_Restocked(self, sql, e):
        _add_stock(sql, str(e.originator_id), e.quantity)

    def _Product_Reserved(self, sql, e):
        _add_stock(sql, str(e.originator_id), -e.quantity)

    def _Product_Released(self, sql, e):
        _add_stock(sql, str(e.originator_id), e.quantity)

    def _Order_Placed(self, sql, e):
        sql.execute(
            "INSERT INTO {schema}.orders (id, buyer_id, seller_id, status, items, total_vnd, "
            "payment_method, delivery_address, placed_at, expires_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (str(e.originator_id), e.buyer_id, e.seller_id, "placed", json.dumps(e.items),
             e.total_vnd, e.payment_method, e.delivery_address, e.timestamp.timestamp(),
             e.expires_at))

    def _Order_Confirmed(self, sql, e):
        _update(sql, "orders", e, status="confirmed")

    def _Order_Rejected(self, sql, e):
        _update(sql, "orders", e, status="rejected", status_reason=e.reason)

    def _Order_Cancelled(self, sql, e):
        _update(sql, "orders", e, status="cancelled", status_reason=e.reason)

    def _Order_Expired(self, sql, e):
        _update(sql, "orders", e, status="expired")

    def _Order_Shipped(self, sql, e):
        _update(sql, "orders", e, status="shipped")

    def _Order_Delivered(self, sql, e):
        _update(sql, "orders", e, status="delivered")

    def _Order_Completed(self, sql, e):
        _update(sql, "orders", e, status="completed")

    def _Order_Paid(self, sql, e):
        _update(sql, "orders", e, payment_id=e.payment_id)

    def _Order_Reviewed(self, sql, e):
        _update(sql, "orders", e, review_stars=e.stars)
        rating = "rating_sum = rating_sum + %s, rating_count = rating_count + 1"
        for product_id in e.product_ids:
            sql.execute(f"UPDATE {{schema}}.products SET {rating} WHERE id = %s",
                        (e.stars, product_id))
        sql.execute(f"UPDATE {{schema}}.sellers SET {rating} WHERE id = "
                    "(SELECT seller_id FROM {schema}.orders WHERE id = %s)",
                    (e.stars, str(e.originator_id)))


SEARCHED_COLUMNS = frozenset({"name", "description", "geographical_indication"})


def _index_words(sql, product_id: str, words: list[str]):
    sql.executemany("INSERT INTO {schema}.product_words (word, product_id) VALUES (%s, %s)",
                    [(word, product_id) for word in words])


def _update(sql, table, event, **columns):
    assignments = ", ".join(f"{name} = %s" for name in columns)
    sql.execute(f"UPDATE {{schema}}.{table} SET {assignments} WHERE id = %s",
                (*columns.values(), str(event.originator_id)))


def _add_stock(sql, product_id: str, quantity: int):
    sql.execute("UPDATE {schema}.products SET stock = stock + %s WHERE id = %s",
                (quantity, product_id))


# Keyset paging ------------------------------------------------------------------
@dataclass(frozen=True)
class SortKey:
    name: str
    order_by: str
    after: str                 # rows strictly after a key
    columns: tuple[str, ...]   # the key's columns, as the token carries them


PRODUCTS_NEWEST = SortKey("newest", "listed_at DESC, id DESC", "(listed_at, id) < (%s, %s)",
                          ("listed_at", "id"))
PRICE_ASCENDING = SortKey("price_up", "price_vnd, id", "(price_vnd, id) > (%s, %s)",
                          ("price_vnd", "id"))
PRICE_DESCENDING = SortKey("price_down", "price_vnd DESC, id DESC",
                           "(price_vnd, id) < (%s, %s)", ("price_vnd", "id"))
ORDERS_NEWEST = SortKey("orders", "placed_at DESC, id DESC", "(placed_at, id) < (%s, %s)",
                        ("placed_at", "id"))
PRODUCT_SORTS = {"newest": PRODUCTS_NEWEST, "price_ascending": PRICE_ASCENDING,
                 "price_descending": PRICE_DESCENDING}


def encode_token(sort: SortKey, row: dict) -> str:
    text = json.dumps([sort.name, *(row[column] for column in sort.columns)],
                      separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_token(sort: SortKey, token: str) -> list:
    try:
        name, *key = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, TypeError):
        raise _bad_token() from None
    if name != sort.name or len(key) != len(sort.columns) \
            or not all(isinstance(value, (int, float, str)) for value in key):
        raise _bad_token()
    return key


def _checked_status(status: str, statuses: tuple) -> str:
    if status not in statuses:
        raise InvalidArgument(f"one of {', '.join(statuses)}", field="status")
    return status


def _bad_token() -> InvalidArgument:
    return InvalidArgument("not a page token of this list", field="page_token")


def page_size_of(requested: int) -> int:
    if not requested:
        return DEFAULT_PAGE_SIZE
    if requested < 0:
        raise InvalidArgument("page size cannot be negative", field="page_size")
    return min(requested, MAX_PAGE_SIZE)


@dataclass(frozen=True)
class Page:
    rows: list[dict]
    next_page_token: str        # empty on the last page


@dataclass(frozen=True)
class ProductSearch:
    text: str = ""
    category: str = ""
    origin_commune: str = ""
    min_stars: int = 0           # with a certificate valid on `today`
    min_price_vnd: int = 0
    max_price_vnd: int = 0       # 0: no limit
    sort: str = "newest"


# Queries ------------------------------------------------------------------------
class MarketplaceQueries:
    """Answers from the read model; plain dict rows, no protobuf."""

    def __init__(self, read_model):
        self.read_model = read_model

    def search(self, search: ProductSearch, today: str, page_size=0, page_token="") -> Page:
        """Approved products matching every filter; `today` is YYYY-MM-DD."""
        where, params = [_APPROVED], []
        words = words_of(search.text)
        if len(words) > MAX_QUERY_WORDS:
            raise InvalidArgument(f"at most {MAX_QUERY_WORDS} words", field="text")
        for word in words:
            where.append("id IN (SELECT product_id FROM {schema}.product_words "
                         "WHERE word >= %s AND word <= %s)")
            params += [word, word + "z" * (WORD_LENGTH - len(word))]
        for column in ("category", "origin_commune"):
            if getattr(search, column):
                where.append(f"{column} = %s")
                params.append(getattr(search, column))
        if search.min_stars:
            where.append("ocop_stars >= %s AND certificate_expires_on >= %s")
            params += [search.min_stars, today]
        if search.min_price_vnd:
            where.append("price_vnd >= %s")
            params.append(search.min_price_vnd)
        if search.max_price_vnd:
            where.append("price_vnd <= %s")
            params.append(search.max_price_vnd)
        return self._page("products", where, params, PRODUCT_SORTS[search.sort], page_size,
                          page_token)

    def seller_products(self, seller_id: str, status="", page_size=0, page_token="") -> Page:
        """Every listing of the seller, newest first, of one status if given."""
        return self._seller_page("products", PRODUCT_STATUSES, PRODUCTS_NEWEST, seller_id,
                                 status, page_size, page_token)

    def pending_products(self, page_size=0, page_token="") -> Page:
        return self._page("products", ["status = 'pending'"], [], PRODUCTS_NEWEST, page_size,
                          page_token)

    def product_rating(self, product_id: str) -> tuple[int, int]:
        return self._rating("products", product_id)

    def seller_rating(self, seller_id: str) -> tuple[int, int]:
        return self._rating("sellers", seller_id)

    def buyer_orders(self, buyer_id: str, page_size=0, page_token="") -> Page:
        return self._page("orders", ["buyer_id = %s"], [buyer_id], ORDERS_NEWEST, page_size,
                          page_token)

    def seller_orders(self, seller_id: str, status="", page_size=0, page_token="") -> Page:
        return self._seller_page("orders", ORDER_STATUSES, ORDERS_NEWEST, seller_id, status,
                                 page_size, page_token)

    def _seller_page(self, table, statuses, sort: SortKey, seller_id, status, page_size,
                     page_token) -> Page:
        """The seller's rows of `table`, of one status if given."""
        where, params = ["seller_id = %s"], [seller_id]
        if status:
            where.append("status = %s")
            params.append(_checked_status(status, statuses))
        return self._page(table, where, params, sort, page_size, page_token)

    def unconfirmed_before(self, moment: float) -> list[str]:
        """Ids of orders still placed whose reservation ran out by moment: the timer's."""
        rows = self.read_model.query(
            "SELECT id FROM {schema}.orders WHERE status = 'placed' AND expires_at <= %s "
            "ORDER BY expires_at LIMIT 1000", (moment,))
        return [row["id"] for row in rows]

    # ----------------------------------------------------------------------------
    def _rating(self, table: str, row_id: str) -> tuple[int, int]:
        rows = self.read_model.query(
            f"SELECT rating_sum, rating_count FROM {{schema}}.{table} WHERE id = %s", (row_id,))
        return (rows[0]["rating_sum"], rows[0]["rating_count"]) if rows else (0, 0)

    def _page(self, table, where, params, sort: SortKey, page_size, page_token) -> Page:
        size = page_size_of(page_size)
        if page_token:
            where = [*where, sort.after]
            params = [*params, *decode_token(sort, page_token)]
        rows = self.read_model.query(
            f"SELECT * FROM {{schema}}.{table} WHERE {' AND '.join(where)} "
            f"ORDER BY {sort.order_by} LIMIT %s", [*params, size + 1])
        token = encode_token(sort, rows[size - 1]) if len(rows) > size else ""
        return Page(rows[:size], token)

