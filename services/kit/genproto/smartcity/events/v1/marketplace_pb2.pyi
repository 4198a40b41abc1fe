from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ProductListed(_message.Message):
    __slots__ = ("product_id", "seller_id", "name", "category", "origin_commune")
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    SELLER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_COMMUNE_FIELD_NUMBER: _ClassVar[int]
    product_id: str
    seller_id: str
    name: str
    category: str
    origin_commune: str
    def __init__(self, product_id: _Optional[str] = ..., seller_id: _Optional[str] = ..., name: _Optional[str] = ..., category: _Optional[str] = ..., origin_commune: _Optional[str] = ...) -> None: ...

class ProductApproved(_message.Message):
    __slots__ = ("product_id", "seller_id", "name", "approved_by", "seller_member_ids")
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    SELLER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    APPROVED_BY_FIELD_NUMBER: _ClassVar[int]
    SELLER_MEMBER_IDS_FIELD_NUMBER: _ClassVar[int]
    product_id: str
    seller_id: str
    name: str
    approved_by: str
    seller_member_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, product_id: _Optional[str] = ..., seller_id: _Optional[str] = ..., name: _Optional[str] = ..., approved_by: _Optional[str] = ..., seller_member_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class ProductReturned(_message.Message):
    __slots__ = ("product_id", "seller_id", "name", "returned_by", "reason", "seller_member_ids")
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    SELLER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    RETURNED_BY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    SELLER_MEMBER_IDS_FIELD_NUMBER: _ClassVar[int]
    product_id: str
    seller_id: str
    name: str
    returned_by: str
    reason: str
    seller_member_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, product_id: _Optional[str] = ..., seller_id: _Optional[str] = ..., name: _Optional[str] = ..., returned_by: _Optional[str] = ..., reason: _Optional[str] = ..., seller_member_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class OrderItem(_message.Message):
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

class OrderPlaced(_message.Message):
    __slots__ = ("order_id", "buyer_id", "seller_id", "items", "total_vnd", "payment_method", "seller_member_ids")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    BUYER_ID_FIELD_NUMBER: _ClassVar[int]
    SELLER_ID_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_VND_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_METHOD_FIELD_NUMBER: _ClassVar[int]
    SELLER_MEMBER_IDS_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    buyer_id: str
    seller_id: str
    items: _containers.RepeatedCompositeFieldContainer[OrderItem]
    total_vnd: int
    payment_method: str
    seller_member_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, order_id: _Optional[str] = ..., buyer_id: _Optional[str] = ..., seller_id: _Optional[str] = ..., items: _Optional[_Iterable[_Union[OrderItem, _Mapping]]] = ..., total_vnd: _Optional[int] = ..., payment_method: _Optional[str] = ..., seller_member_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class OrderStatusChanged(_message.Message):
    __slots__ = ("order_id", "status", "previous_status", "buyer_id", "seller_id", "actor_id", "reason", "seller_member_ids")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_STATUS_FIELD_NUMBER: _ClassVar[int]
    BUYER_ID_FIELD_NUMBER: _ClassVar[int]
    SELLER_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    SELLER_MEMBER_IDS_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    status: str
    previous_status: str
    buyer_id: str
    seller_id: str
    actor_id: str
    reason: str
    seller_member_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, order_id: _Optional[str] = ..., status: _Optional[str] = ..., previous_status: _Optional[str] = ..., buyer_id: _Optional[str] = ..., seller_id: _Optional[str] = ..., actor_id: _Optional[str] = ..., reason: _Optional[str] = ..., seller_member_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class OrderPaid(_message.Message):
    __slots__ = ("order_id", "buyer_id", "seller_id", "payment_id", "amount_vnd")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    BUYER_ID_FIELD_NUMBER: _ClassVar[int]
    SELLER_ID_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_VND_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    buyer_id: str
    seller_id: str
    payment_id: str
    amount_vnd: int
    def __init__(self, order_id: _Optional[str] = ..., buyer_id: _Optional[str] = ..., seller_id: _Optional[str] = ..., payment_id: _Optional[str] = ..., amount_vnd: _Optional[int] = ...) -> None: ...

class OrderReviewed(_message.Message):
    __slots__ = ("order_id", "buyer_id", "seller_id", "stars", "product_ids")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    BUYER_ID_FIELD_NUMBER: _ClassVar[int]
    SELLER_ID_FIELD_NUMBER: _ClassVar[int]
    STARS_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_IDS_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    buyer_id: str
    seller_id: str
    stars: int
    product_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, order_id: _Optional[str] = ..., buyer_id: _Optional[str] = ..., seller_id: _Optional[str] = ..., stars: _Optional[int] = ..., product_ids: _Optional[_Iterable[str]] = ...) -> None: ...
