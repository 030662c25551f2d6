//! A database's vgroups: their ids, and which one holds a table. TDengine spreads tables over a
//! database's vgroups by a hash of the table's full name (`<acct>.<db>.<table>`, MurmurHash3 x86
//! 32-bit with seed 0x12345678); each vgroup owns an equal slice of the 32-bit hash space, the
//! last one up to its end. Checked on TDengine 3.3.7.5: 25 tables over 4 vgroups and 6 over 2
//! land where `information_schema.ins_tables` says.

/// The account every database belongs to (TDengine's `acctId`, part of a table's full name).
const ACCOUNT: &str = "1";
const SEED: u32 = 0x1234_5678;
/// The first vgroup id a catalog hands out (ids are never reused, as in TDengine's mnode).
pub(crate) const FIRST_ID: i32 = 2;

/// The vgroups of one database, in hash order.
#[derive(Debug, Clone, Default)]
pub struct Vgroups {
    db: String,
    ids: Vec<i32>,
}

impl Vgroups {
    /// `n` vgroups of database `db`, numbered from `first`.
    pub(crate) fn new(db: &str, first: i32, n: i64) -> Vgroups {
        let n = n.clamp(1, 1024) as i32;
        Vgroups { db: db.to_string(), ids: (first..first + n).collect() }
    }

    /// Ids of the vgroups, in hash order.
    pub fn ids(&self) -> &[i32] {
        &self.ids
    }

    /// Which of them (an index into [`Vgroups::ids`]) holds `table`.
    pub fn index_of(&self, table: &str) -> usize {
        let n = self.ids.len().max(1) as u64;
        let hash = murmur3_32(format!("{ACCOUNT}.{}.{table}", self.db).as_bytes(), SEED) as u64;
        let slice = u64::from(u32::MAX) / n;
        ((hash / slice.max(1)) as usize).min(n as usize - 1)
    }

    /// The id of the vgroup that holds `table`.
    pub fn id_of(&self, table: &str) -> i32 {
        self.ids.get(self.index_of(table)).copied().unwrap_or(FIRST_ID)
    }

    /// The index of the vgroup with this id.
    pub fn index_of_id(&self, id: i32) -> Option<usize> {
        self.ids.iter().position(|&v| v == id)
    }
}

/// MurmurHash3, x86 32-bit variant (Austin Appleby's public-domain algorithm).
fn murmur3_32(data: &[u8], seed: u32) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let mix = |k: u32| k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
    let mut h = seed;
    let mut blocks = data.chunks_exact(4);
    for b in &mut blocks {
        h ^= mix(u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        h = h.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        let k = tail.iter().rev().fold(0u32, |k, &b| (k << 8) | u32::from(b));
        h ^= mix(k);
    }
    h ^= data.len() as u32;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vgroups(db: &str, n: i32) -> Vgroups {
        Vgroups { db: db.into(), ids: (100..100 + n).collect() }
    }

    #[test]
    fn tables_land_in_the_vgroups_tdengine_puts_them_in() {
        // TDengine 3.3.7.5: `create database tmq4_h vgroups 4`, 24 children and a normal table,
        // vgroup of each from information_schema.ins_tables (index in vgroup id order)
        let want = [
            ("n1", 3), ("t0", 1), ("t1", 2), ("t10", 0), ("t11", 3), ("t12", 0), ("t13", 2), ("t14", 1),
            ("t15", 1), ("t16", 0), ("t17", 0), ("t18", 0), ("t19", 2), ("t2", 1), ("t20", 1), ("t21", 0),
            ("t22", 0), ("t23", 1), ("t3", 3), ("t4", 2), ("t5", 3), ("t6", 1), ("t7", 1), ("t8", 1), ("t9", 2),
        ];
        let v = vgroups("tmq4_h", 4);
        for (table, index) in want {
            assert_eq!(v.index_of(table), index, "{table}");
        }
        // `vgroups 2`: d0, d1 in the first, d2..d5 in the second
        let v = vgroups("tmq4_v", 2);
        let got: Vec<usize> = (0..6).map(|i| v.index_of(&format!("d{i}"))).collect();
        assert_eq!(got, [0, 0, 1, 1, 1, 1]);
        assert_eq!(vgroups("x", 1).index_of("anything"), 0);
    }

    #[test]
    fn murmur3_matches_the_reference_vectors() {
        assert_eq!(murmur3_32(b"", 0), 0);
        assert_eq!(murmur3_32(b"", 1), 0x514e_28b7);
        assert_eq!(murmur3_32(b"hello", 0), 0x248b_fa47);
        assert_eq!(murmur3_32(b"Hello, world!", 1234), 0xfaf6_cdb3);
    }
}
