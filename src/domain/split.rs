//! Splitting an amount in proportion to weights, exactly to the cent, by the largest-remainder
//! method: floor each share, then give the leftover cents one by one to the largest remainders,
//! ties to the earliest weight (the entity created first). The parts always add up to the whole.

use super::money::Money;

/// Splits `total` (≥ 0) in proportion to `weights` (negative weights take part with 0).
/// With no positive weight nothing can be apportioned and every part is zero.
pub fn largest_remainder(total: Money, weights: &[Money]) -> Vec<Money> {
    let total_cents = i128::from(total.cents());
    let weights: Vec<i128> = weights
        .iter()
        .map(|w| i128::from(w.cents().max(0)))
        .collect();
    let sum: i128 = weights.iter().sum();
    if sum == 0 || total_cents <= 0 {
        return vec![Money::ZERO; weights.len()];
    }
    let mut parts: Vec<i128> = weights.iter().map(|w| total_cents * w / sum).collect();
    let remainders: Vec<i128> = weights.iter().map(|w| total_cents * w % sum).collect();
    let leftover = total_cents - parts.iter().sum::<i128>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    // Stable sort: equal remainders keep their original (creation) order.
    order.sort_by(|a, b| remainders[*b].cmp(&remainders[*a]));
    for &i in order.iter().take(usize::try_from(leftover).unwrap_or(0)) {
        parts[i] += 1;
    }
    parts
        .into_iter()
        .map(|c| Money::from_cents(i64::try_from(c).unwrap_or(i64::MAX)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn m(c: i64) -> Money {
        Money::from_cents(c)
    }

    #[test]
    fn leftover_cents_go_to_the_largest_remainders_then_the_first() {
        // 100,00 in three equal parts: 33,34 + 33,33 + 33,33 (the tie goes to the first).
        assert_eq!(
            largest_remainder(m(10_000), &[m(1), m(1), m(1)]),
            vec![m(3_334), m(3_333), m(3_333)]
        );
        // 0,05 by 1:2 → exact shares 1,67 and 3,33 cents: floors 1 and 3, the leftover cent to the
        // larger remainder (the first: 2/3 > 1/3).
        assert_eq!(largest_remainder(m(5), &[m(1), m(2)]), vec![m(2), m(3)]);
        assert_eq!(
            largest_remainder(m(1_000), &[m(-50), m(50)]),
            vec![m(0), m(1_000)]
        );
        assert_eq!(largest_remainder(m(1_000), &[m(0), m(0)]), vec![m(0), m(0)]);
    }

    proptest! {
        #[test]
        fn parts_add_up_to_the_whole(total in 0i64..10_000_000_000, weights in prop::collection::vec(-1_000_000i64..100_000_000, 1..12)) {
            let weights: Vec<Money> = weights.into_iter().map(Money::from_cents).collect();
            let parts = largest_remainder(Money::from_cents(total), &weights);
            prop_assert_eq!(parts.len(), weights.len());
            if weights.iter().any(|w| w.is_positive()) {
                prop_assert_eq!(parts.iter().copied().sum::<Money>(), Money::from_cents(total));
            }
            for (p, w) in parts.iter().zip(&weights) {
                prop_assert!(!p.is_negative());
                if !w.is_positive() {
                    prop_assert_eq!(*p, Money::ZERO);
                }
            }
        }
    }
}
