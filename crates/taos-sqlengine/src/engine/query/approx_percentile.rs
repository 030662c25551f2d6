//! `apercentile(x, p)` with the default algorithm: TDengine's streaming histogram (Ben-Haim and
//! Tom-Tov), at most 500 bins of (value, count) kept sorted by value. A value equal to a bin's
//! adds to its count; a new value gets a bin of its own, and when that makes 501 bins the two
//! closest neighbours (the first pair at the smallest distance) become one bin at their weighted
//! mean. The answer walks the bins to the `p`% rank and interpolates between two neighbours
//! (linearly when their counts are equal, else along the trapezoid between them), so with few
//! distinct values it is not the nearest rank: 2.5 for p=50 over 1, 2, 3, 5, 7 (3.3.7.5).
//!
//! TDengine keeps the bins in a fixed array of 501 slots whose unused slots are not empty (the
//! search and the walk read one slot past the last bin); `Histogram` keeps the same slots so
//! that it answers as TDengine does in those corners too. Values are added in the order the
//! rows are read; TDengine merges one histogram per vgroup for a super table, which gives the
//! same bins as long as there are at most 500 distinct values.

/// TDengine's `MAX_HISTOGRAM_BIN`.
const MAX_BINS: usize = 500;

#[derive(Clone, Copy)]
struct Bin {
    val: f64,
    num: i64,
}

pub(super) struct Histogram {
    /// `MAX_BINS + 1` slots; the first `entries` are the bins, sorted by value.
    slots: Vec<Bin>,
    entries: usize,
    elems: i64,
    min: f64,
    max: f64,
}

impl Histogram {
    pub(super) fn new() -> Self {
        // unused slots start at -DBL_MAX, the one past the last possible bin at 0 (as allocated)
        let mut slots = vec![
            Bin {
                val: f64::MIN,
                num: 0
            };
            MAX_BINS + 1
        ];
        slots[MAX_BINS].val = 0.0;
        Histogram {
            slots,
            entries: 0,
            elems: 0,
            min: f64::MAX,
            max: f64::MIN,
        }
    }

    /// Where `val` is among the bins, or where it would go (TDengine's `histoBinarySearch`).
    fn search(&self, val: f64) -> usize {
        let (mut start, mut end) = (0i64, self.entries as i64 - 1);
        while start <= end {
            let mid = (end - start) / 2 + start;
            let v = self.slots[mid as usize].val;
            if v == val {
                return mid as usize;
            }
            if v < val {
                start = mid + 1;
            } else {
                end = mid - 1;
            }
        }
        start.max(end).max(0) as usize
    }

    pub(super) fn add(&mut self, val: f64) {
        let idx = self.search(val);
        if self.slots[idx].val == val {
            self.slots[idx].num += 1;
            if self.entries == 0 {
                self.entries = 1;
            }
        } else {
            // the bins from idx on move up one slot; the slots past them stay as they were
            self.slots.copy_within(idx..self.entries, idx + 1);
            self.slots[idx] = Bin { val, num: 1 };
            self.entries += 1;
            if self.entries == MAX_BINS + 1 {
                self.merge_closest();
                self.slots[MAX_BINS] = Bin { val: 0.0, num: 0 };
            }
        }
        self.max = self.max.max(val);
        self.min = self.min.min(val);
        self.elems += 1;
    }

    /// One bin fewer: the first pair of neighbours at the smallest distance becomes one bin
    /// at their weighted mean (the slot after the last bin keeps a copy of it, as in TDengine).
    fn merge_closest(&mut self) {
        let n = self.entries;
        let mut best = f64::MAX;
        let mut at = 0;
        for i in 1..n {
            let d = self.slots[i].val - self.slots[i - 1].val;
            if d < best {
                best = d;
                at = i - 1;
            }
        }
        let (a, b) = (self.slots[at], self.slots[at + 1]);
        let num = a.num + b.num;
        self.slots[at] = Bin {
            val: (a.val * a.num as f64 + b.val * b.num as f64) / num as f64,
            num,
        };
        self.slots.copy_within(at + 2..n, at + 1);
        self.entries -= 1;
    }

