//! Realistic order events for the demo, drawn from small built-in lists.

use chrono::{SecondsFormat, Utc};
use rand::seq::SliceRandom;
use rand::Rng;
use serde_json::{json, Value};

const CUSTOMERS: [(&str, &str); 8] = [
    ("Ada Lovelace", "ada@example.com"),
    ("Grace Hopper", "grace@example.com"),
    ("Alan Turing", "alan@example.com"),
    ("Katherine Johnson", "katherine@example.com"),
    ("Linus Torvalds", "linus@example.com"),
    ("Margaret Hamilton", "margaret@example.com"),
    ("Tim Berners-Lee", "tim@example.com"),
    ("Barbara Liskov", "barbara@example.com"),
];

/// (sku, name, price in cents)
const PRODUCTS: [(&str, &str, u64); 10] = [
    ("MUG-001", "Ceramic mug", 1_290),
    ("TEE-014", "Organic cotton tee", 2_400),
    ("HOOD-07", "Zip hoodie", 5_900),
    ("CAP-003", "Baseball cap", 1_850),
    ("STK-100", "Sticker pack", 499),
    ("BTL-020", "Steel water bottle", 2_199),
    ("NBK-005", "Dotted notebook", 1_450),
    ("KBD-042", "Mechanical keyboard", 12_900),
    ("USB-C01", "USB-C cable", 990),
    ("LMP-011", "Desk lamp", 4_500),
];

const CURRENCIES: [&str; 3] = ["EUR", "USD", "GBP"];

/// Event names with their weights: more orders are created than refunded.
const KINDS: [(&str, u32); 4] =
    [("order.created", 40), ("order.paid", 30), ("order.shipped", 20), ("order.refunded", 10)];

/// Numbers the orders, so a run reads like a shop's log.
pub struct OrderSource {
    next_number: u64,
}

impl Default for OrderSource {
    fn default() -> Self {
        Self { next_number: rand::thread_rng().gen_range(1000..9000) }
    }
}

impl OrderSource {
    /// The next event: its name and its payload, a Standard Webhooks style envelope.
    pub fn next_event(&mut self, rng: &mut impl Rng) -> (String, Value) {
        let total_weight: u32 = KINDS.iter().map(|(_, weight)| weight).sum();
        let mut pick = rng.gen_range(0..total_weight);
        let mut event_name = KINDS[0].0;
        for (name, weight) in KINDS {
            if pick < weight {
                event_name = name;
                break;
            }
            pick -= weight;
        }
        let number = self.next_number;
        self.next_number += 1;
        let (name, email) = CUSTOMERS.choose(rng).copied().unwrap_or(CUSTOMERS[0]);
        let count = rng.gen_range(1..=3);
        let mut total_cents = 0;
        let items: Vec<Value> = PRODUCTS
            .choose_multiple(rng, count)
            .map(|(sku, product, cents)| {
                let qty: u64 = rng.gen_range(1..=3);
                total_cents += cents * qty;
                json!({ "sku": sku, "name": product, "qty": qty, "price": money(*cents) })
            })
            .collect();
        let currency = CURRENCIES.choose(rng).copied().unwrap_or("EUR");
        let payload = json!({
            "type": event_name,
            "timestamp": Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
            "data": {
                "id": format!("ord_{number}"),
                "customer": { "name": name, "email": email },
                "items": items,
                "total": money(total_cents),
                "currency": currency,
            },
        });
        (event_name.to_owned(), payload)
    }
}

/// Cents as a decimal amount (12.9, not 12.900000001).
fn money(cents: u64) -> f64 {
    cents as f64 / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_order_envelopes_whose_total_adds_up() {
        let mut source = OrderSource::default();
        let mut rng = rand::thread_rng();
        let mut names = std::collections::BTreeSet::new();
        for _ in 0..200 {
            let (name, payload) = source.next_event(&mut rng);
            assert_eq!(payload["type"], name.as_str());
            let data = &payload["data"];
            let items = data["items"].as_array().expect("items");
            assert!((1..=3).contains(&items.len()));
            let sum: f64 =
                items.iter().map(|i| i["price"].as_f64().expect("price") * i["qty"].as_f64().expect("qty")).sum();
            assert!((sum - data["total"].as_f64().expect("total")).abs() < 0.001);
            assert!(data["customer"]["email"].as_str().is_some_and(|e| e.contains('@')));
            names.insert(name);
        }
        assert_eq!(names.len(), 4, "all four kinds show up: {names:?}");
    }
}
