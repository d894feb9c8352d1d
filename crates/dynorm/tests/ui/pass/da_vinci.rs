//! Da Vinci's stored form.
#![deny(warnings)]

use chrono::{DateTime, TimeZone, Utc};
use dynorm::{AttributeValue, Table};

#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "order_items", compat = "da_vinci")]
#[dynorm(composite(name = "composite_key", fields(order_id, user_id), partition_key))]
struct OrderItem {
    order_id: String,
    user_id: String,
    #[dynorm(sort_key)]
    item_id: String,
    quantity: i64,
    placed_at: DateTime<Utc>,
    shipped_at: Option<DateTime<Utc>>,
    note: Option<String>,
    #[dynorm(json_string)]
    extra: std::collections::BTreeMap<String, i64>,
    #[dynorm(json)]
    raw: Option<serde_json::Value>,
}

fn main() {
    let line = OrderItem {
        order_id: "order123".into(),
        user_id: "user456".into(),
        item_id: "item789".into(),
        quantity: 2,
        placed_at: Utc.timestamp_opt(1_700_000_000, 0).unwrap(),
        shipped_at: None,
        note: None,
        extra: [("a".to_owned(), 1)].into(),
        raw: None,
    };
    let item = line.to_item().unwrap();
    assert_eq!(item["CompositeKey"], AttributeValue::S("order123-user456".into()));
    assert_eq!(item["PlacedAt"], AttributeValue::N("1700000000.0".into()));
    assert_eq!(item["ShippedAt"], AttributeValue::N("0".into()));
    assert_eq!(item["Note"], AttributeValue::S("None".into()));
    assert_eq!(item["Extra"], AttributeValue::S("{\"a\": 1}".into()));
    assert!(!item.contains_key("Raw"));
    assert_eq!(OrderItem::from_item(item).unwrap(), line);
}
