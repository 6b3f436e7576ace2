//! A seeded random generator and the generated data sets the bench runs on.

use super::*;

// ---------------------------------------------------------------------------
// Deterministic randomness
// ---------------------------------------------------------------------------

/// xorshift64* — tiny, fast, and good enough to shape test data.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `lo..=hi`.
    pub(crate) fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as usize
    }

    /// Uniform in `0..n`.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `per_mille / 1000`.
    pub(crate) fn chance(&mut self, per_mille: u64) -> bool {
        self.next_u64() % 1000 < per_mille
    }
}

// ---------------------------------------------------------------------------
// Data sets
// ---------------------------------------------------------------------------

/// The fixed "now" of every data set (expiries are relative to it).
pub(crate) fn now() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 1, 15)
        .and_then(|d| d.and_hms_opt(12, 0, 0))
        .expect("valid date")
}

pub(crate) struct DataSet {
    pub(crate) label: &'static str,
    pub(crate) orgs: Vec<OrgRow>,
    pub(crate) users: Vec<UserRow>,
    pub(crate) grants: Vec<GrantRow>,
    /// By position (org id = position + 1): depth and children, for generating
    /// questions and ancestor chains without asking the code under test.
    pub(crate) depth: Vec<u8>,
    pub(crate) children: Vec<Vec<u32>>,
    /// Grants of each user (positions into `grants`), by user position.
    pub(crate) grants_of: Vec<Vec<u32>>,
    pub(crate) stats: Stats,
}

#[derive(Default)]
pub(crate) struct Stats {
    pub(crate) max_depth: u8,
    pub(crate) private: usize,
    pub(crate) archived: usize,
    pub(crate) only_here: usize,
    pub(crate) future_expiry: usize,
    pub(crate) expired: usize,
    pub(crate) max_grants_per_user: usize,
}

impl DataSet {
    pub(crate) fn org_pos(&self, org_id: i64) -> usize {
        (org_id - 1) as usize
    }

    /// Ancestor chain of an org, from the org itself up to the root (org ids).
    pub(crate) fn chain(&self, org_id: i64) -> Vec<i64> {
        let mut out = vec![org_id];
        let mut cur = self.orgs[self.org_pos(org_id)].parent_id;
        while let Some(p) = cur {
            out.push(p);
            cur = self.orgs[self.org_pos(p)].parent_id;
        }
        out
    }
}

