from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SortOrder(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SORT_ORDER_UNSPECIFIED: _ClassVar[SortOrder]
    NEWEST: _ClassVar[SortOrder]
    PRICE_ASCENDING: _ClassVar[SortOrder]
    PRICE_DESCENDING: _ClassVar[SortOrder]
SORT_ORDER_UNSPECIFIED: SortOrder
NEWEST: SortOrder
PRICE_ASCENDING: SortOrder
PRICE_DESCENDING: SortOrder

class SellerRef(_message.Message):
    __slots__ = ("seller_id",)
    SELLER_ID_FIELD_NUMBER: _ClassVar[int]
    seller_id: str
    def __init__(self, seller_id: _Optional[str] = ...) -> None: ...

class Seller(_message.Message):
    __slots__ = ("id", "name", "kind", "commune", "ocop_producer_code", "description", "member_ids", "rating_average", "rating_count")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    COMMUNE_FIELD_NUMBER: _ClassVar[int]
    OCOP_PRODUCER_CODE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    MEMBER_IDS_FIELD_NUMBER: _ClassVar[int]
    RATING_AVERAGE_FIELD_NUMBER: _ClassVar[int]
    RATING_COUNT_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    kind: str
    commune: str
    ocop_producer_code: str
    description: str
    member_ids: _containers.RepeatedScalarFieldContainer[str]
    rating_average: float
    rating_count: int
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., kind: _Optional[str] = ..., commune: _Optional[str] = ..., ocop_producer_code: _Optional[str] = ..., description: _Optional[str] = ..., member_ids: _Optional[_Iterable[str]] = ..., rating_average: _Optional[float] = ..., rating_count: _Optional[int] = ...) -> None: ...

