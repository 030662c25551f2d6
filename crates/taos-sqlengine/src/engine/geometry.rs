//! Little-endian WKB decoding, WKT rendering (`st_astext`) and the point-in-geometry tests behind
//! `st_intersects` / `st_contains`.

#[derive(Debug, Clone, PartialEq)]
pub enum Geom {
    Point(f64, f64),
    Line(Vec<(f64, f64)>),
    Polygon(Vec<Vec<(f64, f64)>>),
    MultiPoint(Vec<(f64, f64)>),
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn u32(&mut self) -> Option<u32> {
        let v = u32::from_le_bytes(self.b.get(self.pos..self.pos + 4)?.try_into().ok()?);
        self.pos += 4;
        Some(v)
    }
    fn f64(&mut self) -> Option<f64> {
        let v = f64::from_le_bytes(self.b.get(self.pos..self.pos + 8)?.try_into().ok()?);
        self.pos += 8;
        Some(v)
    }
    fn point(&mut self) -> Option<(f64, f64)> {
        Some((self.f64()?, self.f64()?))
    }
    fn points(&mut self) -> Option<Vec<(f64, f64)>> {
        let n = self.u32()? as usize;
        if n > self.b.len() / 16 + 1 {
            return None;
        }
        (0..n).map(|_| self.point()).collect()
    }
}

pub fn decode(b: &[u8]) -> Option<Geom> {
    if b.first() != Some(&1) {
        return None;
    }
    let mut r = Reader { b, pos: 1 };
    Some(match r.u32()? {
        1 => {
            let (x, y) = r.point()?;
            Geom::Point(x, y)
        }
        2 => Geom::Line(r.points()?),
        3 => {
            let n = r.u32()? as usize;
            if n > b.len() / 4 {
                return None;
            }
            Geom::Polygon((0..n).map(|_| r.points()).collect::<Option<_>>()?)
        }
        4 => {
            let n = r.u32()? as usize;
            if n > b.len() / 21 + 1 {
                return None;
            }
            let mut pts = Vec::with_capacity(n);
            for _ in 0..n {
                r.pos += 5; // byte order + type of each point
                pts.push(r.point()?);
            }
            Geom::MultiPoint(pts)
        }
        _ => return None,
    })
}

fn coords(pts: &[(f64, f64)]) -> String {
    pts.iter()
        .map(|(x, y)| format!("{:.6} {:.6}", x, y))
        .collect::<Vec<_>>()
        .join(", ")
}

/// WKT as `st_astext` prints it (6 decimals, a space before the parenthesis).
pub fn wkb_to_wkt(b: &[u8]) -> Option<String> {
    Some(match decode(b)? {
        Geom::Point(x, y) => format!("POINT ({:.6} {:.6})", x, y),
        Geom::Line(p) => format!("LINESTRING ({})", coords(&p)),
        Geom::Polygon(rings) => format!(
            "POLYGON ({})",
            rings
                .iter()
                .map(|r| format!("({})", coords(r)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Geom::MultiPoint(p) => format!(
            "MULTIPOINT ({})",
            p.iter()
                .map(|(x, y)| format!("({:.6} {:.6})", x, y))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    })
}

fn on_segment(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> bool {
    let cross = (b.0 - a.0) * (p.1 - a.1) - (b.1 - a.1) * (p.0 - a.0);
    if cross.abs() > 1e-12 {
        return false;
    }
    p.0 >= a.0.min(b.0) - 1e-12
        && p.0 <= a.0.max(b.0) + 1e-12
        && p.1 >= a.1.min(b.1) - 1e-12
        && p.1 <= a.1.max(b.1) + 1e-12
}

fn in_ring(p: (f64, f64), ring: &[(f64, f64)]) -> bool {
    let mut inside = false;
    let n = ring.len();
    for i in 0..n {
        let (a, b) = (ring[i], ring[(i + 1) % n]);
        if on_segment(p, a, b) {
            return true;
        }
        if (a.1 > p.1) != (b.1 > p.1) && p.0 < (b.0 - a.0) * (p.1 - a.1) / (b.1 - a.1) + a.0 {
            inside = !inside;
        }
    }
    inside
}

fn covers_point(g: &Geom, p: (f64, f64)) -> bool {
    match g {
        Geom::Point(x, y) => (*x, *y) == p,
        Geom::MultiPoint(pts) => pts.contains(&p),
        Geom::Line(pts) => pts.windows(2).any(|w| on_segment(p, w[0], w[1])),
        Geom::Polygon(rings) => {
            rings.first().is_some_and(|outer| in_ring(p, outer))
                && !rings[1..].iter().any(|hole| in_ring(p, hole))
        }
    }
}

/// `st_intersects(a, b)` / `st_contains(a, b)` when one side is a point; `None` otherwise.
pub fn relate(a: &[u8], b: &[u8], contains: bool) -> Option<bool> {
    let (ga, gb) = (decode(a)?, decode(b)?);
    match (&ga, &gb) {
        (_, Geom::Point(x, y)) => Some(covers_point(&ga, (*x, *y))),
        (Geom::Point(x, y), _) if !contains => Some(covers_point(&gb, (*x, *y))),
        (Geom::Point(_, _), _) => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::convert::wkt_to_wkb;

    #[test]
    fn wkt_round_trip_and_point_relations() {
        let poly = wkt_to_wkb("POLYGON((0 0, 4 0, 4 4, 0 4, 0 0))").unwrap();
        assert_eq!(wkb_to_wkt(&poly).unwrap(), "POLYGON ((0.000000 0.000000, 4.000000 0.000000, 4.000000 4.000000, 0.000000 4.000000, 0.000000 0.000000))");
        let p = wkt_to_wkb("POINT(1 1)").unwrap();
        assert_eq!(relate(&poly, &p, true), Some(true));
        let line = wkt_to_wkb("LINESTRING(0 0, 1 1, 2 2)").unwrap();
        assert_eq!(relate(&line, &p, false), Some(true));
        let far = wkt_to_wkb("POINT(3.5 -1.25)").unwrap();
        assert_eq!(relate(&far, &p, false), Some(false));
        assert!(decode(&[1, 9, 0]).is_none());
    }
}