    /// The value at `percent` (0–100), or None when nothing was added (TDengine's
    /// `tHistogramUniform` for one ratio).
    pub(super) fn value_at(&self, percent: f64) -> Option<f64> {
        if self.elems <= 0 {
            return None;
        }
        let rank = (percent / 100.0) * self.elems as f64;
        let bins = &self.slots;
        if rank == 0.0 {
            return Some(self.min);
        }
        if rank <= bins[0].num as f64 {
            return Some(bins[0].val);
        }
        if rank == self.elems as f64 {
            return Some(self.max);
        }
        let mut j = 0;
        let mut total = 0i64;
        while j < self.entries {
            total += bins[j].num;
            if total as f64 <= rank && (total + bins[j + 1].num) as f64 > rank {
                break;
            }
            j += 1;
        }
        let j = j.min(MAX_BINS - 1);
        let delta = rank - total as f64;
        let start = bins[j].num as f64;
        let range = bins[j + 1].num as f64 - start;
        let (v0, v1) = (bins[j].val, bins[j + 1].val);
        Some(if range == 0.0 {
            (v1 - v0) * delta / start + v0
        } else {
            let factor =
                (-2.0 * start + (4.0 * start * start + 8.0 * range * delta).sqrt()) / (2.0 * range);
            v0 + (v1 - v0) * factor
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Histogram;

    fn at(values: &[f64], p: f64) -> Option<f64> {
        let mut h = Histogram::new();
        values.iter().for_each(|&v| h.add(v));
        h.value_at(p)
    }

    /// With few distinct values every value is a bin; between two bins of equal counts the
    /// rank interpolates linearly (3.3.7.5 answers 2.5 here, the nearest rank would be 3).
    #[test]
    fn interpolates_between_bins() {
        let v = [1.0, 5.0, 3.0, 7.0, 2.0];
        assert_eq!(at(&v, 50.0), Some(2.5));
        assert_eq!(at(&v, 0.0), Some(1.0));
        assert_eq!(at(&v, 20.0), Some(1.0));
        assert_eq!(at(&v, 99.0), Some(6.9));
        assert_eq!(at(&v, 100.0), Some(7.0));
        assert_eq!(at(&[10.0, 20.0, -30.0, 40.0], 50.0), Some(10.0));
        assert_eq!(at(&[], 50.0), None);
    }

    /// Repeated values count in one bin; unequal neighbouring counts interpolate along the
    /// trapezoid between them.
    #[test]
    fn repeated_values_weigh_their_bin() {
        assert_eq!(at(&[1.0, 1.0, 1.0, 2.0], 50.0), Some(1.0));
        // bins (1, 1) (2, 3): rank 2 is 1 past the first bin: factor (-2 + sqrt(4 + 16)) / 4
        let expected = 1.0 + (-2.0 + 20f64.sqrt()) / 4.0;
        assert_eq!(at(&[1.0, 2.0, 2.0, 2.0], 50.0), Some(expected));
    }

    /// Past 500 distinct values the closest neighbours merge at their weighted mean, so the
    /// total count is kept and the answer stays within the values.
    #[test]
    fn keeps_at_most_500_bins() {
        let values: Vec<f64> = (0..1000).map(|i| (i * 7919 % 1000) as f64).collect();
        let mut h = Histogram::new();
        values.iter().for_each(|&v| h.add(v));
        assert_eq!(h.entries, 500);
        assert_eq!(
            h.slots[..h.entries].iter().map(|b| b.num).sum::<i64>(),
            1000
        );
        let median = h.value_at(50.0).unwrap();
        assert!((median - 499.5).abs() < 2.0, "{median}");
    }
}