class UpdateSellerProfileRequest(_message.Message):
    __slots__ = ("seller_id", "commune", "ocop_producer_code", "description")
    SELLER_ID_FIELD_NUMBER: _ClassVar[int]
    COMMUNE_FIELD_NUMBER: _ClassVar[int]
    OCOP_PRODUCER_CODE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    seller_id: str
    commune: str
    ocop_producer_code: str
    description: str
    def __init__(self, seller_id: _Optional[str] = ..., commune: _Optional[str] = ..., ocop_producer_code: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class OcopRating(_message.Message):
    __slots__ = ("stars", "certificate_number", "expires_on")
    STARS_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_ON_FIELD_NUMBER: _ClassVar[int]
    stars: int
    certificate_number: str
    expires_on: str
    def __init__(self, stars: _Optional[int] = ..., certificate_number: _Optional[str] = ..., expires_on: _Optional[str] = ...) -> None: ...

class ProductRef(_message.Message):
    __slots__ = ("product_id",)
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    product_id: str
    def __init__(self, product_id: _Optional[str] = ...) -> None: ...

class Product(_message.Message):
    __slots__ = ("id", "seller_id", "name", "description", "category", "unit", "price_vnd", "photos", "ocop_stars", "certificate_number", "certificate_expires_on", "geographical_indication", "origin_commune", "stock", "status", "rating_average", "rating_count", "review_note")
    ID_FIELD_NUMBER: _ClassVar[int]
    SELLER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    PRICE_VND_FIELD_NUMBER: _ClassVar[int]
    PHOTOS_FIELD_NUMBER: _ClassVar[int]
    OCOP_STARS_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_EXPIRES_ON_FIELD_NUMBER: _ClassVar[int]
    GEOGRAPHICAL_INDICATION_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_COMMUNE_FIELD_NUMBER: _ClassVar[int]
    STOCK_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    RATING_AVERAGE_FIELD_NUMBER: _ClassVar[int]
    RATING_COUNT_FIELD_NUMBER: _ClassVar[int]
    REVIEW_NOTE_FIELD_NUMBER: _ClassVar[int]
    id: str
    seller_id: str
    name: str
    description: str
    category: str
    unit: str
    price_vnd: int
    photos: _containers.RepeatedScalarFieldContainer[str]
    ocop_stars: int
    certificate_number: str
    certificate_expires_on: str
    geographical_indication: str
    origin_commune: str
    stock: int
    status: str
    rating_average: float
    rating_count: int
    review_note: str
    def __init__(self, id: _Optional[str] = ..., seller_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., category: _Optional[str] = ..., unit: _Optional[str] = ..., price_vnd: _Optional[int] = ..., photos: _Optional[_Iterable[str]] = ..., ocop_stars: _Optional[int] = ..., certificate_number: _Optional[str] = ..., certificate_expires_on: _Optional[str] = ..., geographical_indication: _Optional[str] = ..., origin_commune: _Optional[str] = ..., stock: _Optional[int] = ..., status: _Optional[str] = ..., rating_average: _Optional[float] = ..., rating_count: _Optional[int] = ..., review_note: _Optional[str] = ...) -> None: ...

class ReturnProductRequest(_message.Message):
    __slots__ = ("product_id", "reason")
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    product_id: str
    reason: str
    def __init__(self, product_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ListProductRequest(_message.Message):
    __slots__ = ("seller_id", "name", "description", "category", "unit", "price_vnd", "photos", "ocop", "geographical_indication", "origin_commune", "stock")
    SELLER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    PRICE_VND_FIELD_NUMBER: _ClassVar[int]
    PHOTOS_FIELD_NUMBER: _ClassVar[int]
    OCOP_FIELD_NUMBER: _ClassVar[int]
    GEOGRAPHICAL_INDICATION_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_COMMUNE_FIELD_NUMBER: _ClassVar[int]
    STOCK_FIELD_NUMBER: _ClassVar[int]
    seller_id: str
    name: str
    description: str
    category: str
    unit: str
    price_vnd: int
    photos: _containers.RepeatedScalarFieldContainer[str]
    ocop: OcopRating
    geographical_indication: str
    origin_commune: str
    stock: int
    def __init__(self, seller_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., category: _Optional[str] = ..., unit: _Optional[str] = ..., price_vnd: _Optional[int] = ..., photos: _Optional[_Iterable[str]] = ..., ocop: _Optional[_Union[OcopRating, _Mapping]] = ..., geographical_indication: _Optional[str] = ..., origin_commune: _Optional[str] = ..., stock: _Optional[int] = ...) -> None: ...

class UpdateProductRequest(_message.Message):
    __slots__ = ("product_id", "name", "description", "category", "unit", "price_vnd", "photos", "ocop", "geographical_indication", "origin_commune", "update_mask")
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    PRICE_VND_FIELD_NUMBER: _ClassVar[int]
    PHOTOS_FIELD_NUMBER: _ClassVar[int]
    OCOP_FIELD_NUMBER: _ClassVar[int]
    GEOGRAPHICAL_INDICATION_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_COMMUNE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    product_id: str
    name: str
    description: str
    category: str
    unit: str
    price_vnd: int
    photos: _containers.RepeatedScalarFieldContainer[str]
    ocop: OcopRating
    geographical_indication: str
    origin_commune: str
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, product_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., category: _Optional[str] = ..., unit: _Optional[str] = ..., price_vnd: _Optional[int] = ..., photos: _Optional[_Iterable[str]] = ..., ocop: _Optional[_Union[OcopRating, _Mapping]] = ..., geographical_indication: _Optional[str] = ..., origin_commune: _Optional[str] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class RestockProductRequest(_message.Message):
    __slots__ = ("product_id", "quantity")
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    product_id: str
    quantity: int
    def __init__(self, product_id: _Optional[str] = ..., quantity: _Optional[int] = ...) -> None: ...

class SearchProductsRequest(_message.Message):
    __slots__ = ("text", "category", "origin_commune", "min_stars", "min_price_vnd", "max_price_vnd", "sort", "page_size", "page_token")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_COMMUNE_FIELD_NUMBER: _ClassVar[int]
    MIN_STARS_FIELD_NUMBER: _ClassVar[int]
    MIN_PRICE_VND_FIELD_NUMBER: _ClassVar[int]
    MAX_PRICE_VND_FIELD_NUMBER: _ClassVar[int]
    SORT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    text: str
    category: str
    origin_commune: str
    min_stars: int
    min_price_vnd: int
    max_price_vnd: int
    sort: SortOrder
    page_size: int
    page_token: str
    def __init__(self, text: _Optional[str] = ..., category: _Optional[str] = ..., origin_commune: _Optional[str] = ..., min_stars: _Optional[int] = ..., min_price_vnd: _Optional[int] = ..., max_price_vnd: _Optional[int] = ..., sort: _Optional[_Union[SortOrder, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListPendingProductsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListSellerProductsRequest(_message.Message):
    __slots__ = ("seller_id", "status", "page_size", "page_token")
    SELLER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    seller_id: str
    status: str
    page_size: int
    page_token: str
    def __init__(self, seller_id: _Optional[str] = ..., status: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ProductPage(_message.Message):
    __slots__ = ("products", "next_page_token")
    PRODUCTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    products: _containers.RepeatedCompositeFieldContainer[Product]
    next_page_token: str
    def __init__(self, products: _Optional[_Iterable[_Union[Product, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CartItem(_message.Message):
    __slots__ = ("product_id", "quantity")
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    product_id: str
    quantity: int
    def __init__(self, product_id: _Optional[str] = ..., quantity: _Optional[int] = ...) -> None: ...

class PlaceOrdersRequest(_message.Message):
    __slots__ = ("items", "payment_method", "delivery_address")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_METHOD_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[CartItem]
    payment_method: str
    delivery_address: str
    def __init__(self, items: _Optional[_Iterable[_Union[CartItem, _Mapping]]] = ..., payment_method: _Optional[str] = ..., delivery_address: _Optional[str] = ...) -> None: ...

class PlaceOrdersResponse(_message.Message):
    __slots__ = ("orders",)
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    orders: _containers.RepeatedCompositeFieldContainer[Order]
    def __init__(self, orders: _Optional[_Iterable[_Union[Order, _Mapping]]] = ...) -> None: ...

class OrderRef(_message.Message):
    __slots__ = ("order_id",)
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    def __init__(self, order_id: _Optional[str] = ...) -> None: ...

class ReasonRequest(_message.Message):
    __slots__ = ("order_id", "reason")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    reason: str
    def __init__(self, order_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ReviewOrderRequest(_message.Message):
    __slots__ = ("order_id", "stars", "comment")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    STARS_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    stars: int
    comment: str
    def __init__(self, order_id: _Optional[str] = ..., stars: _Optional[int] = ..., comment: _Optional[str] = ...) -> None: ...

class OrderLine(_message.Message):
    __slots__ = ("product_id", "name", "quantity", "unit_price_vnd")
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    UNIT_PRICE_VND_FIELD_NUMBER: _ClassVar[int]
    product_id: str
    name: str
    quantity: int
    unit_price_vnd: int
    def __init__(self, product_id: _Optional[str] = ..., name: _Optional[str] = ..., quantity: _Optional[int] = ..., unit_price_vnd: _Optional[int] = ...) -> None: ...

class Order(_message.Message):
    __slots__ = ("id", "buyer_id", "seller_id", "items", "total_vnd", "status", "payment_method", "paid", "payment_id", "delivery_address", "review_stars", "status_reason", "placed_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    BUYER_ID_FIELD_NUMBER: _ClassVar[int]
    SELLER_ID_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_VND_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_METHOD_FIELD_NUMBER: _ClassVar[int]
    PAID_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    REVIEW_STARS_FIELD_NUMBER: _ClassVar[int]
    STATUS_REASON_FIELD_NUMBER: _ClassVar[int]
    PLACED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    buyer_id: str
    seller_id: str
    items: _containers.RepeatedCompositeFieldContainer[OrderLine]
    total_vnd: int
    status: str
    payment_method: str
    paid: bool
    payment_id: str
    delivery_address: str
    review_stars: int
    status_reason: str
    placed_at: float
    def __init__(self, id: _Optional[str] = ..., buyer_id: _Optional[str] = ..., seller_id: _Optional[str] = ..., items: _Optional[_Iterable[_Union[OrderLine, _Mapping]]] = ..., total_vnd: _Optional[int] = ..., status: _Optional[str] = ..., payment_method: _Optional[str] = ..., paid: _Optional[bool] = ..., payment_id: _Optional[str] = ..., delivery_address: _Optional[str] = ..., review_stars: _Optional[int] = ..., status_reason: _Optional[str] = ..., placed_at: _Optional[float] = ...) -> None: ...

class ListOrdersRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListSellerOrdersRequest(_message.Message):
    __slots__ = ("seller_id", "status", "page_size", "page_token")
    SELLER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    seller_id: str
    status: str
    page_size: int
    page_token: str
    def __init__(self, seller_id: _Optional[str] = ..., status: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class OrderPage(_message.Message):
    __slots__ = ("orders", "next_page_token")
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    orders: _containers.RepeatedCompositeFieldContainer[Order]
    next_page_token: str
    def __init__(self, orders: _Optional[_Iterable[_Union[Order, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