/// A tree shaped like a tenant: root → customers → regions → sites → departments
/// → teams (→ the odd sub-team), truncated to exactly `n_orgs`. Sibling order
/// (the sort key) is unrelated to id order, as with real names.
pub(crate) fn generate(label: &'static str, n_orgs: usize, n_users: usize, seed: u64) -> DataSet {
    let mut rng = Rng::new(seed);
    let mut orgs: Vec<OrgRow> = Vec::with_capacity(n_orgs + 512);
    let mut depth: Vec<u8> = Vec::with_capacity(n_orgs + 512);

    pub(crate) fn add(
        orgs: &mut Vec<OrgRow>,
        depth: &mut Vec<u8>,
        rng: &mut Rng,
        parent: Option<i64>,
        d: u8,
    ) -> i64 {
        let id = orgs.len() as i64 + 1;
        orgs.push(OrgRow {
            id,
            parent_id: parent,
            sort_key: format!("{:016x}", rng.next_u64()),
            code_key: format!("o{id}"),
            // ~5% private below the root.
            privacy_mode: d > 0 && rng.chance(50),
            // A few archived sites, departments and teams.
            archived: d >= 3 && rng.chance(2),
        });
        depth.push(d);
        id
    }

    let root = add(&mut orgs, &mut depth, &mut rng, None, 0);
    while orgs.len() < n_orgs {
        let customer = add(&mut orgs, &mut depth, &mut rng, Some(root), 1);
        for _ in 0..rng.range(2, 8) {
            let region = add(&mut orgs, &mut depth, &mut rng, Some(customer), 2);
            for _ in 0..rng.range(2, 10) {
                let site = add(&mut orgs, &mut depth, &mut rng, Some(region), 3);
                for _ in 0..rng.range(0, 4) {
                    let dept = add(&mut orgs, &mut depth, &mut rng, Some(site), 4);
                    for _ in 0..rng.range(0, 5) {
                        let team = add(&mut orgs, &mut depth, &mut rng, Some(dept), 5);
                        if rng.chance(100) {
                            for _ in 0..rng.range(1, 3) {
                                add(&mut orgs, &mut depth, &mut rng, Some(team), 6);
                            }
                        }
                    }
                }
            }
        }
    }
    // Parents always precede children, so truncating keeps a valid tree.
    orgs.truncate(n_orgs);
    depth.truncate(n_orgs);

    let mut children: Vec<Vec<u32>> = vec![Vec::new(); n_orgs];
    for (i, o) in orgs.iter().enumerate() {
        if let Some(p) = o.parent_id {
            children[(p - 1) as usize].push(i as u32);
        }
    }
    let homes: Vec<usize> = (0..n_orgs).filter(|&i| depth[i] >= 3).collect();
    let homes = if homes.is_empty() {
        (0..n_orgs).collect()
    } else {
        homes
    };

    let mut stats = Stats {
        max_depth: depth.iter().copied().max().unwrap_or(0),
        private: orgs.iter().filter(|o| o.privacy_mode).count(),
        archived: orgs.iter().filter(|o| o.archived).count(),
        ..Default::default()
    };

    let users: Vec<UserRow> = (0..n_users)
        .map(|i| UserRow {
            id: 1_000_000 + i as i64,
            active: !rng.chance(10),
            home_org_id: homes[rng.below(homes.len())] as i64 + 1,
        })
        .collect();

    let roles = |r: usize| match r {
        0..35 => BuiltinRole::Viewer,
        35..65 => BuiltinRole::OrgAdmin,
        65..85 => BuiltinRole::Approver,
        85..90 => BuiltinRole::UserManager,
        90..95 => BuiltinRole::ProjectManager,
        95..99 => BuiltinRole::Auditor,
        _ => BuiltinRole::Owner,
    };
    let role_id =
        |r: BuiltinRole| BuiltinRole::ALL.iter().position(|x| *x == r).unwrap() as i64 + 1;

    let mut grants = Vec::with_capacity(n_users * 6);
    let mut grants_of = vec![Vec::new(); n_users];
    let now = now();
    for (u, user) in users.iter().enumerate() {
        // Mostly 1–9 grants; 3% of people hold 15–36 (mean ≈ 5.6).
        let count = if rng.chance(30) {
            rng.range(15, 36)
        } else {
            rng.range(1, 9)
        };
        stats.max_grants_per_user = stats.max_grants_per_user.max(count);
        let home = (user.home_org_id - 1) as usize;
        let mut path = vec![home];
        while let Some(p) = orgs[*path.last().unwrap()].parent_id {
            path.push((p - 1) as usize);
        }
        for _ in 0..count {
            let role = roles(rng.below(100));
            let org = if role == BuiltinRole::Owner {
                // Owners sit high: the root or a customer.
                path[path.len() - 1 - rng.below(2.min(path.len()))]
            } else if rng.chance(500) {
                // Somewhere on the way from the customer down to the home org.
                path[rng.below(path.len().saturating_sub(1).max(1))]
            } else {
                rng.below(n_orgs)
            };
            let descendants = !rng.chance(50);
            let expires_at = if rng.chance(30) {
                stats.future_expiry += 1;
                Some(now + TimeDelta::days(rng.range(1, 90) as i64))
            } else if rng.chance(10) {
                stats.expired += 1;
                Some(now - TimeDelta::days(rng.range(1, 90) as i64))
            } else {
                None
            };
            stats.only_here += usize::from(!descendants);
            grants_of[u].push(grants.len() as u32);
            grants.push(GrantRow {
                id: grants.len() as i64 + 1,
                user_id: user.id,
                org_id: org as i64 + 1,
                role_id: role_id(role),
                permissions: role.permissions(),
                descendants,
                expires_at,
                group_id: rng.chance(150).then(|| rng.range(1, 500) as i64),
            });
        }
    }

    DataSet {
        label,
        orgs,
        users,
        grants,
        depth,
        children,
        grants_of,
        stats,
    }
}
