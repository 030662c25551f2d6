//! The C library's `srand`/`rand` as glibc implements them (the additive feedback generator of
//! `random_r`, 31 words, separation 3, 310 outputs discarded after seeding), which TDengine's
//! `rand([seed])` calls: `rand(1)` is 0.8401877171547095 on TDengine as in C. One generator for
//! the whole server, as glibc's is for the whole taosd process.

use std::sync::Mutex;

const DEGREE: usize = 31;
const SEPARATION: usize = 3;

struct Generator {
    state: [i32; DEGREE],
    front: usize,
    rear: usize,
}

impl Generator {
    fn seeded(seed: u32) -> Generator {
        let mut state = [0i32; DEGREE];
        let seed = if seed == 0 { 1 } else { seed };
        let mut word = seed as i32 as i64;
        state[0] = word as i32;
        for slot in state.iter_mut().skip(1) {
            // (16807 * word) % 2147483647 without overflowing 31 bits (Schrage's method)
            let (hi, lo) = (word / 127_773, word % 127_773);
            word = 16_807 * lo - 2_836 * hi;
            if word < 0 {
                word += 2_147_483_647;
            }
            *slot = word as i32;
        }
        let mut g = Generator { state, front: SEPARATION, rear: 0 };
        for _ in 0..DEGREE * 10 {
            g.next();
        }
        g
    }

    fn next(&mut self) -> i32 {
        let v = (self.state[self.front] as u32).wrapping_add(self.state[self.rear] as u32);
        self.state[self.front] = v as i32;
        self.front = (self.front + 1) % DEGREE;
        self.rear = (self.rear + 1) % DEGREE;
        (v >> 1) as i32
    }
}

static GENERATOR: Mutex<Option<Generator>> = Mutex::new(None);

/// `srand(seed)`.
pub(crate) fn seed(seed: u32) {
    if let Ok(mut g) = GENERATOR.lock() {
        *g = Some(Generator::seeded(seed));
    }
}

/// `rand() % RAND_MAX / RAND_MAX`, what TDengine's `rand` answers.
pub(crate) fn next_unit() -> f64 {
    const RAND_MAX: i32 = 2_147_483_647;
    let v = match GENERATOR.lock() {
        Ok(mut g) => g.get_or_insert_with(|| Generator::seeded(1)).next(),
        Err(_) => 0,
    };
    (v % RAND_MAX) as f64 / RAND_MAX as f64
}

#[cfg(test)]
mod tests {
    use super::Generator;

    #[test]
    fn glibc_sequences() {
        let mut g = Generator::seeded(1);
        assert_eq!([g.next(), g.next(), g.next()], [1_804_289_383, 846_930_886, 1_681_692_777]);
    }
}
